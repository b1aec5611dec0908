"""The real local embedder (all-MiniLM-L6-v2, int8 ONNX) and the HashEmbedder fake."""

from __future__ import annotations

import numpy as np
import pytest

from asem.providers import Embedder, HashEmbedder, embed_notes
from asem.providers.embedder import SpanEmbedder

SENTENCES = [
    "I adopted a dog named Buddy",
    "My new puppy is called Buddy",
    "The quarterly tax return is due in April",
]


@pytest.fixture(scope="module")
def minilm():
    from asem.providers.onnx_minilm import MiniLMEmbedder

    return MiniLMEmbedder(threads=2)


def assert_unit_rows(vectors: np.ndarray, n: int, dimension: int) -> None:
    assert vectors.dtype == np.float32 and vectors.shape == (n, dimension)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_minilm_gives_unit_384_d_float32_vectors(minilm):
    assert minilm.dimension == 384 and minilm.model_id == "all-MiniLM-L6-v2-int8-onnx"
    assert isinstance(minilm, Embedder) and isinstance(minilm, SpanEmbedder)
    assert_unit_rows(minilm.embed(SENTENCES), 3, 384)
    assert_unit_rows(minilm.embed(["what is my dog called"], kind="query"), 1, 384)
    assert minilm.embed([]).shape == (0, 384)


def test_minilm_is_deterministic_and_independent_of_batching(minilm):
    together = minilm.embed(SENTENCES)
    np.testing.assert_array_equal(together, minilm.embed(SENTENCES))
    alone = np.vstack([minilm.embed([s]) for s in SENTENCES])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_minilm_puts_related_sentences_closer(minilm):
    dog, puppy, tax = minilm.embed(SENTENCES)
    assert dog @ puppy > 0.5 > dog @ tax
    assert dog @ puppy > dog @ tax + 0.3


def test_minilm_handles_long_and_odd_text(minilm):
    vectors = minilm.embed(["word " * 2000, "🙂 ✓ 日本語のテキスト", "x"])
    assert_unit_rows(vectors, 3, 384)


def test_minilm_embed_with_spans_returns_two_arrays(minilm):
    contents = ["I adopted a dog named Buddy", "The tax return is due"]
    documents = [f"Melanie: {c} (Melanie, on 8 May 2023)" for c in contents]
    spans = [(9, 9 + len(c)) for c in contents]
    full, prefix = minilm.embed_with_spans(documents, spans)
    assert_unit_rows(full, 2, 384)
    assert_unit_rows(prefix, 2, 384)
    np.testing.assert_allclose(full, minilm.embed(documents), atol=1e-5)
    assert not np.allclose(full, prefix, atol=1e-3)  # the prefix pools fewer tokens
    # Pooled over the content tokens, z stays close to the content embedded on its own.
    alone = minilm.embed(contents)
    assert np.all(np.sum(prefix * alone, axis=1) > 0.8)


def test_embed_notes_uses_one_pass_for_a_span_embedder(minilm):
    e, z = embed_notes(minilm, ["a dog named Buddy (on 8 May 2023)"], [(0, 17)])
    assert_unit_rows(e, 1, 384) and assert_unit_rows(z, 1, 384)


def test_hash_embedder_is_exact():
    embedder = HashEmbedder()
    a, b, c = embedder.embed(["Buddy is a dog", "buddy IS a dog!", "tax return"])
    assert a @ b == pytest.approx(1.0) and a @ c == pytest.approx(0.0, abs=0.3)
    assert_unit_rows(embedder.embed(["one", "two"]), 2, 256)
    assert embedder.embed([""]).tolist() == [[0.0] * 256]  # no words: the zero vector
    full, part = embedder.embed_with_spans(["Ana: Buddy is a dog (pets)"], [(5, 19)])
    np.testing.assert_array_equal(part, embedder.embed(["Buddy is a dog"]))
