"""The extractive enricher: keyphrases (YAKE), topic tags, entities and numbers, context."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from asem.types import Scope
from asem.write.enrich import ExtractiveEnricher, entities_of
from asem.write.inputs import WriteInput
from asem.write.topics import TOPICS, tags_for

MONDAY = datetime(2023, 5, 8, 13, 56)


def enrich(text: str, speaker: str | None = "Melanie", at: datetime = MONDAY,
           enricher: ExtractiveEnricher | None = None):
    item = WriteInput(text, Scope("u"), speaker, at)
    (result,) = (enricher or ExtractiveEnricher()).enrich([item])
    return result


def test_keywords_are_keyphrases_of_the_text():
    result = enrich("Melanie signed up for a pottery class in Boston and paid $120 for it")
    assert "pottery class" in result.keywords and "Boston" in result.keywords
    assert 1 <= len(result.keywords) <= 5
    for phrase in result.keywords:
        assert phrase in "Melanie signed up for a pottery class in Boston and paid $120 for it"


def test_keyword_count_is_bounded():
    text = ("Caroline told Melanie about the LGBTQ support group, the adoption agency in "
            "Seattle, her painting workshop, the charity race and the new apartment downtown")
    assert len(enrich(text, enricher=ExtractiveEnricher(max_keywords=3)).keywords) <= 3


def test_filler_words_never_become_keywords_or_entities():
    result = enrich("Hey! Wow, that's awesome. Thanks, I love it.")
    assert not {w.lower() for k in result.keywords for w in k.split()} & {
        "hey", "wow", "awesome", "thanks"}
    assert result.entities == ()


def test_degenerate_text_gives_empty_attributes_not_an_error():
    result = enrich("!!! ???")
    assert result.keywords == () and result.tags == () and result.entities == ()
    assert result.context == "Melanie, on 8 May 2023"


def test_enrich_keeps_the_order_of_its_inputs():
    texts = ["I play the guitar", "My dog is called Rex", "I love hiking"]
    items = [WriteInput(t, Scope("u"), None, MONDAY) for t in texts]
    results = ExtractiveEnricher().enrich(items)
    assert [r.tags for r in results] == [tags_for(t) for t in texts]
    assert "music" in results[0].tags and results[1].tags == ("pets",)


@pytest.mark.parametrize(("text", "tags"), [
    ("My daughter walks our two dogs", ("family", "pets")),
    ("My daughter started school", ("family", "education")),
    ("We ran a marathon after work", ("work", "fitness")),
    ("I write some Python code for my phone", ("books", "technology")),
    ("Nothing in particular happened", ()),
])
def test_tags_come_from_the_topic_vocabulary_in_vocabulary_order(text, tags):
    assert tags_for(text) == tags
    assert set(tags) <= set(TOPICS)


def test_tags_match_whole_words_and_simple_plurals():
    assert tags_for("Two cats and a puppy") == ("pets",)
    assert tags_for("catalogue dogma") == ()  # cue words inside other words do not count


@pytest.mark.parametrize(("text", "expected"), [
    ("Yesterday I went to the gym with Caroline and ran 5 km", {"Caroline", "5 km"}),
    ("Caroline moved from Sweden 4 years ago with 30% of her savings",
     {"Caroline", "Sweden", "4 years", "30%"}),
    ("I study at the University of Toronto", {"University of Toronto"}),
    ("The ticket cost $120 and the hotel €85", {"$120", "€85"}),
    ("We have 2 dogs", {"2 dogs"}),
])
def test_entities_are_names_and_numbers(text, expected):
    assert expected <= set(entities_of(text))


def test_entities_are_distinct_and_in_order_of_appearance():
    assert entities_of("Rex met Buddy, then Rex met Buddy again") == ("Rex", "Buddy")


def test_a_sentence_initial_time_word_is_not_an_entity():
    assert entities_of("Yesterday I went to the gym with Caroline") == ("Caroline",)


def test_context_names_the_speaker_the_date_and_resolved_dates():
    result = enrich("I quit my job two weeks ago and we move next month")
    assert result.context == ("Melanie, on 8 May 2023; two weeks ago = the week of 24 April "
                              "2023; next month = June 2023")
    assert [d.value for d in result.dates] == [date(2023, 4, 24), date(2023, 6, 8)]


def test_context_without_a_speaker():
    assert enrich("I like tea", speaker=None).context == "on 8 May 2023"


def test_the_enricher_is_deterministic():
    text = "Melanie signed up for a pottery class in Boston and paid $120 for it"
    assert enrich(text) == enrich(text, enricher=ExtractiveEnricher())
