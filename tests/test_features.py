import subprocess
import sys
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from conftest import ROOT
from tagger import features
from tagger.features import grouped_cells, hashed_counts, ngrams_of
from tagger.normalize import normalize

WORDS = st.sampled_from(["قال", "المسوول", "ان", "الحدود", "و", "s-400", "pkk", "a", "ab", "2024", "«", ".", "ـ"])
TEXTS = st.lists(st.lists(WORDS, max_size=12).map(" ".join), max_size=6)


def reference(text, n, word=True, char=True):
    return Counter(col for col, _ in ngrams_of(text, n, word, char))


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.sampled_from([(True, True), (True, False), (False, True)]))
def test_batch_hashing_equals_the_one_by_one_reference(texts, which):
    n = 1 << 12
    c = hashed_counts(texts, n, *which)
    assert c.n_rows == len(texts)
    for i, t in enumerate(texts):
        got = {int(col): int(v) for col, v in zip(c.indices[c.indptr[i]:c.indptr[i + 1]],
                                                   c.data[c.indptr[i]:c.indptr[i + 1]])}
        assert got == dict(reference(t, n, *which))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=5))
def test_any_unicode_hashes_like_the_reference(texts):
    texts = [normalize(t) for t in texts]
    c = hashed_counts(texts, 1 << 10)
    for i, t in enumerate(texts):
        assert int(c.data[c.indptr[i]:c.indptr[i + 1]].sum()) == sum(reference(t, 1 << 10).values())


def cell_dict(cells):
    return {(int(r), int(c)): float(v) for r, c, v in zip(cells.rows, cells.cols, cells.counts)}


def csr_dict(counts):
    return {(int(r), int(c)): float(v) for r, c, v in zip(counts.rows(), counts.indices, counts.data)}


@settings(max_examples=100, deadline=None)
@given(TEXTS, st.data())
def test_grouped_cells_are_the_texts_and_groups_counts(texts, data):
    """Column-ordered cells equal the row-ordered counts, for texts in group order or not."""
    n = 1 << 10
    owner = data.draw(st.lists(st.integers(0, 3), min_size=len(texts), max_size=len(texts)))
    if data.draw(st.booleans()):
        owner = sorted(owner)
    cells, groups = grouped_cells(texts, n, owner, 4)
    assert cell_dict(cells) == csr_dict(hashed_counts(texts, n))
    assert cell_dict(groups) == csr_dict(hashed_counts(texts, n).sum_rows(owner, 4))
    for c in (cells, groups):
        assert (np.diff(c.cols * c.n_rows + c.rows) > 0).all()  # sorted by column, then row, no repeats


@pytest.mark.parametrize("n_features", [1 << 12, 3000])  # a power of two is masked, others reduced
def test_narrow_and_wide_keys_give_the_same_counts(monkeypatch, n_features):
    texts = [normalize(t) for t in ["قال المسؤول إن الحدود مغلقة.", "", "PKK s-400 ab", "وأضاف أن الحرس"]]
    assert features.key_dtype(len(texts), 2 * n_features) is np.uint32
    narrow = grouped_cells(texts, n_features, [0, 0, 1, 2], 3), hashed_counts(texts, n_features)
    monkeypatch.setattr(features, "key_dtype", lambda n_rows, n_cols: np.int64)
    wide = grouped_cells(texts, n_features, [0, 0, 1, 2], 3), hashed_counts(texts, n_features)
    for a, b in zip(narrow[0], wide[0]):
        assert cell_dict(a) == cell_dict(b) and a.counts.sum() > 0
    assert csr_dict(narrow[1]) == csr_dict(wide[1])
    assert features.key_dtype(10_000, 1 << 19) is np.int64  # too many rows for 32 bits


def test_rows_add_up_to_the_document():
    paras = [normalize("قال المسؤول إن الحدود مغلقة."), normalize("وأضاف أن الحرس في حالة تأهب.")]
    c = hashed_counts(paras, 1 << 12)
    doc = c.sum_rows([0, 0], 1)
    assert sorted(zip(doc.indices.tolist(), doc.data.tolist())) == sorted(
        (k, float(v)) for k, v in (reference(paras[0], 1 << 12) + reference(paras[1], 1 << 12)).items())
    assert c.take([1, 0]).take([1]).data.tolist() == c.take([0]).data.tolist()


def test_help_and_classify_never_import_heavy_modules():
    """Start-up time: classify needs numpy only; pydantic (typer 0.29+) costs 150 ms per command."""
    code = ("import sys, runpy; sys.argv=['tagger', 'classify', 'seeds/002_c4ed5918ed66c263.txt', '-f', 'jsonl'];"
            "from tagger.cli import app\n"
            "try:\n    app()\nexcept SystemExit:\n    pass\n"
            "print(sorted({'sklearn', 'scipy', 'pydantic'} & set(sys.modules)), file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.stderr.strip().splitlines()[-1] == "[]", r.stderr
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "tagger", "--help"], capture_output=True,
                       text=True, cwd=ROOT)
    assert r.returncode == 0 and "sklearn" not in r.stderr and "scipy" not in r.stderr
