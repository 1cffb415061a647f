"""Label statistics: counts per topic and annotator, and Cohen's kappa between annotators."""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Iterable

from .labelstore import LabelRecord


def per_annotator(records: Iterable[LabelRecord]) -> dict[str, dict[str, LabelRecord]]:
    """Each annotator's latest decision per text hash (undos applied)."""
    from .labelstore import latest

    by: dict[str, list[LabelRecord]] = {}
    for r in records:
        by.setdefault(r.annotator or "(unknown)", []).append(r)
    return {a: latest(rs) for a, rs in by.items()}


def kappa(a: list[int], b: list[int]) -> float | None:
    """Cohen's kappa of two 0/1 sequences (scikit-learn); None where it is undefined (no variation)."""
    from sklearn.metrics import cohen_kappa_score

    if len(set(a) | set(b)) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = cohen_kappa_score(a, b)
    return None if math.isnan(k) else round(float(k), 4)


def label_stats(records: Iterable[LabelRecord], topics: list[str]) -> dict:
    """Counts per topic and annotator, and per-topic kappa for every pair of annotators."""
    ann = per_annotator(records)
    counts = {a: {"paragraphs": len(d), **{t: sum(t in r.labels for r in d.values()) for t in topics},
                  "none": sum(not r.labels for r in d.values())} for a, d in sorted(ann.items())}
    pairs = []
    for x, y in itertools.combinations(sorted(ann), 2):
        shared = sorted(set(ann[x]) & set(ann[y]))
        if not shared:
            continue
        pairs.append({"annotators": [x, y], "shared": len(shared),
                      "kappa": {t: kappa([int(t in ann[x][h].labels) for h in shared],
                                         [int(t in ann[y][h].labels) for h in shared]) for t in topics},
                      "exact_agreement": round(sum(set(ann[x][h].labels) == set(ann[y][h].labels)
                                                   for h in shared) / len(shared), 4)})
    return {"topics": topics, "annotators": counts, "pairs": pairs}
