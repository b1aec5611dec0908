"""Help text: every command and option has it, it is fast, and it wraps to the terminal."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from asem.cli.app import app
from tests.test_cli import COMMANDS, run


@pytest.mark.parametrize("command", [*COMMANDS, "bench", "serve", "keys", None])
def test_every_command_has_help_text(command):
    group = typer.main.get_command(app)
    target = group if command is None else group.commands[command]  # type: ignore[attr-defined]
    result = run(*([command] if command else []), "--help")
    assert result.exit_code == 0, result.output
    assert target.help and target.help.split("\n")[0][:30] in result.stdout
    for param in target.params:
        assert getattr(param, "help", None), f"{command} {param.name} has no help text"


def test_help_is_fast_and_does_not_load_the_embedder(tmp_path):
    code = ("import sys; sys.argv = ['asem', '--help']\nfrom asem.cli.app import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "assert 'onnxruntime' not in sys.modules, 'onnxruntime was imported'")
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "add" in done.stdout and "search" in done.stdout
    assert not (tmp_path / "data").exists()  # --help creates no folder


def _all_commands(command, path=()):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _all_commands(sub, (*path, name))


@pytest.mark.parametrize("path", [p for p, _ in _all_commands(typer.main.get_command(app))],
                         ids=lambda p: "-".join(("asem", *p)))
def test_help_paragraphs_wrap_to_the_terminal(path):
    # A docstring's hard line breaks would leave half-empty lines on an 80-column terminal.
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"},
                                terminal_width=200)
    assert result.exit_code == 0, result.output
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    for paragraph in (command.help or "").split("\n\n"):
        assert "\n" not in paragraph
        if len(paragraph) < 190:  # short enough for one 200-column line
            assert paragraph in " ".join(result.output.split())


def test_reflow_keeps_paragraphs_and_preformatted_text():
    from asem.cli.app import reflow

    assert reflow("One\n    two.\n\n    Three\n    four.") == "One two.\n\nThree four."
    assert reflow("Head.\n\n\b\nkeep\nthese") == "Head.\n\n\b\nkeep\nthese"
