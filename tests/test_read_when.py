"""Dates in queries (asem.read.when): the periods a query names, and the lift of the notes
whose event time falls in them."""

from __future__ import annotations

from datetime import datetime

import pytest

from asem import InvalidInputError, MemoryConfig, ReadConfig
from asem.read.rank import Ranked
from asem.read.when import lifted, periods
from asem.types import ScoreParts


@pytest.fixture
def db_path(store_target):
    """Every test here runs on SQLite and on PostgreSQL (``memory`` opens this target)."""
    return store_target


ASKED = datetime(2023, 10, 20, 12, 0)  # a Friday


def spans(query: str, asked_at: datetime = ASKED) -> list[tuple[str, str]]:
    return [(f"{p.start:%Y-%m-%d}", f"{p.end:%Y-%m-%d}") for p in periods(query, asked_at)]


@pytest.mark.parametrize(("query", "expected"), [
    ("What did she bake on 14.02.2024?", [("2024-02-14", "2024-02-15")]),
    ("What happened on 2024-02-14?", [("2024-02-14", "2024-02-15")]),
    ("What happened on 2024/2/14?", [("2024-02-14", "2024-02-15")]),
    ("Where was I on 02/14/2024?", [("2024-02-14", "2024-02-15")]),
    ("Where was I on 14/02/24?", [("2024-02-14", "2024-02-15")]),
    ("Who called on 03/04/2024?", [("2024-03-04", "2024-03-05"), ("2024-04-03", "2024-04-04")]),
    ("What did she bake on 3 Jan 2024?", [("2024-01-03", "2024-01-04")]),
    ("What did she bake on the 3rd of January, 2024?", [("2024-01-03", "2024-01-04")]),
    ("What painting did she show on October 13, 2023?", [("2023-10-13", "2023-10-14")]),
    ("What did she bake on Jan 3rd 2024?", [("2024-01-03", "2024-01-04")]),
    ("What setback did she face in October 2023?", [("2023-10-01", "2023-11-01")]),
    ("Which state did she visit in summer 2021?", [("2021-06-01", "2021-09-01")]),
    ("What did I buy in 2022?", [("2022-01-01", "2023-01-01")]),
])
def test_absolute_dates_in_several_formats(query, expected):
    assert spans(query) == expected


@pytest.mark.parametrize(("query", "expected"), [
    # no year: the latest occurrence at or before the time of asking
    ("When did she go camping in June?", [("2023-06-01", "2023-07-01")]),
    ("What did we plan in December?", [("2022-12-01", "2023-01-01")]),
    ("What did she bake on 3 Jan?", [("2023-01-03", "2023-01-04")]),
    ("What did she cook on 25 October?", [("2022-10-25", "2022-10-26")]),
])
def test_a_date_without_a_year_is_its_latest_occurrence(query, expected):
    assert spans(query) == expected


@pytest.mark.parametrize(("query", "expected"), [
    ("What did I do yesterday?", [("2023-10-19", "2023-10-20")]),
    # a relative week or month reaches two days (a week) past its calendar edges
    ("How many hours did I jog last week?", [("2023-10-07", "2023-10-18")]),
    ("What did we talk about last month?", [("2023-08-25", "2023-10-08")]),
    ("Where did we ski last winter?", [("2022-12-01", "2023-03-01")]),
    ("Who visited last weekend?", [("2023-10-13", "2023-10-16")]),
    # "N units ago": a unit-wide window around the point, since people round
    ("What did I plant two weeks ago?", [("2023-10-02", "2023-10-10")]),
])
def test_relative_periods_are_read_against_the_time_of_asking(query, expected):
    assert spans(query) == expected


@pytest.mark.parametrize(("query", "expected"), [
    # a span up to now, to the end of the day of asking: not the calendar month before
    ("How many events did I attend in the past month?", [("2023-09-20", "2023-10-21")]),
    ("What did I buy over the last two weeks?", [("2023-10-06", "2023-10-21")]),
    ("How much did I spend in the last 3 months?", [("2023-07-22", "2023-10-21")]),
    ("Which plants did I get in the past few months?", [("2023-07-22", "2023-10-21")]),
    ("Who did I meet in the past couple of weeks?", [("2023-10-06", "2023-10-21")]),
    ("What did I read in the previous year?", [("2022-10-20", "2023-10-21")]),
    ("Where have I been the last weeks?", [("2023-09-29", "2023-10-21")]),  # a few
])
def test_a_span_up_to_the_time_of_asking(query, expected):
    assert spans(query) == expected


def test_a_span_longer_than_the_calendar_starts_at_its_first_day():
    assert spans("What happened in the past 99999 years?") == [("1-01-01", "2023-10-21")]


@pytest.mark.parametrize("query", [
    "What did we eat on the last day of the trip?",  # a day of something, not a span
    "What did she do in the last week of May?",
])
def test_the_last_unit_of_something_is_no_span_up_to_now(query):
    assert ("2023-10-13", "2023-10-21") not in spans(query)
    assert all(end != "2023-10-21" for _, end in spans(query))


def test_a_relative_period_before_a_date_is_read_against_that_date():
    assert spans("What did she join last weekend before April 10, 2023?") == [
        ("2023-04-10", "2023-04-11"), ("2023-04-07", "2023-04-10")]
    assert spans("What did she finish last Friday on 23 January, 2022?") == [
        ("2022-01-23", "2022-01-24"), ("2022-01-21", "2022-01-22")]


def test_a_span_before_a_date():
    assert spans("What did he do the week before August 3, 2023?") == [
        ("2023-08-03", "2023-08-04"), ("2023-07-27", "2023-08-04")]
    assert spans("Which puppy did she get two weeks before August 11, 2023?") == [
        ("2023-08-11", "2023-08-12"), ("2023-07-24", "2023-08-01")]


@pytest.mark.parametrize("query", [
    "May I ask what you like to cook?",
    "What are Marta's hobbies?",
    "How many 5/3 splits did the team run?",  # no year: not a date
    "What happened on 31.02.2024?",  # no such day
    "Which soup did you learn to make?",
    "How many steps do I walk in a day?",  # a rate, not a time ahead
])
def test_a_query_without_a_date_names_no_period(query):
    assert periods(query, ASKED) == ()


def ranked(note_id: str, score: float) -> Ranked:
    return Ranked(note_id, score, 0.0, 0.0, ScoreParts(score, 0, 0, 0, 0, 0))


def test_lifted_raises_the_dated_notes_and_keeps_the_score_its_parts_sum():
    pool = [ranked("a", 1.0), ranked("b", 0.5), ranked("c", 0.2)]
    out = lifted(pool, frozenset({"c"}), 1.0)
    assert [r.note_id for r in out] == ["c", "a", "b"]
    assert out[0].parts is not None and out[0].parts.date == 1.0
    assert out[0].parts.total == pytest.approx(out[0].score)
    assert lifted(pool, frozenset(), 1.0) is pool
    assert lifted(pool, frozenset({"c"}), 0.0) is pool


# -- through the facade ---------------------------------------------------------------------
DAYS = {  # the same words on three days: only the date can tell them apart
    datetime(2024, 2, 13, 18): "Baked bread with the kids this evening",
    datetime(2024, 2, 14, 18): "Baked a cake with the kids this evening",
    datetime(2024, 3, 2, 18): "Baked cookies with the kids this evening",
}


@pytest.fixture
def baked(open_memory):
    """A memory lifting dated notes by ``weight`` (larger than the default: in a pool of
    three notes z-scored relevance spreads wide), and the notes of ``DAYS``."""
    def make(weight: float):
        memory = open_memory(MemoryConfig(read=ReadConfig(date_weight=weight)))
        return memory, {day: memory.add(text, user_id="u", timestamp=day)[0].note_id
                        for day, text in DAYS.items()}
    return make


@pytest.mark.parametrize("wording", ["on 14.02.2024", "on 14 Feb 2024", "on February 14, 2024",
                                     "on 2024-02-14"])
def test_a_search_naming_a_date_ranks_that_days_note_first(baked, wording):
    memory, ids = baked(3.0)
    hits = memory.search(f"What did we bake {wording}?", user_id="u", k=3)
    assert hits[0].note.id == ids[datetime(2024, 2, 14, 18)]
    assert hits[0].parts is not None and hits[0].parts.date == 3.0


def test_a_relative_period_is_read_against_asked_at(baked):
    memory, ids = baked(3.0)
    hits = memory.search("What did we bake last week?", user_id="u", k=3,
                         asked_at=datetime(2024, 3, 6, 9))
    assert hits[0].note.id == ids[datetime(2024, 3, 2, 18)]
    hits = memory.search("What did we bake last week?", user_id="u", k=3,
                         asked_at=datetime(2024, 2, 20, 9))
    assert {hits[0].note.id, hits[1].note.id} == {ids[datetime(2024, 2, 13, 18)],
                                                  ids[datetime(2024, 2, 14, 18)]}


def test_weight_zero_leaves_dates_out(baked):
    memory, _ = baked(0.0)
    hits = memory.search("What did we bake on 14.02.2024?", user_id="u", k=3)
    assert all(h.parts is None or h.parts.date == 0.0 for h in hits)


def test_a_date_no_note_holds_changes_nothing(baked):
    memory, _ = baked(1.0)
    with_date = memory.search("What did we bake on 1 May 2020?", user_id="u", k=3)
    without = memory.search("What did we bake on a day?", user_id="u", k=3)
    assert all(h.parts is not None and h.parts.date == 0.0 for h in with_date)
    assert len(with_date) == len(without)


def test_asked_at_must_be_a_datetime(memory):
    with pytest.raises(InvalidInputError, match="asked_at"):
        memory.search("cake", user_id="u", asked_at="yesterday")  # type: ignore[arg-type]
