"""What a new label file adds: cross-validated scores on the *other* labels, with and without it.

Cross-validation on all labels together would also change what is tested (a round drawn
by the model's uncertainty is harder than the rest), so here the test paragraphs are only
the older labels, in the folds `tagger train` would cut for them; each fold's model is
trained on the other folds, once without and once with the new file's paragraphs. The new
paragraphs come from articles absent from the older labels and are no near-copies of them,
so none of them leaks into a test fold.

    python labels/tools/round_gain.py labels/corpus_al.jsonl
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tagger.model import TopicModel  # noqa: E402
from tagger.training import GRID, TrainingSet, cv_metrics, folds, load_training_set, oof_proba  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("new", type=Path)
    args = ap.parse_args()
    tax = ROOT / "labels" / "taxonomy.json"
    old_files = [p for p in sorted((ROOT / "labels").glob("*.jsonl")) if p.resolve() != args.new.resolve()]
    old = load_training_set(old_files, tax)
    new = load_training_set([args.new], tax)
    old_hashes = {r.hash for r in old.records}
    extra = [k for k, r in enumerate(new.records) if r.hash not in old_hashes]
    both = TrainingSet(old.records + [new.records[k] for k in extra],
                       np.vstack([old.y, new.y[extra]]), old.topics, "")
    test_folds = folds(old)
    n_old = len(old.records)
    only_old = np.arange(len(both.records)) < n_old
    print(f"test: {n_old} older labels in {len(test_folds)} folds; added to every training fold: {len(extra)}")
    print(f"{'recipe':<18} {'without':>8} {'with':>8} {'gain':>7}   per topic (without → with)")
    for features, C in GRID:
        counts = TopicModel(features=features).counts(both.texts)
        scores = []
        for mask in (only_old, None):
            p = oof_proba(both, features, C, test_folds, counts=counts, trainable=mask)
            scores.append(cv_metrics(old, p[:n_old], test_folds))
        a, b = scores
        topics = ", ".join(f"{t} {a['per_topic'][t]['f1']:.3f}→{b['per_topic'][t]['f1']:.3f}" for t in a["per_topic"])
        print(f"{features + ' C=' + format(C, 'g'):<18} {a['macro_f1']:8.3f} {b['macro_f1']:8.3f} "
              f"{b['macro_f1'] - a['macro_f1']:+7.3f}   {topics}")


if __name__ == "__main__":
    main()
