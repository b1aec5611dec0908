"""Distil-and-answer, the LLM manager, the QA metrics and the --llm CLI surface."""

from __future__ import annotations

import json

import pytest

from asem import Memory
from asem.config import LLMConfig, MemoryConfig
from asem.errors import InvalidInputError
from asem.eval.metrics import exact_match, token_f1
from asem.llm import ScriptedLLM
from asem.llm.registry import resolve_llm
from asem.providers import HashEmbedder
from asem.types import Op
from asem.write.llm_manager import LLMManager
from asem.write.manager import Candidate, Proposal

FAST = LLMConfig(retry_base_delay_s=0.0)


@pytest.fixture
def answering(db_path):
    def make(replies):
        llm = ScriptedLLM(replies)
        m = Memory(db_path, embedder=HashEmbedder(), llm=llm, background=False,
                   llm_config=FAST, manager="rule")  # one note per add
        return m, llm
    return make


def test_answer_cites_the_subset_it_used_and_returns_the_retrieval_id(answering):
    memory, llm = answering(['{"evidence": [2, 7], "answer": "Buddy"}'])
    with memory:
        memory.add("I adopted a dog named Buddy", user_id="ann")
        memory.add("My dog likes the park", user_id="ann")
        result = memory.answer("what is my dog called?", user_id="ann", k=2)
        shown = [h.note.id for h in result.hits]
        assert result.text == "Buddy" and not result.abstained
        assert result.note_ids == (shown[1],)  # 7 is not a shown note: dropped
        assert result.usage.calls == 1
        prompt = llm.requests[0]["messages"][-1].content
        assert "[1]" in prompt and "[2]" in prompt and "what is my dog called?" in prompt
        feedback = memory.feedback(result.retrieval_id, 1.0, list(result.note_ids), user_id="ann")
        assert set(feedback.utilities) == set(result.note_ids)


def test_answer_abstains_when_the_model_says_unknown(answering):
    memory, _ = answering(['{"evidence": [1], "answer": "Not mentioned in the notes."}'])
    with memory:
        memory.add("I adopted a dog named Buddy", user_id="ann")
        result = memory.answer("what is my cat called?", user_id="ann")
        assert result.abstained and result.text == "unknown" and result.note_ids == ()


def test_an_answer_that_copies_the_format_description_is_asked_again(answering):
    memory, llm = answering(['{"evidence": [1], "answer": "a short answer, a few words"}',
                             '{"evidence": [1], "answer": "Buddy"}'])
    with memory:
        memory.add("I adopted a dog named Buddy", user_id="ann")
        result = memory.answer("what is my dog called?", user_id="ann")
        assert result.text == "Buddy" and llm.calls == 2
        assert "repeats the instructions" in llm.requests[1]["messages"][-1].content


def test_answer_on_empty_memory_abstains_without_a_call(answering):
    memory, llm = answering([])
    with memory:
        result = memory.answer("anything?", user_id="nobody")
        assert result.abstained and llm.calls == 0


def test_answer_without_an_llm_says_how_to_configure_one(memory):
    with pytest.raises(InvalidInputError, match="llm"):
        memory.answer("q?", user_id="ann")


def _proposal(n: int) -> Proposal:
    return Proposal("I adopted another dog named Scout", "Ann",
                    [Candidate(f"id{i}", f"content of id{i}", 0.9, 0.8) for i in range(n)])


@pytest.mark.parametrize("reply, op, target", [
    ('{"operation": "update", "target": 2, "merged": "Ann has two dogs, Buddy and Scout"}',
     Op.UPDATE, "id1"),
    ('{"op": "NOOP", "target": "[1]"}', Op.NOOP, "id0"),
    ('{"operation": "DELETE", "target": 9}', Op.ADD, None),    # outside the candidates
    ('{"operation": "UPDATE", "target": 1}', Op.ADD, None),    # no merged text
    ('{"operation": "ADD", "target": null}', Op.ADD, None),
])
def test_llm_manager_maps_short_indices_and_rejects_the_rest(reply, op, target):
    manager = LLMManager(ScriptedLLM([reply]))
    decision = manager.decide(_proposal(3))
    assert (decision.op, decision.target_id) == (op, target)


def test_llm_manager_prompt_shows_numbers_not_ids_and_falls_back_when_unusable():
    llm = ScriptedLLM(default="garbage")
    manager = LLMManager(llm)
    decision = manager.decide(_proposal(2))
    assert decision.op is Op.ADD and "model unusable" in decision.reason
    prompt = llm.requests[0]["messages"][-1].content
    assert "[1] content of id0" in prompt and "id1" not in prompt.replace("content of id1", "")


def test_token_f1_and_exact_match():
    assert token_f1("Buddy the dog", "buddy") == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert token_f1("7 May 2023", "7 May, 2023") == 1.0
    assert exact_match("The Buddy.", "buddy") == 1.0
    assert token_f1("", "x") == 0.0 and token_f1("cat", "dog") == 0.0


@pytest.mark.parametrize("spec", ["", "nope", "openai:", "gguf:", "local:x"])
def test_bad_llm_specs_say_which_forms_exist(spec):
    with pytest.raises(InvalidInputError, match="openai:MODEL"):
        resolve_llm(spec)


def test_openai_spec_parses_model_and_base_url():
    llm = resolve_llm("openai:qwen@http://127.0.0.1:9/v1", api_key="k")
    assert llm.model_id == "openai:qwen@http://127.0.0.1:9/v1"
    assert resolve_llm("ollama:llama3").model_id == "openai:llama3@http://localhost:11434/v1"


def test_cli_answer_needs_an_llm_and_says_so(tmp_path):
    from typer.testing import CliRunner

    from asem.cli.app import app

    runner = CliRunner()
    result = runner.invoke(app, ["--db", str(tmp_path / "m.db"), "answer", "q?"],
                           obj=lambda p: Memory(p, embedder=HashEmbedder()))
    assert result.exit_code == 1 and "--llm" in result.output


def test_cli_llm_status_and_help(tmp_path):
    from typer.testing import CliRunner

    from asem.cli.app import app

    runner = CliRunner()
    Memory(tmp_path / "m.db", embedder=HashEmbedder()).close()  # status never creates a file
    result = runner.invoke(app, ["--json", "--db", str(tmp_path / "m.db"), "llm", "status"],
                           obj=lambda p: Memory(p, embedder=HashEmbedder()))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"pending": 0, "running": 0, "done": 0, "failed": 0}
    for command in (["llm", "setup"], ["llm", "process"], ["llm", "status"], ["answer"]):
        shown = runner.invoke(app, [*command, "--help"])
        assert shown.exit_code == 0 and len(shown.output) > 100


def test_the_llm_manager_is_chosen_by_name_and_needs_a_model(db_path):
    from asem.manager.registry import resolve

    with pytest.raises(InvalidInputError, match="--llm"):
        resolve("llm", MemoryConfig())
    llm = ScriptedLLM(['{"operation": "NOOP", "target": 1}'], default='{"operation": "ADD"}')
    with Memory(db_path, embedder=HashEmbedder(), manager="llm", llm=llm,
                background=False) as memory:
        (first,) = memory.add("I adopted a dog named Buddy.", user_id="ann")
        (second,) = memory.add("I adopted a dog named Buddy!", user_id="ann")
    assert isinstance(memory.manager, LLMManager)
    assert first.op is Op.ADD  # no neighbours yet: no call
    assert (second.op, second.note_id) == (Op.NOOP, first.note_id)


def test_bench_manager_reports_what_the_llm_policy_cost():
    from asem.manager.bench import compare
    from asem.manager.env.sim import EmbeddingCache

    llm = ScriptedLLM(default='{"operation": "ADD", "tier": "long_term"}')
    report = compare(["always-add", "llm"], EmbeddingCache(HashEmbedder()), n_streams=1,
                     llm=llm)
    add, prompted = report["policies"]["always-add"], report["policies"]["llm"]
    assert prompted["probe_accuracy"] == add["probe_accuracy"]  # ADD everywhere, same streams
    assert prompted["llm"]["calls"] == llm.calls > 0
    assert "llm" not in add


@pytest.mark.parametrize("value, threads", [("", None), ("1", 1), ("3", 3)])
def test_llama_threads_come_from_the_environment(monkeypatch, value, threads):
    from asem.llm.llama_cpp import _threads_from_env

    monkeypatch.setenv("ASEM_LLM_THREADS", value)
    assert _threads_from_env() == threads


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_bad_llama_thread_counts_are_refused_in_words(monkeypatch, value):
    from asem.llm.base import LLMError
    from asem.llm.llama_cpp import _threads_from_env

    monkeypatch.setenv("ASEM_LLM_THREADS", value)
    with pytest.raises(LLMError, match="ASEM_LLM_THREADS"):
        _threads_from_env()
