"""The other-time guard: two events that name different times are two notes, each with
its own event time; neither is merged into nor replaces the other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from asem import Memory
from asem.manager import policy
from asem.manager.features import features
from asem.manager.learned import ATTRIBUTE_CHECKPOINT, LearnedManager, asset
from asem.write.manager import Candidate, Proposal

SAID = datetime(2024, 3, 1, 9, tzinfo=UTC)


def _other_time(x: str, note: str, x_at=SAID + timedelta(days=3), note_at=SAID) -> bool:
    proposal = Proposal(x, None, [Candidate("n", note, 0.7, 0.7, observed_at=note_at)],
                        observed_at=x_at)
    f = features(proposal)
    assert f.other_time is not None
    mask = policy.forward(LearnedManager.load(asset(ATTRIBUTE_CHECKPOINT)).params, f).mask
    blocked = not mask[policy.Targeted.MERGE] and not mask[policy.Targeted.REPLACE]
    assert blocked == bool(f.other_time[0])
    assert mask[4 * policy.K + policy.Untargeted.ADD_LONG]  # it can always be added
    return bool(f.other_time[0])


@pytest.mark.parametrize(("x", "note", "apart"), [
    ("I went to Seoul in 2021.", "I went to Tokyo in 2019.", True),
    ("I took a trip to Rome in March.", "I visited Vienna last weekend.", True),
    ("I got through Emma in January.", "I got through Rebecca last Friday.", True),
    # the same time, or a time only one of them names: no guard
    ("I went to Seoul in 2021.", "I went to Tokyo in 2021.", False),
    ("I moved to Denver in 2021.", "I live in Boston.", False),
    ("I live in Boston.", "I went to Tokyo in 2019.", False),
])
def test_two_events_at_different_times_are_never_merged_nor_replaced(x, note, apart):
    assert _other_time(x, note) is apart


def test_a_time_is_read_at_when_each_was_said():
    """"last Friday" said a week apart names two days; said the same day, one."""
    assert _other_time("I baked bread last Friday.", "I baked a cake last Friday.",
                       x_at=SAID + timedelta(days=7))
    assert not _other_time("I baked bread last Friday.", "I baked a cake last Friday.",
                           x_at=SAID)


def test_without_times_of_saying_no_guard():
    proposal = Proposal("I went to Seoul in 2021.", None,
                        [Candidate("n", "I went to Tokyo in 2019.", 0.7, 0.7)])
    assert features(proposal).other_time.tolist() == [False]
    assert features(proposal, guards=False).other_time is None


def test_two_trips_stay_two_current_notes():
    with Memory(":memory:") as memory:
        memory.add("I went to Tokyo in 2019.", user_id="u", timestamp=SAID)
        memory.add("I went to Seoul in 2021.", user_id="u", timestamp=SAID + timedelta(days=3))
        notes = memory.list_notes("u")
        assert sorted(n.content for n in notes) == ["I went to Seoul in 2021.",
                                                   "I went to Tokyo in 2019."]
        assert all(n.valid_until is None for n in notes)
