"""Resolve relative time expressions ("yesterday", "last Friday", "next month") to dates.

Candidate spans are found with one regular expression (cheap, so every turn can be
scanned); each span is then resolved by ``dateparser`` against the message timestamp.
Weekend and season phrases, which dateparser does not handle, are resolved here.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

from asem.types import ResolvedDate

_NUM = (r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
        r"|a few|a couple of|few|couple of)")
_UNIT = r"(?:day|week|month|year)s?"
_DAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_SEASON = r"(?:spring|summer|fall|autumn|winter)"
_PATTERN = re.compile(
    r"\b(?:"
    rf"the day before yesterday|the day after tomorrow|yesterday|today|tonight|tomorrow"
    rf"|(?:last|this|next|past|coming) (?:week(?:end)?|month|year|{_DAY}|{_SEASON})"
    rf"|{_NUM} {_UNIT} ago"
    rf"|in {_NUM} {_UNIT}"
    rf"|(?:last|this) (?:morning|night|evening|afternoon)"
    r")\b",
    re.IGNORECASE,
)
_WORD_NUMBERS = {
    "a": "1", "an": "1", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11",
    "twelve": "12", "a few": "3", "few": "3", "a couple of": "2", "couple of": "2",
}
_SEASON_MONTH = {"spring": 4, "summer": 7, "fall": 10, "autumn": 10, "winter": 1}


def _granularity(phrase: str) -> str:
    if phrase.endswith("weekend"):
        return "weekend"
    for unit in ("year", "month", "week"):
        if unit in phrase:
            return unit
    if any(season in phrase for season in _SEASON_MONTH):
        return "season"
    return "day"


def _normalise_numbers(phrase: str) -> str:
    for word, digit in sorted(_WORD_NUMBERS.items(), key=lambda kv: -len(kv[0])):
        phrase = re.sub(rf"\b{word}\b(?= (?:day|week|month|year))", digit, phrase)
    return phrase


def _weekend(phrase: str, base: date) -> date:
    """The Saturday of the weekend meant: this week's, or the one before or after it."""
    saturday = base + timedelta(days=5 - base.weekday())  # yesterday when base is a Sunday
    if phrase.startswith(("last", "past")):
        return saturday - timedelta(days=7)
    if phrase.startswith("next") or (phrase.startswith("coming") and base.weekday() == 6):
        return saturday + timedelta(days=7)
    return saturday


def _season(phrase: str, base: date) -> date:
    word, season = phrase.split(" ", 1)
    year = base.year + {"last": -1, "past": -1, "next": 1}.get(word, 0)
    return date(year, _SEASON_MONTH[season], 1)


@lru_cache(maxsize=4096)
def _resolve_phrase(phrase: str, base: datetime) -> date | None:
    import dateparser  # imported lazily: it takes ~0.3 s

    if phrase.endswith("weekend"):
        return _weekend(phrase, base.date())
    if any(phrase.endswith(season) for season in _SEASON_MONTH):
        return _season(phrase, base.date())
    if phrase.startswith(("last ", "this ")) and phrase.split()[-1] in (
        "morning", "night", "evening", "afternoon"
    ):
        return (base - timedelta(days=1)).date() if phrase.endswith("night") and \
            phrase.startswith("last") else base.date()
    if phrase in ("tonight", "today"):
        return base.date()
    text = _normalise_numbers(phrase)
    prefer = "future" if text.startswith(("next", "coming", "in ", "tomorrow", "the day after")) \
        else "past"
    text = text.replace("coming ", "next ").replace("past ", "last ")
    parsed = dateparser.parse(
        text,
        languages=["en"],
        settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": prefer,
                  "RETURN_AS_TIMEZONE_AWARE": False},
    )
    return parsed.date() if parsed else None


def date_phrases(text: str) -> frozenset[str]:
    """The relative time expressions ``text`` says, lower-cased, unresolved (cheap)."""
    return frozenset(m.group(0).lower() for m in _PATTERN.finditer(text))


def resolve_dates(text: str, base: datetime) -> tuple[ResolvedDate, ...]:
    """Every relative time expression in ``text`` with the date it means at ``base``."""
    found: list[ResolvedDate] = []
    for match in _PATTERN.finditer(text):
        phrase = match.group(0).lower()
        value = _resolve_phrase(phrase, base.replace(second=0))
        if value is not None:
            found.append(ResolvedDate(phrase=match.group(0), value=value,
                                      granularity=_granularity(phrase)))
    return tuple(found)


def describe(resolved: ResolvedDate) -> str:
    """Human text for a resolved date at its granularity: '7 May 2023', 'June 2023', ..."""
    value = resolved.value
    if resolved.granularity == "year":
        return str(value.year)
    if resolved.granularity == "month":
        return value.strftime("%B %Y")
    if resolved.granularity == "season":
        return f"{resolved.phrase.split()[-1].lower()} {value.year}"
    if resolved.granularity == "weekend":
        return f"the weekend of {format_day(value)}"
    if resolved.granularity == "week":
        return f"the week of {format_day(value - timedelta(days=value.weekday()))}"
    return format_day(value)


def format_day(value: date | datetime) -> str:
    return f"{value.day} {value.strftime('%B %Y')}"
