"""UPDATE, DELETE, tiers and discard in the write path, driven by a scripted policy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest

from asem import Memory
from asem.providers import HashEmbedder
from asem.types import Decision, Op, Tier
from asem.write.manager import Proposal
from asem.write.pipeline import retraction_reason

Script = Callable[[Proposal], Decision]


class Scripted:
    """Decides by a function of the proposal; remembers what it was shown."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.seen: list[Proposal] = []

    def decide(self, proposal: Proposal) -> Decision:
        self.seen.append(proposal)
        return self.script(proposal)


def nearest(op: Op, **kw) -> Script:
    """``op`` on the nearest candidate once there is one; ADD before that."""
    def script(p: Proposal) -> Decision:
        if not p.candidates:
            return Decision(Op.ADD)
        return Decision(op, p.candidates[0].note_id, **kw)
    return script


@pytest.fixture
def scripted(db_path):
    opened: list[Memory] = []

    def make(script: Script) -> tuple[Memory, Scripted]:
        policy = Scripted(script)
        opened.append(Memory(db_path, embedder=HashEmbedder(), manager=policy))
        return opened[-1], policy

    yield make
    for m in opened:
        m.close()


def test_candidates_carry_content_time_and_tier(scripted, monday):
    memory, policy = scripted(lambda p: Decision(Op.ADD, tier=Tier.SHORT_TERM))
    memory.add("I adopted a dog named Buddy", user_id="u", timestamp=monday, speaker="Ana")
    memory.add("I adopted another dog named Scout", user_id="u")
    (candidate,) = policy.seen[-1].candidates
    assert candidate.content == "I adopted a dog named Buddy"
    assert candidate.observed_at == monday and candidate.tier is Tier.SHORT_TERM
    assert candidate.speaker == "Ana"


def test_update_merges_into_the_target_and_history_keeps_the_old(scripted):
    merged = "I adopted two dogs, Buddy and Scout"
    memory, _ = scripted(nearest(Op.UPDATE, merged_content=merged, reason="complementary"))
    (a,) = memory.add("I adopted a dog named Buddy", user_id="u", turn_id="t1")
    (b,) = memory.add("I adopted another dog named Scout", user_id="u", turn_id="t2")
    assert b.op is Op.UPDATE and b.note_id == a.note_id and b.reason == "complementary"
    note = memory.get(a.note_id, user_id="u")
    assert note.content == merged and note.provenance.turn_ids == ("t1", "t2")
    assert memory.stats("u")["notes"] == 1
    added, updated = memory.history(a.note_id, user_id="u")
    assert (added.op, updated.op) == ("ADD", "UPDATE")
    assert updated.old["content"] == "I adopted a dog named Buddy"
    assert updated.new["content"] == merged
    assert memory.search("Scout", user_id="u")[0].note.id == a.note_id  # re-embedded, re-indexed


def test_a_merge_said_later_keeps_the_dates_of_what_was_said_before(scripted):
    said = datetime(2024, 3, 4, 9, 12)
    later = datetime(2024, 3, 18, 20, 5)
    buddy = "I adopted a dog named Buddy yesterday!"
    memory, _ = scripted(nearest(Op.UPDATE, merged_content=f"{buddy} Scout came today."))
    (a,) = memory.add(buddy, user_id="u", speaker="Ana", timestamp=said)
    memory.add("Scout came today.", user_id="u", speaker="Ana", timestamp=later)
    note = memory.get(a.note_id, user_id="u")
    assert [(d.phrase, d.value) for d in note.dates] == [("yesterday", date(2024, 3, 3)),
                                                          ("today", date(2024, 3, 18))]
    assert note.event_time == datetime(2024, 3, 3)
    assert note.context == ("Ana, on 4 March 2024; yesterday = 3 March 2024. "
                            "Ana, on 18 March 2024; today = 18 March 2024")
    assert note.observed_at == later


def test_a_merge_on_the_same_day_does_not_repeat_the_context(scripted):
    memory, _ = scripted(nearest(Op.UPDATE, merged_content="I adopted Buddy. And Scout."))
    (a,) = memory.add("I adopted Buddy.", user_id="u", speaker="Ana",
                      timestamp=datetime(2024, 3, 4, 9, 12))
    memory.add("And Scout.", user_id="u", speaker="Ana", timestamp=datetime(2024, 3, 4, 9, 13))
    assert memory.get(a.note_id, user_id="u").context == "Ana, on 4 March 2024"


def test_a_replacement_resolves_its_dates_when_it_was_said(scripted):
    memory, _ = scripted(nearest(Op.UPDATE))
    (a,) = memory.add("I moved yesterday", user_id="u", timestamp=datetime(2024, 3, 4))
    memory.add("Actually I moved today", user_id="u", timestamp=datetime(2024, 3, 18))
    assert [d.value for d in memory.get(a.note_id, user_id="u").dates] == [date(2024, 3, 18)]


def test_update_without_merged_content_replaces_with_the_input(scripted):
    memory, _ = scripted(nearest(Op.UPDATE))
    (a,) = memory.add("I live in Boston", user_id="u")
    memory.add("I moved to Denver, I live in Denver now", user_id="u")
    assert memory.get(a.note_id, user_id="u").content == "I moved to Denver, I live in Denver now"
    assert memory.search("Boston", user_id="u").empty or all(
        "Boston" not in h.note.content for h in memory.search("Boston", user_id="u"))


def test_delete_with_discard_only_deletes(scripted):
    memory, _ = scripted(nearest(Op.DELETE, tier=Tier.DISCARD, reason="retracted"))
    (a,) = memory.add("I go to a support group", user_id="u")
    (b,) = memory.add("I stopped going to the support group", user_id="u")
    assert (b.op, b.note_id, b.added_id, b.tier) == (Op.DELETE, a.note_id, None, None)
    assert memory.stats("u")["notes"] == 0
    gone = memory.get(a.note_id, include_deleted=True, user_id="u")
    assert gone.deleted_at is not None
    assert gone.delete_reason == 'retracted; said: "I stopped going to the support group"'
    assert memory.history(a.note_id, user_id="u")[-1].op == "DELETE"


def test_a_retraction_reason_quotes_what_was_said_on_one_short_line():
    assert retraction_reason("", "I quit\n  the choir.") == 'retracted; said: "I quit the choir."'
    long = retraction_reason("contradicted", "word " * 100, limit=20)
    assert long == 'contradicted; said: "word word word word…"'  # 20 characters kept


def test_delete_with_a_tier_also_adds_the_input(scripted):
    memory, _ = scripted(nearest(Op.DELETE, reason="contradicted"))
    (a,) = memory.add("I love coriander", user_id="u")
    (b,) = memory.add("I hate coriander", user_id="u")
    assert b.op is Op.DELETE and b.note_id == a.note_id and b.tier is Tier.LONG_TERM
    assert memory.get(b.added_id, user_id="u").content == "I hate coriander"
    assert memory.stats("u")["notes"] == 1
    assert memory.links(b.added_id, user_id="u") == []  # no link to the note it replaced


def test_discard_stores_nothing_and_says_so(scripted, snapshot):
    memory, _ = scripted(lambda p: Decision(Op.ADD, tier=Tier.DISCARD, reason="chit-chat"))
    before = snapshot()
    (r,) = memory.add("haha, nice!", user_id="u")
    assert (r.op, r.note_id, r.tier, r.reason) == (Op.NOOP, "", Tier.DISCARD, "chit-chat")
    assert snapshot() == before


def test_short_term_notes_are_stored_in_their_tier(scripted):
    memory, _ = scripted(lambda p: Decision(Op.ADD, tier=Tier.SHORT_TERM))
    (r,) = memory.add("I'm at the airport right now", user_id="u")
    assert r.tier is Tier.SHORT_TERM and memory.get(r.note_id, user_id="u").tier is Tier.SHORT_TERM


def test_a_target_outside_the_candidates_is_rejected(scripted):
    memory, _ = scripted(lambda p: Decision(Op.DELETE, "not-a-candidate", tier=Tier.DISCARD))
    (a,) = memory.add("I adopted a dog named Buddy", user_id="u")
    assert a.op is Op.ADD and "rejected" in a.reason
    memory2, _ = scripted(lambda p: Decision(Op.DELETE, a.note_id, tier=Tier.DISCARD))
    (b,) = memory2.add("something unrelated", user_id="other")  # a's note is not its candidate
    assert b.op is Op.ADD and memory2.get(a.note_id, user_id="u").deleted_at is None


def test_one_batch_sees_its_own_updates_and_deletes(scripted):
    memory, policy = scripted(nearest(Op.UPDATE, merged_content=None))
    results = memory.add([{"content": "Buddy is my dog", "turn_id": "1"},
                          {"content": "Buddy is my dog, Scout too", "turn_id": "2"},
                          {"content": "Buddy is my dog, Scout and Rex too", "turn_id": "3"}],
                         user_id="u")
    assert [r.op for r in results] == [Op.ADD, Op.UPDATE, Op.UPDATE]
    assert len({r.note_id for r in results}) == 1
    assert policy.seen[2].candidates[0].content == "Buddy is my dog, Scout too"
    note = memory.get(results[0].note_id, user_id="u")
    assert note.content == "Buddy is my dog, Scout and Rex too"
    assert note.provenance.turn_ids == ("1", "2", "3")
    # Successive updates inside one write commit as one UPDATE from the first committed version.
    added, updated = memory.history(note.id, user_id="u")
    assert (added.op, added.new["content"]) == ("ADD", "Buddy is my dog")
    assert (updated.op, updated.new["content"]) == ("UPDATE", note.content)


def test_a_note_deleted_earlier_in_the_batch_is_no_candidate(scripted):
    memory, policy = scripted(nearest(Op.DELETE, tier=Tier.DISCARD))
    results = memory.add([{"content": "Buddy is my dog"}, {"content": "Buddy is not my dog"},
                          {"content": "Buddy is my dog again"}], user_id="u")
    assert [r.op for r in results] == [Op.ADD, Op.DELETE, Op.ADD]
    assert policy.seen[2].candidates == []
    assert memory.stats("u")["notes"] == 1


def test_an_update_to_content_another_note_holds_is_a_noop_on_that_note(scripted):
    def script(p: Proposal) -> Decision:
        if len(p.candidates) < 2:
            return Decision(Op.ADD)
        return Decision(Op.UPDATE, p.candidates[-1].note_id,
                        merged_content=p.candidates[0].content)
    memory, _ = scripted(script)
    (a,) = memory.add("Buddy is my dog", user_id="u")
    (b,) = memory.add("Scout is my dog", user_id="u")
    (c,) = memory.add("my dog", user_id="u")
    assert c.op is Op.NOOP and c.note_id in {a.note_id, b.note_id}
    assert memory.stats("u")["notes"] == 2
