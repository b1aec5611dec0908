"""Loading the HotpotQA and MuSiQue subsets of HippoRAG (``*_hipporag.json`` questions, the
passage corpus ``*_hipporag_corpus.json`` beside them) as one benchmark case.

Every passage is a note ('Title: text'); a question's evidence is its gold supporting
passages: HotpotQA's ``supporting_facts`` titles (its corpus maps title → sentences),
MuSiQue's ``paragraphs`` with ``is_supporting`` (its corpus is a list of {title, text};
titles repeat, so a passage is matched by title and text). Categories: HotpotQA's question
type (bridge, comparison), MuSiQue's hop count from the question id (2hop, 3hop, 4hop).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from asem.errors import InvalidInputError
from asem.eval.dataset import Case, Query, Turn, chunked

_QUESTIONS = re.compile(r"^(?P<stem>.+_hipporag)\.json$")
_HOPS = re.compile(r"^(\d+hop)")


def corpus_path(questions: Path) -> Path:
    """The corpus file beside a ``*_hipporag.json`` question file."""
    match = _QUESTIONS.match(questions.name)
    if match is None:
        raise InvalidInputError(f"{questions.name} is not a *_hipporag.json question file; "
                                "pass e.g. --data hotpotqa_train100_hipporag.json")
    return questions.with_name(match["stem"] + "_corpus.json")


def load(path: str | Path, *, limit: int | None = None,
         max_passages: int | None = None) -> Case:
    """The corpus as turns and the questions (the first ``limit``) as queries.

    ``max_passages`` (for quick checks, not for figures): keep only the asked questions'
    supporting passages and the first other passages of the corpus, that many in all.
    """
    questions_file = Path(path)
    questions = _read(questions_file)
    corpus = _read(corpus_path(questions_file))
    if isinstance(corpus, Mapping):  # HotpotQA: title → sentences
        passages = {title: "".join(sentences).strip() for title, sentences in corpus.items()}
        turns = [Turn(title, "", f"{title}: {text}", title, None)
                 for title, text in passages.items()]
        queries = [_hotpot_query(q, passages) for q in questions[:limit]]
    else:  # MuSiQue: [{title, text}]
        ids = {(p["title"], p["text"]): f"p{i}" for i, p in enumerate(corpus)}
        turns = [Turn(f"p{i}", "", f"{p['title']}: {p['text']}", f"p{i}", None)
                 for i, p in enumerate(corpus)]
        queries = [_musique_query(q, ids) for q in questions[:limit]]
    if max_passages is not None:
        gold = {e for q in queries for e in q.evidence}
        room = max(max_passages - len(gold), 0)
        others = [t.dia_id for t in turns if t.dia_id not in gold][:room]
        keep = gold | set(others)
        turns = [t for t in turns if t.dia_id in keep]
    return Case(questions_file.stem, chunked(turns), tuple(queries))


def _read(file: Path) -> Any:
    if not file.exists():
        raise InvalidInputError(f"{file} not found; the question file and its _corpus.json "
                                "must lie side by side")
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InvalidInputError(f"{file} is not JSON: {e}") from e


def _hotpot_query(q: Mapping[str, Any], passages: Mapping[str, str]) -> Query:
    titles = tuple(dict.fromkeys(title for title, _sentence in q["supporting_facts"]))
    missing = [t for t in titles if t not in passages]
    if missing:
        raise InvalidInputError(f"question {q['_id']}: supporting passages {missing} are not "
                                "in the corpus")
    return Query(str(q["_id"]), q["question"], titles, str(q.get("type", "all")))


def _musique_query(q: Mapping[str, Any], ids: Mapping[tuple[str, str], str]) -> Query:
    gold = [(p["title"], p["paragraph_text"]) for p in q["paragraphs"] if p["is_supporting"]]
    missing = [title for title, text in gold if (title, text) not in ids]
    if missing:
        raise InvalidInputError(f"question {q['id']}: supporting passages {missing} are not "
                                "in the corpus")
    hops = _HOPS.match(str(q["id"]))
    return Query(str(q["id"]), q["question"], tuple(ids[p] for p in gold),
                 hops.group(1) if hops else "all")
