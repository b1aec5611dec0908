"""The background LLM stage: writes never wait, jobs are durable, bad output never lands.

Every test drives the worker with the scripted LLM, so the expected notes, links and
history are exact.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from datetime import datetime

import pytest

from asem import Memory
from asem.config import LLMConfig
from asem.llm import Completion, LLMError, ScriptedLLM, TransientLLMError
from asem.providers import HashEmbedder

WHEN = datetime(2023, 5, 8, 13, 56)


def good_reply(messages) -> str:
    """A well-formed reply for whatever batch the prompt shows."""
    text = messages[-1].content
    turns = re.findall(r"^\[(\d+)\] \([^)]*\) (.*)$", text, re.M)
    letters = re.findall(r"^\[([A-Z])\]", text, re.M)
    notes = [{"turn": int(t), "keywords": ["Buddy", "dog"], "tags": ["Pets"],
              "context": f"Ann said: {said} (turn {t}).",
              "dates": [{"phrase": "yesterday", "date": "2023-05-07"}]} for t, said in turns]
    links = [{"from": 1, "to": letters[0], "relation": "same dog"}] if letters else []
    updates = ([{"note": letters[0], "context": "Ann's dog Buddy, revisited.",
                 "tags": ["animals"]}] if letters else [])
    return json.dumps({"notes": notes, "links": links, "updates": updates})


FAST = LLMConfig(retry_base_delay_s=0.0)
"""No real pauses between retries in tests."""


def open_llm_memory(path, llm, config: LLMConfig = FAST) -> Memory:
    # The rule manager: one note (and one enrichment job) per input, whatever the learned
    # policy would consolidate.
    return Memory(path, embedder=HashEmbedder(), llm=llm, background=False, llm_config=config,
                  manager="rule")


def test_add_stores_at_once_and_the_job_enriches_links_and_evolves(db_path):
    llm = ScriptedLLM(default=good_reply)
    with open_llm_memory(db_path, llm) as memory:
        (first,) = memory.add("I adopted a dog named Buddy yesterday", user_id="ann",
                              speaker="Ann", timestamp=WHEN)
        assert llm.calls == 0  # the write did not wait for the model
        assert memory.llm_status(first.note_id, user_id="ann") == "pending"
        assert memory.search("Buddy", user_id="ann")[0].note.id == first.note_id
        assert memory.process_llm_jobs() == 1
        (second,) = memory.add("Buddy loves the park", user_id="ann", speaker="Ann",
                               timestamp=WHEN)
        assert memory.process_llm_jobs() == 1
        a, b = memory.get(first.note_id, user_id="ann"), memory.get(second.note_id, user_id="ann")
        assert memory.llm_status(first.note_id, user_id="ann") == "done"
        assert a.keywords[:2] == ("Buddy", "dog") and "pets" in a.tags
        assert a.speaker == "Ann"  # the extractive head of the context is kept
        assert a.context.endswith("Ann's dog Buddy, revisited.")  # evolved by the 2nd note
        assert "animals" in a.tags
        assert [d.phrase for d in a.dates] == ["yesterday"]
        assert b.dates == ()  # "yesterday" is not in the second note's text: rejected
        assert {lk.target_id: lk.relation for lk in b.links}[a.id] == "same dog"
        assert {lk.target_id: lk.relation for lk in a.links}[b.id] == "same dog"
        ops = [h.op for h in memory.history(a.id, user_id="ann")]
        assert ops == ["ADD", "UPDATE", "UPDATE"]
        assert "LINK" in [h.op for h in memory.history(b.id, user_id="ann")]
        usage = memory.llm_usage.snapshot()
        assert usage.calls == 2 and usage.tokens > 0


def test_one_call_per_batch_of_turns(db_path):
    llm = ScriptedLLM(default=good_reply)
    with open_llm_memory(db_path, llm) as memory:
        words = "apple bread cheese dates eggs figs grapes honey ice jam kale lemons".split()
        turns = [{"content": f"Ann bought {w} at the market", "speaker": "Ann"}
                 for w in words]
        memory.ingest(turns, user_id="ann")
        assert memory.process_llm_jobs() == 12
        assert llm.calls == 2  # batch_turns = 6
        assert memory.store.job_counts() == {"pending": 0, "running": 0, "done": 12,
                                             "failed": 0}


def test_enrichment_changes_the_embedding(db_path):
    llm = ScriptedLLM(default=good_reply)
    with open_llm_memory(db_path, llm) as memory:
        (r,) = memory.add("I adopted a dog named Buddy yesterday", user_id="ann",
                          timestamp=WHEN)
        before = memory.get(r.note_id, user_id="ann").embedding.copy()
        memory.process_llm_jobs()
        after = memory.get(r.note_id, user_id="ann").embedding
        assert not (before == after).all()


INVENTED = json.dumps({
    "notes": [{"turn": 1, "keywords": ["x"], "tags": ["y"], "context": "ok"},
              {"turn": 9, "keywords": ["ghost"], "context": "no such turn"}],
    "links": [{"from": 1, "to": "Q", "relation": "invented"},
              {"from": "Z", "to": "Y", "relation": "both invented"},
              {"from": 1, "to": 1, "relation": "self"}],
    "updates": [{"note": "K", "context": "invented neighbour"}]})

FAULTS = [
    "",                                           # empty output
    "```json\n" + INVENTED + "\n```",             # fenced, with invented ids
    "<think>hmm</think>" + INVENTED,              # reasoning prefix
    '{"notes": [{"turn": 1, "keywords": ["cut',   # truncated
    '{"items": [{"id": 1, "keyword": "a, b"}]}',  # wrong keys
    "word " * 5000,                               # runaway length
    TransientLLMError("429", retry_after=0.0),    # rate limited
    TransientLLMError("503"),                     # server error
    TransientLLMError("timed out"),               # timeout
    LLMError("bad request"),                      # permanent failure
    Completion('{"notes": [', 5, 5, "length"),    # cut at the token limit
]


@pytest.mark.parametrize("fault", range(len(FAULTS)))
def test_fault_injection_never_raises_loses_or_writes_outside(db_path, fault):
    llm = ScriptedLLM(default=FAULTS[fault])
    with open_llm_memory(db_path, llm) as memory:
        results = []
        for i in range(4):
            results += memory.add(f"Ann said thing {i} about her dog", user_id="ann",
                                  speaker="Ann", timestamp=WHEN)  # must not raise
        before = {r.note_id: memory.get(r.note_id, user_id="ann") for r in results}
        for _ in range(6):
            memory.worker.step()
        for r in results:  # nothing lost: every note is still there and searchable
            assert memory.get(r.note_id, user_id="ann").content == before[r.note_id].content
            assert memory.llm_status(r.note_id, user_id="ann") in ("pending", "failed", "done")
        ids = set(before)
        for note_id in ids:  # links only ever among notes that were shown
            assert {lk.target_id for lk in memory.get(note_id, user_id="ann").links} <= ids
        assert len(memory.search("dog", user_id="ann", k=10)) == 4


def test_fault_replies_with_invented_ids_are_filtered(db_path):
    llm = ScriptedLLM(default=INVENTED)
    with open_llm_memory(db_path, llm) as memory:
        (r,) = memory.add("Ann said something", user_id="ann", timestamp=WHEN)
        memory.process_llm_jobs()
        assert memory.llm_status(r.note_id, user_id="ann") == "done"
        assert memory.get(r.note_id, user_id="ann").links == ()
        rejected = memory.worker.stats.rejected
        assert len(rejected) == 5  # turn 9, link to Q, Z->Y, self link, update of K


def test_unusable_replies_fail_the_job_after_max_attempts_and_keep_the_note(db_path):
    llm = ScriptedLLM(default="not json at all")
    with open_llm_memory(db_path, llm) as memory:
        (r,) = memory.add("Ann adopted a dog", user_id="ann", speaker="Ann", timestamp=WHEN)
        extractive = memory.get(r.note_id, user_id="ann")
        for _ in range(3):
            memory.worker.step()
        assert memory.llm_status(r.note_id, user_id="ann") == "failed"
        assert llm.calls == 9  # 3 attempts x (1 call + 2 re-prompts)
        assert memory.get(r.note_id, user_id="ann").context == extractive.context


def test_an_outage_leaves_jobs_pending_and_a_restart_resumes(db_path):
    down = ScriptedLLM(default=TransientLLMError("connection refused"))
    memory = open_llm_memory(db_path, down)
    (r,) = memory.add("Ann adopted a dog", user_id="ann", timestamp=WHEN)
    assert memory.process_llm_jobs() == 0
    assert memory.llm_status(r.note_id, user_id="ann") == "pending"
    assert memory.worker.stats.outages == 1
    memory.close()
    up = ScriptedLLM(default=good_reply)
    with open_llm_memory(db_path, up) as again:
        assert again.llm_status(r.note_id, user_id="ann") == "pending"
        assert again.process_llm_jobs() == 1
        assert again.llm_status(r.note_id, user_id="ann") == "done"


def test_a_job_claimed_by_a_dead_worker_is_claimed_again_after_its_lease(db_path):
    with open_llm_memory(db_path, ScriptedLLM(default=good_reply),
                         LLMConfig(lease_s=0.0, retry_base_delay_s=0.0)) as memory:
        (r,) = memory.add("Ann adopted a dog", user_id="ann", timestamp=WHEN)
        (job,) = memory.store.claim_jobs(6, lease_s=3600)  # a worker that then dies
        assert memory.llm_status(r.note_id, user_id="ann") == "running"
        time.sleep(1.1)
        assert memory.process_llm_jobs() == 1
        assert memory.llm_status(r.note_id, user_id="ann") == "done"


def test_background_thread_processes_jobs(db_path):
    llm = ScriptedLLM(default=good_reply)
    with Memory(db_path, embedder=HashEmbedder(), llm=llm, llm_config=FAST) as memory:
        (r,) = memory.add("Ann adopted a dog", user_id="ann", timestamp=WHEN)
        deadline = time.time() + 10
        while memory.llm_status(r.note_id, user_id="ann") != "done" and time.time() < deadline:
            time.sleep(0.05)
        assert memory.llm_status(r.note_id, user_id="ann") == "done"


def test_status_without_an_llm_is_none(memory):
    (r,) = memory.add("plain note", user_id="ann")
    assert memory.llm_status(r.note_id, user_id="ann") == "none"


def test_a_reply_that_describes_no_turn_is_reprompted_then_fails_the_job(db_path):
    # What a small model wrote under the loose schema: many notes, none for a real turn.
    degenerate = json.dumps({"notes": [{"turn": ",", "keywords": [], "tags": [],
                                        "context": ""}] * 8, "links": [], "updates": []})
    llm = ScriptedLLM(default=degenerate)
    with open_llm_memory(db_path, llm) as memory:
        (r,) = memory.add("Ann adopted a dog", user_id="ann", speaker="Ann", timestamp=WHEN)
        for _ in range(3):
            memory.worker.step()
        # never "done" with nothing done
        assert memory.llm_status(r.note_id, user_id="ann") == "failed"
        assert llm.calls == 9
        assert "none describes a new turn" in llm.requests[1]["messages"][-1].content


def test_the_schema_names_exactly_the_turns_and_notes_shown(db_path):
    llm = ScriptedLLM(default=good_reply)
    with open_llm_memory(db_path, llm) as memory:
        memory.add("Ann adopted a dog named Buddy", user_id="ann", speaker="Ann",
                   timestamp=WHEN)
        memory.process_llm_jobs()
        memory.ingest([{"content": f"Ann walked Buddy in the {p}", "speaker": "Ann"}
                       for p in ("park", "rain")], user_id="ann")
        memory.process_llm_jobs()
    schema = llm.requests[-1]["schema"]
    notes = schema["properties"]["notes"]
    assert (notes["minItems"], notes["maxItems"]) == (2, 2)
    assert [n["properties"]["turn"] for n in notes["prefixItems"]] == [{"const": "1"},
                                                                       {"const": "2"}]
    link = schema["properties"]["links"]["items"]["properties"]
    assert link["from"] == {"enum": ["1", "2"]}
    assert link["to"]["enum"][:3] == ["1", "2", "A"]
    assert schema["properties"]["updates"]["items"]["properties"]["note"]["enum"][0] == "A"


def test_ungrounded_keywords_and_context_are_left_out(db_path):
    wrong = json.dumps({"notes": [{"turn": "1", "keywords": ["support group", "Buddy"],
                                   "tags": ["pets"],
                                   "context": "Caroline went to a support group yesterday."}],
                        "links": [], "updates": []})
    with open_llm_memory(db_path, ScriptedLLM(default=wrong)) as memory:
        (r,) = memory.add("Hey! I walked Buddy today.", user_id="ann", speaker="Ann",
                          timestamp=WHEN)
        memory.process_llm_jobs()
        note = memory.get(r.note_id, user_id="ann")
        assert memory.llm_status(r.note_id, user_id="ann") == "done"
        assert "support group" not in note.keywords and "Buddy" in note.keywords
        assert "Caroline" not in note.context  # another turn's story, not this one's


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no per-thread priority here")
def test_the_background_worker_runs_at_a_lower_cpu_priority(db_path):
    seen = []

    def reply(messages):
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return good_reply(messages)

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    with Memory(db_path, embedder=HashEmbedder(), llm=ScriptedLLM(default=reply),
                llm_config=FAST) as memory:
        (r,) = memory.add("Ann adopted a dog", user_id="ann", timestamp=WHEN)
        deadline = time.time() + 10
        while memory.llm_status(r.note_id, user_id="ann") != "done" and time.time() < deadline:
            time.sleep(0.05)
    assert seen and seen[0] == min(before + FAST.worker_niceness, 19)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before  # not ours
