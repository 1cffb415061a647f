"""Features and model: hashed word and character n-grams, TF-IDF, one logistic regression per topic.

`TopicModel` has estimator manners: settings in `__init__`, `fit` returns `self`,
learned state ends in `_`. A saved model is a directory holding `meta.json` and
`weights.npz` (plain arrays, loaded with `allow_pickle=False`), so loading a model
from elsewhere can never run code. Thresholds are per topic and applied here;
nothing relies on scikit-learn's default 0.5 cut.
"""

from __future__ import annotations

import hashlib
import io
import json
import numbers
import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import BadModel, BadOutput, ModelNotFound, NotFitted
from .features import Cells, Counts, grouped_cells, hashed_counts
from .normalize import normalize_batch

FORMAT = "tagger-model"
FORMAT_VERSION = 2
WEIGHTS = "weights.npz"
META = "meta.json"
TRAINED_ON = "trained_on.txt"  # written by training: the paragraphs a model learned from, by text hash
OLD = ".old-"  # the model being replaced, for the moment it is out of the way
FEATURE_SETS = ("word", "char", "word+char")
_LOG1P = np.log1p(np.arange(4096, dtype=np.float32))  # the same values np.log1p gives, 7x faster to look up


def analysers(features: str) -> tuple[bool, bool]:
    """(word n-grams?, character n-grams?) of a feature set such as "word+char"."""
    parts = features.split("+")
    return "word" in parts, "char" in parts


def width(features: str, n_features: int) -> int:
    """Number of columns: one hash space per analyzer."""
    return n_features * sum(analysers(features))


class TopicModel:
    """Multi-label topic classifier.

    features: "word" (1-2-grams), "char" (2-5-grams inside words) or "word+char"; C: inverse
    regularisation of each logistic regression; n_features: hash space per analyzer.
    Prediction needs only numpy; scikit-learn and SciPy are imported to train.
    """

    def __init__(self, topics: Sequence[str] = (), features: str = "word+char", C: float = 10.0,
                 n_features: int = 2**18, seed: int = 0) -> None:
        if features not in FEATURE_SETS:
            raise ValueError(f"features must be one of {FEATURE_SETS}, not {features!r}")
        if isinstance(C, bool) or not isinstance(C, numbers.Real) or not C > 0:
            raise ValueError(f"C must be a positive number, not {C!r}")
        if isinstance(n_features, bool) or not isinstance(n_features, numbers.Integral) or n_features < 1:
            raise ValueError(f"n_features must be a positive integer, not {n_features!r}")
        if isinstance(topics, str):
            raise ValueError(f"topics must be a list of topic ids, not the string {topics!r}")
        topics = topics if isinstance(topics, list) else list(topics)  # a list given is kept, as clone() wants
        if not all(isinstance(t, str) for t in topics):
            raise ValueError("topics must be strings")
        self.topics = topics
        self.features = features
        self.C = C
        self.n_features = n_features
        self.seed = seed

    def get_params(self, deep: bool = True) -> dict:
        """The settings, as scikit-learn's `clone` and `set_params` expect them."""
        return {"topics": self.topics, "features": self.features, "C": self.C,
                "n_features": self.n_features, "seed": self.seed}

    def set_params(self, **params) -> "TopicModel":
        """New settings; a fitted model whose settings change forgets what it learned (fit it again)."""
        new = {**self.get_params(), **params}
        changed = new != self.get_params()
        self.__init__(**new)
        if changed:
            for learned in ("idf_", "coef_", "intercept_", "thresholds_", "_table", "meta_", "path_"):
                self.__dict__.pop(learned, None)
        return self

    # -- features -----------------------------------------------------------------------------
    def raw_counts(self, texts: Sequence[str]) -> Counts:
        """Hashed n-gram counts of `texts` (normalised first). Rows add up: the counts of a
        document are the sum of its paragraphs' counts."""
        return hashed_counts(normalize_batch(list(texts)), self.n_features, *analysers(self.features))

    def grouped_cells(self, texts: Sequence[str], owner, n_groups: int) -> tuple[Cells, Cells]:
        """The count cells of `texts` (normalised first), and of each group of them (text i is in group
        `owner[i]`), the groups' counts being the sums of their texts' counts."""
        return grouped_cells(normalize_batch(list(texts)), self.n_features, owner, n_groups, *analysers(self.features))

    @staticmethod
    def sublinear(raw: Counts) -> Counts:
        """1 + log(count) weighting, as log1p(count)."""
        return Counts(raw.indptr, raw.indices, _log1p(raw.data), raw.n_cols)

    def counts(self, texts: Sequence[str]):
        """Sublinear counts of `texts` as a SciPy CSR matrix, for training and cross-validation."""
        return self.sublinear(self.raw_counts(texts)).to_scipy()

    # -- fit / predict ---------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], y: np.ndarray) -> "TopicModel":
        """Learn IDF weights and one logistic regression per topic; `y` is (n_texts, n_topics) of 0/1."""
        return self.fit_counts(self.counts(texts), y)

    def fit_counts(self, counts, y: np.ndarray) -> "TopicModel":
        """`fit` on a CSR matrix from `counts()`, so cross-validation featurises each text once."""
        from scipy import sparse
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(y)
        if y.ndim != 2 or y.shape != (counts.shape[0], len(self.topics)):
            raise ValueError(f"y must have shape ({counts.shape[0]}, {len(self.topics)}), got {y.shape}")
        counts = counts.tocsr()
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        n = counts.shape[0]
        idf = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
        x = counts @ sparse.diags(idf, format="csr")
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        x = (sparse.diags((1.0 / norms).astype(np.float32)) @ x).tocsr()
        coef = np.zeros((len(self.topics), x.shape[1]), dtype=np.float32)
        intercept = np.zeros(len(self.topics), dtype=np.float32)
        x = x.astype(np.float64)  # liblinear's type, converted once rather than once per topic
        dual = x.shape[0] < x.shape[1]  # the same optimum; the dual solver is 2-3x faster with fewer texts than columns
        for k in range(len(self.topics)):
            yk = y[:, k]
            if yk.min() == yk.max():  # no positive (or no negative) example: constant score
                intercept[k] = 10.0 if yk.max() else -10.0
                continue
            clf = LogisticRegression(C=self.C, class_weight="balanced", solver="liblinear", dual=dual,
                                     random_state=self.seed, max_iter=1000)
            clf.fit(x, yk)
            coef[k] = clf.coef_[0]
            intercept[k] = clf.intercept_[0]
        self._set_weights(idf, coef, intercept)
        # new weights: thresholds tuned for the old ones, and the directory and meta.json it was loaded
        # from, no longer describe this model
        self.thresholds_ = np.full(len(self.topics), 0.5, dtype=np.float32)
        for stale in ("meta_", "path_"):
            self.__dict__.pop(stale, None)
        return self

    def tfidf(self, counts: Counts) -> tuple[np.ndarray, np.ndarray, Counts]:
        """(row of each value, L2-normalised TF-IDF values, counts) of sublinear counts."""
        self._check_fitted()
        rows = counts.rows()
        vals = counts.data * self.idf_[counts.indices]
        norms = np.sqrt(np.bincount(rows, weights=vals * vals, minlength=counts.n_rows))
        norms[norms == 0] = 1.0
        return rows, vals / norms[rows], counts

    def _set_weights(self, idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> None:
        """The one place the learned weights change (fit, load): the score table follows them."""
        self.idf_, self.coef_, self.intercept_ = idf, coef, intercept
        self._table = None

    def _score_table(self) -> np.ndarray:
        """One row per column: its IDF, then IDF x coefficient of each topic, padded to 4 or 8 values
        (16 or 32 bytes, sizes numpy's `take` copies whole), so scoring a text's columns reads one
        cache line per column, not one per topic. Built on first use."""
        if getattr(self, "_table", None) is None:
            k = 1 + len(self.topics)
            table = np.zeros((len(self.idf_), 4 if k <= 4 else 8 if k <= 8 else k), dtype=np.float32)
            table[:, 0] = self.idf_
            np.multiply(self.coef_.T, self.idf_[:, None], out=table[:, 1:k])  # no temporary the table's size
            self._table = table
        return self._table

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_table"}  # rebuilt where it is used

    def decision_counts(self, counts) -> np.ndarray:
        """Logits of sublinear counts (a `Counts` or a SciPy CSR matrix): L2-normalised TF-IDF
        times each topic's coefficients, plus its intercept."""
        self._check_fitted()
        c = counts if isinstance(counts, Counts) else Counts.from_scipy(counts)
        out = np.zeros((c.n_rows, len(self.topics)), dtype=np.float64)
        filled = c.indptr[:-1] < c.indptr[1:]
        if filled.any():
            k = 1 + len(self.topics)
            g = np.take(self._score_table(), c.indices, axis=0)
            # tf x idf, and tf x idf x coef per topic, one row per value: reduceat runs fastest along rows
            g = np.multiply(g.T[:k], c.data.astype(np.float32, copy=False), order="C")
            g[0] *= g[0]
            sums = np.add.reduceat(g, c.indptr[:-1][filled], axis=1, dtype=np.float64)
            out[filled] = (sums[1:] / np.sqrt(sums[0])).T
        return out + self.intercept_

    def decision_cells(self, cells: Cells) -> np.ndarray:
        """`decision_counts` of raw count cells, the same values: the table is read in column order and
        each row's sums are accumulated in that order, as `decision_counts` sums a CSR row."""
        self._check_fitted()
        k = 1 + len(self.topics)
        g = np.take(self._score_table(), cells.cols, axis=0)
        g *= _log1p(cells.counts)[:, None]  # tf x idf, and tf x idf x coef per topic
        g[:, 0] *= g[:, 0]
        sums = np.stack([np.bincount(cells.rows, weights=g[:, j], minlength=cells.n_rows) for j in range(k)])
        sums[0][sums[0] == 0] = 1.0  # an empty row scores 0
        return (sums[1:] / np.sqrt(sums[0])).T + self.intercept_

    def grouped_proba(self, texts: Sequence[str], owner, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
        """`predict_proba` of `texts`, and of each group of them (their texts joined), from one analysis."""
        cells, group_cells = self.grouped_cells(texts, owner, n_groups)
        return _sigmoid(self.decision_cells(cells)), _sigmoid(self.decision_cells(group_cells))

    def proba_counts(self, counts) -> np.ndarray:
        return _sigmoid(self.decision_counts(counts))

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        return self.decision_counts(self.sublinear(self.raw_counts(texts)))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts, n_topics) probabilities, one independent sigmoid per topic."""
        self._check_fitted()
        if len(texts) == 0:
            return np.zeros((0, len(self.topics)), dtype=np.float32)
        return self.proba_counts(self.sublinear(self.raw_counts(texts)))

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts, n_topics) booleans: probability at or above each topic's threshold."""
        return self.predict_proba(texts) >= self.thresholds_

    def _check_fitted(self) -> None:
        if not hasattr(self, "idf_"):
            raise NotFitted("this TopicModel is not trained yet: call fit() or load a model (tagger train)")

    # -- persistence ------------------------------------------------------------------------------
    def save(self, directory: str | Path, meta: dict | None = None, files: dict[str, str] | None = None) -> Path:
        """Write the model to `directory` atomically (a temporary sibling renamed into place), with
        `files` (name → text) beside it. `directory` must be new, empty, or a tagger model: anything
        else there (a file, a folder of labels) is refused, never replaced."""
        self._check_fitted()
        directory = Path(directory).resolve()  # "." has no name to rename; a link's target is the model
        check_model_folder(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
        try:
            np.savez_compressed(tmp / WEIGHTS, idf=self.idf_, coef=self.coef_, intercept=self.intercept_)
            digest = hashlib.sha256((tmp / WEIGHTS).read_bytes()).hexdigest()
            full = {**(meta or {}),  # what describes the weights is computed here, never taken from `meta`
                    "format": FORMAT, "format_version": FORMAT_VERSION, "topics": self.topics,
                    "thresholds": {t: round(float(v), 6) for t, v in zip(self.topics, self.thresholds_)},
                    "params": {"features": self.features, "C": self.C, "n_features": self.n_features,
                               "seed": self.seed},
                    "weights_sha256": digest}
            (tmp / META).write_text(json.dumps(full, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            for name, text in (files or {}).items():
                (tmp / name).write_text(text, encoding="utf-8")
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; a model is as readable as any file
            old = None
            if directory.exists():  # killed between these two renames, `restore` puts the old one back
                old = directory.with_name(f".{directory.name}{OLD}{os.getpid()}")
                directory.rename(old)
            tmp.rename(directory)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> "TopicModel":
        """Load a model saved by `save`; raise `ModelNotFound`/`BadModel` with what to do next."""
        directory = Path(directory)
        meta = read_meta(directory)
        weights = directory / WEIGHTS
        try:
            data = weights.read_bytes()
        except OSError:
            raise BadModel(f"{directory}: {WEIGHTS} is missing; retrain with `tagger train`") from None
        if hashlib.sha256(data).hexdigest() != meta.get("weights_sha256"):
            raise BadModel(f"{directory}: {WEIGHTS} does not match meta.json (truncated or replaced); "
                           "retrain with `tagger train`")
        try:
            p = meta["params"]
            model = cls(meta["topics"], features=p["features"], C=p["C"], n_features=p["n_features"],
                        seed=p.get("seed", 0))
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:  # the bytes just checked
                model._set_weights(npz["idf"].astype(np.float32), npz["coef"].astype(np.float32),
                                   npz["intercept"].astype(np.float32))
            model.thresholds_ = np.array([meta["thresholds"][t] for t in model.topics], dtype=np.float32)
        except (KeyError, TypeError, ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as e:
            raise BadModel(f"{directory}: not a usable tagger model ({e or type(e).__name__}); "
                           "retrain with `tagger train`") from None
        cols = width(model.features, model.n_features)
        if model.idf_.shape != (cols,) or model.coef_.shape != (len(model.topics), cols) \
                or model.intercept_.shape != (len(model.topics),):
            raise BadModel(f"{directory}: weight shapes do not match meta.json; retrain with `tagger train`")
        model.meta_ = meta
        model.path_ = directory
        return model


MODEL_FILES = frozenset({META, WEIGHTS, TRAINED_ON})


def check_model_folder(directory: Path) -> None:
    """Raise `BadOutput` unless `directory` is missing, an empty folder, or a tagger model with nothing
    else in it (a file of the user's beside the model would go with it)."""
    if not directory.exists() and not directory.is_symlink():
        return
    if not directory.is_dir():
        raise BadOutput(f"{directory} is a file, not a model folder; give a new folder for the model")
    if next(directory.iterdir(), None) is None:
        return
    try:
        is_model = json.loads((directory / META).read_text(encoding="utf-8")).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        is_model = False
    others = sorted(p.name for p in directory.iterdir() if p.name not in MODEL_FILES)
    if not is_model or others:
        what = f"files that are not part of a tagger model ({', '.join(others[:3])})" if is_model else \
            "files that are not a tagger model"
        raise BadOutput(f"{directory} holds {what}; a model would replace them, so give a new or empty folder")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _log1p(counts: np.ndarray) -> np.ndarray:
    """log1p of counts; small whole counts (nearly all) are looked up."""
    if counts.dtype.kind in "iu":  # whole by type: no need to check
        return _LOG1P.take(counts) if counts.max(initial=0) < len(_LOG1P) else np.log1p(counts.astype(np.float32))
    if counts.dtype == np.float32 and len(counts):
        whole = counts.astype(np.intp)
        if 0 <= whole.min() and whole.max() < len(_LOG1P) and np.array_equal(whole, counts):
            return _LOG1P.take(whole)
    return np.log1p(counts)


def restore(directory: Path) -> None:
    """If `save` was killed between moving the old model aside and the new one in, move the
    old one back: the model in use is then the old one, never none."""
    if directory.exists():
        return
    try:  # a save running now may be removing its own set-aside copy: then there is nothing to do
        olds = sorted((p for p in directory.parent.glob(f".{directory.name}{OLD}*") if p.is_dir()),
                      key=lambda p: p.stat().st_mtime)
        if olds:
            olds[-1].rename(directory)
    except OSError:
        pass


def read_meta(directory: Path) -> dict:
    """Read and check a model's `meta.json`."""
    restore(directory)
    if not directory.is_dir():
        raise ModelNotFound(f"no model at {directory}; train one with `tagger train` or pass --model DIR")
    try:
        meta = json.loads((directory / META).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadModel(f"{directory}: no {META}, so this is not a tagger model; "
                       "retrain with `tagger train` or pass --model DIR") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BadModel(f"{directory}: {META} is unreadable ({e}); retrain with `tagger train`") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise BadModel(f"{directory}: {META} is not a tagger model's; pass the directory `tagger train` wrote")
    if not isinstance(meta.get("format_version"), int) or meta["format_version"] > FORMAT_VERSION:
        raise BadModel(f"{directory}: model format {meta.get('format_version')} is newer than this tagger "
                       f"reads ({FORMAT_VERSION}); update your tagger checkout (git pull, then pip install -e .) "
                       "or retrain with `tagger train`")
    if meta["format_version"] < FORMAT_VERSION:
        raise BadModel(f"{directory}: model format {meta['format_version']} was written by an older tagger whose "
                       f"features differ; retrain it with `tagger train`")
    return meta
