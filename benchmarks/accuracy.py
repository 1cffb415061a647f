"""Benchmark 1: tagger against fastText on our topics, same grouped folds, same threshold tuning.

Both are chosen among a small grid by the same 5-fold cross-validation grouped by
article, and both are scored with per-topic thresholds tuned on the other folds.
fastText gets the same normalised text, `-loss ova`, word n-grams and subwords.

    python benchmarks/accuracy.py
"""

from __future__ import annotations

import time

import numpy as np

from common import ROOT, fasttext_line, save, train_fasttext
from tagger.training import GRID, cv_metrics, folds, load_training_set, oof_proba

FT_GRID = [dict(epoch=e, lr=lr, wordNgrams=2, minn=2, maxn=5, dim=50, loss="ova", thread=1)
           for e in (10, 25) for lr in (0.3, 1.0)]


def fasttext_oof(ts, params, test_folds):
    ids = [t.id for t in ts.topics]
    p = np.zeros(ts.y.shape)
    for test in test_folds:
        train = np.setdiff1d(np.arange(len(ts.texts)), test)
        m = train_fasttext([fasttext_line([ids[j] for j in np.flatnonzero(ts.y[i])], ts.texts[i]) for i in train],
                           **params)
        from tagger.normalize import normalize
        labels, probs = m.predict([normalize(ts.texts[i]) for i in test], k=-1, threshold=0.0)
        for row, (ls, ps) in zip(test, zip(labels, probs)):
            got = dict(zip(ls, ps))
            p[row] = [got.get(f"__label__{t}", 0.0) for t in ids]
    return p


def main() -> None:
    ts = load_training_set([p for p in sorted((ROOT / "labels").glob("*.jsonl"))], ROOT / "labels" / "taxonomy.json")
    test_folds = folds(ts, 5)
    out = {"paragraphs": len(ts.texts), "articles": len(set(ts.groups)), "folds": 5}
    t0 = time.time()
    tagger = []
    for features, C in GRID:
        m = cv_metrics(ts, oof_proba(ts, features, C, test_folds), test_folds)
        tagger.append({"features": features, "C": C, **m})
    out["tagger_seconds"] = round(time.time() - t0, 1)
    t0 = time.time()
    ft = []
    for params in FT_GRID:
        m = cv_metrics(ts, fasttext_oof(ts, params, test_folds), test_folds)
        ft.append({**{k: params[k] for k in ("epoch", "lr", "wordNgrams", "minn", "maxn", "dim")}, **m})
    out["fasttext_seconds"] = round(time.time() - t0, 1)
    best_t = max(tagger, key=lambda r: r["macro_f1"])
    best_f = max(ft, key=lambda r: r["macro_f1"])
    out["tagger"], out["fasttext"] = best_t, best_f
    out["grid"] = {"tagger": [(r["features"], r["C"], r["macro_f1"]) for r in tagger],
                   "fasttext": [(r["epoch"], r["lr"], r["macro_f1"]) for r in ft]}
    out["macro_f1_difference"] = round(best_t["macro_f1"] - best_f["macro_f1"], 4)
    out["target_met"] = out["macro_f1_difference"] >= 0.05
    save("accuracy", out)
    print("\ntopic            tagger F1  fastText F1")
    for t in best_t["per_topic"]:
        print(f"{t:<16} {best_t['per_topic'][t]['f1']:9.3f} {best_f['per_topic'][t]['f1']:12.3f}")
    print(f"{'macro':<16} {best_t['macro_f1']:9.3f} {best_f['macro_f1']:12.3f}   "
          f"difference {out['macro_f1_difference']:+.3f} (target +0.05)")


if __name__ == "__main__":
    main()
