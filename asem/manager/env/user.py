"""A user's own streams, to retrain and evaluate the write policy on: labelled or rewarded.

A JSON Lines file, one stream per line (a JSON list of streams works too)::

    {"events": [
        {"text": "I adopted a dog named Buddy.", "about": "dogs", "kind": "novel"},
        {"text": "Haha, so cute!", "kind": "chit-chat"},
        {"text": "I adopted another dog named Scout.", "about": "dogs",
         "kind": "complementary"}],
     "probes": [
        {"question": "What are my dogs called?", "answer": "Buddy", "after": 0},
        {"question": "What are my dogs called?", "answer": "Buddy and Scout", "after": 2}]}

- ``events``: what was said, in order. ``text`` is required. ``about`` (optional) names what
  the event speaks of, the same name for every event about the same thing: recording an
  input on a note about something else then costs, as in the built-in streams. ``kind``
  (optional) labels the decision it deserves (see ``LABELS``); a labelled event rewards the
  decision that agrees with its label (``LABEL_REWARD``), and a label that needs a target
  (``complementary``, ``changed``, ``retracted``, ``duplicate``, ``paraphrase``) needs
  ``about``.
- ``probes`` (optional): questions whose ``answer`` the memory should give. A probe holds
  from event ``after`` on (default 0: the whole stream) until a later probe with the same
  question takes over (a changed answer). The answerer is the frozen one of the built-in
  reward: the nearest long-term note must contain half the content words of the answer.
  An answer of null says the question's earlier answers no longer hold ("I stopped going
  to the book club"): correct when the nearest note holds none of them.

A stream needs at least one event and either a probe or a labelled event: with neither,
nothing says what a good decision is.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from asem.errors import InvalidInputError
from asem.manager.env.streams import Event, Probe, Stream

LABELS = ("novel", "complementary", "changed", "retracted", "duplicate", "paraphrase",
          "chit-chat")
"""Event labels a user may give (the built-in kinds, episodes aside: an episode is novel)."""
TARGETED = frozenset(("complementary", "changed", "retracted", "duplicate", "paraphrase"))
UNLABELLED = "unlabelled"
"""The kind of an event given without a label."""
LABEL_REWARD = 0.2
"""Reward for a decision that agrees with the event's label: as much as one probe of five."""
SPLIT = "user"


def load_user_streams(path: str | Path) -> list[Stream]:
    """The streams of a JSON Lines (or JSON list) file; a clear error names the first
    problem with its line."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidInputError(f"cannot read streams file {path}: {e}") from e
    items: list[tuple[str, Any]] = []
    stripped = raw.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(raw)
        except ValueError as e:
            raise InvalidInputError(f"{path}: not valid JSON: {e}") from e
        items = [(f"stream {i + 1}", item) for i, item in enumerate(data)]
    else:
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append((f"line {number}", json.loads(line)))
            except ValueError as e:
                raise InvalidInputError(f"{path}, line {number}: not valid JSON: {e}") from e
    if not items:
        raise InvalidInputError(f"{path} holds no streams")
    return [_stream(n, item, f"{path}, {where}") for n, (where, item) in enumerate(items)]


def _stream(number: int, item: Any, where: str) -> Stream:
    _fields(item, ("events", "probes"), "a stream", where)
    raw_events = item.get("events")
    if not isinstance(raw_events, list) or not raw_events:
        raise InvalidInputError(f"{where}: 'events' must be a non-empty list")
    events = [_event(e, f"{where}, event {i}") for i, e in enumerate(raw_events)]
    raw_probes = item.get("probes", [])
    if not isinstance(raw_probes, list):
        raise InvalidInputError(f"{where}: 'probes' must be a list")
    probes = [_probe(p, len(events), f"{where}, probe {i}") for i, p in enumerate(raw_probes)]
    probes = _retractions(probes, where)
    if not probes and all(e.kind == UNLABELLED for e in events):
        raise InvalidInputError(f"{where}: give probes or label events with 'kind'; with "
                                "neither there is nothing to learn from")
    return Stream(number, SPLIT, events, _probes_after(probes, len(events)))


def _event(raw: Any, where: str) -> Event:
    _fields(raw, ("text", "about", "kind"), "an event", where)
    text, about, kind = raw.get("text"), raw.get("about"), raw.get("kind")
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError(f"{where}: 'text' must be a non-empty string")
    if about is not None and (not isinstance(about, str) or not about.strip()):
        raise InvalidInputError(f"{where}: 'about' must be a non-empty string")
    if kind is not None and kind not in LABELS:
        raise InvalidInputError(f"{where}: 'kind' must be one of {', '.join(LABELS)}")
    if kind in TARGETED and about is None:
        raise InvalidInputError(f"{where}: a {kind!r} event needs 'about' (what it speaks "
                                "of), to know which note it concerns")
    if kind == "chit-chat":
        about = None
    return Event(text.strip(), kind or UNLABELLED, about)


def _probe(raw: Any, n_events: int, where: str) -> tuple[int, Probe]:
    _fields(raw, ("question", "answer", "after"), "a probe", where)
    question, answer, after = raw.get("question"), raw.get("answer"), raw.get("after", 0)
    if not isinstance(question, str) or not question.strip():
        raise InvalidInputError(f"{where}: 'question' must be a non-empty string")
    if isinstance(answer, int | float) and not isinstance(answer, bool):
        answer = str(answer)
    if "answer" not in raw or (answer is not None
                               and (not isinstance(answer, str) or not answer.strip())):
        raise InvalidInputError(f"{where}: 'answer' must be a non-empty string, or null for "
                                "a question whose earlier answer no longer holds")
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after < n_events:
        raise InvalidInputError(f"{where}: 'after' must be an event index from 0 to "
                                f"{n_events - 1}")
    return after, Probe(question.strip(), "answer", "text",
                        None if answer is None else answer.strip(), ())


def _fields(raw: Any, allowed: tuple[str, ...], what: str, where: str) -> None:
    """``raw`` is an object with no field but ``allowed``."""
    names = ", ".join(f"'{name}'" for name in allowed)
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{where}: {what} is an object with {names}")
    unknown = set(raw) - set(allowed)
    if unknown:
        raise InvalidInputError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; "
                                f"{what} has {names}")


def _retractions(probes: list[tuple[int, Probe]], where: str) -> list[tuple[int, Probe]]:
    """A null answer retracts the earlier answers of its question: it is correct when the
    nearest note holds none of them (their texts go in the probe's vocabulary)."""
    ordered = sorted(range(len(probes)), key=lambda i: (probes[i][0], i))
    said: dict[str, list[str]] = {}
    found = list(probes)
    for i in ordered:
        after, probe = probes[i]
        if probe.gold is None:
            earlier = said.get(probe.question, [])
            if not earlier:
                raise InvalidInputError(f"{where}, probe {i}: a null answer says an earlier "
                                        "answer no longer holds; this question has none "
                                        "before it")
            found[i] = (after, replace(probe, vocabulary=tuple(earlier)))
        else:
            said.setdefault(probe.question, []).append(str(probe.gold))
    return found


def _probes_after(probes: list[tuple[int, Probe]], n_events: int) -> list[list[Probe]]:
    """After each event, the probes that hold then: per question, the one with the latest
    ``after`` not past the event."""
    ordered = sorted(enumerate(probes), key=lambda item: (item[1][0], item[0]))
    after_each = []
    for t in range(n_events):
        holding: dict[str, Probe] = {}
        for _, (after, probe) in ordered:
            if after <= t:
                holding[probe.question] = probe
        after_each.append(list(holding.values()))
    return after_each
