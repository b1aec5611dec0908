"""One writer of the concurrent-writers check: a process doing mixed operations on one tenant.

    python writers_ops.py '{"surface": "memory"|"rest", "target": PATH|URL|BASE_URL, ...}'

It waits for the start file, then does ``ops`` operations (add, search, feedback, update,
delete, undo), through its own ``Memory`` or over REST, and appends one JSON line to its log
after each call returned (an acknowledgement), so the log holds exactly what was
acknowledged. Outcomes:

- ``ack``: the call succeeded (what it returned is kept);
- ``busy``: a typed, retryable refusal (``StoreLockedError``, ``WriteConflictError``;
  REST 503 ``store_busy`` or 409 ``write_conflict``); the call is not retried;
- ``gone``: an edit of one of this writer's notes that the memory manager had deleted
  meanwhile (``NotFoundError``; checked afterwards: the note must be deleted);
- ``refused``: an undo refused because another note holds the same content now (an
  ``InvalidInputError`` that says so; REST 422): a repeat of a text stored again while its
  first note was a past fact;
- ``unexpected``: anything else, with its type and message.

Update, delete and undo act only on notes this writer added, so their order is this
writer's own; other writers reach them only through the manager's decisions.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path
from typing import Any

NAMES = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana"]
THINGS = ["bicycle", "camera", "guitar", "laptop", "kayak", "violin", "tent", "piano"]
CITIES = ["Lisbon", "Osaka", "Lagos", "Denver", "Tallinn", "Quito"]
WEIGHTS = {"add": 40, "search": 22, "feedback": 15, "update": 9, "delete": 8, "undo": 6}


class Busy(Exception):
    """A typed refusal that says to retry."""


class Gone(Exception):
    """The note is not found (deleted meanwhile)."""


class Refused(Exception):
    """An undo refused: the same content is live in another note."""


class LocalClient:
    """The Python API: this process's own Memory."""

    def __init__(self, target: str, tenant: str, actor: str) -> None:
        from asem import Memory
        from asem.providers import HashEmbedder

        self.memory = Memory(target, embedder=HashEmbedder(), background=False)
        self.tenant, self.actor = tenant, actor

    def call(self, kind: str, **a: Any) -> Any:
        from asem.errors import (
            InvalidInputError,
            NotFoundError,
            StoreLockedError,
            WriteConflictError,
        )

        m, user = self.memory, self.tenant
        try:
            if kind == "add":
                return [{"op": r.op.value, "note_id": r.note_id, "added_id": r.added_id}
                        for r in m.add(a["text"], user_id=user, turn_id=a["turn"])]
            if kind == "search":
                found = m.search(a["query"], user_id=user, k=5)
                return {"retrieval": found.retrieval_id, "hits": [h.note.id for h in found]}
            if kind == "feedback":
                return sorted(m.feedback(a["retrieval"], a["reward"], user_id=user).utilities)
            if kind == "update":
                return m.update(a["note"], a["text"], user_id=user, actor=self.actor).id
            if kind == "delete":
                return m.delete(a["note"], user_id=user, actor=self.actor)
            return m.undo_delete(a["note"], user_id=user, actor=self.actor).id
        except (StoreLockedError, WriteConflictError) as e:
            raise Busy(f"{type(e).__name__}: {e}") from e
        except NotFoundError as e:
            raise Gone(str(e)) from e
        except InvalidInputError as e:
            if kind == "undo":
                raise Refused(str(e)) from e
            raise

    def close(self) -> None:
        self.memory.close()


class RestClient:
    """``asem serve`` over HTTP, with the tenant's API key."""

    def __init__(self, target: str, key: str, actor: str) -> None:
        import httpx

        self.http = httpx.Client(base_url=target, timeout=120,
                                 headers={"Authorization": f"Token {key}"})

    def call(self, kind: str, **a: Any) -> Any:
        http = self.http
        if kind == "add":
            r = http.post("/v1/notes", json={"text": a["text"], "turn_id": a["turn"]})
        elif kind == "search":
            r = http.post("/v1/search", json={"query": a["query"], "k": 5})
        elif kind == "feedback":
            r = http.post("/v1/feedback", json={"retrieval_id": a["retrieval"],
                                                "reward": a["reward"]})
        elif kind == "update":
            r = http.patch(f"/v1/notes/{a['note']}", json={"content": a["text"]})
        elif kind == "delete":
            r = http.delete(f"/v1/notes/{a['note']}")
        else:
            r = http.post(f"/v1/notes/{a['note']}/undo")
        body = r.json()
        if r.status_code == 404:
            raise Gone(body.get("message", ""))
        if (r.status_code, body.get("code")) in ((503, "store_busy"), (409, "write_conflict")):
            raise Busy(f"{r.status_code} {body['code']}: {body.get('message')}")
        if kind == "undo" and r.status_code == 422:
            raise Refused(body.get("message", ""))
        if r.status_code >= 300:
            raise RuntimeError(f"{r.status_code} {body}")
        if kind == "add":
            return [{k: res[k] for k in ("op", "note_id", "added_id")}
                    for res in body["results"]]
        if kind == "search":
            return {"retrieval": body["retrieval_id"],
                    "hits": [h["note"]["id"] for h in body["hits"]]}
        if kind == "feedback":
            return sorted(body["utilities"])
        return body.get("id", body.get("note_id"))

    def close(self) -> None:
        self.http.close()


class Writer:
    """What one writer knows of its own notes, and its next operation."""

    def __init__(self, worker: int, seed: int) -> None:
        self.worker = worker
        self.rng = random.Random(seed)
        self.live: list[str] = []
        """Notes this writer added and has not deleted (as far as it knows)."""
        self.deleted: list[str] = []
        self.texts: dict[str, str] = {}
        """note id → the text this writer last gave it."""
        self.retrieval: dict[str, Any] | None = None

    def text(self, i: int) -> str:
        rng = self.rng
        return (f"{rng.choice(NAMES)} keeps the {rng.choice(THINGS)} in "
                f"{rng.choice(CITIES)}, says writer {self.worker} in step {i}.")

    def next(self, i: int) -> tuple[str, dict[str, Any]]:
        kinds, weights = zip(*WEIGHTS.items(), strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        turn = f"w{self.worker}-{i}"
        if kind == "feedback" and not (self.retrieval and self.retrieval["hits"]):
            kind = "search"
        if kind in ("update", "delete") and not self.live or kind == "undo" and not self.deleted:
            kind = "add"
        if kind == "add":
            # One add in ten says again what this writer said before (a NOOP on its note).
            said = [self.texts[n] for n in self.live if n in self.texts]
            again = said and self.rng.random() < 0.1
            return kind, {"text": self.rng.choice(said) if again else self.text(i),
                          "turn": turn}
        if kind == "search":
            return kind, {"query": f"Where is the {self.rng.choice(THINGS)} of "
                                   f"{self.rng.choice(NAMES)}?"}
        if kind == "feedback":
            assert self.retrieval is not None
            return kind, {"retrieval": self.retrieval["retrieval"],
                          "reward": round(self.rng.uniform(-1, 1), 3)}
        if kind == "update":
            return kind, {"note": self.rng.choice(self.live),
                          "text": f"{self.text(i)} (edited)"}
        pool = self.live if kind == "delete" else self.deleted
        return kind, {"note": self.rng.choice(pool)}

    def acknowledged(self, kind: str, args: dict[str, Any], got: Any) -> None:
        if kind == "add":
            for r in got:
                if r["op"] == "ADD" and r["note_id"] not in self.live:
                    self.live.append(r["note_id"])
                    self.texts[r["note_id"]] = args["text"]
        elif kind == "update":
            self.texts[args["note"]] = args["text"]
        elif kind == "search":
            self.retrieval = got
        elif kind == "delete":
            self.live.remove(args["note"])
            self.deleted.append(args["note"])
        elif kind == "undo":
            self.deleted.remove(args["note"])
            self.live.append(args["note"])

    def forget(self, note: str) -> None:
        """A note the manager deleted: this writer no longer edits it."""
        for pool in (self.live, self.deleted):
            if note in pool:
                pool.remove(note)


def run(spec: dict[str, Any]) -> None:
    worker, actor = spec["worker"], spec["actor"]
    client = (LocalClient(spec["target"], spec["tenant"], actor) if spec["surface"] == "memory"
              else RestClient(spec["target"], spec["key"], actor))
    writer = Writer(worker, spec["seed"])
    go = Path(spec["go"])
    Path(spec["ready"]).touch()
    while not go.exists():
        time.sleep(0.01)
    with open(spec["log"], "a", encoding="utf-8") as log:
        for i in range(spec["ops"]):
            kind, args = writer.next(i)
            entry: dict[str, Any] = {"kind": kind, **args}
            try:
                got = client.call(kind, **args)
                writer.acknowledged(kind, args, got)
                entry |= {"outcome": "ack", "got": got}
            except Busy as e:
                entry |= {"outcome": "busy", "error": str(e)}
            except Gone as e:
                entry |= {"outcome": "gone", "error": str(e)}
                if "note" in args:
                    writer.forget(args["note"])
            except Refused as e:
                entry |= {"outcome": "refused", "error": str(e)}
                writer.forget(args["note"])
            except Exception as e:  # every other failure is what the check counts
                entry |= {"outcome": "unexpected", "error": f"{type(e).__name__}: {e}"}
            log.write(json.dumps(entry) + "\n")
            log.flush()
    client.close()


if __name__ == "__main__":
    run(json.loads(sys.argv[1]))
