"""The salience prior of the keep score: its shipped model, its term, its retraining."""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np

from asem import Memory, MemoryConfig
from asem.config import FeedbackConfig, LifecycleConfig
from asem.guard.train import content_intents
from asem.lifecycle import train_salience
from asem.lifecycle.keep import keep_scores, percentile_rank
from asem.lifecycle.salience import SHAPE_NAMES, load_salience, shape
from asem.providers import HashEmbedder
from asem.stores.base import NoteLife

AT = datetime(2024, 6, 1)
FACT = "I adopted a golden retriever named Max from the Portland shelter on March 3rd."
CHATTER = "Haha, that's so cool! Thanks for sharing, talk soon!"


def life(note_id: str, content: str, retrievals: int = 0) -> NoteLife:
    return NoteLife(note_id, "u", "long_term", AT, None, None, 0.5, 0, None, retrievals,
                    content)


def test_the_shipped_model_loads_for_the_default_embedder(embedder):
    model = load_salience()
    assert model.reads(embedder.model_id, embedder.dimension)
    assert len(model.head.weights) == embedder.dimension + len(SHAPE_NAMES)
    assert model.auc is not None and model.auc > 0.6  # measured on held-out questions


def test_a_fact_turn_is_more_salient_than_chatter(embedder):
    texts = [FACT, CHATTER, "Yeah, I know what you mean.",
             "My sister Jenna starts her nursing degree at UCLA in September 2023."]
    logits = load_salience().logits(texts, content_intents(texts, embedder))
    assert logits[0] > logits[1] and logits[0] > logits[2]
    assert logits[3] > logits[1] and logits[3] > logits[2]


def test_the_salience_term_keeps_the_fact_over_chatter(embedder):
    notes = [life("fact", FACT), life("chat", CHATTER)]
    salience = load_salience().of_notes([n.content for n in notes],
                                        content_intents([n.content for n in notes], embedder),
                                        embedder.model_id)
    only = LifecycleConfig(information_weight=0, utility_weight=0, penalty_weight=0,
                           usage_weight=0, retrieval_weight=0, recency_weight=0,
                           salience_weight=1.0)
    scores = keep_scores(notes, AT, only, FeedbackConfig(), salience)
    assert scores[0] > scores[1]


def test_maintenance_reads_salience_from_the_stored_embeddings(tmp_path, embedder):
    config = MemoryConfig(lifecycle=LifecycleConfig(
        information_weight=0, utility_weight=0, penalty_weight=0, usage_weight=0,
        retrieval_weight=0, recency_weight=0, salience_weight=1.0))
    with Memory(tmp_path / "m.db", embedder=embedder, config=config) as memory:
        chat = memory.add(CHATTER, user_id="ana", manager="always-add")[0].note_id
        fact = memory.add(FACT, user_id="ana", manager="always-add")[0].note_id
        report = memory.maintain("ana", max_notes=1)[0]
        assert [e.note_id for e in report.evicted] == [chat]
        assert [n.id for n in memory.list_notes(user_id="ana")] == [fact]


def test_with_weight_zero_the_keep_scores_are_those_without_salience():
    notes = [life("a", FACT, 3), life("b", CHATTER), life("c", "We met at the cafe on Elm.", 1)]
    salience = np.array([-3.0, 4.0, np.nan])
    before = keep_scores(notes, AT, LifecycleConfig(), FeedbackConfig())
    off = keep_scores(notes, AT, LifecycleConfig(salience_weight=0), FeedbackConfig(), salience)
    on = keep_scores(notes, AT, LifecycleConfig(salience_weight=1), FeedbackConfig(), salience)
    assert np.array_equal(off, before)
    assert np.allclose(on - before, percentile_rank(salience))  # the term, and only it, differs
    assert not np.allclose(on, before)


def test_a_note_without_salience_ranks_in_the_middle():
    assert percentile_rank(np.array([2.0, np.nan, -1.0, 0.5])).tolist() == [1.0, 0.5, 0.0, 0.5]
    assert percentile_rank(np.array([np.nan, np.nan])).tolist() == [0.5, 0.5]
    assert percentile_rank(np.array([3.0, 3.0, 1.0])).tolist() == [0.75, 0.75, 0.0]


def test_notes_of_another_embedder_get_no_salience():
    model = load_salience()
    hashed = HashEmbedder()
    found = model.of_notes([FACT, CHATTER], [hashed.embed([FACT])[0], None],
                           hashed.model_id)
    assert np.isnan(found).all()


def test_shape_reads_length_digits_names_questions_and_first_person():
    told = dict(zip(SHAPE_NAMES, shape("I met Anna in Rome in 2019."), strict=True))
    asked = dict(zip(SHAPE_NAMES, shape("how was it?"), strict=True))
    assert told["digits"] > 0 and told["capitalised"] > 0 and told["first_person"] > 0
    assert told["asking"] == 0 and asked["asking"] == 1
    assert asked["digits"] == asked["capitalised"] == asked["first_person"] == 0


def _question(number: int) -> dict:
    facts = [f"I bought a Honda Civic in {2000 + number} for {number + 5},000 dollars.",
             f"My brother Tom moved to Berlin on May {number + 1}."]
    chatter = ["ok thanks", "sounds good to me", "haha nice", "can you help me with this?"]
    session = ([{"role": "user", "content": c} for c in chatter[:2]]
               + [{"role": "user", "content": facts[number % 2], "has_answer": True},
                  {"role": "assistant", "content": "Sure, here is a long list of tips."}]
               + [{"role": "user", "content": c} for c in chatter[2:]])
    return {"question_id": f"q{number}", "haystack_session_ids": [f"s{number}"],
            "haystack_sessions": [session]}


def test_the_retrain_command_fits_and_writes_a_model(tmp_path, capsys, embedder):
    data = tmp_path / "tiny.json"
    data.write_text(json.dumps([_question(n) for n in range(20)]))
    out = tmp_path / "salience.npz"
    train_salience.main(["--data", str(data), "--out", str(out), "--held-out", "0.3"])
    measured = json.loads(capsys.readouterr().out)
    assert measured["turns"] == 100 and measured["evidence"] == 20  # user turns only
    assert 0 < measured["held_out"] < 100
    assert measured["held_out_auc"] > 0.9  # facts against chatter: easy
    model = load_salience(out)
    assert model.auc == measured["held_out_auc"]
    texts = ["My sister Ann moved to Paris on June 3.", "haha ok"]
    assert np.diff(model.logits(texts, content_intents(texts, embedder))) < 0


def test_auc_counts_ties_half():
    labels = np.array([1, 0, 1, 0])
    assert train_salience.auc(np.array([0.9, 0.1, 0.8, 0.2]), labels) == 1.0
    assert train_salience.auc(np.array([0.5, 0.5, 0.5, 0.5]), labels) == 0.5
    assert train_salience.auc(np.array([0.1, 0.9, 0.2, 0.8]), labels) == 0.0
