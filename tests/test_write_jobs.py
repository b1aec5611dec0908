"""Every new note of a memory with a language model gets its LLM job, in the commit that
stores it: a process killed right after the commit, or a note the manager added in place of
one it deleted, still has its job to resume."""

from __future__ import annotations

import pytest

from asem import Memory, Op
from asem.config import LLMConfig
from asem.llm import ScriptedLLM
from asem.providers import HashEmbedder
from asem.stores.base import WriteBatch
from asem.types import Decision, Tier
from asem.write.manager import Proposal
from tests.test_llm_worker import good_reply


@pytest.fixture
def db_path(store_target):
    return store_target


class Replace:
    """DELETE the nearest note and store the input instead."""

    def decide(self, proposal: Proposal) -> Decision:
        if not proposal.candidates:
            return Decision(Op.ADD, tier=Tier.LONG_TERM)
        return Decision(Op.DELETE, proposal.candidates[0].note_id, tier=Tier.LONG_TERM,
                        reason="replaced")


def llm_memory(path, manager="rule") -> Memory:
    return Memory(path, embedder=HashEmbedder(), manager=manager, background=False,
                  llm=ScriptedLLM(default=good_reply),
                  llm_config=LLMConfig(retry_base_delay_s=0.0))


def test_a_note_added_in_place_of_a_deleted_one_gets_its_job(db_path):
    with llm_memory(db_path, Replace()) as memory:
        memory.add("My flight leaves from gate 1", user_id="u")
        (result,) = memory.add("My flight leaves from gate 2", user_id="u")
        assert result.op is Op.DELETE and result.added_id
        assert memory.llm_status(result.added_id, user_id="u") == "pending"
        assert memory.process_llm_jobs() == 2  # the first note's job finds it deleted
        assert memory.llm_status(result.added_id, user_id="u") == "done"


class DiesAfterCommit:
    """A store whose process dies as soon as a write batch has committed."""

    def __init__(self, store) -> None:
        self._store = store

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def write(self, batch: WriteBatch) -> set[str]:
        self._store.write(batch)
        raise SystemExit("killed")


def test_a_write_killed_right_after_its_commit_leaves_its_job_queued(db_path):
    with llm_memory(db_path) as memory:
        memory.store = DiesAfterCommit(memory.store)
        with pytest.raises(SystemExit):
            memory.add("I adopted a dog named Buddy", user_id="u")
    with llm_memory(db_path) as reopened:
        (note,) = reopened.list_notes("u")
        assert reopened.llm_status(note.id, user_id="u") == "pending"
        assert reopened.process_llm_jobs() == 1
        assert reopened.llm_status(note.id, user_id="u") == "done"
