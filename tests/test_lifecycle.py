"""Memory over months: short-term expiry and promotion, archiving and restoring, budgets and
the keep score, per-tenant recency, and what stats show (asem.lifecycle)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import numpy as np
import pytest

from asem import Memory, MemoryConfig
from asem.aio import AsyncMemory
from asem.chat import ChatTurn
from asem.config import FeedbackConfig, LifecycleConfig, TenantSettings
from asem.errors import InvalidInputError, NotFoundError
from asem.lifecycle.consolidate import exchanges
from asem.lifecycle.keep import keep_scores
from asem.lifecycle.maintain import evictions
from asem.providers import HashEmbedder
from asem.stores.base import NoteLife, Supersession, WriteBatch
from asem.types import Decision, Message, Op, Tier, now
from asem.write.manager import Proposal, RuleManager


class ShortTermManager:
    """The rule manager, but every new note goes to the short-term tier."""

    def __init__(self) -> None:
        self.rule = RuleManager()

    def decide(self, proposal: Proposal) -> Decision:
        decision = self.rule.decide(proposal)
        if decision.op is Op.ADD:
            return Decision(Op.ADD, tier=Tier.SHORT_TERM, reason="short-term")
        return decision


@pytest.fixture
def db_path(store_target):
    """Every memory test here runs on SQLite and on PostgreSQL."""
    return store_target


def short_memory(path, days: float = 7.0, **lifecycle) -> Memory:
    config = MemoryConfig(lifecycle=LifecycleConfig(short_term_days=days, **lifecycle))
    return Memory(path, embedder=HashEmbedder(), manager=ShortTermManager(), config=config)


def ids(result) -> list[str]:
    return [h.note.id for h in result]


# -- expiry ------------------------------------------------------------------------------------
def test_a_short_term_note_expires_after_the_configured_time(db_path):
    with short_memory(db_path, days=7) as m:
        (written,) = m.add("I am at the airport waiting for my flight", user_id="ana")
        note = m.get(written.note_id, user_id="ana")
        assert note.tier is Tier.SHORT_TERM
        assert note.expires_at == note.created_at + timedelta(days=7)
        # Before its time: found, kept by maintenance.
        assert ids(m.search("airport flight", user_id="ana")) == [note.id]
        (report,) = m.maintain("ana", at=note.created_at + timedelta(days=6))
        assert report.expired == ()
        (report,) = m.maintain("ana", at=note.created_at + timedelta(days=7, seconds=1))
        assert report.expired == (note.id,)
        assert m.search("airport flight", user_id="ana").empty
        assert m.list_notes("ana") == []
        archived = m.get(note.id, user_id="ana", include_deleted=True)
        assert archived.archived_at is not None
        assert [e.op for e in m.history(note.id, user_id="ana")] == ["ADD", "ARCHIVE"]


def test_a_long_term_note_never_expires(memory):
    (written,) = memory.add("My sister lives in Lisbon", user_id="ana")
    assert memory.get(written.note_id, user_id="ana").expires_at is None
    (report,) = memory.maintain("ana", at=now() + timedelta(days=3650))
    assert report.expired == () and report.evicted == ()


def test_search_and_listings_leave_out_an_expired_note_before_maintenance(db_path):
    with short_memory(db_path, days=0) as m:  # expires as soon as it is written
        (gone,) = m.add("I am at the airport waiting for my flight", user_id="ana")
        with Memory(db_path, embedder=HashEmbedder(), manager="rule") as other:
            other.add("My flight to Oslo leaves from the airport at noon", user_id="ana")
        result = m.search("airport flight", user_id="ana")
        assert gone.note_id not in ids(result) and len(result) == 1
        assert m.search("airport", user_id="ana", include_superseded=True).hits[0].note.id \
            != gone.note_id
        assert gone.note_id not in [n.id for n in m.list_notes("ana")]
        assert m.count_notes("ana") == 1
        assert m.stats("ana")["lifecycle"]["expired"] == 1  # not archived yet


# -- promotion -------------------------------------------------------------------------------
def test_a_positive_reward_promotes_a_short_term_note(db_path):
    with short_memory(db_path) as m:
        (a,) = m.add("I am at the airport waiting for my flight", user_id="ana")
        result = m.search("airport", user_id="ana")
        assert m.feedback(result.retrieval_id, -0.5, user_id="ana").promoted == ()
        assert m.get(a.note_id, user_id="ana").tier is Tier.SHORT_TERM
        fed = m.feedback(result.retrieval_id, 1.0, user_id="ana")
        assert fed.promoted == (a.note_id,)
        note = m.get(a.note_id, user_id="ana")
        assert note.tier is Tier.LONG_TERM and note.expires_at is None
        assert "PROMOTE" in [e.op for e in m.history(a.note_id, user_id="ana")]
        (report,) = m.maintain("ana", at=now() + timedelta(days=30))
        assert report.expired == ()


def test_saying_a_short_term_note_again_promotes_it(db_path):
    with short_memory(db_path) as m:
        (a,) = m.add("I am at the airport waiting for my flight", user_id="ana")
        (again,) = m.add("I am at the airport waiting for my flight", user_id="ana")
        assert again.op is Op.NOOP and again.note_id == a.note_id
        note = m.get(a.note_id, user_id="ana")
        assert note.tier is Tier.LONG_TERM and note.expires_at is None
        promote = [e for e in m.history(a.note_id, user_id="ana") if e.op == "PROMOTE"]
        assert promote and promote[0].reason == "said again"


def test_a_promoted_note_is_searched_past_its_old_expiry(db_path):
    with short_memory(db_path, days=0) as m:
        (a,) = m.add("I am at the airport waiting for my flight", user_id="ana")
        assert m.search("airport", user_id="ana").empty  # the index holds its expiry
        m.confirm(a.note_id, user_id="ana")
        assert ids(m.search("airport", user_id="ana")) == [a.note_id]  # and forgets it


def test_confirm_keeps_a_short_term_note_and_leaves_a_long_term_one(db_path, memory):
    (long_term,) = memory.add("My sister lives in Lisbon", user_id="ana")
    before = memory.get(long_term.note_id, user_id="ana")
    assert memory.confirm(long_term.note_id, user_id="ana").version == before.version
    memory.close()
    with short_memory(db_path) as m:
        (a,) = m.add("I am at the airport", user_id="cy")
        note = m.confirm(a.note_id, user_id="cy")
        assert note.tier is Tier.LONG_TERM and note.expires_at is None
        with pytest.raises(NotFoundError):
            m.confirm(a.note_id, user_id="bob")


# -- archive and restore ---------------------------------------------------------------------
def test_restore_brings_an_expired_note_back_long_term(db_path):
    with short_memory(db_path, days=0) as m:
        (a,) = m.add("I am at the airport waiting for my flight", user_id="ana")
        (report,) = m.maintain("ana")
        assert report.expired == (a.note_id,)
        assert m.stats("ana")["lifecycle"]["archived"] == 1
        note = m.restore(a.note_id, user_id="ana")
        assert note.archived_at is None and note.deleted_at is None
        assert note.tier is Tier.LONG_TERM and note.expires_at is None
        assert ids(m.search("airport flight", user_id="ana")) == [a.note_id]
        assert [e.op for e in m.history(a.note_id, user_id="ana")][-1] == "UNARCHIVE"
        with pytest.raises(NotFoundError, match="no archived note"):
            m.restore(a.note_id, user_id="ana")


def test_a_restore_that_would_duplicate_a_live_note_is_refused(db_path):
    with short_memory(db_path, days=0) as m:
        (a,) = m.add("I am at the airport", user_id="ana")
        m.maintain("ana")
        (b,) = m.add("I am at the airport", user_id="ana")
        assert b.op is Op.ADD and b.note_id != a.note_id
        with pytest.raises(InvalidInputError, match="holds the same content"):
            m.restore(a.note_id, user_id="ana")


# -- budgets ---------------------------------------------------------------------------------
def life(note_id: str, *, utility: float = 0.5, uses: int = 0, returned: int = 0,
         days_old: float = 1.0, content: str = "a note of eight words about nothing much",
         superseded_days_ago: float | None = None) -> NoteLife:
    at = datetime(2025, 1, 1)
    return NoteLife(note_id, "ana", "long_term", at - timedelta(days=days_old), None,
                    None if superseded_days_ago is None
                    else at - timedelta(days=superseded_days_ago),
                    utility, uses, None, returned, content)


AT = datetime(2025, 1, 1)


def test_a_note_feedback_found_useful_outlives_one_never_retrieved():
    useful = life("useful", utility=0.55, uses=1, returned=1, days_old=20)
    unused = life("unused", days_old=1)
    scores = keep_scores([useful, unused], AT, LifecycleConfig(), FeedbackConfig())
    assert scores[0] > scores[1]
    (gone,) = evictions([useful, unused], TenantSettings(max_notes=1), AT, LifecycleConfig(),
                        FeedbackConfig())
    assert gone.note_id == "unused"


def test_a_note_feedback_found_useless_goes_before_one_as_often_returned():
    useless = life("useless", utility=0.45, uses=1, returned=1)
    neutral = life("neutral", returned=1)
    scores = keep_scores([useless, neutral, life("unused")], AT, LifecycleConfig(),
                         FeedbackConfig())
    assert scores[0] < scores[1]
    # Being returned at all says its topic is asked about: it outlives a never-returned note.
    assert scores[0] > scores[2]


def test_superseded_notes_are_archived_before_any_current_one():
    notes = [life("old-fact", utility=0.9, uses=5, superseded_days_ago=3),
             life("older-fact", utility=0.9, uses=5, superseded_days_ago=30),
             life("chatter", content="ok")]
    gone = evictions(notes, TenantSettings(max_notes=1), AT, LifecycleConfig(),
                     FeedbackConfig())
    assert [e.note_id for e in gone] == ["older-fact", "old-fact"]
    assert all(e.reason == "over budget: superseded" for e in gone)


def test_a_token_budget_counts_words():
    notes = [life("long", content=" ".join(f"rare{i}" for i in range(50))),
             life("short", content="yes I think so too"),
             life("mid", content=" ".join(f"word{i}" for i in range(20)))]
    gone = evictions(notes, TenantSettings(max_tokens=60), AT, LifecycleConfig(),
                     FeedbackConfig())
    # 75 words: the note saying least goes (70, still over), then the next (50).
    assert [e.note_id for e in gone] == ["short", "mid"]
    assert evictions(notes, TenantSettings(max_tokens=75), AT, LifecycleConfig(),
                     FeedbackConfig()) == []


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_over_the_note_count_a_note_folds_into_its_nearest_kept_note():
    notes = [life("sunrise", content="Melanie painted a sunrise over Lake Tahoe last summer"),
             life("lake", content="ok the lake"),
             life("car", content="my red Volvo estate car from Gothenburg")]
    vectors = np.stack([unit(1, 0, 0), unit(0.9, 0.1, 0), unit(0, 0, 1)])
    config = LifecycleConfig(fold_similarity=0.8)
    (folded,) = evictions(notes, TenantSettings(max_notes=2), AT, config, FeedbackConfig(),
                          vectors)
    # "lake" says least; "car" is not like it: it folds into "sunrise" (cosine 0.99).
    assert (folded.note_id, folded.into) == ("lake", "sunrise")
    assert folded.reason.endswith("folded into sunrise")
    # Two to go: "car" has no neighbour near enough and is archived alone; "sunrise"
    # holds "lake" now and is kept.
    gone = evictions(notes, TenantSettings(max_notes=1), AT, config, FeedbackConfig(), vectors)
    assert [(e.note_id, e.into) for e in gone] == [("lake", "sunrise"), ("car", None)]
    # Without vectors, or under a word budget, nothing folds (the words would stay).
    assert [e.into for e in evictions(notes, TenantSettings(max_notes=2), AT, config,
                                      FeedbackConfig())] == [None]
    by_words = evictions(notes, TenantSettings(max_tokens=10), AT, config, FeedbackConfig(),
                         vectors)
    assert by_words and all(e.into is None for e in by_words)


def test_a_fold_stays_within_the_words_a_note_may_hold():
    notes = [life("big", content=" ".join(f"rare{i}" for i in range(30))),
             life("small", content="ok so")]
    vectors = np.stack([unit(1, 0), unit(1, 0.05)])
    near = LifecycleConfig(fold_similarity=0.8, fold_max_words=31)
    (gone,) = evictions(notes, TenantSettings(max_notes=1), AT, near, FeedbackConfig(), vectors)
    assert (gone.note_id, gone.into) == ("small", None)
    roomy = LifecycleConfig(fold_similarity=0.8, fold_max_words=32)
    (gone,) = evictions(notes, TenantSettings(max_notes=1), AT, roomy, FeedbackConfig(),
                        vectors)
    assert (gone.note_id, gone.into) == ("small", "big")


def test_maintain_folds_a_note_so_its_words_are_still_found(db_path):
    config = MemoryConfig(lifecycle=LifecycleConfig(fold_similarity=-1.0))  # any neighbour
    with Memory(db_path, embedder=HashEmbedder(), manager="rule", config=config) as m:
        (keep,) = m.add("Melanie painted a sunrise over Lake Tahoe with Zanzibar colours",
                        user_id="ana", turn_id="D1:1")
        (chat,) = m.add("Nice!", user_id="ana", turn_id="D1:2")
        (report,) = m.maintain("ana", max_notes=1)
        (gone,) = report.evicted
        assert (gone.note_id, gone.into) == (chat.note_id, keep.note_id)
        (kept,) = m.list_notes("ana")
        assert kept.id == keep.note_id and kept.content.endswith("\nNice!")
        assert kept.provenance.turn_ids == ("D1:1", "D1:2")
        assert [h.note.id for h in m.search("Nice", user_id="ana")] == [keep.note_id]
        assert m.history(keep.note_id, user_id="ana")[-1].reason.startswith("consolidated: 1 note")
        archived = m.get(chat.note_id, user_id="ana", include_deleted=True)
        assert archived.archived_at is not None and archived.content == "Nice!"
        assert m.restore(chat.note_id, user_id="ana").content == "Nice!"


def test_maintain_archives_over_budget_and_reports_it(memory):
    written = [memory.add(f"Fact number {i}: the {w} is blue", user_id="ana")[0].note_id
               for i, w in enumerate(["sky", "sea", "car", "door", "cup"])]
    memory.add("Bob's own note", user_id="bob")
    result = memory.search("sky is blue", user_id="ana", k=1)
    memory.feedback(result.retrieval_id, 1.0, user_id="ana")
    (dry,) = memory.maintain("ana", max_notes=2, dry_run=True)
    assert len(dry.evicted) == 3 and memory.count_notes("ana") == 5
    (report,) = memory.maintain("ana", max_notes=2)
    assert [e.note_id for e in report.evicted] == [e.note_id for e in dry.evicted]
    assert memory.count_notes("ana") == 2 and memory.count_notes("bob") == 1
    assert result[0].note.id in [n.id for n in memory.list_notes("ana")]
    assert {e.note_id for e in report.evicted} <= set(written)
    last = memory.stats("ana")["lifecycle"]["last_maintenance"]
    assert last["dry_run"] is False and last["notes_after"] == 2
    assert len(last["evicted"]) == 3
    assert memory.stats("ana")["lifecycle"]["archived"] == 3


def test_the_configured_capacity_applies_per_tenant(db_path):
    config = MemoryConfig(lifecycle=LifecycleConfig(
        max_notes=3, tenants={"small": TenantSettings(max_notes=1)}))
    with Memory(db_path, embedder=HashEmbedder(), manager="rule", config=config) as m:
        for user in ("small", "big"):
            for word in ("sky", "sea", "car", "door"):
                m.add(f"The {word} is blue", user_id=user)
        reports = {r.user_id: r for r in m.maintain(all_users=True)}
        assert len(reports["small"].evicted) == 3 and len(reports["big"].evicted) == 1
        assert m.count_notes("small") == 1 and m.count_notes("big") == 3


def test_maintain_checks_its_arguments(memory):
    with pytest.raises(InvalidInputError, match="not both"):
        memory.maintain("ana", all_users=True)
    with pytest.raises(InvalidInputError, match="max_notes"):
        memory.maintain("ana", max_notes=-1)


def test_a_specific_note_outlives_chatter():
    notes = [life("chatter", content="That is so cool, thanks!"),
             life("fact", content="Melanie painted a sunrise over Lake Tahoe in 2022")]
    notes += [life(f"filler{i}", content="That is so nice, thanks!") for i in range(6)]
    scores = keep_scores(notes, AT, LifecycleConfig(), FeedbackConfig())
    assert scores[1] == scores.max() and scores[0] < scores[1]


def test_a_superseded_note_goes_before_a_current_one(memory):
    (old,) = memory.add("I live in Porto", user_id="ana")
    (new,) = memory.add("I live in Lisbon", user_id="ana")
    memory.store.write(WriteBatch(supersessions=(
        Supersession(old.note_id, "ana", datetime(2024, 1, 1), new.note_id, "moved"),)))
    (report,) = memory.maintain("ana", max_notes=1)
    assert [e.note_id for e in report.evicted] == [old.note_id]


# -- time-aware defaults and stats -----------------------------------------------------------
def test_a_tenant_sets_how_strongly_recency_counts(db_path):
    config = MemoryConfig(lifecycle=LifecycleConfig(
        tenants={"news": TenantSettings(timeliness_weight=0.9)}))
    with Memory(db_path, embedder=HashEmbedder(), manager="rule", config=config) as m:
        assert m._read_config("news").timeliness_weight == 0.9
        assert m._read_config("ana").timeliness_weight == config.read.timeliness_weight


def test_stats_show_age_and_utility_distributions(memory):
    memory.add("The sky is blue", user_id="ana")
    memory.add("The sea is green", user_id="ana")
    result = memory.search("sky", user_id="ana", k=1)
    memory.feedback(result.retrieval_id, 1.0, user_id="ana")
    life_stats = memory.stats("ana")["lifecycle"]
    assert life_stats["utility"]["histogram"]["0.55-0.7"] == 1
    assert life_stats["utility"]["histogram"]["0.45-0.55"] == 1
    assert life_stats["age_days"]["histogram"]["<1d"] == 2
    assert life_stats["never_used"] == 1
    assert memory.stats(all_users=True)["lifecycle"]["short_term"] == 0


def test_the_async_memory_has_the_lifecycle_calls(db_path):
    async def main() -> None:
        async with AsyncMemory(db_path, embedder=HashEmbedder(), manager="rule") as m:
            (a,) = await m.add("The sky is blue", user_id="ana")
            (report,) = await m.maintain("ana", max_notes=0)
            assert report.evicted[0].note_id == a.note_id
            note = await m.restore(a.note_id, user_id="ana")
            assert note.archived_at is None
            await m.forget(a.note_id, user_id="ana")
            assert (await m.stats("ana"))["lifecycle"]["forgotten"] == 1

    asyncio.run(main())


def test_background_maintenance_runs_and_stops(db_path):
    config = MemoryConfig(lifecycle=LifecycleConfig(short_term_days=0,
                                                    background_interval_s=0.05))
    with Memory(db_path, embedder=HashEmbedder(), manager=ShortTermManager(),
                config=config) as m:
        (a,) = m.add("I am at the airport", user_id="ana")
        loop = m._maintenance
        assert loop is not None
        for _ in range(200):
            if m.stats("ana")["lifecycle"]["archived"]:
                break
            loop._stop.wait(0.05)
        assert m.get(a.note_id, user_id="ana", include_deleted=True).archived_at is not None
    assert not loop._thread.is_alive()


def test_a_tenants_recency_weight_changes_its_ranking(db_path):
    from dataclasses import replace as changed

    from asem.stores.base import NewNote
    from asem.types import Scope
    from asem.write.construct import new_note
    from asem.write.enrich import Enrichment
    from asem.write.inputs import WriteInput

    config = MemoryConfig(lifecycle=LifecycleConfig(
        tenants={"news": TenantSettings(timeliness_weight=2.0)}))
    with Memory(db_path, embedder=HashEmbedder(), manager="rule", config=config) as m:
        gaps = {}
        for user in ("news", "ana"):
            notes = []
            for text, days in (("The team meeting moved to Monday", 300),
                               ("The team meeting moved to Tuesday", 0)):
                vector = HashEmbedder().embed([text])[0]
                note = new_note(WriteInput(text, Scope(user)), Enrichment(), vector, vector,
                                utility=0.5, tier=Tier.LONG_TERM)
                notes.append(NewNote(changed(note, created_at=now() - timedelta(days=days))))
            m.store.write(WriteBatch(new=tuple(notes)))
            hits = {h.note.content: h.score for h in m.search("team meeting moved", user_id=user)}
            gaps[user] = (hits["The team meeting moved to Tuesday"]
                          - hits["The team meeting moved to Monday"])
        assert gaps["news"] > gaps["ana"] + 1.0  # 2.0 vs 0.05 times a recency gap near 1


# -- a question and its reply stay one exchange -------------------------------------------------
QUESTION = "Which soup did you learn to make?"
REPLY = "A lentil soup with lemon and cumin, from the cooking class downtown."


def test_a_note_that_asks_and_its_reply_make_one_exchange():
    notes = [life("question", content=QUESTION), life("reply", content=REPLY),
             life("statement", content="I made soup."), life("answer", content="Nice.")]
    replies = {"question": ("reply",), "statement": ("answer",)}
    # A note that states something has no exchange: only the asking note is paired.
    assert exchanges(notes, replies) == {0: [1], 1: [0]}
    assert exchanges(notes, {"question": ("gone",)}) == {}  # its reply is not live


@pytest.mark.parametrize(("question", "reply", "folded", "into"), [
    (QUESTION, REPLY, "question", "reply"),  # the question says least: it joins its answer
    ("Which soup did you learn to make at the cooking class in Lisbon last weekend?",
     "Lentil, with lemon.", "reply", "question"),  # or the answer joins its question
])
def test_over_the_note_count_a_note_folds_into_the_other_half_of_its_exchange(
        question, reply, folded, into):
    notes = [life("question", content=question), life("reply", content=reply),
             life("other", content="Caroline adopted a greyhound named Zephyr in Portland "
                                   "after the marathon in October")]
    partners = exchanges(notes, {"question": ("reply",)})
    config = LifecycleConfig()
    (gone,) = evictions(notes, TenantSettings(max_notes=2), AT, config, FeedbackConfig(),
                        partners=partners)
    assert (gone.note_id, gone.into) == (folded, into)
    assert gone.reason.endswith(f"folded into {into}")
    # Without the exchange, over a word budget, or past the words a note may hold: archived.
    for limits, cfg, pairs in [(TenantSettings(max_notes=2), config, None),
                               (TenantSettings(max_tokens=30), config, partners),
                               (TenantSettings(max_notes=2),
                                LifecycleConfig(fold_max_words=10), partners)]:
        (gone,) = evictions(notes, limits, AT, cfg, FeedbackConfig(), partners=pairs)
        assert (gone.note_id, gone.into) == (folded, None)


def exchange_memory(path, **lifecycle) -> Memory:
    memory = Memory(path, embedder=HashEmbedder(),
                    config=MemoryConfig(lifecycle=LifecycleConfig(**lifecycle)))
    said = [("Caroline", QUESTION), ("Melanie", REPLY),
            ("Caroline", "Zanzibar photographs of the harbour were printed in the Tuesday "
                         "gazette beside the regatta results.")]
    memory.ingest([ChatTurn(Message(text, speaker, AT + timedelta(minutes=i), f"D1:{i}"),
                            "session_1")
                   for i, (speaker, text) in enumerate(said, start=1)], user_id="u")
    return memory


def test_maintain_keeps_a_question_and_its_reply_as_one_note(db_path):
    with exchange_memory(db_path) as m:
        (report,) = m.maintain("u", max_notes=2)
        (gone,) = report.evicted
        reply = next(n for n in m.list_notes("u") if n.id == gone.into)
        assert reply.content == f"{QUESTION}\n{REPLY}"  # in the order said
        assert set(reply.provenance.turn_ids) == {"D1:1", "D1:2"}
        (hit, *_) = m.search(QUESTION, user_id="u", k=2)
        assert hit.note.id == reply.id
        assert m.get(gone.note_id, user_id="u", include_deleted=True).content == QUESTION


def test_maintain_archives_one_half_of_an_exchange_when_told_not_to_fold(db_path):
    with exchange_memory(db_path, fold_exchanges=False) as m:
        (report,) = m.maintain("u", max_notes=2)
        (gone,) = report.evicted
        assert gone.into is None
        assert REPLY in [n.content for n in m.list_notes("u")]


@pytest.mark.parametrize(("credit", "gone"), [
    (0.0, [("question", None), ("reply", None)]),  # the merged note is worth its own score
    (100.0, [("question", "reply"), ("other", None)]),  # or all it holds: another goes
])
def test_a_merged_note_goes_when_what_it_holds_is_worth_least(credit, gone):
    notes = [life("question", content=QUESTION), life("reply", content=REPLY),
             life("other", content="Caroline adopted a greyhound named Zephyr in Portland "
                                   "after the marathon in October of that year"),
             life("more", content="Melanie painted a sunrise over Lake Tahoe with Zanzibar "
                                  "colours for the gallery opening in Reno next spring")]
    partners = exchanges(notes, {"question": ("reply",)})
    evicted = evictions(notes, TenantSettings(max_notes=2), AT,
                        LifecycleConfig(fold_credit=credit), FeedbackConfig(),
                        partners=partners)
    assert [(e.note_id, e.into) for e in evicted] == gone
    assert all("folded" not in e.reason for e in evicted if e.into is None)
