"""Benchmark 2: a second, public task through tagger's taxonomy mechanism (no code change).

The `section` of `ant-multisource-2.1` articles (six site sections, single-label).
A taxonomy file with the six sections and a label file (one line per article) are
written to benchmarks/out/sections/, and `tagger.training.train` builds the model from
them exactly as `tagger train --taxonomy … --labels …` would. Split: deduplicated
articles, random 75/25 by article with seed 0, stratified by section; each article is
its title and its first 1,500 characters. Prediction: the section with the highest
score. fastText gets the same split and text (`-loss softmax`, word bigrams, subwords), trained on
four fifths of the training articles with epoch and learning rate chosen on the last fifth.

    python benchmarks/sections.py
"""

from __future__ import annotations

import json
import random
import time
from collections import defaultdict

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from common import OUT, corpus, save, train_fasttext
from tagger.labelstore import LabelRecord
from tagger.normalize import normalize
from tagger.training import train

CHARS = 1500
PER_SECTION_TRAIN = 1500
# One thread: with two, fastText's lock-free SGD is not repeatable (the same seed gave 0.79 and 0.69).
FT_GRID = [dict(epoch=e, lr=lr, wordNgrams=2, minn=2, maxn=5, dim=50, loss="softmax", thread=1)
           for e in (10, 25) for lr in (0.1, 0.5)]


def main() -> None:
    recs = corpus(where=lambda r: r["corpus"] == "ant-multisource-2.1" and r.get("section"))
    rng = random.Random(0)
    by = defaultdict(list)
    for r in recs:
        by[r["section"]].append(r)
    sections = sorted(by)
    train_recs, test_recs = [], []
    for s in sections:
        rng.shuffle(by[s])
        cut = int(len(by[s]) * 0.75)
        train_recs += by[s][:cut][:PER_SECTION_TRAIN]  # cap per section: keeps training within minutes
        test_recs += by[s][cut:]
    text = lambda r: f"{r['title']}\n{r['text'][:CHARS]}"
    d = OUT / "sections"
    d.mkdir(exist_ok=True)
    (d / "taxonomy.json").write_text(json.dumps([{"id": s.lower(), "name": s, "description": f"section {s}"}
                                                 for s in sections], indent=1), encoding="utf-8")
    with open(d / "labels.jsonl", "w", encoding="utf-8") as fh:
        for r in train_recs:
            fh.write(json.dumps(LabelRecord(text(r), (r["section"].lower(),), {"id": r["id"]}, r["id"]).to_dict(),
                                ensure_ascii=False) + "\n")
    t0 = time.time()
    model = train([d / "labels.jsonl"], d / "taxonomy.json", grid=[("word", 10.0), ("word+char", 10.0)],
                  n_splits=3).model
    t_train = time.time() - t0
    gold = [r["section"].lower() for r in test_recs]
    proba = model.predict_proba([text(r) for r in test_recs])
    pred = [model.topics[i] for i in proba.argmax(axis=1)]
    tagger = {"accuracy": round(accuracy_score(gold, pred), 4),
              "macro_f1": round(f1_score(gold, pred, average="macro"), 4), "train_seconds": round(t_train, 1),
              "features": model.features}
    t0 = time.time()  # fastText: trained on 80 % of the training articles, epoch and lr chosen on the rest
    train_text = [normalize(text(r)) for r in train_recs]
    ft_lines = [f"__label__{r['section'].lower()} {t}" for r, t in zip(train_recs, train_text)]
    order = list(range(len(train_recs)))
    random.Random(1).shuffle(order)
    dev, fit = sorted(order[:len(order) // 5]), order[len(order) // 5:]
    dev_text = [train_text[k] for k in dev]
    dev_gold = [train_recs[k]["section"].lower() for k in dev]
    scores, models = [], []
    for params in FT_GRID:
        m = train_fasttext([ft_lines[k] for k in fit], **params)
        models.append(m)
        got, _ = m.predict(dev_text, k=1)
        scores.append(accuracy_score(dev_gold, [g[0].replace("__label__", "") for g in got]))
    # The chosen model itself: refitting it on all training articles sometimes collapsed (0.46 on the
    # test set for a setting that scored 0.88 on the dev fifth), so fastText keeps the model it was chosen as.
    chosen = int(np.argmax(scores))
    best, ft = FT_GRID[chosen], models[chosen]
    t_ft = time.time() - t0
    labels, _ = ft.predict([normalize(text(r)) for r in test_recs], k=1)
    fpred = [ls[0].replace("__label__", "") for ls in labels]
    fasttext = {"accuracy": round(accuracy_score(gold, fpred), 4),
                "macro_f1": round(f1_score(gold, fpred, average="macro"), 4), "train_seconds": round(t_ft, 1),
                "chosen": {"epoch": best["epoch"], "lr": best["lr"]},
                "grid_dev_accuracy": [[p["epoch"], p["lr"], round(a, 4)] for p, a in zip(FT_GRID, scores)]}
    save("sections", {"task": "ant-multisource-2.1 section (6 classes)", "split": "random 75/25 by article, seed 0, "
                      f"stratified; at most {PER_SECTION_TRAIN} training articles per section",
                      "train_articles": len(train_recs), "test_articles": len(test_recs), "sections": sections,
                      "tagger": tagger, "fasttext": fasttext})


if __name__ == "__main__":
    main()
