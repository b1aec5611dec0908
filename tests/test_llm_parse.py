"""Robust parsing of model output and the structured call's retries and re-prompts."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import BaseModel

from asem.llm import (
    ChatMessage,
    LLMError,
    LLMOutputError,
    RetryPolicy,
    ScriptedLLM,
    TransientLLMError,
    UsageMeter,
    ask,
)
from asem.llm.openai_compat import OpenAICompatibleLLM
from asem.llm.parse import NoJSONError, extract_json
from asem.llm.retry import with_retries
from asem.prompts.answer import AnswerReply
from asem.prompts.note_batch import NoteBatchReply


@pytest.mark.parametrize("text, expected", [
    ('{"a": 1}', {"a": 1}),
    ('```json\n{"a": 1}\n```', {"a": 1}),
    ('Sure! Here it is:\n```\n{"a": 1}\n```\nHope it helps.', {"a": 1}),
    ('<think>the user wants {"b": 2}</think>{"a": 1}', {"a": 1}),
    ('<think>never closed... {"a": 1}', {"a": 1}),
    ('{"a": 1} and then some {"b": 2}', {"a": 1}),
    ('{"a": [1, 2, {"c": "x', {"a": [1, 2, {"c": "x"}]}),
    ('{"a": "cut mid-str', {"a": "cut mid-str"}),
    ('{"a": 1, "b": ', {"a": 1}),
    ('[{"a": 1}, {"a": 2', [{"a": 1}, {"a": 2}]),
])
def test_extract_json_finds_and_repairs(text, expected):
    assert extract_json(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "no json here", "<think>only thoughts</think>"])
def test_extract_json_without_json_raises_a_value_error(text):
    with pytest.raises(NoJSONError):
        extract_json(text)


def test_wrong_keys_and_loose_types_are_accepted():
    reply = NoteBatchReply.model_validate({
        "turns": [{"id": "[1]", "keyword": "Buddy, dog; park", "topics": "pets",
                   "summary": ["Ann", "adopted", "Buddy"]}],
        "relations": [{"source": 1, "target": "(a)", "type": "same dog"}],
    })
    note = reply.notes[0]
    assert (note.turn, note.keywords, note.tags) == ("1", ["Buddy", "dog", "park"], ["pets"])
    assert note.context == "Ann adopted Buddy"
    assert (reply.links[0].source, reply.links[0].target) == ("1", "A")


def test_runaway_lists_and_sentences_are_trimmed():
    reply = NoteBatchReply.model_validate({"notes": [{
        "turn": 1, "keywords": [f"k{i}" for i in range(50)], "tags": ["t"] * 3 + ["u"] * 9,
        "context": "word " * 500}]})
    note = reply.notes[0]
    assert len(note.keywords) == 8 and note.tags == ["t", "u"] and len(note.context) <= 300


class _Reply(BaseModel):
    answer: str


def test_ask_reprompts_with_the_validation_error_then_succeeds():
    llm = ScriptedLLM(["nothing useful", '{"wrong": 1}', '{"answer": "Buddy"}'])
    meter = UsageMeter()
    reply = ask(llm, [ChatMessage("user", "name?")], _Reply, meter=meter, max_tokens=10)
    assert reply.answer == "Buddy"
    assert llm.calls == 3
    assert "not usable" in llm.requests[2]["messages"][-1].content
    assert "answer" in llm.requests[2]["messages"][-1].content  # the error names the field
    usage = meter.snapshot()
    assert (usage.calls, usage.failures) == (3, 2)
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0


def test_ask_gives_up_after_two_reprompts():
    llm = ScriptedLLM(default="still not json")
    with pytest.raises(LLMOutputError, match="3 tries"):
        ask(llm, [ChatMessage("user", "q")], _Reply, meter=UsageMeter(), max_tokens=10)
    assert llm.calls == 3


def test_transient_errors_are_retried_with_backoff_and_retry_after():
    waits: list[float] = []
    llm = ScriptedLLM([TransientLLMError("503"), TransientLLMError("429", retry_after=7.0),
                       '{"answer": "ok"}'])
    reply = ask(llm, [ChatMessage("user", "q")], _Reply, meter=UsageMeter(), max_tokens=5,
                retry=RetryPolicy(attempts=4, base_delay_s=0.5), sleep=waits.append)
    assert reply.answer == "ok" and waits == [0.5, 7.0]


def test_retries_are_bounded_and_permanent_errors_are_not_retried():
    waits: list[float] = []
    policy = RetryPolicy(attempts=3, base_delay_s=1.0, max_delay_s=1.5)
    flaky = ScriptedLLM(default=TransientLLMError("timeout"))
    with pytest.raises(TransientLLMError):
        ask(flaky, [ChatMessage("user", "q")], _Reply, meter=UsageMeter(), max_tokens=5,
            retry=policy, sleep=waits.append)
    assert flaky.calls == 3 and waits == [1.0, 1.5]
    broken = ScriptedLLM(default=LLMError("bad key"))
    with pytest.raises(LLMError):
        with_retries(lambda: broken.complete([]), policy, sleep=waits.append)
    assert broken.calls == 1


def test_answer_reply_keeps_only_numbers():
    reply = AnswerReply.model_validate({"notes": ["[2]", "note 3", "x"], "response": "Paris"})
    assert reply.evidence == [2, 3] and reply.answer == "Paris"


# -- the OpenAI-compatible client against a scripted HTTP transport ---------------------------
def _server(responses):
    seen: list[dict] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        item = responses.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return httpx.MockTransport(handle), seen


def _ok(text: str, finish: str = "stop") -> httpx.Response:
    return httpx.Response(200, json={
        "choices": [{"message": {"role": "assistant", "content": text},
                     "finish_reason": finish}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 3}})


def test_openai_client_sends_schema_and_counts_tokens():
    transport, seen = _server([_ok('{"answer": "Buddy"}')])
    llm = OpenAICompatibleLLM("m", "http://127.0.0.1:1/v1", transport=transport)
    meter = UsageMeter()
    reply = ask(llm, [ChatMessage("user", "q")], _Reply, meter=meter, max_tokens=9)
    assert reply.answer == "Buddy"
    assert seen[0]["response_format"]["type"] == "json_schema"
    assert seen[0]["max_tokens"] == 9
    assert meter.snapshot().tokens == 14


def test_openai_client_maps_faults_to_retries():
    waits: list[float] = []
    transport, seen = _server([
        httpx.ReadTimeout("slow"),
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(429),
        httpx.Response(502),
        httpx.ConnectError("refused"),
        _ok('{"answer": "ok"}'),
    ])
    llm = OpenAICompatibleLLM("m", "http://127.0.0.1:1/v1", transport=transport)
    reply = ask(llm, [ChatMessage("user", "q")], _Reply, meter=UsageMeter(), max_tokens=5,
                retry=RetryPolicy(attempts=6, base_delay_s=0.25), sleep=waits.append)
    assert reply.answer == "ok"
    assert waits == [0.25, 3.0, 1.0, 2.0, 4.0]  # Retry-After honoured, else exponential


def test_openai_client_falls_back_when_json_schema_is_refused():
    transport, seen = _server([httpx.Response(400, json={"error": "no json_schema"}),
                               _ok('{"answer": "ok"}'), _ok('{"answer": "again"}')])
    llm = OpenAICompatibleLLM("m", "http://127.0.0.1:1/v1", transport=transport)
    ask(llm, [ChatMessage("user", "q")], _Reply, meter=UsageMeter(), max_tokens=5)
    ask(llm, [ChatMessage("user", "q")], _Reply, meter=UsageMeter(), max_tokens=5)
    assert [s["response_format"]["type"] for s in seen] == ["json_schema", "json_object",
                                                             "json_object"]


def test_openai_client_says_what_to_do_on_auth_failure():
    transport, _ = _server([httpx.Response(401)])
    llm = OpenAICompatibleLLM("m", "http://127.0.0.1:1/v1", transport=transport)
    with pytest.raises(LLMError, match="API_KEY"):
        llm.complete([ChatMessage("user", "q")])


def test_openai_client_falls_back_when_the_server_errors_on_the_format():
    refusal = httpx.Response(500, json={"error": {"message": "Input should be 'text' or "
                                                  "'json_object' at body.response_format"}})
    transport, seen = _server([refusal, _ok('{"answer": "ok"}')])
    llm = OpenAICompatibleLLM("m", "http://127.0.0.1:1/v1", transport=transport)
    assert ask(llm, [ChatMessage("user", "q")], _Reply, meter=UsageMeter(),
               max_tokens=5).answer == "ok"
    assert seen[1]["response_format"]["type"] == "json_object"
    assert "schema" in seen[1]["response_format"]  # llama.cpp's server constrains to it
