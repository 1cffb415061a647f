"""Hashed word and character n-gram counts, for a whole batch of texts at once, with numpy.

Why not scikit-learn's HashingVectorizer: profiling `tagger classify` showed its
per-n-gram Python loop (char_wb) as the largest cost, and importing scikit-learn as
most of a cold start. Here every n-gram of a batch is hashed with array arithmetic:

- the batch is one array of code points, texts separated by NUL;
- a polynomial hash over code points (mod 2^64) gives any substring's hash from two
  prefix sums, then a SplitMix64 finaliser mixes it and picks a column;
- character n-grams (2-5) are taken inside words padded with a space, as
  scikit-learn's `char_wb`; word n-grams (1-2) are over runs of word characters
  of length 2 or more, as its default token pattern `\\w\\w+`.

Training takes the counts row by row (`Counts`, a CSR matrix). Classification takes them as
`Cells` sorted by column, so scoring reads the weight table front to back, and an article's
counts come from its paragraphs' cells without a second sort.

`ngrams_of` computes the same columns one n-gram at a time in plain Python: it is the
reference the tests compare against, and what `explain` uses to name features.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_M = (1 << 64) - 1
P = 1099511628211  # FNV-64 prime: odd, so invertible modulo 2**64
Q = 0x9E3779B97F4A7C15
P_INV = pow(P, -1, 1 << 64)
SALT = {"word1": 1, "word2": 2, "char": 3}
CHAR_NGRAMS = (2, 5)


@dataclass(frozen=True)
class Counts:
    """A CSR matrix of n-gram counts as plain arrays (rows: texts; columns: hashed features)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_cols: int

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def rows(self) -> np.ndarray:
        """The row of every stored value."""
        return np.repeat(np.arange(self.n_rows), np.diff(self.indptr))

    def take(self, rows) -> "Counts":
        """These rows, in this order."""
        rows = np.asarray(rows, dtype=np.int64)
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        lengths = ends - starts
        idx = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths) + np.arange(lengths.sum())
        return Counts(np.concatenate([[0], np.cumsum(lengths)]), self.indices[idx], self.data[idx], self.n_cols)

    def sum_rows(self, owner, n_out: int) -> "Counts":
        """Row k of the result is the sum of the rows whose `owner` is k."""
        owner = np.asarray(owner, dtype=np.int64)
        return _sum_triples(owner[self.rows()], self.indices.astype(np.int64), n_out, self.n_cols, self.data)

    def to_scipy(self):
        from scipy import sparse
        return sparse.csr_matrix((self.data, self.indices, self.indptr), shape=(self.n_rows, self.n_cols))

    @classmethod
    def from_scipy(cls, m) -> "Counts":
        m = m.tocsr()
        return cls(m.indptr, m.indices, m.data, m.shape[1])


@dataclass(frozen=True)
class Cells:
    """The non-zero cells of a count matrix, sorted by column, then row: the order in which scoring
    reads a weight table front to back (one pass over it, not one per row)."""

    cols: np.ndarray
    rows: np.ndarray
    counts: np.ndarray  # int64
    n_rows: int


def _mix(h: np.ndarray, salt: int) -> np.ndarray:
    """SplitMix64 finaliser (in place on a uint64 array)."""
    h += np.uint64((salt * 0xD1B54A32D192ED03) & _M)
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def _mix1(h: int, salt: int) -> int:
    h = (h + salt * 0xD1B54A32D192ED03) & _M
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & _M
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & _M
    return h ^ (h >> 31)


def _poly1(s: str) -> int:
    h = 0
    for ch in s:
        h = (h * P + ord(ch)) & _M
    return h


@lru_cache(maxsize=1)
def _word_table() -> np.ndarray:
    """Which code points of the Basic Multilingual Plane are word characters (as `\\w`)."""
    return np.array([chr(i).isalnum() or i == 95 for i in range(65536)], dtype=bool)


_POWERS: dict[int, np.ndarray] = {}


def _powers(base: int, n: int) -> np.ndarray:
    """base**0 .. base**(n-1) modulo 2**64 (read-only; the longest computed so far is kept)."""
    have = _POWERS.get(base)
    if have is None or len(have) < n:
        out = np.full(max(n, 1 << 18), base, dtype=np.uint64)
        out[0] = 1
        with np.errstate(over="ignore"):
            have = _POWERS[base] = np.cumprod(out, dtype=np.uint64)
        have.flags.writeable = False
    return have[:n]


def _runs(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort `key` in place; its distinct values and how often each occurs. (A plain sort is an
    order of magnitude faster than `np.unique(..., return_counts=True)` on these arrays.)"""
    key.sort()
    if len(key) == 0:
        return key, np.zeros(0, dtype=np.int64)
    first = np.empty(len(key), dtype=bool)
    first[0] = True
    np.not_equal(key[1:], key[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    return key[starts], np.diff(np.append(starts, len(key)))


def key_dtype(n_rows: int, n_cols: int) -> type:
    """The narrowest type for keys `row * n_cols + col`: uint32 when they fit (it sorts twice as
    fast as int64), else int64."""
    return np.uint32 if n_rows * n_cols <= 2**32 else np.int64


def _from_keys(key: np.ndarray, n_rows: int, n_cols: int) -> Counts:
    """Counts of occurrence keys `row * n_cols + col` (the array is sorted in place)."""
    uniq, counts = _runs(key)
    return _csr(uniq, counts, n_rows, n_cols)


def _sum_triples(rows, cols, n_rows: int, n_cols: int, weights) -> Counts:
    """Counts whose (row, col) value is the sum of `weights` over the triples at that cell."""
    uniq, inv = np.unique(rows * n_cols + cols, return_inverse=True)
    return _csr(uniq, np.bincount(inv, weights=weights, minlength=len(uniq)), n_rows, n_cols)


def _csr(uniq: np.ndarray, data: np.ndarray, n_rows: int, n_cols: int) -> Counts:
    """Counts from sorted distinct keys `row * n_cols + col` and their values."""
    r = uniq // n_cols
    indptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=n_rows))]).astype(np.int64)
    return Counts(indptr, (uniq - r * n_cols).astype(np.int32), data.astype(np.float32), n_cols)


def hashed_counts(texts: list[str], n_features: int, word: bool = True, char: bool = True) -> Counts:
    """Counts of hashed word 1-2-grams (columns [0, n)) and character 2-5-grams (the next n columns,
    or [0, n) alone) of normalised `texts`."""
    n_cols = n_features * (int(word) + int(char))
    return _from_keys(occurrences(texts, n_features, word, char), len(texts), n_cols)


def grouped_cells(texts: list[str], n_features: int, owner, n_groups: int, word: bool = True,
                  char: bool = True) -> tuple[Cells, Cells]:
    """The cells of `hashed_counts(texts)`, and of each group of them (text i belongs to group
    `owner[i]`): a group's counts are the sum of its texts' counts. One sort: with the texts in group
    order, mapping each text cell to its group keeps the cells sorted, so equal ones are adjacent."""
    n = len(texts)
    uniq, counts = _runs(occurrences(texts, n_features, word, char, by_column=True))
    cols = uniq // n
    rows = (uniq - cols * n).astype(np.intp)
    cols = cols.astype(np.intp)
    owner = np.asarray(owner, dtype=np.intp)
    grows = owner[rows]
    gcols, gcounts = cols, counts
    if len(owner) > 1 and (owner[1:] < owner[:-1]).any():  # texts out of group order: sort after all
        order = np.argsort(cols * n_groups + grows, kind="stable")
        gcols, grows, gcounts = gcols[order], grows[order], gcounts[order]
    if len(gcols):
        new = np.empty(len(gcols), dtype=bool)  # where a (column, group) cell starts
        new[0] = True
        np.not_equal(gcols[1:], gcols[:-1], out=new[1:])
        new[1:] |= grows[1:] != grows[:-1]
        starts = np.flatnonzero(new)
        total = np.cumsum(gcounts, dtype=np.int64)[np.append(starts[1:], len(gcounts)) - 1]
        gcols, grows, gcounts = gcols[starts], grows[starts], np.diff(total, prepend=0)
    return Cells(cols, rows, counts, n), Cells(gcols, grows, gcounts, n_groups)


def _column(h: np.ndarray, n_features: int, dtype: type) -> np.ndarray:
    h = h & np.uint64(n_features - 1) if n_features & (n_features - 1) == 0 else h % np.uint64(n_features)
    return h.view(np.int64) if dtype is np.int64 else h.astype(dtype)


def occurrences(texts: list[str], n_features: int, word: bool = True, char: bool = True,
                by_column: bool = False) -> np.ndarray:
    """Every n-gram occurrence in `texts` as the key `text * n_cols + column` (`key_dtype`), or with
    `by_column` as `column * n_texts + text`."""
    n_cols = n_features * (int(word) + int(char))
    n_texts = len(texts)
    dtype = key_dtype(n_texts, n_cols)
    joined = "\x00" + "\x00".join(t.replace("\x00", " ") for t in texts) + "\x00"
    code32 = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    code = code32.astype(np.uint64)
    n = len(code)
    sep = code == 0
    doc = np.cumsum(sep, dtype=np.int64) - 1  # a text's characters, and the NUL before it, belong to it
    if by_column:  # keys from a text part (its index) and a column part
        text_part = doc.astype(dtype, copy=False)

        def key(t, col):
            return col * dtype(n_texts) + t
    else:
        text_part = (doc * n_cols).astype(dtype, copy=False)

        def key(t, col):
            return t + col
    space = sep | (code == 32)
    hcode = np.where(sep, np.uint64(32), code)  # a NUL pads like a space
    keys = []
    with np.errstate(over="ignore"):
        powp = _powers(P, n + 1)
        prefix = np.concatenate([[np.uint64(0)], np.cumsum(hcode * _powers(P_INV, n), dtype=np.uint64)])
        base = 0
        if word:
            table = _word_table()
            is_w = np.concatenate([[False], table.take(np.minimum(code32, 65535)) & (code32 < 65536), [False]])
            starts = np.flatnonzero(is_w[1:] & ~is_w[:-1])  # runs of word characters: [start, end)
            ends = np.flatnonzero(is_w[:-1] & ~is_w[1:])
            keep = ends - starts >= 2
            starts, ends = starts[keep], ends[keep]
            th = powp[ends - 1] * (prefix[ends] - prefix[starts])
            tdoc = doc[starts]
            keys.append(key(text_part[starts], _column(_mix(th.copy(), SALT["word1"]), n_features, dtype)))
            same = tdoc[1:] == tdoc[:-1]
            bi = _mix(th[:-1][same] * np.uint64(Q) + th[1:][same], SALT["word2"])
            keys.append(key(text_part[starts[:-1][same]], _column(bi, n_features, dtype)))
            base = n_features
        if char:
            spaces_before = np.concatenate([[0], np.cumsum(space, dtype=np.int64)])
            lo, hi = CHAR_NGRAMS
            for k in range(lo, hi + 1):
                m = n - k + 1  # windows [j, j + k) for j < m; slices, not gathers
                if m <= 0:
                    continue
                ok = spaces_before[k - 1:n] == spaces_before[1:m + 1]  # no space strictly inside
                if k == 2:
                    ok &= ~(space[:m] & space[1:m + 1])
                h = (powp[k - 1:n] * (prefix[k:n + 1] - prefix[:m]))[ok]
                keys.append(key(text_part[:m][ok], base + _column(_mix(h, SALT["char"] + 16 * k), n_features, dtype)))
    return np.concatenate(keys) if keys else np.zeros(0, dtype=dtype)


def tokens(text: str) -> list[str]:
    """Word tokens as `hashed_counts` sees them: runs of word characters, 2 or more long."""
    table = _word_table()
    out, cur = [], []
    for ch in text + " ":
        if ord(ch) < 65536 and table[ord(ch)]:
            cur.append(ch)
        else:
            if len(cur) >= 2:
                out.append("".join(cur))
            cur = []
    return out


def word_col(token: str, n_features: int) -> int:
    return _mix1(_poly1(token), SALT["word1"]) % n_features


def bigram_col(first: str, second: str, n_features: int) -> int:
    return _mix1((_poly1(first) * Q + _poly1(second)) & _M, SALT["word2"]) % n_features


def char_grams(word: str, n_features: int) -> list[tuple[int, str]]:
    """(column within the char block, n-gram) of every character n-gram of one word, padded."""
    padded = f" {word} "
    lo, hi = CHAR_NGRAMS
    return [(_mix1(_poly1(padded[i:i + k]), SALT["char"] + 16 * k) % n_features, padded[i:i + k])
            for k in range(lo, hi + 1) for i in range(len(padded) - k + 1)]


def ngrams_of(text: str, n_features: int, word: bool = True, char: bool = True) -> list[tuple[int, str]]:
    """Every n-gram of one normalised text as (column, label), one at a time: the reference for
    `hashed_counts` and the names `explain` shows. Labels: "w:" word n-grams, "c:" character n-grams."""
    text = text.replace("\x00", " ")
    out = []
    base = 0
    if word:
        toks = tokens(text)
        out += [(word_col(t, n_features), "w:" + t) for t in toks]
        out += [(bigram_col(a, b, n_features), f"w:{a} {b}") for a, b in zip(toks, toks[1:])]
        base = n_features
    if char:
        for w in text.split(" "):
            if w:
                out += [(base + col, "c:" + g) for col, g in char_grams(w, n_features)]
    return out
