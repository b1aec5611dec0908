"""Can "this attribute holds one value at a time" be read from a sentence's embedding?

    .venv/bin/python benchmarks/one_value.py [--json bench-out/one-value.json]

A change of a single-valued attribute ("I live in Denver." of "I live in Boston.") should
supersede; one more value of a list ("I speak Italian." of "I speak French.") should not.
Said without a change or addition word the two read alike, so a learned signal would have
to know which attributes hold one value. This fits a class-balanced logistic regression on
the MiniLM embeddings of the training sentences of every attribute whose kind the data
says (template slots and correctness families with change wordings: one value; with
"more" wordings: a list; ``attribute_data`` attributes labelled by what they mean,
``asem.manager.cardinality.ONE_VALUE``),
leaving each attribute out in turn, and reports what the left-out attribute's sentences
get, and the share of pairs of its sentences that would both reach the write path's bar
(``BAR``: a merge made a replacement). Held-out slots and wordings are included here;
the weights the write path reads (``asem.manager.cardinality``, ``asem train one-value``)
are fitted on the training split alone.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from asem.manager.cardinality import BAR, fit, training_sentences
from asem.providers.onnx_minilm import MiniLMEmbedder


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", type=Path, help="write the figures here")
    args = p.parse_args()
    groups, label = training_sentences(held_out=True)
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
                     "share_over_0_7": round(float((prob >= 0.7).mean()), 3),
                     # the write path replaces when the input and the note both reach BAR:
                     # every ordered pair of two sentences of the attribute
                     "pairs_replaced": round(_pairs_over(prob, BAR), 3)})
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
        "bar": BAR,
        "list_pairs_replaced_at_bar": round(float(np.mean([r["pairs_replaced"]
                                                           for r in lists])), 3),
        "one_value_pairs_replaced_at_bar": round(float(np.mean([r["pairs_replaced"]
                                                                for r in ones])), 3),
    }
    for r in rows:
        print(f"{r['median']:.2f}  ≥0.7: {r['share_over_0_7']:.2f}  "
              f"{'one' if r['one_value'] else 'list'}  {r['attribute']}")
    print(json.dumps(summary, indent=1))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "attributes": rows}, indent=1))


def _pairs_over(prob: np.ndarray, bar: float) -> float:
    """Share of ordered pairs of two different sentences whose lower probability reaches
    ``bar``."""
    over = int((prob >= bar).sum())
    return over * (over - 1) / max(len(prob) * (len(prob) - 1), 1)


if __name__ == "__main__":
    main()
