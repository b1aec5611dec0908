"""Provider faults: a language model that times out, rate-limits, fails, writes nonsense and
invents note ids, under every path that asks it, and an embedder that raises.

The model is ``OpenAICompatibleLLM`` over an ``httpx.MockTransport`` (the real HTTP client
and its error translation, no network) whose answers a seeded generator draws per call:
a timeout, a 429 with Retry-After, a 5xx, a body that is not JSON (or not a chat
completion), a reply whose JSON names notes, turns or letters the prompt never showed, or a
good reply. Three paths ask it, on three tenants of one SQLite file:

- the LLM memory manager on every ``add`` (its target must be one of the candidates shown);
- the background enrichment worker (its updates and links must stay inside the claimed notes
  and the neighbours shown);
- ``answer`` (its cited notes must be among the notes retrieved).

Afterwards, with the provider healthy again, the queue is drained. Counted: exceptions
outside ``asem.errors`` from any call, or logged by the worker as a bug (unhandled);
acknowledged inputs no note holds (lost); writes or citations outside what the model was
shown; jobs left pending or running; retries sooner than the Retry-After asked.
Then an embedder that raises on every call: each ``add`` must fail with ProviderError and
leave the file exactly as it was (not a row written).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from asem import Memory
from asem.config import LLMConfig
from asem.errors import ASEMError, ProviderError
from asem.llm.fake import ScriptedLLM
from asem.llm.openai_compat import OpenAICompatibleLLM
from asem.llm.retry import RetryPolicy
from asem.providers import HashEmbedder
from asem.types import Scope
from asem.write import evolve
from asem.write.llm_manager import LLMManager
from checks import Row, Size

CHECK = "provider faults"
CALLS = {Size.FAST: 500, Size.FULL: 10_000}
"""Model calls made with faults (retries and re-prompts count: each is one HTTP request)."""
EMBEDDER_WRITES = {Size.FAST: 20, Size.FULL: 200}
RETRY_AFTER_S = 0.02
USERS = ("ann", "bob", "cy")
FAULTS = ("timeout", "429", "5xx", "invalid JSON", "invented ids", "good")
WEIGHTS = (2, 2, 2, 2, 3, 3)
WHEN = datetime(2024, 3, 1, 10, 0)
TOPICS = ("dog", "garden", "trip to Lisbon", "new job", "piano lessons", "sister",
          "marathon", "book club", "flat", "car")


def run(size: Size) -> list[Row]:
    folder = Path(tempfile.mkdtemp(prefix="asem-provider-"))
    try:
        return [_model_row(folder / "llm.db", CALLS[size]),
                _embedder_row(folder / "embedder.db", EMBEDDER_WRITES[size])]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- the faulty model ------------------------------------------------------------------------

@dataclass
class FaultyServer:
    """Answers chat-completion requests, a fault drawn for each; counts what it did."""

    rng: random.Random
    healthy: bool = False
    calls: int = 0
    drawn: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAULTS, 0))
    early_retries: int = 0
    _rate_limited: tuple[str, float] | None = None  # (request body digest, retry not before)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        digest = hashlib.sha1(json.dumps(body["messages"]).encode()).hexdigest()
        now = time.monotonic()
        if self._rate_limited is not None:
            if self._rate_limited[0] == digest and now < self._rate_limited[1]:
                self.early_retries += 1
            self._rate_limited = None
        fault = "good" if self.healthy else self.rng.choices(FAULTS, WEIGHTS)[0]
        if not self.healthy:
            self.calls += 1
            self.drawn[fault] += 1
        if fault == "timeout":
            raise httpx.ReadTimeout("read timed out", request=request)
        if fault == "429":
            self._rate_limited = (digest, now + RETRY_AFTER_S)
            return httpx.Response(429, headers={"Retry-After": str(RETRY_AFTER_S)},
                                  text="rate limited")
        if fault == "5xx":
            return httpx.Response(self.rng.choice((500, 502, 503, 504)), text="upstream error")
        if fault == "invalid JSON":
            return self._invalid()
        prompt = body["messages"][-1]["content"]
        return _completion(_reply(prompt, self.rng, invent=fault == "invented ids"))

    def _invalid(self) -> httpx.Response:
        kind = self.rng.randrange(4)
        if kind == 0:
            return httpx.Response(200, text="<html>bad gateway</html>")
        if kind == 1:
            return httpx.Response(200, json={"object": "error"})
        if kind == 2:
            return _completion('{"notes": [{"turn": 1, "keywords": ["cut')
        return _completion("I think the answer is probably the second note.")


def _completion(text: str) -> httpx.Response:
    return httpx.Response(200, json={
        "choices": [{"message": {"role": "assistant", "content": text},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5}})


def _reply(prompt: str, rng: random.Random, *, invent: bool) -> str:
    """A well-formed reply to whichever prompt this is; with ``invent``, one that names
    numbers and letters the prompt did not show."""
    if prompt.startswith("New information:"):
        shown = len(re.findall(r"^\[\d+\] ", prompt, re.M))
        target = (rng.choice((0, -1, shown + 1, shown + 7, 99)) if invent
                  else rng.randint(1, shown) if shown else None)
        op = rng.choice(("UPDATE", "DELETE", "NOOP", "ADD"))
        return json.dumps({"operation": op, "target": target,
                           "merged": f"merged note {rng.randrange(10**9)}",
                           "tier": "long_term", "reason": "scripted"})
    if prompt.startswith("New turns:"):
        turns = [int(t) for t in re.findall(r"^\[(\d+)\] ", prompt, re.M)]
        letters = re.findall(r"^\[([A-Z])\] ", prompt, re.M)
        unknown = ["Z", "Q"] if invent else []
        notes = [{"turn": t + (50 if invent and i == 0 else 0), "keywords": ["topic"],
                  "tags": ["life"], "context": "the person said it"}
                 for i, t in enumerate(turns)]
        targets = (letters + unknown) or [str(len(turns) + 5)] if invent else letters
        links = [{"from": rng.choice(turns), "to": rng.choice(targets), "relation": "related"}
                 for _ in range(2)] if targets else []
        updates = [{"note": rng.choice(targets), "context": "revised", "tags": ["life"]}
                   ] if targets else []
        return json.dumps({"notes": notes, "links": links, "updates": updates})
    shown = len(re.findall(r"^\[\d+\] ", prompt, re.M))
    cited = [shown + 3, 0] if invent else ([1] if shown else [])
    return json.dumps({"evidence": cited, "answer": "the park" if cited else "unknown"})


# -- the run ---------------------------------------------------------------------------------

@dataclass
class Tally:
    zero: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("unhandled", "lost", "outside the candidate set", "jobs stuck",
         "Retry-After not honoured"), 0))
    counts: dict[str, float] = field(default_factory=dict)

    def count(self, name: str, by: float = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + by


class ShownManager:
    """The LLM manager, remembering the candidates of every decision of the current call."""

    def __init__(self, inner: LLMManager) -> None:
        self.inner = inner
        self.shown: set[str] = set()

    def decide(self, proposal: Any) -> Any:
        self.shown |= {c.note_id for c in proposal.candidates}
        return self.inner.decide(proposal)


def _model_row(path: Path, calls: int) -> Row:
    started = time.perf_counter()
    rng = random.Random(11)
    server = FaultyServer(random.Random(12))
    llm = OpenAICompatibleLLM("fake", "http://llm.test/v1",
                              transport=httpx.MockTransport(server))
    config = LLMConfig(retry_base_delay_s=0.0, batch_turns=4)
    manager = ShownManager(LLMManager(llm, retry=RetryPolicy(config.retry_attempts, 0.0)))
    tally = Tally()
    said: dict[str, list[str]] = {u: [] for u in USERS}
    with Memory(path, embedder=HashEmbedder(), llm=llm, llm_config=config, manager=manager,
                background=False) as memory, _watched(memory, tally), _bugs_logged(tally):
        step = 0
        while server.calls < calls:
            step += 1
            user = rng.choice(USERS)
            action = rng.random()
            if action < 0.6:
                _add(memory, manager, user, step, said, tally)
            elif action < 0.9:
                _work(memory, tally)
            else:
                _answer(memory, user, rng, tally)
        server.healthy = True
        while _guarded(tally, memory.process_llm_jobs):
            pass
        counts = memory.store.job_counts()
        tally.zero["jobs stuck"] = counts["pending"] + counts["running"]
        tally.count("jobs failed after their attempts", counts["failed"])
        tally.count("jobs done", counts["done"])
        for user in USERS:
            holders = memory.store.turn_holders(Scope(user), said[user])
            tally.zero["lost"] += sum(1 for t in said[user] if not holders.get(t))
        tally.count("inputs acknowledged", sum(map(len, said.values())))
        tally.count("manager targets rejected", manager.inner.rejected)
        tally.count("worker references rejected", len(memory.worker.stats.rejected))
    tally.zero["Retry-After not honoured"] = server.early_retries
    for fault, n in server.drawn.items():
        tally.count(f"{fault} calls", n)
    return Row(CHECK, "sqlite, LLM manager + worker + answer", server.calls, tally.zero,
               tally.counts, time.perf_counter() - started)


def _add(memory: Memory, manager: ShownManager, user: str, step: int,
         said: dict[str, list[str]], tally: Tally) -> None:
    turn = f"t{step}"
    topic = TOPICS[step % len(TOPICS)]
    before = _changed_notes(memory.store.path, user)
    manager.shown = set()
    results = _guarded(tally, lambda: memory.add(
        f"{user.title()} talked about the {topic} again, time {step}", user_id=user,
        speaker=user.title(), timestamp=WHEN, turn_id=turn))
    if results is None:
        return
    said[user].append(turn)
    created = {r.note_id for r in results if r.op.value == "ADD"} | {
        r.added_id for r in results if r.added_id}
    after = _changed_notes(memory.store.path, user)
    touched = {note for note, rows in after.items() if before.get(note) != rows}
    tally.zero["outside the candidate set"] += len(touched - created - manager.shown)


def _changed_notes(path: Path, user: str) -> dict[str, int]:
    """The user's notes changed after their ADD: id -> history rows (read from outside)."""
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute(
            "SELECT h.note_id, count(*) FROM history h JOIN notes n ON n.id = h.note_id "
            "WHERE n.user_id = ? AND h.op NOT IN ('ADD', 'QUARANTINE') GROUP BY h.note_id",
            (user,)).fetchall())
    finally:
        conn.close()


def _work(memory: Memory, tally: Tally) -> None:
    done = _guarded(tally, memory.worker.step)
    if done == 0 and memory.store.job_counts()["pending"]:
        time.sleep(RETRY_AFTER_S)  # as the worker's thread pauses after an outage


def _answer(memory: Memory, user: str, rng: random.Random, tally: Tally) -> None:
    topic = rng.choice(TOPICS)
    answer = _guarded(tally, lambda: memory.answer(f"What about the {topic}?", user_id=user))
    if answer is not None:
        shown = {h.note.id for h in answer.hits}
        tally.zero["outside the candidate set"] += len(set(answer.note_ids) - shown)


def _guarded(tally: Tally, call: Any) -> Any:
    """``call()``; an ASEM error is counted by type, anything else as unhandled."""
    try:
        return call()
    except ASEMError as e:
        tally.count(f"typed errors: {type(e).__name__}")
    except Exception as e:
        tally.zero["unhandled"] += 1
        tally.count(f"unhandled: {type(e).__name__}: {str(e)[:60]}")
    return None


@contextmanager
def _watched(memory: Memory, tally: Tally) -> Iterator[None]:
    """Every evolution the worker commits stays inside the notes claimed and the
    neighbours shown with them."""
    gather, apply = evolve.gather, memory.store.apply_evolution
    shown: set[str] = set()
    claimed: set[str] = set()

    def watching_gather(*args: Any, **kwargs: Any) -> evolve.Batch:
        batch = gather(*args, **kwargs)
        claimed.clear()
        claimed.update(n.id for n in batch.notes)
        shown.clear()
        shown.update(claimed | {n.id for n in batch.neighbours})
        return batch

    def watching_apply(evolution: Any) -> Any:
        outside = {n.id for n, _ in evolution.updates} - shown
        for src, dst, *_ in evolution.links:
            outside |= {src, dst} - shown
            if not {src, dst} & claimed:
                outside.add(f"{src}-{dst}")
        tally.zero["outside the candidate set"] += len(outside)
        return apply(evolution)

    evolve.gather, memory.store.apply_evolution = watching_gather, watching_apply
    try:
        yield
    finally:
        evolve.gather = gather
        del memory.store.apply_evolution


@contextmanager
def _bugs_logged(tally: Tally) -> Iterator[None]:
    """The worker logs an error that is not the provider's (a bug) and carries on: count it."""

    class Counter(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            tally.zero["unhandled"] += 1
            tally.count(f"unhandled (logged): {record.getMessage()[:60]}")

    handler = Counter(logging.ERROR)
    log = logging.getLogger("asem.worker")
    log.addHandler(handler)
    try:
        yield
    finally:
        log.removeHandler(handler)


# -- the failing embedder --------------------------------------------------------------------

class FailingEmbedder(HashEmbedder):
    """HashEmbedder that raises while ``failing`` (a model file gone, a server down)."""

    failing = False

    def embed(self, texts: Any, *, kind: str = "document") -> Any:
        if self.failing:
            raise RuntimeError("the embedding model crashed")
        return super().embed(texts, kind=kind)


def _embedder_row(path: Path, writes: int) -> Row:
    """``writes`` adds (and searches) while the embedder raises, each checked, then the
    background worker meeting the same failure."""
    started = time.perf_counter()
    tally = Tally()
    tally.zero = {"unhandled": 0, "not typed": 0, "half-written": 0, "not recovered": 0,
                  "jobs stuck": 0}
    embedder = FailingEmbedder()
    rng = random.Random(13)
    llm = ScriptedLLM(default=lambda messages: _reply(messages[-1].content, rng, invent=False))
    with Memory(path, embedder=embedder, llm=llm, llm_config=LLMConfig(retry_base_delay_s=0.0),
                background=False) as memory, _bugs_logged(tally):
        memory.add("Ann has a dog named Buddy", user_id="ann")
        for i in range(writes):
            text = f"Ann walked Buddy in the park, day {i}" if i % 2 else [
                {"role": "user", "content": f"Ann's dog Buddy is {i} months old"},
                {"role": "assistant", "content": f"Noted: Buddy, {i} months"}]
            before = _dump(path)
            embedder.failing = True
            for call in (lambda text=text: memory.add(text, user_id="ann"),
                         lambda: memory.search("Buddy", user_id="ann")):
                _provider_error(tally, call)
            embedder.failing = False
            tally.zero["half-written"] += _dump(path) != before
            if _guarded(tally, lambda text=text: memory.add(text, user_id="ann")) is None:
                tally.zero["not recovered"] += 1
        embedder.failing = True  # the worker re-embeds what the model enriched
        _guarded(tally, memory.process_llm_jobs)
        embedder.failing = False
        _guarded(tally, memory.process_llm_jobs)
        counts = memory.store.job_counts()
        tally.zero["jobs stuck"] = counts["pending"] + counts["running"] + counts["failed"]
        tally.count("worker outages", memory.worker.stats.outages)
    return Row(CHECK, "sqlite, embedder raising", writes, tally.zero, tally.counts,
               time.perf_counter() - started)


def _provider_error(tally: Tally, call: Any) -> None:
    """``call()`` must raise ProviderError."""
    try:
        call()
        tally.zero["not typed"] += 1  # it cannot have succeeded without vectors
    except ProviderError:
        tally.count("ProviderError")
    except ASEMError as e:
        tally.zero["not typed"] += 1
        tally.count(f"other ASEM error: {type(e).__name__}")
    except Exception as e:
        tally.zero["unhandled"] += 1
        tally.count(f"unhandled: {type(e).__name__}")


def _dump(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                             "'table' AND name NOT LIKE 'sqlite_%'")]
        return {t: sorted(map(repr, conn.execute(f"SELECT * FROM {t}"))) for t in tables}
    finally:
        conn.close()

