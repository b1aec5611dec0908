"""Can "this attribute holds one value at a time" be read from a sentence's embedding?

    .venv/bin/python benchmarks/one_value.py [--json bench-out/one-value.json]

A change of a single-valued attribute ("I live in Denver." of "I live in Boston.") should
supersede; one more value of a list ("I speak Italian." of "I speak French.") should not.
Said without a change or addition word the two read alike, so a learned signal would have
to know which attributes hold one value. This fits a class-balanced logistic regression on
the MiniLM embeddings of the training sentences of every attribute whose kind the data
says (template slots and correctness families with change wordings: one value; with
"more" wordings: a list; ``attribute_data`` attributes labelled below by what they mean),
leaving each attribute out in turn, and reports what the left-out attribute's sentences
get. Held-out slots and wordings are included: nothing here is shipped.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np

from asem.eval import correctness_data as correctness
from asem.manager.attribute_data import EXTRA
from asem.manager.env.templates import PEOPLE, SLOTS
from asem.providers.onnx_minilm import MiniLMEmbedder

ONE_VALUE = {"hometown": 1, "colour": 1, "eyes": 1, "school": 1, "doctor": 1, "gym": 1,
             "phone-brand": 1, "sleep": 1, "coffee": 1, "height": 1, "anniversary": 1,
             "neighbourhood": 1, "blood": 1, "shoe": 1, "workout": 1, "holiday": 1,
             "landlord": 1, "show": 0, "podcast": 0, "plant": 0, "game": 0, "genre": 0,
             "medication": 0}
"""``attribute_data`` attributes by what they mean (1: one value at a time); degree, bank
and email are left out (either reading holds)."""
STEPS = 800
RATE = 0.5


def sentences() -> tuple[dict[str, list[str]], dict[str, int]]:
    rng = random.Random(0)
    groups: dict[str, list[str]] = {}
    label: dict[str, int] = {}

    def say(name: str, templates: tuple[str, ...], values: tuple[str, ...], one: int) -> None:
        for template in templates:
            for value in values:
                old = rng.choice([v for v in values if v != value])
                said = template.replace("{p}", rng.choice(PEOPLE)).format(v=value, old=old)
                groups.setdefault(name, []).append(said[0].upper() + said[1:])
        label[name] = one

    for slot in SLOTS:
        if slot.change:
            say(f"slot:{slot.name}", slot.novel + slot.change + slot.para, slot.values, 1)
        elif slot.more:
            say(f"slot:{slot.name}", slot.novel + slot.more + slot.para, slot.values, 0)
    for a in correctness.SELF + correctness.OTHERS:
        if a.change:
            say(f"correctness:{a.name}", a.state + a.change, a.values, 1)
        elif a.more:
            say(f"correctness:{a.name}", a.state + a.more, a.values, 0)
    for name, templates, values in EXTRA:
        if name in ONE_VALUE:
            say(f"extra:{name}", templates, values, ONE_VALUE[name])
    return groups, label


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Logistic regression by gradient descent, both classes weighing alike."""
    w, b = np.zeros(x.shape[1]), 0.0
    weight = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    for _ in range(STEPS):
        g = (1 / (1 + np.exp(-(x @ w + b))) - y) * weight
        w -= RATE * (x.T @ g / len(y) + w / 10.0 / len(y))
        b -= RATE * g.mean()
    return w, b


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", type=Path, help="write the figures here")
    args = p.parse_args()
    groups, label = sentences()
    embedder = MiniLMEmbedder()
    vectors = {name: embedder.embed(said) for name, said in groups.items()}
    rows = []
    for name in sorted(groups):
        rest = [n for n in groups if n != name]
        w, b = fit(np.vstack([vectors[n] for n in rest]),
                   np.concatenate([[label[n]] * len(vectors[n]) for n in rest]).astype(float))
        prob = 1 / (1 + np.exp(-(vectors[name] @ w + b)))
        rows.append({"attribute": name, "one_value": label[name],
                     "median": round(float(np.median(prob)), 3),
                     "share_over_0_5": round(float((prob >= 0.5).mean()), 3),
                     "share_over_0_7": round(float((prob >= 0.7).mean()), 3)})
    rows.sort(key=lambda r: r["median"])
    lists = [r for r in rows if not r["one_value"]]
    ones = [r for r in rows if r["one_value"]]
    right = sum((r["median"] >= 0.5) == bool(r["one_value"]) for r in rows)
    summary = {
        "attributes": len(rows), "one_value": len(ones), "lists": len(lists),
        "attributes_right_by_median": right,
        "list_sentences_read_as_one_value_at_0_5": round(
            float(np.mean([r["share_over_0_5"] for r in lists])), 3),
        "list_sentences_read_as_one_value_at_0_7": round(
            float(np.mean([r["share_over_0_7"] for r in lists])), 3),
        "one_value_sentences_at_0_7": round(float(np.mean([r["share_over_0_7"] for r in ones])),
                                            3),
    }
    for r in rows:
        print(f"{r['median']:.2f}  ≥0.7: {r['share_over_0_7']:.2f}  "
              f"{'one' if r['one_value'] else 'list'}  {r['attribute']}")
    print(json.dumps(summary, indent=1))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "attributes": rows}, indent=1))


if __name__ == "__main__":
    main()
