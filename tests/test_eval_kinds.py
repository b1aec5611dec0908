"""Question kinds for benchmark reports (asem.eval.kinds): dates, broad questions, names
that are not speaker labels, and a question outranking its answer."""

from __future__ import annotations

from datetime import datetime

from asem.eval import kinds
from asem.eval.dataset import Case, Query, Turn

WHEN = datetime(2023, 6, 1, 10)
TURNS = (
    Turn("D1:1", "Marta Lopez", "I started a boxing class on Monday!", "s1", WHEN),
    Turn("D1:2", "Joe", "Which soup did you learn to make?", "s1", WHEN),
    Turn("D1:3", "Marta Lopez", "A lentil soup with lemon, Joe.", "s1", WHEN),
    Turn("D1:4", "Joe", "And piano lessons too?", "s1", WHEN),
    Turn("D1:5", "Marta Lopez", "Yes, piano lessons twice a week", "s1", WHEN),
    Turn("D1:5", "Marta Lopez", "and anime films on Fridays.", "s1", WHEN),  # a second chunk
)


def query(question: str, evidence: tuple[str, ...], asked_at: datetime | None = WHEN) -> Query:
    return Query("q", question, evidence, "single-hop", asked_at)


CASE = Case("c", TURNS, ())


def test_a_question_naming_a_date_is_of_kind_date():
    assert "date" in kinds.kinds_of(query("What did Marta do on 1 June 2023?", ("D1:1",)), CASE)
    assert "date" in kinds.kinds_of(query("What did Marta start last week?", ("D1:1",)), CASE)
    assert "date" not in kinds.kinds_of(query("What did Marta start?", ("D1:1",)), CASE)


def test_broad_means_several_evidence_turns_each_worded_apart_from_the_question():
    hobbies = query("What are Marta's hobbies?", ("D1:1", "D1:5"))
    assert "broad" in kinds.kinds_of(hobbies, CASE)
    # one evidence turn: a specific fact, whatever its wording
    assert "broad" not in kinds.kinds_of(query("What are Marta's hobbies?", ("D1:1",)), CASE)
    # an evidence turn that shares two content words ("piano", "lessons") is no set question
    lessons = query("Which piano lessons does Marta take?", ("D1:1", "D1:5"))
    assert "broad" not in kinds.kinds_of(lessons, CASE)


def test_the_words_of_a_chunked_turn_count_together():
    # "anime films" sits in the second chunk of D1:5; "piano" in the first
    films = query("Does Marta like anime films and the piano?", ("D1:1", "D1:5"))
    assert "broad" not in kinds.kinds_of(films, CASE)


def test_a_name_that_is_not_a_speaker_label():
    assert "name" in kinds.kinds_of(query("What does Marta's coach Rivera teach?", ("D1:1",)),
                                    CASE)
    assert "name" in kinds.kinds_of(query("What did Marta tell Mel?", ("D1:1",)), CASE)
    for question in ("What did Marta make?", "What did Marta Lopez cook in June?",
                     "What does Lopez's teacher say?",  # a word of a speaker label
                     "Which soup did Joe ask about? Lentil, was it?"):
        assert "name" not in kinds.kinds_of(query(question, ("D1:3",)), CASE), question


def test_a_question_above_its_answer():
    soup = query("Which soup did Marta learn to make?", ("D1:3",))
    assert kinds.question_above_answer(["D1:2", "D1:3"], soup, CASE)
    assert not kinds.question_above_answer(["D1:3", "D1:2"], soup, CASE)
    assert not kinds.question_above_answer(["D1:1", "D1:3"], soup, CASE)  # no question above
    # the asking turn is evidence itself: it does not count against the answer
    both = query("Which soup did Marta learn to make?", ("D1:2", "D1:3"))
    assert not kinds.question_above_answer(["D1:2", "D1:3"], both, CASE)


def test_per_kind_tables_and_printed_rows():
    rows = [{"turn": [1.0], "kinds": ["date"], "question_above_answer": True},
            {"turn": [0.0], "kinds": ["date", "broad"], "question_above_answer": False},
            {"turn": [0.5], "kinds": [], "question_above_answer": False}]
    records = {"asem": [{"questions": rows}]}
    tables = kinds.per_kind(records, lambda chosen: {
        "recall@5": sum(r["turn"][0] for r in chosen) / len(chosen)})
    assert tables["asem"] == {"date": {"recall@5": 0.5}, "broad": {"recall@5": 0.0},
                              "question_above_answer": {"share": 0.3333}}
    printed = kinds.table_rows(tables["asem"], {"date": 2, "broad": 1, "name": 0},
                               ["recall@5", "recall@10"])
    assert printed == [("kind: date (2)", ["0.500", ""]), ("kind: broad (1)", ["0.000", ""]),
                       ("question above answer (share)", ["0.333", ""])]


def test_counts_over_cases():
    asked = (query("What did Marta do on 1 June 2023?", ("D1:1",)),
             query("What are Marta's hobbies?", ("D1:1", "D1:5")))
    case = Case("c", TURNS, asked)
    assert kinds.counts(list(asked), [case]) == {"date": 1, "broad": 1, "name": 0}


def test_markdown_lines_name_the_rules_and_one_row_per_system_and_kind():
    tables = {"asem": {"date": {"recall@5": 0.5}, "question_above_answer": {"share": 0.25}}}
    lines = kinds.markdown_lines(tables, {"date": 2}, ["recall@5"])
    assert lines[0] == "## Recall per question kind"
    assert all(f"**{name}**" in lines[2] for name in kinds.RULES)
    assert "| asem | kind: date (2) | 0.500 |" in lines
    assert "| asem | question above answer (share) | 0.250 |" in lines
