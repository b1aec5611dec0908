"""The feedback path: validate the reward, then q ← q + α(r − q) for the retrieval's notes.

The EMA converges in expectation to a note's expected reward at rate (1 − α)^t, with
asymptotic variance ≤ α/(2 − α)·Var(r) (SPEC stage 5). The store applies it in one
transaction, so concurrent feedback never loses an update.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

from asem.errors import InvalidInputError
from asem.stores.base import Store
from asem.types import FeedbackResult


def check_reward(reward: object) -> float:
    # numbers.Real admits NumPy scalars (a reward computed with NumPy is still a number).
    if isinstance(reward, bool) or not isinstance(reward, numbers.Real):
        raise InvalidInputError(f"reward must be a number in [-1, 1], not {reward!r}")
    value = float(reward)
    if not math.isfinite(value) or not -1.0 <= value <= 1.0:
        raise InvalidInputError(f"reward {reward!r} is outside [-1, 1]; scale it into that range")
    return value


def give_feedback(retrieval_id: str, reward: object, note_ids: Sequence[str] | None,
                  store: Store, learning_rate: float, user_id: str) -> FeedbackResult:
    """Reward ``user_id``'s retrieval (one of another user is not found)."""
    if not isinstance(retrieval_id, str) or not retrieval_id.strip():
        raise InvalidInputError("retrieval_id is empty; pass the id that search returned")
    if note_ids is not None and not note_ids:
        raise InvalidInputError("note_ids is empty; omit it to reward every returned note")
    return store.apply_feedback(retrieval_id.strip(), check_reward(reward), note_ids,
                                learning_rate, user_id)
