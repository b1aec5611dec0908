"""Names that are not speaker labels: learned from how the speakers address each other,
kept per scope on every store, and resolved in questions."""

from __future__ import annotations

from datetime import datetime

import pytest

from asem import Memory, MemoryConfig, ReadConfig, Scope
from asem.chat import ChatTurn
from asem.providers import HashEmbedder
from asem.read.aliases import aliases, named_in, resolve_names, resolved
from asem.stores.base import NameUse
from asem.types import Message
from asem.write.addressed import SaidTurn, address_names, name_uses

STAMP = datetime(2024, 5, 8, 13, 0)


@pytest.fixture
def db_path(store_target):
    """Every test here that opens a memory runs on SQLite and on PostgreSQL."""
    return store_target


@pytest.mark.parametrize(("text", "names"), [
    ("Hey Mel! Great to hear from you.", ["Mel"]),
    ("That sounds lovely, Mel.", ["Mel"]),
    ("Mel, that is lovely", []),  # a turn's first word: as often "Agreed," or "Yup,"
    ("Wow, Caroline, that is great!", ["Caroline"]),
    ("I saw John at the market. Then we left.", []),
    ("Hey Jo Smith!", ["Jo Smith"]),
    ("Thanks, Jo! [shares a photo of Paris, France.]", ["Jo"]),
])
def test_the_names_a_turn_addresses_someone_by(text, names):
    assert address_names(text) == names


def said(speaker: str, after: str, text: str) -> SaidTurn:
    return SaidTurn("u", "", speaker, after, text)


def test_counts_say_who_was_addressed_and_who_said_what():
    uses = {(u.speaker, u.name): (u.addressed, u.said) for u in name_uses([
        said("Caroline", "Melanie", "Hey Mel! Wow, I ran."),
        said("Melanie", "Melanie", "Thanks, Mel!"),  # the same speaker going on: not addressed
        said("Melanie", "Caroline", "Wow, Caroline, nice!"),
    ])}
    assert uses[("Melanie", "Mel")] == (1, 1)  # addressed once; she also said it once
    assert uses[("Caroline", "Mel")] == (0, 1)
    assert uses[("Caroline", "Caroline")] == (1, 0)
    assert uses[("Caroline", "Wow")] == (0, 1) and uses[("Melanie", "Wow")] == (0, 1)


def use(speaker: str, name: str, addressed: int = 0, said: int = 0) -> NameUse:
    return NameUse("u", "", speaker, name, addressed, said)


def test_a_name_stands_for_the_one_it_addresses_who_does_not_say_it():
    uses = [use("Melanie", "Mel", addressed=5), use("Caroline", "Mel", said=5),
            use("Melanie", "Wow", addressed=4, said=9),        # said by her too: no name
            use("Caroline", "Wow", addressed=4, said=7),
            use("Andrew", "Buddy", addressed=3, said=20),      # his dog: he says it
            use("Melanie", "Jo", addressed=1),                  # once is not enough
            use("Melanie", "Sam", addressed=4), use("Caroline", "Sam", addressed=3),  # both
            use("Melanie", "Caroline", addressed=1), use("Caroline", "Caroline", addressed=9)]
    assert aliases(uses, min_uses=2, max_share=0.25) == {"Mel": "Melanie"}


def test_a_question_names_the_label_instead_of_the_nickname():
    names = {"Mel": "Melanie", "Jo": "Joanna", "Jo Smith": "Joanna"}
    assert resolved("What did Mel paint for Jo Smith?", names) == \
        "What did Melanie paint for Joanna?"
    assert resolved("Did Melanie and Mel's kids go? Jolly Joe?", names) == \
        "Did Melanie and Melanie's kids go? Jolly Joe?"
    assert named_in("What did Mel paint with Jo Smith?") == ["What", "Mel", "Jo Smith", "Jo",
                                                             "Smith"]


CHAT = [
    ("Caroline", "Hey Mel! I went to the support group yesterday."),
    ("Melanie", "That's great, Caroline! I painted a lake sunset with the kids."),
    ("Caroline", "Wow, Mel, that sounds lovely. What colours?"),
    ("Melanie", "Orange and purple, mostly."),
    ("Caroline", "Thanks for sharing, Mel."),
    ("Melanie", "Wow, you are welcome!"),
]


def chat() -> list[ChatTurn]:
    return [ChatTurn(Message(text, speaker, STAMP, f"D1:{i}"), "session_1")
            for i, (speaker, text) in enumerate(CHAT, start=1)]


def test_the_write_path_learns_names_per_scope_and_a_search_resolves_them(db_path):
    with Memory(db_path, embedder=HashEmbedder()) as memory:
        memory.ingest(chat(), user_id="u", agent_id="a")
        memory.ingest(chat()[:2], user_id="v")  # another user's counts are their own
        memory.ingest(chat(), user_id="u", agent_id="a")  # the same turns again: no change
        rows = {(u.speaker, u.name): (u.addressed, u.said)
                for u in memory.store.names("u", "a", ["Mel", "Wow", "Caroline"])}
        # the opening "Hey Mel!" addresses nobody known yet: Melanie has not spoken
        assert rows[("Melanie", "Mel")] == (2, 0)
        assert rows[("Caroline", "Mel")] == (0, 3)
        assert rows[("Caroline", "Caroline")] == (1, 0) and rows[("Melanie", "Caroline")] == (0, 1)
        assert memory.store.names("u", "other-agent", ["Mel"]) == []
        assert [(u.speaker, u.addressed, u.said)
                for u in memory.store.names("v", None, ["Mel"])] == [("Caroline", 0, 1)]
        config = ReadConfig()
        assert resolve_names("What did Mel paint?", Scope("u", "a"), memory.store, config) == \
            "What did Melanie paint?"
        assert resolve_names("What did Mel paint?", Scope("v"), memory.store, config) == \
            "What did Mel paint?"  # never addressed there
        assert resolve_names("what did mel paint?", Scope("u"), memory.store, config) == \
            "what did mel paint?"


def test_a_search_by_nickname_finds_the_labelled_turns(tmp_path):
    def top(resolve: bool) -> str:
        config = MemoryConfig(read=ReadConfig(resolve_names=resolve, utility_weight=0.0,
                                              context_weight=0.0))
        with Memory(tmp_path / f"n{resolve}.db", embedder=HashEmbedder(),
                    config=config) as memory:
            memory.ingest(chat(), user_id="u")
            memory.add([Message("Mel painted nothing: Mel is my neighbour's cat.", "Caroline",
                                STAMP)],
                       user_id="u", session_id="session_2")
            return memory.search("Mel painted what?", user_id="u", k=1)[0].note.content
    assert top(True).startswith("That's great, Caroline! I painted")
    assert top(False).startswith("Mel painted nothing")


def test_forgetting_a_user_forgets_the_names_learned_from_their_turns(store_target):
    with Memory(store_target, embedder=HashEmbedder()) as memory:
        memory.ingest(chat(), user_id="u")
        memory.ingest(chat(), user_id="v")
        memory.forget_user("u")
        assert memory.store.names("u", None, ["Mel"]) == []
        assert memory.store.names("v", None, ["Mel"]) != []
