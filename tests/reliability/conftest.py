"""The reliability family: the checks of ``benchmarks/checks`` at their fast size."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
