"""Benchmark: how well the recipes carry over to an outlet, or a corpus and year, never trained on.

The accuracy benchmark folds by article. Analysts will also run tagger on outlets absent from
the labels, so here each outlet in turn is the test set and the model is trained on all
the others (leave one outlet out; the seed files count as one more outlet), and then each
corpus in turn (ant-multisource: pan-Arab outlets, 2018; SaudiNewsNet: Saudi outlets,
2015; a new year and a new region's press at once). Articles joined by near-copies
(`tagger.training.linked_groups`) stay on one side: such a group is put with the outlet most
of its paragraphs come from. Thresholds for each held-out part are tuned on the other
parts' out-of-fold scores, as in `tagger train`. tagger's grid and fastText's grid are the
accuracy benchmark's, scored on the same folds.

    python benchmarks/outlets.py
"""

from __future__ import annotations

import collections
import time

import numpy as np

from accuracy import FT_GRID, fasttext_oof
from common import ROOT, save
from tagger.training import GRID, cv_metrics, linked_groups, load_training_set, oof_proba


def outlet_of(record) -> str:
    return record.source.get("outlet") or "seed files"


def corpus_of(record) -> str:
    return record.source.get("corpus") or "seed files"


def held_out_folds(ts, part_of) -> tuple[list[str], list[np.ndarray]]:
    """One test fold per part (outlet or corpus); near-copy groups go with their majority part."""
    linked = linked_groups(ts)
    votes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for g, r in zip(linked, ts.records):
        votes[g][part_of(r)] += 1
    part = np.array([votes[g].most_common(1)[0][0] for g in linked])
    names = sorted(set(part))
    return names, [np.flatnonzero(part == n) for n in names]


def score(ts, names, test_folds) -> dict:
    out = {"parts": {n: {"paragraphs": len(f), "positive": int(ts.y[f].any(axis=1).sum())}
                     for n, f in zip(names, test_folds)}}
    t0 = time.time()
    tagger = []
    for features, C in GRID:
        tagger.append({"features": features, "C": C,
                       **cv_metrics(ts, oof_proba(ts, features, C, test_folds), test_folds)})
    out["tagger_seconds"] = round(time.time() - t0, 1)
    ft = []
    for params in FT_GRID:
        ft.append({**{k: params[k] for k in ("epoch", "lr")}, **cv_metrics(ts, fasttext_oof(ts, params, test_folds),
                                                                           test_folds)})
    out["grid"] = {"tagger": [(r["features"], r["C"], r["macro_f1"]) for r in tagger],
                   "fasttext": [(r["epoch"], r["lr"], r["macro_f1"]) for r in ft]}
    out["tagger"] = max(tagger, key=lambda r: r["macro_f1"])
    out["fasttext"] = max(ft, key=lambda r: r["macro_f1"])
    out["macro_f1_difference"] = round(out["tagger"]["macro_f1"] - out["fasttext"]["macro_f1"], 4)
    return out


def main() -> None:
    ts = load_training_set(sorted((ROOT / "labels").glob("*.jsonl")), ROOT / "labels" / "taxonomy.json")
    res = {"paragraphs": len(ts.texts)}
    for name, part_of in (("by_outlet", outlet_of), ("by_corpus", corpus_of)):
        names, test_folds = held_out_folds(ts, part_of)
        res[name] = score(ts, names, test_folds)
    save("outlets", res)
    for name in ("by_outlet", "by_corpus"):
        r = res[name]
        print(f"\n{name}: {len(r['parts'])} held-out parts")
        for features, C, f in r["grid"]["tagger"]:
            print(f"  tagger {features:<10} C={C:<5g} macro-F1 {f:.3f}")
        for e, lr, f in r["grid"]["fasttext"]:
            print(f"  fastText epoch={e:<3} lr={lr:<4g} macro-F1 {f:.3f}")
        print(f"  best: tagger {r['tagger']['macro_f1']:.3f}, fastText {r['fasttext']['macro_f1']:.3f}, "
              f"difference {r['macro_f1_difference']:+.3f}")


if __name__ == "__main__":
    main()
