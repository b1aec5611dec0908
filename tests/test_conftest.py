"""The test suite's own switch: tests marked slow run only with --run-slow."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

SAMPLE = '''
import pytest

@pytest.mark.slow
def test_slow():
    pass

def test_fast():
    pass
'''


def run(folder: Path, *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                          *args, str(folder)], cwd=folder, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_slow_tests_are_skipped_unless_run_slow_is_given(tmp_path):
    shutil.copy(Path(__file__).with_name("conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    without = run(tmp_path)
    assert "1 passed, 1 skipped" in without
    assert "give --run-slow to run it" in without  # the skip reason says how to run it
    assert "2 passed" in run(tmp_path, "--run-slow")
