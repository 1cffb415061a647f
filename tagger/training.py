"""Training: labels → a `TopicModel` with per-topic thresholds and honest cross-validated metrics.

Cross-validation is grouped by article (no article's paragraphs on both sides of a
split). The feature set (word, char or both) and C are chosen on out-of-fold
macro-F1. Each topic's threshold is the F1-best cut on the out-of-fold scores;
the reported precision/recall/F1 apply to each fold a threshold tuned on the
*other* folds only, so they do not reward a threshold tuned on the answers.

The model in use is compared on the same folds and the same paragraphs: its recipe
(features, C) is refitted in each fold on the training part of the paragraphs *it*
was trained on (`trained_on.txt` in its directory), and scored on the whole test part.
So the comparison measures what the new labels (and any new recipe) bring, not how
hard the new labels are; cross-validated figures from two different label sets are
not comparable.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from scipy import sparse
from sklearn.model_selection import StratifiedGroupKFold

from . import __version__
from .errors import BadLabels, TaggerError
from .labelstore import REVIEWED, LabelRecord, NearDuplicates, label_paths, latest, read_labels
from .model import FEATURE_SETS, TRAINED_ON, TopicModel, read_meta
from .paths import default_taxonomy
from .taxonomy import Topic, load_taxonomy

GRID = [("word", 30.0), ("char", 30.0), ("word+char", 10.0), ("word+char", 30.0), ("word+char", 100.0)]
THRESHOLDS = np.round(np.arange(0.05, 0.951, 0.025), 3)
SEED = 0


@dataclass(frozen=True)
class TrainingSet:
    """The labeled paragraphs (latest decision each), their 0/1 label matrix and the topics."""

    records: list[LabelRecord]
    y: np.ndarray
    topics: list[Topic]
    label_hash: str

    @cached_property
    def texts(self) -> list[str]:
        return [r.text for r in self.records]

    @cached_property
    def groups(self) -> list[str]:
        """The article each paragraph comes from."""
        return [r.group for r in self.records]


@dataclass(frozen=True)
class TrainResult:
    model: TopicModel
    meta: dict
    hashes: tuple[str, ...] = ()  # the paragraphs trained on, by text hash

    def files(self) -> dict[str, str]:
        """Files saved beside the model: what it was trained on, for the next comparison."""
        return {TRAINED_ON: "".join(f"{h}\n" for h in sorted(self.hashes))}


@dataclass(frozen=True)
class Baseline:
    """The model in use, as a recipe to refit in each fold: its features, C, and the
    paragraphs (text hashes) it was trained on."""

    features: str
    C: float
    hashes: frozenset[str]


def baseline_of(directory: str | Path) -> Baseline | None:
    """The model at `directory` as a `Baseline`; None if there is none, or it does not
    record what it was trained on (models from before `trained_on.txt`)."""
    hashes = trained_on(directory)
    try:
        params = read_meta(Path(directory))["params"]
        features, C = params["features"], float(params["C"])
    except (TaggerError, KeyError, TypeError, ValueError):
        return None
    if hashes is None or features not in FEATURE_SETS or not 0 < C < float("inf"):  # damaged: nothing to refit
        return None
    return Baseline(features, C, hashes)


def trained_on(directory: str | Path) -> frozenset[str] | None:
    """The text hashes of the paragraphs the model at `directory` was trained on, if it records them."""
    try:
        return frozenset((Path(directory) / TRAINED_ON).read_text(encoding="utf-8").split())
    except (OSError, UnicodeDecodeError):
        return None


def previous_cv(meta: dict, previous: dict | None) -> dict | None:
    """The current model's figures beside a new model's `meta`: measured on the same folds
    (cv.previous) when it could be, else its own stored cross-validation (`previous` is its meta)."""
    return meta["cv"].get("previous") or (previous or {}).get("cv")


@dataclass(frozen=True)
class Comparison:
    """A new model's macro-F1 beside the current one's, over the topics both have: a topic the
    current model never had scores 0 for it and would flatter the new one."""

    new_f1: float
    old_f1: float | None
    topics: tuple[str, ...]  # the topics compared
    new_topics: tuple[str, ...]  # topics only the new model has


def compare(meta: dict, previous: dict | None) -> Comparison:
    """The figures `tagger train` decides promotion on (`previous` is the current model's meta)."""
    per = meta["cv"]["per_topic"]
    before = previous_cv(meta, previous) or {}
    old_topics = (previous or {}).get("topics") or list(per)
    shared = tuple(t for t in per if t in old_topics)
    new_only = tuple(t for t in per if t not in old_topics)
    if not new_only:
        return Comparison(meta["cv"]["macro_f1"], before.get("macro_f1"), shared, ())
    old_per = before.get("per_topic") or {}
    old = [old_per[t]["f1"] for t in shared if t in old_per]
    return Comparison(round(float(np.mean([per[t]["f1"] for t in shared])), 4) if shared else meta["cv"]["macro_f1"],
                      round(float(np.mean(old)), 4) if shared and len(old) == len(shared) else None,
                      shared, new_only)


def taxonomy_for(labels: Sequence[Path]) -> Path:
    """The taxonomy that goes with `labels`: the `taxonomy.json` of a single label folder that has
    one, else the default (`labels/taxonomy.json`)."""
    if len(labels) == 1 and (Path(labels[0]) / "taxonomy.json").is_file():
        return Path(labels[0]) / "taxonomy.json"
    return default_taxonomy()


def load_training_set(labels: str | Path | Sequence[str | Path] | None, taxonomy: str | Path | None = None,
                      warn: Callable[[str], None] = lambda m: None) -> TrainingSet:
    """Read label files (a file, a folder or a list of them; default `labels/`), keep the latest decision
    per paragraph, check every label is a known topic of `taxonomy` (default `labels/taxonomy.json`)."""
    labels = label_paths(labels)
    taxonomy = taxonomy if taxonomy is not None else taxonomy_for(labels)
    topics = load_taxonomy(taxonomy)
    ids = [t.id for t in topics]
    records, warnings = read_labels(labels)
    for w in warnings:
        warn(w)
    recs: list[LabelRecord] = list(latest(records).values())
    if not recs:
        raise BadLabels(f"no labeled paragraphs in {', '.join(map(str, labels))}; label some with `tagger label`")
    unknown = sorted({lab for r in recs for lab in r.labels} - set(ids))
    if unknown:
        raise BadLabels(f"labels {unknown} are not in the taxonomy {taxonomy}; add them there or fix the labels")
    y = np.array([[t in r.labels for t in ids] for r in recs], dtype=np.int8)
    digest = hashlib.sha256(json.dumps(sorted((r.hash, r.labels) for r in recs)).encode()).hexdigest()
    return TrainingSet(recs, y, topics, digest)


def best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The cut in `THRESHOLDS` with the highest F1 (the middle one of ties)."""
    pos = y.astype(bool)
    f1s = []
    for t in THRESHOLDS:
        pred = p >= t
        tp = np.sum(pred & pos)
        f1s.append(2 * tp / max(pred.sum() + pos.sum(), 1))
    f1s = np.array(f1s)
    best = np.flatnonzero(f1s == f1s.max())
    return float(THRESHOLDS[best[len(best) // 2]])


def prf(y: np.ndarray, pred: np.ndarray) -> dict:
    """Precision, recall, F1 and support of one topic."""
    pos, pred = y.astype(bool), pred.astype(bool)
    tp = int(np.sum(pos & pred))
    p = tp / pred.sum() if pred.sum() else 0.0
    r = tp / pos.sum() if pos.sum() else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
            "support": int(pos.sum())}


def linked_groups(ts: TrainingSet, min_jaccard: float = 0.6) -> list[str]:
    """Each paragraph's article, with articles joined when a paragraph of one nearly copies a
    paragraph of another (the same agency story in two outlets): such twins must fall on the
    same side of a split, or cross-validation scores a paragraph the model was trained on."""
    from scipy.sparse.csgraph import connected_components

    near = NearDuplicates(min_jaccard)
    for r in ts.records:
        near.add(r.text, r.hash)
    names = sorted(set(ts.groups))
    index = {g: k for k, g in enumerate(names)}
    group_of = {r.hash: index[r.group] for r in ts.records}
    edges = [(index[r.group], group_of[h]) for r in ts.records for h in near.matches(r.text, r.hash)]
    a, b = zip(*edges) if edges else ((), ())
    graph = sparse.coo_matrix((np.ones(len(a)), (a, b)), shape=(len(names), len(names)))
    _, component = connected_components(graph, directed=False)
    first = {}  # each component is named after its first article
    for k, c in enumerate(component):
        first.setdefault(c, names[k])
    return [first[component[index[g]]] for g in ts.groups]


def folds(ts: TrainingSet, n_splits: int = 5, seed: int = SEED) -> list[np.ndarray]:
    """Fold index of every text, grouped by article (articles joined by near-copies, see
    `linked_groups`) and stratified on its rarest topic."""
    groups = linked_groups(ts)
    n_groups = len(set(groups))
    k = max(2, min(n_splits, n_groups))
    freq = ts.y.sum(axis=0)
    strata = np.array([min((j for j in range(ts.y.shape[1]) if row[j]), key=lambda j: freq[j], default=-1)
                       for row in ts.y])
    cv = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    return [test for _, test in cv.split(np.zeros(len(strata)), strata, groups)]


def oof_proba(ts: TrainingSet, features: str, C: float, test_folds: list[np.ndarray], counts=None,
              trainable: np.ndarray | None = None) -> np.ndarray:
    """Out-of-fold probabilities for one configuration; with `trainable` (a mask), each fold
    trains only on those of its training paragraphs (and scores 0 if it has none)."""
    ids = [t.id for t in ts.topics]
    proto = TopicModel(ids, features=features, C=C, seed=SEED)
    x = proto.counts(ts.texts) if counts is None else counts
    out = np.zeros(ts.y.shape, dtype=np.float64)
    for test in test_folds:
        train = np.setdiff1d(np.arange(len(ts.texts)), test)
        if trainable is not None:
            train = train[trainable[train]]
            if not len(train):
                continue
        m = TopicModel(ids, features=features, C=C, seed=SEED).fit_counts(x[train], ts.y[train])
        out[test] = m.proba_counts(x[test])
    return out


def cv_metrics(ts: TrainingSet, p: np.ndarray, test_folds: list[np.ndarray]) -> dict:
    """Per-topic metrics where each fold is cut at a threshold tuned on the other folds."""
    pred = np.zeros_like(ts.y, dtype=bool)
    for test in test_folds:
        rest = np.setdiff1d(np.arange(len(ts.texts)), test)
        for j in range(ts.y.shape[1]):
            pred[test, j] = p[test, j] >= best_threshold(ts.y[rest, j], p[rest, j])
    per = {t.id: prf(ts.y[:, j], pred[:, j]) for j, t in enumerate(ts.topics)}
    return {"per_topic": per, "macro_f1": round(float(np.mean([m["f1"] for m in per.values()])), 4)}


def versions() -> dict:
    import pyarabic
    import scipy
    import sklearn
    return {"tagger": __version__, "python": platform.python_version(), "scikit-learn": sklearn.__version__,
            "numpy": np.__version__, "scipy": scipy.__version__,
            "pyarabic": getattr(pyarabic, "__version__", "unknown")}


def _counts(cache: dict, features: str, texts: list[str]):
    """Counts for `features`, each analyzer run once; "word+char" is the two side by side."""
    if features not in cache:
        parts = features.split("+")
        for part in parts:
            if part not in cache:
                cache[part] = TopicModel(features=part).counts(texts)
        if len(parts) > 1:
            cache[features] = sparse.hstack([cache[q] for q in parts], format="csr")
    return cache[features]


def train(labels: str | Path | Sequence[str | Path] | None = None, taxonomy: str | Path | None = None,
          grid: Sequence[tuple[str, float]] = GRID, n_splits: int = 5, warn: Callable[[str], None] = lambda m: None,
          progress: Callable[[str], None] = lambda m: None, baseline: Baseline | None = None) -> TrainResult:
    """Choose features by grouped CV, tune thresholds, report CV metrics, fit on all labels (a file, a
    folder or a list; default `labels/` and its taxonomy); with `baseline`, also cross-validate the model
    in use on the same folds (meta["cv"]["previous"]). `result.model.save(dir, result.meta)` writes it."""
    ts = load_training_set(labels, taxonomy, warn)
    if len(set(ts.groups)) < 2:
        raise BadLabels("training needs paragraphs from at least two articles")
    test_folds = folds(ts, n_splits)
    cache: dict[str, object] = {}
    search = []
    best = None
    oof: dict[tuple[str, float], np.ndarray] = {}  # each configuration's out-of-fold scores
    for features, C in grid:
        progress(f"cross-validating {features} n-grams, C={C:g}")
        p = oof[features, C] = oof_proba(ts, features, C, test_folds, counts=_counts(cache, features, ts.texts))
        m = cv_metrics(ts, p, test_folds)
        search.append({"features": features, "C": C, "macro_f1": m["macro_f1"]})
        if best is None or m["macro_f1"] > best[2]["macro_f1"]:
            best = (features, C, m, p)
    features, C, metrics, p = best
    progress(f"fitting {features} n-grams, C={C:g} on {len(ts.texts)} paragraphs")
    model = TopicModel([t.id for t in ts.topics], features=features, C=C, seed=SEED)
    model.fit_counts(cache[features], ts.y)
    model.thresholds_ = np.array([best_threshold(ts.y[:, j], p[:, j]) for j in range(len(ts.topics))],
                                 dtype=np.float32)
    meta = {
        "thresholds": {t.id: float(v) for t, v in zip(ts.topics, model.thresholds_)},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "taxonomy": [t.__dict__ for t in ts.topics],
        "training": {"paragraphs": len(ts.texts), "articles": len(set(ts.groups)),
                     "positives": {t.id: int(ts.y[:, j].sum()) for j, t in enumerate(ts.topics)},
                     "labels_sha256": ts.label_hash},
        "cv": {"folds": len(test_folds), "grouped_by": "article, near-copies joined", "seed": SEED, **metrics, "search": search},
        "versions": versions(),
    }
    hashes = [r.hash for r in ts.records]
    if baseline is not None:
        trainable = np.array([h in baseline.hashes for h in hashes])
        if trainable.any():
            if trainable.all() and (baseline.features, baseline.C) in oof:  # the grid ran this recipe on these folds
                p_old = oof[baseline.features, baseline.C]
            else:
                progress(f"cross-validating the current model's recipe on its {int(trainable.sum())} paragraphs")
                p_old = oof_proba(ts, baseline.features, baseline.C, test_folds, trainable=trainable,
                                  counts=_counts(cache, baseline.features, ts.texts))
            meta["cv"]["previous"] = {"features": baseline.features, "C": baseline.C,
                                      "trained_on": int(trainable.sum()), **cv_metrics(ts, p_old, test_folds)}
    model.meta_ = meta  # as a saved model has it: what it was trained on
    return TrainResult(model, meta, tuple(hashes))


def refit(labels: Sequence[str | Path], taxonomy: str | Path, features: str, C: float) -> TopicModel:
    """A quick retrain for a labeling session: one configuration, 3-fold thresholds, no search.
    Warnings (scikit-learn's about a topic with fewer positives than folds, say) are not printed:
    they would land on the session's screen."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return train(labels, taxonomy, grid=[(features, C)], n_splits=3).model


def evaluate(model: TopicModel | str | Path, labels: str | Path | Sequence[str | Path],
             warn: Callable[[str], None] = lambda m: None, trained: frozenset[str] | None = None) -> dict:
    """Per-topic precision/recall/F1 and macro-F1 of `model` (a model or its directory, with its
    thresholds) on labeled paragraphs. With `trained` (the hashes it was trained on; read from the
    model's directory when not given), counts and warns about paragraphs it has seen."""
    if not isinstance(model, TopicModel):
        model = TopicModel.load(model)
    if trained is None and getattr(model, "path_", None) is not None:
        trained = trained_on(model.path_)
    labels = label_paths(labels)
    records, warnings = read_labels(labels)
    for w in warnings:
        warn(w)
    recs = list(latest(records).values())
    if not recs:
        raise BadLabels(f"no labeled paragraphs in {', '.join(map(str, labels))}")
    used = {lab for r in recs for lab in r.labels}
    unknown = sorted(used - set(model.topics))
    if unknown and not used & set(model.topics):  # another taxonomy: every figure would be a bare 0
        raise BadLabels(f"none of the labels in {', '.join(map(str, labels))} ({', '.join(unknown)}) is a topic "
                        f"of this model ({', '.join(model.topics)}); evaluate on labels made with its taxonomy")
    if unknown:
        warn(f"labels {unknown} are not topics of this model and are ignored")
    y = np.array([[t in r.labels for t in model.topics] for r in recs], dtype=np.int8)
    pred = model.predict([r.text for r in recs])
    per = {t: prf(y[:, j], pred[:, j]) for j, t in enumerate(model.topics)}
    seen = None if trained is None else sum(r.hash in trained for r in recs)
    if seen:
        warn(f"{seen} of these {len(recs)} paragraphs were in the model's training labels: "
             "the figures flatter it; evaluate on held-out labels")
    # a topic with no positive label here has no recall to measure: its F1 of 0 would say nothing
    # about the model, so the macro average is over the topics the file has positives for
    present = [t for t, m in per.items() if m["support"]] or list(per)
    if len(present) < len(per):
        warn(f"no positive label for {', '.join(t for t in per if t not in present)} in these files: "
             "macro-F1 is over the other topics")
    return {"paragraphs": len(recs), "seen_in_training": seen, "per_topic": per,
            "macro_f1": round(float(np.mean([per[t]["f1"] for t in present])), 4), "macro_over": present}


@dataclass(frozen=True)
class Disagreement:
    record: LabelRecord
    proba: np.ndarray
    strength: float


def disagreements(labels: Sequence[str | Path], taxonomy: str | Path, features: str = "word+char", C: float = 10.0,
                  min_strength: float = 0.5, n_splits: int = 5) -> tuple[list[str], np.ndarray, list[Disagreement]]:
    """Labeled paragraphs whose cross-validated score strongly contradicts their label, strongest first.

    Strength per topic: how far past the threshold the score lies on the wrong side, as a fraction of the
    room on that side (1.0 = the model is certain of the opposite). A label whose latest decision
    was made in a review (confirmed or corrected) is not offered again. Returns topics, thresholds (infinite
    for a topic with no positive label: the model knows nothing of it), items."""
    ts = load_training_set(labels, taxonomy)
    recs = ts.records
    test_folds = folds(ts, n_splits)
    p = oof_proba(ts, features, C, test_folds)
    th = np.array([best_threshold(ts.y[:, j], p[:, j]) for j in range(ts.y.shape[1])])
    miss_pos = np.where(ts.y == 1, np.clip((th - p) / th, 0, 1), 0)
    miss_neg = np.where(ts.y == 0, np.clip((p - th) / (1 - th), 0, 1), 0)
    strength = np.maximum(miss_pos, miss_neg).max(axis=1)
    order = np.argsort(-strength, kind="stable")
    items = [Disagreement(recs[i], p[i], float(strength[i])) for i in order
             if strength[i] >= min_strength and recs[i].action != REVIEWED]
    return [t.id for t in ts.topics], np.where(ts.y.sum(axis=0) > 0, th, np.inf), items
