"""Supersession (SPEC §2): a change keeps the old fact as a past one, with a validity
interval and a successor link; default searches never return it, ``as_of`` and
``include_superseded`` do; ``reopen`` undoes it. Driven by a scripted policy and the
deterministic HashEmbedder, so every expectation is exact."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import date, datetime

import numpy as np
import pytest

from asem import Memory
from asem.aio import AsyncMemory
from asem.errors import InvalidInputError
from asem.llm import ScriptedLLM
from asem.manager.learned import supersession
from asem.providers import HashEmbedder
from asem.stores.base import VectorIndex
from asem.stores.sqlite import connection
from asem.types import Decision, Filters, Note, Op, Scope, Tier
from asem.write.llm_manager import LLMManager
from asem.write.manager import Candidate, Proposal, checked
from tests import test_write_decisions
from tests.test_cli import run
from tests.test_write_decisions import Scripted, nearest


@pytest.fixture
def db_path(store_target):
    """Every test here runs on SQLite and on PostgreSQL (``memory`` opens this target)."""
    return store_target


BOSTON, DENVER = "I live in Boston", "I live in Denver now"
SAID, CHANGED = datetime(2024, 1, 10, 9), datetime(2024, 6, 1, 18)
BEFORE, AFTER = datetime(2024, 3, 1), datetime(2024, 7, 1)

scripted = test_write_decisions.scripted  # the fixture: a memory deciding by a script

REWIND_VALIDITY = """
DROP INDEX notes_scope_hash;
ALTER TABLE notes DROP COLUMN valid_from;
ALTER TABLE notes DROP COLUMN valid_until;
ALTER TABLE notes DROP COLUMN superseded_by;
CREATE UNIQUE INDEX notes_scope_hash
    ON notes (user_id, agent_id, session_id, content_hash) WHERE deleted_at IS NULL;
"""
"""The schema as it was before migration 0007 (validity), for tests of older databases."""


def moved(memory: Memory):
    """Boston said in January, Denver in June: (Boston's result, Denver's result)."""
    (a,) = memory.add(BOSTON, user_id="u", timestamp=SAID)
    (b,) = memory.add(DENVER, user_id="u", timestamp=CHANGED)
    return a, b


def contents(result) -> list[str]:
    return [h.note.content for h in result]


def test_a_change_keeps_the_old_fact_closed_and_linked_to_its_successor(scripted):
    memory, _ = scripted(nearest(Op.UPDATE, supersedes=True, reason="moved"))
    a, b = moved(memory)
    assert (b.op, b.note_id, b.tier) == (Op.SUPERSEDE, a.note_id, Tier.LONG_TERM)
    old, new = memory.get(a.note_id, user_id="u"), memory.get(b.added_id, user_id="u")
    assert (old.content, old.valid_until, old.superseded_by) == (BOSTON, CHANGED, new.id)
    assert (new.content, new.valid_from, new.valid_until) == (DENVER, CHANGED, None)
    assert old.valid_from is None and memory.stats("u")["notes"] == 2
    assert {(lk.target_id, lk.relation) for lk in old.links} == {(new.id, "superseded by")}
    assert {(lk.target_id, lk.relation) for lk in new.links} == {(old.id, "supersedes")}


def test_a_default_search_never_returns_the_past_fact(scripted):
    memory, _ = scripted(nearest(Op.UPDATE, supersedes=True))
    moved(memory)
    for expand in (False, True):  # not even through the successor's link
        result = memory.search("where do I live", user_id="u", expand_links=expand)
        assert contents(result) == [DENVER] and not result[0].superseded


def test_include_superseded_returns_past_facts_marked(scripted):
    memory, _ = scripted(nearest(Op.UPDATE, supersedes=True))
    moved(memory)
    hits = memory.search("where do I live", user_id="u", include_superseded=True)
    assert {(h.note.content, h.superseded) for h in hits} == {(BOSTON, True), (DENVER, False)}
    same = memory.search("where do I live", user_id="u", filters=Filters(include_superseded=True))
    assert contents(same) == contents(hits)


def test_as_of_returns_what_held_then(scripted):
    memory, _ = scripted(nearest(Op.UPDATE, supersedes=True))
    moved(memory)
    then = memory.search("where do I live", user_id="u", as_of=BEFORE)
    assert contents(then) == [BOSTON] and then[0].superseded
    assert contents(memory.search("where do I live", user_id="u", as_of=CHANGED)) == [DENVER]
    later = memory.search("where do I live", user_id="u", filters=Filters(as_of=AFTER))
    assert contents(later) == [DENVER]


def test_as_of_and_include_superseded_together_are_refused():
    with pytest.raises(InvalidInputError, match="not both"):
        Filters(as_of=BEFORE, include_superseded=True)


def test_history_shows_the_supersession(scripted):
    memory, _ = scripted(nearest(Op.UPDATE, supersedes=True, reason="moved"))
    a, b = moved(memory)
    added, closed = memory.history(a.note_id, user_id="u")
    assert (added.op, closed.op, closed.reason) == ("ADD", "SUPERSEDE", "moved")
    assert closed.old == {"valid_until": None, "superseded_by": None}
    assert closed.new == {"valid_until": CHANGED.isoformat(), "superseded_by": b.added_id}
    (born,) = memory.history(b.added_id, user_id="u")
    assert born.op == "ADD" and born.reason == f"moved; supersedes {a.note_id}"
    assert born.new["valid_from"] == CHANGED.isoformat()


def test_a_pure_retraction_closes_the_note_without_a_successor(scripted):
    memory, _ = scripted(nearest(Op.DELETE, tier=Tier.DISCARD, supersedes=True,
                                 reason="retracted"))
    (a,) = memory.add("I eat meat", user_id="u", timestamp=SAID)
    (b,) = memory.add("I don't eat meat anymore", user_id="u", timestamp=CHANGED)
    assert (b.op, b.note_id, b.added_id, b.tier) == (Op.SUPERSEDE, a.note_id, None, Tier.DISCARD)
    note = memory.get(a.note_id, user_id="u")
    assert (note.valid_until, note.superseded_by, note.deleted_at) == (CHANGED, None, None)
    assert memory.search("meat", user_id="u").empty
    assert contents(memory.search("meat", user_id="u", as_of=BEFORE)) == ["I eat meat"]
    assert memory.history(a.note_id, user_id="u")[-1].reason == (
        'retracted; said: "I don\'t eat meat anymore"')


def test_a_delete_that_keeps_the_input_makes_it_the_successor(scripted):
    memory, _ = scripted(nearest(Op.DELETE, supersedes=True))
    (a,) = memory.add("I work as a nurse", user_id="u", timestamp=SAID)
    (b,) = memory.add("I quit nursing and became a teacher", user_id="u", timestamp=CHANGED)
    assert b.op is Op.SUPERSEDE and memory.get(a.note_id, user_id="u").superseded_by == b.added_id
    assert memory.get(b.added_id, user_id="u").content == "I quit nursing and became a teacher"


def test_a_change_that_keeps_the_rest_of_a_note_supersedes_it_with_a_rebuilt_one(scripted):
    rest = "Weekends I garden. I work at Initech"
    memory, _ = scripted(nearest(Op.UPDATE, merged_content=rest, supersedes=True))
    (a,) = memory.add("I work at Stark. Weekends I garden.", user_id="u", timestamp=SAID,
                      turn_id="t1")
    (b,) = memory.add("I work at Initech", user_id="u", timestamp=CHANGED, turn_id="t2")
    old, new = memory.get(a.note_id, user_id="u"), memory.get(b.added_id, user_id="u")
    assert old.content == "I work at Stark. Weekends I garden." and new.id != old.id
    assert (new.content, new.valid_from, new.provenance.turn_ids) == (rest, CHANGED,
                                                                      ("t1", "t2"))
    assert new.utility == 0.5 and new.usage_count == 0


def test_a_change_said_with_a_date_ends_the_old_fact_then(scripted):
    memory, _ = scripted(nearest(Op.UPDATE, supersedes=True))
    memory.add(BOSTON, user_id="u", timestamp=SAID)
    (b,) = memory.add("I moved to Denver yesterday", user_id="u", timestamp=CHANGED)
    assert memory.get(b.note_id, user_id="u").valid_until == datetime(2024, 5, 31)


def test_a_chain_of_changes_keeps_every_past_fact(scripted):
    memory, _ = scripted(nearest(Op.UPDATE, supersedes=True))
    a, b = moved(memory)
    (c,) = memory.add("I live in Austin now", user_id="u", timestamp=AFTER)
    assert c.note_id == b.added_id and memory.get(b.added_id, user_id="u").valid_until == AFTER
    assert contents(memory.search("where do I live", user_id="u")) == ["I live in Austin now"]
    assert contents(memory.search("where do I live", user_id="u", as_of=datetime(2024, 6, 15))) == [
        DENVER]
    assert len(memory.search("where do I live", user_id="u", include_superseded=True)) == 3


def test_the_manager_never_decides_against_a_past_fact(scripted):
    memory, policy = scripted(nearest(Op.UPDATE, supersedes=True))
    moved(memory)
    memory.add("I live in Austin now", user_id="u", timestamp=AFTER)
    assert [c.content for c in policy.seen[-1].candidates] == [DENVER]


def test_a_past_fact_said_again_is_a_new_current_note(scripted):
    memory, _ = scripted(lambda p: Decision(Op.UPDATE, p.candidates[0].note_id,
                                            supersedes=True) if p.candidates and
                         p.content == DENVER else Decision(Op.ADD))
    a, _ = moved(memory)
    (again,) = memory.add(BOSTON, user_id="u", timestamp=AFTER)
    assert again.op is Op.ADD and again.note_id != a.note_id
    assert BOSTON in contents(memory.search("where do I live", user_id="u"))


def test_reopen_undoes_the_supersession(scripted):
    memory, _ = scripted(nearest(Op.UPDATE, supersedes=True))
    a, b = moved(memory)
    note = memory.reopen(a.note_id, user_id="u")
    assert (note.valid_until, note.superseded_by, note.links) == (None, None, ())
    new = memory.get(b.added_id, user_id="u")
    assert new.valid_from is None and new.links == ()
    assert set(contents(memory.search("where do I live", user_id="u"))) == {BOSTON, DENVER}
    assert set(contents(memory.search("where do I live", user_id="u", as_of=BEFORE))) == {
        BOSTON, DENVER}  # as if Denver had been added beside Boston
    reopened = memory.history(a.note_id, user_id="u")[-1]
    assert (reopened.op, reopened.new) == ("REOPEN", {"valid_until": None,
                                                      "superseded_by": None})
    undone = memory.history(b.added_id, user_id="u")[-1]
    assert (undone.op, undone.old, undone.new) == ("UPDATE", {"valid_from": CHANGED.isoformat()},
                                                   {"valid_from": None})


def test_reopen_refuses_a_current_note_and_a_clash(scripted):
    memory, _ = scripted(lambda p: Decision(Op.UPDATE, p.candidates[0].note_id,
                                            supersedes=True) if p.candidates and
                         p.content == DENVER else Decision(Op.ADD))
    a, b = moved(memory)
    with pytest.raises(InvalidInputError, match="nothing to undo"):
        memory.reopen(b.added_id, user_id="u")
    memory.add(BOSTON, user_id="u", timestamp=AFTER)
    with pytest.raises(InvalidInputError, match="holds the same content"):
        memory.reopen(a.note_id, user_id="u")


def test_a_decision_without_supersedes_still_overwrites(scripted):
    memory, _ = scripted(nearest(Op.UPDATE))
    a, b = moved(memory)
    assert (b.op, b.note_id) == (Op.UPDATE, a.note_id)
    every = memory.search("where do I live", user_id="u", include_superseded=True)
    assert contents(every) == [DENVER]


def test_a_policy_saying_supersede_means_a_delete_that_changes_the_fact():
    candidates = [Candidate("n1", BOSTON, 0.9, 0.9)]
    decision = checked(Decision(Op.SUPERSEDE, "n1"), candidates)
    assert (decision.op, decision.supersedes) == (Op.DELETE, True)


@pytest.mark.parametrize(("op", "merged", "expected"), [
    (Op.DELETE, None, True),
    (Op.UPDATE, "My favourite food is sushi now.", True),  # drops the target's value
    (Op.UPDATE, "I am allergic to peanuts. I am allergic to shellfish too.", False),
    (Op.UPDATE, "I am allergic to peanuts I am allergic to shellfish too", False),
    (Op.NOOP, None, False),
])
def test_the_learned_manager_marks_a_decision_that_drops_the_targets_value(op, merged,
                                                                           expected):
    target = Candidate("n1", "I am allergic to peanuts." if "allergic" in (merged or "")
                       else "My favourite food is pizza.", 0.9, 0.9)
    proposal = Proposal("whatever was said", None, [target])
    decision = supersession(Decision(op, "n1", merged_content=merged), proposal)
    assert decision.supersedes is expected


def _note(valid_from: datetime | None, valid_until: datetime | None) -> Note:
    unit = np.full(4, 0.5, dtype=np.float32)
    return Note("n", "x", Scope("u"), SAID, SAID, SAID, valid_from=valid_from,
                valid_until=valid_until, embedding=unit, intent_embedding=unit)


@pytest.mark.parametrize("interval", [(None, None), (None, CHANGED), (SAID, CHANGED),
                                      (CHANGED, None), (CHANGED, CHANGED)])
def test_the_index_and_the_note_agree_on_validity(interval):
    note = _note(*interval)
    loaded = VectorIndex(ids=["n"], validity=[interval])
    appended = VectorIndex().extended([_note(None, None), note])  # the note in row 1
    for index, row in ((loaded, 0), (appended, 1)):
        for at in (SAID, BEFORE, CHANGED, AFTER):
            assert bool(index.valid_at(at)[row]) is note.valid_at(at)
            assert bool(index.ended_by(at)[row]) is note.ended_by(at)
        assert bool(index.closed()[row]) is (interval[1] is not None)


def test_async_memory_searches_as_of_and_reopens(db_path):
    async def main() -> tuple[list[str], list[str]]:
        policy = Scripted(nearest(Op.UPDATE, supersedes=True))
        async with AsyncMemory(db_path, embedder=HashEmbedder(), manager=policy) as memory:
            (a,) = await memory.add(BOSTON, user_id="u", timestamp=SAID)
            await memory.add(DENVER, user_id="u", timestamp=CHANGED)
            then = await memory.search("where do I live", user_id="u", as_of=BEFORE)
            await memory.reopen(a.note_id, user_id="u")
            now = await memory.search("where do I live", user_id="u")
            return contents(then), contents(now)

    then, now = asyncio.run(main())
    assert then == [BOSTON] and set(now) == {BOSTON, DENVER}


def test_the_cli_searches_the_past_and_reopens(db_path):
    def factory(path) -> Memory:
        return Memory(path, embedder=HashEmbedder(),
                      manager=Scripted(nearest(Op.UPDATE, supersedes=True)))

    def cli(*args: str):
        result = run("--db", str(db_path), *args, factory=factory)
        assert result.exit_code == 0, result.output
        return result.stdout

    old = json.loads(cli("--json", "add", BOSTON, "--timestamp", SAID.isoformat()))["note_id"]
    said = json.loads(cli("--json", "add", DENVER, "--timestamp", CHANGED.isoformat()))
    assert (said["op"], said["note_id"]) == ("SUPERSEDE", old)

    def found(*args: str) -> list[tuple[str, bool]]:
        hits = json.loads(cli("--json", "search", "where do I live", *args))["hits"]
        return [(h["note"]["content"], h["superseded"]) for h in hits]

    assert found() == [(DENVER, False)]
    assert found("--as-of", date(2024, 3, 1).isoformat()) == [(BOSTON, True)]
    assert set(found("--include-superseded")) == {(BOSTON, True), (DENVER, False)}
    assert "past, until 2024-06-01" in cli("search", "where do I live", "--include-superseded")
    both = run("--db", str(db_path), "search", "x", "--as-of", "2024-03-01",
               "--include-superseded", factory=factory)
    assert both.exit_code != 0 and "not both" in both.output
    assert "reopened" in cli("reopen", old)
    assert set(found()) == {(BOSTON, False), (DENVER, False)}


def test_a_database_from_before_validity_reads_and_dedupes_as_before(tmp_path):
    db_path = tmp_path / "old.db"  # an SQLite file of an older schema
    with Memory(db_path, embedder=HashEmbedder(), manager="rule") as memory:
        (a,) = memory.add(BOSTON, user_id="u", timestamp=SAID)
        first = memory.search("where do I live", user_id="u")
    before = max(v for v, _ in connection._migrations() if v < 7)
    conn = sqlite3.connect(db_path)
    conn.executescript(f"{REWIND_VALIDITY} PRAGMA user_version = {before};")
    conn.close()
    with Memory(db_path, embedder=HashEmbedder(), manager="rule") as memory:
        note = memory.get(a.note_id, user_id="u")
        assert (note.valid_from, note.valid_until, note.superseded_by) == (None, None, None)
        again = memory.search("where do I live", user_id="u")
        assert [h.note.id for h in again] == [h.note.id for h in first]
        # Scores match but for timeliness, which moves with the clock between the searches.
        assert [h.score for h in again] == pytest.approx([h.score for h in first], abs=1e-4)
        assert memory.add(BOSTON, user_id="u")[0].op is Op.NOOP


def test_a_successor_already_stored_is_linked_not_stored_twice(scripted):
    rebuilt = "I garden. I work at Initech"

    def script(p: Proposal) -> Decision:
        stark = [c.note_id for c in p.candidates if "Stark" in c.content]
        if p.content == "I work at Initech" and stark:
            return Decision(Op.UPDATE, stark[0], merged_content=rebuilt, supersedes=True)
        return Decision(Op.ADD)

    memory, _ = scripted(script)
    (a,) = memory.add("I work at Stark. I garden.", user_id="u", timestamp=SAID)
    (held,) = memory.add(rebuilt, user_id="u", timestamp=SAID)
    (b,) = memory.add("I work at Initech", user_id="u", timestamp=CHANGED, turn_id="t9")
    assert (b.op, b.note_id, b.added_id) == (Op.SUPERSEDE, a.note_id, held.note_id)
    assert memory.get(a.note_id, user_id="u").superseded_by == held.note_id
    assert memory.stats("u")["notes"] == 2
    assert "t9" in memory.get(held.note_id, user_id="u").provenance.turn_ids


@pytest.mark.parametrize(("reply", "supersedes"), [
    ('{"operation": "DELETE", "target": 1, "reason": "obsolete"}', True),
    ('{"operation": "UPDATE", "target": 1, "merged": "I lived in Boston, now Denver"}', False),
])
def test_the_llm_manager_supersedes_with_its_delete_only(reply, supersedes):
    proposal = Proposal(DENVER, None, [Candidate("n1", BOSTON, 0.9, 0.9)])
    decision = LLMManager(ScriptedLLM([reply])).decide(proposal)
    assert (decision.target_id, decision.supersedes) == ("n1", supersedes)
