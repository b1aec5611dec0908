"""The README's examples run as written (Python API and CLI), on the real default embedder."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).parents[1] / "README.md"
ASEM = Path(sys.executable).parent / "asem"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    examples = _blocks("python")
    assert len(examples) >= 2
    for example in examples:  # in order, on one memory.db
        exec(compile(example, str(README), "exec"), {"__name__": "readme"})
    assert (tmp_path / "memory.db").exists()


def _cli_lines() -> list[list[str]]:
    block = next(b for b in _blocks("bash") if "asem --db" in b)
    lines = []
    for line in block.splitlines():
        command = line.split("#", 1)[0].strip()
        if command.startswith("asem ") and "--db memory.db" in command:
            lines.append(shlex.split(command.replace(" [--undo]", "")))
    return lines


def test_cli_examples_run(tmp_path):
    (tmp_path / "chat.jsonl").write_text(
        json.dumps({"speaker": "Ana", "content": "I walk Buddy every morning",
                    "timestamp": "2024-03-05T08:00:00", "turn_id": "t1"}) + "\n")
    env = os.environ | {"ASEM_DB": str(tmp_path / "unused.db")}
    ids: dict[str, str] = {}
    commands = _cli_lines()
    assert len(commands) >= 9
    assert any(argv[1] != "--db" for argv in commands)  # global options after the command
    for argv in commands:
        argv = [ids.get(a, a) for a in argv]
        json_argv = [str(ASEM), "--json", *argv[1:]]
        # No input: a command that reads stdin (mcp serves until it closes) sees it closed.
        done = subprocess.run(json_argv, cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, (argv, done.stderr)
        if argv[-1] != "stats" and "search" in argv:
            result = json.loads(done.stdout)
            ids["RETRIEVAL_ID"] = result["retrieval_id"]
            if result["hits"]:  # a later search may come after its notes were deleted
                ids["NOTE_ID"] = result["hits"][0]["note"]["id"]
    assert "RETRIEVAL_ID" in ids and "NOTE_ID" in ids


@pytest.mark.parametrize("target", ["demo", "test"])
def test_makefile_has_the_quick_start_targets(target):
    makefile = (README.parent / "Makefile").read_text()
    assert re.search(rf"^{target}:", makefile, re.M)
    assert f"make {target}" in README.read_text()
