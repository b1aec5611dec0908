"""Relative time expressions resolved against the message time (SPEC stage 1)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from asem.types import ResolvedDate
from asem.write.dates import describe, format_day, resolve_dates

MONDAY = datetime(2023, 5, 8, 13, 56)
FRIDAY = datetime(2023, 5, 12, 9, 0)
SATURDAY = datetime(2023, 5, 13, 9, 0)
SUNDAY = datetime(2023, 5, 14, 9, 0)


@pytest.mark.parametrize(("phrase", "value", "granularity"), [
    ("yesterday", date(2023, 5, 7), "day"),
    ("today", date(2023, 5, 8), "day"),
    ("tonight", date(2023, 5, 8), "day"),
    ("tomorrow", date(2023, 5, 9), "day"),
    ("the day before yesterday", date(2023, 5, 6), "day"),
    ("the day after tomorrow", date(2023, 5, 10), "day"),
    ("last night", date(2023, 5, 7), "day"),
    ("this morning", date(2023, 5, 8), "day"),
    ("last Friday", date(2023, 5, 5), "day"),
    ("next Friday", date(2023, 5, 12), "day"),
    ("last Monday", date(2023, 5, 1), "day"),
    ("next Monday", date(2023, 5, 15), "day"),
    ("3 days ago", date(2023, 5, 5), "day"),
    ("a few days ago", date(2023, 5, 5), "day"),
    ("in 3 days", date(2023, 5, 11), "day"),
    ("last week", date(2023, 5, 1), "week"),
    ("next week", date(2023, 5, 15), "week"),
    ("a week ago", date(2023, 5, 1), "week"),
    ("two weeks ago", date(2023, 4, 24), "week"),
    ("a couple of weeks ago", date(2023, 4, 24), "week"),
    ("in two weeks", date(2023, 5, 22), "week"),
    ("last month", date(2023, 4, 8), "month"),
    ("next month", date(2023, 6, 8), "month"),
    ("last year", date(2022, 5, 8), "year"),
    ("next year", date(2024, 5, 8), "year"),
    ("4 years ago", date(2019, 5, 8), "year"),
    ("last weekend", date(2023, 5, 6), "weekend"),
    ("past weekend", date(2023, 5, 6), "weekend"),
    ("this weekend", date(2023, 5, 13), "weekend"),
    ("next weekend", date(2023, 5, 20), "weekend"),
    ("last summer", date(2022, 7, 1), "season"),
    ("next spring", date(2024, 4, 1), "season"),
])
def test_resolution_against_a_monday(phrase, value, granularity):
    (found,) = resolve_dates(f"I said it {phrase}, honestly.", MONDAY)
    assert found == ResolvedDate(phrase, value, granularity)


@pytest.mark.parametrize(("base", "phrase", "value"), [
    (FRIDAY, "last Friday", date(2023, 5, 5)),
    (FRIDAY, "next Friday", date(2023, 5, 19)),
    (FRIDAY, "yesterday", date(2023, 5, 11)),
    (FRIDAY, "this weekend", date(2023, 5, 13)),
    (FRIDAY, "past weekend", date(2023, 5, 6)),
    (SATURDAY, "this weekend", date(2023, 5, 13)),
    (SATURDAY, "last weekend", date(2023, 5, 6)),
    (SATURDAY, "next weekend", date(2023, 5, 20)),
    (SUNDAY, "this weekend", date(2023, 5, 13)),
    (SUNDAY, "last weekend", date(2023, 5, 6)),
    (SUNDAY, "next weekend", date(2023, 5, 20)),
    (SUNDAY, "coming weekend", date(2023, 5, 20)),
    (SUNDAY, "last Saturday", date(2023, 5, 13)),
])
def test_resolution_depends_on_the_weekday(base, phrase, value):
    (found,) = resolve_dates(f"We met {phrase}.", base)
    assert found.value == value


def test_a_weekend_resolves_to_its_saturday():
    for base in (MONDAY, FRIDAY, SATURDAY, SUNDAY):
        for phrase in ("last weekend", "this weekend", "next weekend", "coming weekend"):
            (found,) = resolve_dates(phrase, base)
            assert found.value.weekday() == 5, (base, phrase)


def test_the_phrase_keeps_its_original_case_and_every_phrase_is_found():
    found = resolve_dates("Yesterday I met Ann, next month we fly; two weeks ago I quit.",
                          MONDAY)
    assert [(d.phrase, d.value) for d in found] == [
        ("Yesterday", date(2023, 5, 7)), ("next month", date(2023, 6, 8)),
        ("two weeks ago", date(2023, 4, 24))]


@pytest.mark.parametrize("text", ["I like green tea", "Yesterdays are gone", "the weekender",
                                  "Friday is my favourite day", "in a while", ""])
def test_text_without_a_relative_date_resolves_to_nothing(text):
    assert resolve_dates(text, MONDAY) == ()


def test_the_time_of_day_of_the_base_does_not_matter():
    late = datetime(2023, 5, 8, 23, 59, 59)
    early = datetime(2023, 5, 8, 0, 0, 1)
    for phrase in ("yesterday", "tomorrow", "next month", "last Friday", "two weeks ago"):
        assert resolve_dates(phrase, late) == resolve_dates(phrase, early) \
            == resolve_dates(phrase, MONDAY)


@pytest.mark.parametrize(("resolved", "text"), [
    (ResolvedDate("yesterday", date(2023, 5, 7), "day"), "7 May 2023"),
    (ResolvedDate("next month", date(2023, 6, 8), "month"), "June 2023"),
    (ResolvedDate("last year", date(2022, 5, 8), "year"), "2022"),
    (ResolvedDate("last summer", date(2022, 7, 1), "season"), "summer 2022"),
    (ResolvedDate("last weekend", date(2023, 5, 6), "weekend"), "the weekend of 6 May 2023"),
    (ResolvedDate("two weeks ago", date(2023, 4, 26), "week"), "the week of 24 April 2023"),
])
def test_describe_at_each_granularity(resolved, text):
    assert describe(resolved) == text


def test_format_day_has_no_leading_zero():
    assert format_day(date(2023, 5, 7)) == "7 May 2023"
    assert format_day(datetime(2023, 12, 25, 10, 0)) == "25 December 2023"
