"""The ``asem`` command line with the HashEmbedder (and, with ``--fake-llm``, a scripted model).

    python asem_launch.py [--fake-llm] -- --db m.db serve --port 8123
    python asem_launch.py --fake-llm -- --db m.db --user ana --json add "text"

The same typer app, commands and code paths as the installed ``asem`` script; only the
memory factory differs (as the CLI tests pass one), so that the reliability checks do not
spend their time embedding with MiniLM. With ``--fake-llm`` every new note queues an LLM
job (``Memory(llm=...)``, processed by ``process_llm_jobs``, never in the background), the
model being ``enriching_llm``: a scripted reply that enriches whatever batch it is shown.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from asem.eval.databases import PostgresDatabases, local_postgres


def enriching_reply(messages: Sequence[Any]) -> str:
    """A well-formed enrichment reply for the turns the prompt shows (no links, no
    revisions of neighbours)."""
    turns = re.findall(r"^\[(\d+)\] \([^)]*\) (.*)$", messages[-1].content, re.M)
    notes = [{"turn": int(t), "keywords": ["fact"], "tags": ["checked"],
              "context": f"Enriched: {said[:60]}"} for t, said in turns]
    return json.dumps({"notes": notes, "links": [], "updates": []})


def enriching_llm() -> Any:
    from asem.llm import ScriptedLLM

    return ScriptedLLM(default=enriching_reply)


def factory(fake_llm: bool) -> Any:
    """The memory factory the CLI calls as ``factory(path, read_only=...)``: the default
    (learned) manager, the HashEmbedder, and the scripted model with ``fake_llm``."""
    from asem import Memory
    from asem.config import LLMConfig
    from asem.providers import HashEmbedder

    def make(path: Path | str, *, read_only: bool = False) -> Memory:
        return Memory(path, embedder=HashEmbedder(), read_only=read_only,
                      llm=enriching_llm() if fake_llm else None, background=False,
                      llm_config=LLMConfig(retry_base_delay_s=0.0))

    return make


def command(args: Sequence[str], *, fake_llm: bool = False) -> list[str]:
    """The argument list that runs ``asem ARGS`` this way."""
    return [sys.executable, str(Path(__file__).resolve()),
            *(["--fake-llm"] if fake_llm else []), "--", *args]


def main(argv: list[str]) -> None:
    split = argv.index("--")
    options, args = argv[:split], argv[split + 1:]
    from asem.cli.app import app

    app(args, obj=factory("--fake-llm" in options), prog_name="asem")


if __name__ == "__main__":
    main(sys.argv[1:])


# -- what the checks start: a PostgreSQL server, an ``asem serve`` -----------------------------
@contextmanager
def postgres(url: str | None = None) -> Iterator[PostgresDatabases]:
    """Fresh databases on the server at ``url`` (its maintenance database), or on a local
    server started for the run (``asem.eval.databases.local_postgres``); dropped after."""
    with (nullcontext(url) if url else local_postgres()) as server:
        databases = PostgresDatabases(server)
        try:
            yield databases
        finally:
            databases.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """An ``asem serve`` process on 127.0.0.1 and its base URL."""

    process: subprocess.Popen
    url: str


def start_server(target: Path | str, log: Path, *, fake_llm: bool = False,
                 ready_s: float = 120) -> Server:
    """``asem serve`` on a free loopback port over ``target``, once it answers /readyz
    (its output goes to ``log``)."""
    port = free_port()
    with open(log, "ab") as out:
        process = subprocess.Popen(command(["--db", str(target), "serve", "--port", str(port),
                                            "--log-level", "warning"], fake_llm=fake_llm),
                                   stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + ready_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"asem serve exited ({process.returncode}): "
                               f"{log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"asem serve was not ready within {ready_s} s")


def stop_server(server: Server, timeout: float = 60) -> int:
    """SIGTERM (a graceful stop); the exit status (0 when it stopped cleanly)."""
    server.process.send_signal(signal.SIGTERM)
    try:
        return server.process.wait(timeout)
    except subprocess.TimeoutExpired:
        server.process.kill()
        return server.process.wait()
