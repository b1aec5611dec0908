"""Dates in queries: the periods a query names, and the notes whose event time falls in them.

"What did she bake on 14.02.2024?", "... on 3 Jan 2024?", "in March?", "last winter?": a
question that names a date or a period asks about what happened then, and every note has an
event time (t, SPEC stage 1: the date its text speaks of, else when it was said). The read
path pulls the notes of that period into the candidate pool and lifts them in Phase B
(``ReadConfig.date_weight``); when the period holds no note, nothing changes.

What is read, structurally (no vocabulary beyond month, season and unit names):

- numeric dates: 2024-02-14, 14.02.2024 (day first), 02/14/2024 or 14/02/24 (the order
  that makes a valid date; both when either does);
- day and month names: "3 Jan 2024", "3rd of January, 2024", "January 3, 2024", "on 3 Jan";
- months, seasons and years: "March 2023", "summer 2021", "in March", "in 2023";
- relative periods, read by the write path's resolver (``asem.write.dates``) against the
  time the question is asked: "last week", "two weeks ago", "last winter", "yesterday";
  one written just before an absolute date is read against that date instead ("last
  weekend before April 10, 2023");
- spans that end when the question is asked: "in the past month", "over the last two
  weeks", "the past few months" (a calendar "last month" is the month before this one;
  "the past month" is the 30 days up to now);
- a span before or after a date: "the week before August 3, 2023", "two days after 3 May".

A date without a year means its latest occurrence at or before the time of asking.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from asem.read.rank import Ranked
from asem.stores.base import Store
from asem.types import Filters, Scope
from asem.write.dates import resolve_dates

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_ORDINAL = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
_SEASONS = {"spring": (3, 3), "summer": (6, 3), "fall": (9, 3), "autumn": (9, 3),
            "winter": (12, 3)}
"""Season → (first month, months), northern hemisphere; winter runs into the next year."""
_LOOSE = {"week": 2, "month": 7}
"""Days a relative week or month ("last week", "this month") reaches past its calendar
edges on either side."""
_UNIT_DAYS = {"day": 1, "week": 7, "weekend": 7, "month": 30, "year": 365}
_NUMBERS = {"a": 1, "an": 1, "the": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
            "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}

_ABSOLUTE = re.compile(
    r"\b(?:"
    r"(?P<iso>(?:19|20)\d{2})[-/.](?P<iso_m>\d{1,2})[-/.](?P<iso_d>\d{1,2})"
    r"|(?P<n1>\d{1,2})(?P<sep>[./-])(?P<n2>\d{1,2})(?P=sep)(?P<ny>\d{4}|\d{2})"
    rf"|(?P<dm_d>\d{{1,2}}){_ORDINAL}(?: of)? (?P<dm_m>{_MONTH}),?(?: (?P<dm_y>{_YEAR}))?"
    rf"|(?P<md_m>{_MONTH}) (?P<md_d>\d{{1,2}}){_ORDINAL}(?!\d)(?:,? (?P<md_y>{_YEAR}))?"
    rf"|(?P<my_m>{_MONTH}),? (?:of )?(?P<my_y>{_YEAR})"
    rf"|(?P<season>spring|summer|fall|autumn|winter),? (?:of )?(?P<s_y>{_YEAR})"
    rf"|(?P<prep>in|during|since|until|throughout|early|late|mid)[ -](?:the month of )?"
    rf"(?:(?P<p_m>{_MONTH})|(?P<p_y>{_YEAR}))(?![\w-]|,? (?:of )?\d)"
    r")(?!\d)",
    re.IGNORECASE,
)
_SPAN = re.compile(
    r"\b(?P<n>a|an|the|one|two|three|four|five|six|seven|eight|nine|ten|\d+) "
    r"(?P<unit>day|week(?:end)?|month|year)s? (?P<dir>before|after) $",
    re.IGNORECASE,
)
_ROLLING = re.compile(
    r"\bthe (?:past|last|previous) (?:(?P<n>\d+|a|one|two|three|four|five|six|seven|eight|nine"
    r"|ten|(?:a )?few|several|(?:a )?couple(?: of)?) )?(?P<unit>day|week|month|year)s?\b(?! of\b)",
    re.IGNORECASE,
)
"""A span that ends at the time of asking: "the past month", "the last two weeks"; not "the
last day of the trip"."""
_SOME = {"few": 3, "a few": 3, "several": 3, "couple": 2, "a couple": 2, "couple of": 2,
         "a couple of": 2}
_ANCHOR = re.compile(r"^,? (?:before|on|of|as of|after) $", re.IGNORECASE)


@dataclass(frozen=True)
class Period:
    """A stretch of time a query names: ``start`` <= t < ``end``."""

    start: datetime
    end: datetime
    phrase: str
    """The words of the query that name it."""


def dated_ids(query: str, asked_at: datetime, scope: Scope, store: Store) -> frozenset[str]:
    """The notes in ``scope`` whose event time falls in a period ``query`` names (one
    ``Store.filtered_ids`` call per period; none when it names no period)."""
    found: set[str] = set()
    for period in periods(query, asked_at):
        last = period.end - timedelta(seconds=1)  # ``until`` is inclusive, to the second
        found |= store.filtered_ids(scope, Filters(since=period.start, until=last))
    return frozenset(found)


def lifted(ranked: list[Ranked], dated: frozenset[str], weight: float) -> list[Ranked]:
    """``ranked`` with ``weight`` added to the score of every note in ``dated``, best
    first again (the rise is kept in ``ScoreParts.date``)."""
    if not dated or weight == 0:
        return ranked
    rose = [replace(r, score=r.score + weight,
                    parts=r.parts and replace(r.parts, date=r.parts.date + weight))
            if r.note_id in dated else r for r in ranked]
    return sorted(rose, key=lambda r: -r.score)


def periods(query: str, asked_at: datetime) -> tuple[Period, ...]:
    """Every period ``query`` names, read at ``asked_at`` (empty when it names none)."""
    asked_at = asked_at.replace(tzinfo=None)
    found: list[Period] = []
    anchors: list[tuple[int, int, date]] = []  # (start, end, day) of each absolute day
    for match in _ABSOLUTE.finditer(query):
        for period in _absolute(match, asked_at):
            found.append(period)
            if period.end - period.start == timedelta(days=1):
                anchors.append((match.start(), match.end(), period.start.date()))
                found.extend(_spans(query[:match.start()], period.start, match.group(0)))
    rolling = list(_ROLLING.finditer(query))
    found.extend(_rolled(match, asked_at) for match in rolling)
    found.extend(_relative(query, asked_at, anchors,
                           [(m.start(), m.end()) for m in rolling]))
    return tuple(dict.fromkeys(found))


def _rolled(match: re.Match[str], asked_at: datetime) -> Period:
    """"the past two weeks": from that many units before the time of asking to the end of
    its day ("the past months": a few; "the past 99999 years": from the first day there
    is)."""
    word = (match.group("n") or ("few" if match.group(0).endswith("s") else "one")).lower()
    count = int(word) if word.isdigit() else _SOME.get(word) or _NUMBERS[word]
    today = datetime.combine(asked_at.date(), datetime.min.time())
    days = min(count * _UNIT_DAYS[match.group("unit").lower()], (today - datetime.min).days)
    end = today + timedelta(days=1) if today.date() < date.max else today
    return Period(today - timedelta(days=days), end, match.group(0))


def _absolute(match: re.Match[str], asked_at: datetime) -> Iterator[Period]:
    text, g = match.group(0), match.groupdict()
    if g["iso"]:
        yield from _days(text, int(g["iso"]), int(g["iso_m"]), int(g["iso_d"]))
    elif g["n1"]:
        year = int(g["ny"]) + (2000 if len(g["ny"]) == 2 else 0)
        a, b = int(g["n1"]), int(g["n2"])
        orders = [(b, a)] if g["sep"] == "." else [(a, b), (b, a)]  # (month, day)
        for month, day in dict.fromkeys(orders):
            yield from _days(text, year, month, day)
    elif g["dm_m"] or g["md_m"]:
        month = _month(g["dm_m"] or g["md_m"])
        day = int(g["dm_d"] or g["md_d"])
        year_text = g["dm_y"] or g["md_y"]
        # Without a year: its latest occurrence at or before the time of asking.
        year = int(year_text) if year_text else (
            asked_at.year - ((month, day) > (asked_at.month, asked_at.day)))
        yield from _days(text, year, month, day)
    elif g["my_m"]:
        yield _months(text, int(g["my_y"]), _month(g["my_m"]), 1)
    elif g["season"]:
        first, length = _SEASONS[g["season"].lower()]
        yield _months(text, int(g["s_y"]), first, length)
    elif g["p_m"]:
        month = _month(g["p_m"])
        if g["p_m"].lower() == "may" and not g["p_m"][0].isupper():
            return  # the modal verb, most likely
        yield _months(text, asked_at.year - (month > asked_at.month), month, 1)
    elif g["p_y"]:
        year = int(g["p_y"])
        end = datetime(year + 1, 1, 1)
        if g["prep"].lower() == "since":  # from then on
            end = max(end, asked_at + timedelta(days=1))
        yield Period(datetime(year, 1, 1), end, text)


def _month(name: str) -> int:
    return _MONTHS.index(name.lower()[:3]) + 1


def _days(text: str, year: int, month: int, day: int) -> Iterator[Period]:
    """The day, when it is one (none for 31 February or month 14)."""
    try:
        start = datetime(year, month, day)
    except ValueError:
        return
    yield Period(start, start + timedelta(days=1), text)


def _months(text: str, year: int, month: int, length: int) -> Period:
    start = datetime(year, month, 1)
    end_month = month - 1 + length
    return Period(start, datetime(year + end_month // 12, end_month % 12 + 1, 1), text)


def _spans(before: str, anchor: datetime, anchor_text: str) -> Iterator[Period]:
    """"the week before <date>": the span itself; "two weeks before <date>": a unit-wide
    window around the point that far from the date."""
    match = _SPAN.search(before)
    if match is None:
        return
    unit = _UNIT_DAYS[match.group("unit").lower()]
    word = match.group("n").lower()
    count = int(word) if word.isdigit() else _NUMBERS[word]
    sign = -1 if match.group("dir").lower() == "before" else 1
    text = f"{match.group(0)}{anchor_text}"
    if word in ("a", "an", "the"):  # the whole span between the date and a unit away
        edge = anchor + timedelta(days=sign * unit)
        yield Period(min(anchor, edge), max(anchor, edge) + timedelta(days=sign < 0), text)
    else:
        yield _around(anchor + timedelta(days=sign * count * unit), unit, text)


def _around(point: datetime, unit_days: int, text: str) -> Period:
    half = timedelta(days=unit_days / 2)
    return Period(point - half, point + half + timedelta(days=1), text)


def _relative(query: str, asked_at: datetime, anchors: list[tuple[int, int, date]],
              rolling: list[tuple[int, int]]) -> Iterator[Period]:
    """Relative periods, each read against the date written right after it (if any), else
    against the time of asking. "in a day", "in two weeks" are left out: in a question they
    are mostly rates ("How many steps do I walk in a day?"), not a time ahead; so is what
    lies inside a span up to now (``rolling``: "past month" of "the past month")."""
    for resolved in resolve_dates(query, asked_at):
        if resolved.phrase.lower().startswith("in "):
            continue
        at = query.lower().find(resolved.phrase.lower())
        if any(start <= at < end for start, end in rolling):
            continue
        base = asked_at
        for start, _end, day in anchors:
            if at >= 0 and _ANCHOR.match(query[at + len(resolved.phrase):start]):
                base = datetime.combine(day, datetime.min.time()) + timedelta(hours=12)
        if resolved.granularity == "season":
            yield _season(resolved.phrase, base)
            continue
        if base is not asked_at:
            resolved = next((r for r in resolve_dates(resolved.phrase, base)), resolved)
        yield _calendar(resolved.value, resolved.granularity, resolved.phrase)


def _season(phrase: str, at: datetime) -> Period:
    """"last winter": the latest such season over by ``at``; "this": the latest begun by
    then; "next": the first to begin after it."""
    word, season = phrase.lower().split()
    first, length = _SEASONS[season]
    year = at.year + 1
    while True:  # back from next year's, until one fits
        period = _months(phrase, year, first, length)
        if word in ("next", "coming"):
            earlier = _months(phrase, year - 1, first, length)
            if earlier.start <= at:
                return period
        elif period.end <= at or (word == "this" and period.start <= at):
            return period
        year -= 1


def _calendar(value: date, granularity: str, phrase: str) -> Period:
    """The period a resolved relative phrase names at its granularity: the calendar week or
    month it falls in, widened by ``_LOOSE`` since people say "last week" of the weekend
    before it too; its weekend or year; or for "N units ago" a unit-wide window around it."""
    start = datetime.combine(value, datetime.min.time())
    if phrase.lower().endswith(" ago"):
        return _around(start, _UNIT_DAYS.get(granularity, 1), phrase)
    loose = timedelta(days=_LOOSE.get(granularity, 0))
    if granularity == "week":
        monday = start - timedelta(days=value.weekday())
        return Period(monday - loose, monday + timedelta(days=7) + loose, phrase)
    if granularity == "weekend":  # resolved to its Saturday; Friday evening counts
        return Period(start - timedelta(days=1), start + timedelta(days=2), phrase)
    if granularity == "month":
        month = _months(phrase, value.year, value.month, 1)
        return Period(month.start - loose, month.end + loose, phrase)
    if granularity == "year":
        return Period(datetime(value.year, 1, 1), datetime(value.year + 1, 1, 1), phrase)
    return Period(start, start + timedelta(days=1), phrase)
