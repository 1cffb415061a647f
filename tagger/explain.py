"""Why a paragraph got its scores: each n-gram's share of a topic's linear score.

A topic's logit is `intercept + Σ tfidf(f) · coef(f)` over the paragraph's hashed
features f. The paragraph's own n-grams are re-analysed and hashed the same way,
so every contribution is traced back to the n-grams (and the words of the original
text) that produced it. Words get the sum of the contributions of the n-grams
inside them (word n-grams share theirs between their words).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from .features import bigram_col, char_grams, tokens, word_col
from .model import TopicModel, analysers
from .normalize import normalize


@dataclass(frozen=True)
class Contribution:
    feature: str  # the n-gram, in normalised form ("w:" word n-gram, "c:" character n-gram)
    weight: float  # its share of the logit
    spans: tuple[tuple[int, int], ...]  # where it comes from in the original text


@dataclass(frozen=True)
class Explanation:
    topic: str
    score: float
    intercept: float
    up: tuple[Contribution, ...]
    down: tuple[Contribution, ...]
    words: tuple[tuple[int, int, float], ...]  # (start, end, weight) of each word of the original text


def _words(text: str, word_tokens: bool = True) -> list[tuple[int, int, str]]:
    """Tokens of the original text, normalised, with the offsets of the word they come from: word
    tokens, or (word_tokens false) the space-separated words the character n-grams are taken in."""
    out = []
    for m in re.finditer(r"\S+", text):
        norm = normalize(m.group())
        for w in (tokens(norm) if word_tokens else norm.split(" ")):
            if w:
                out.append((m.start(), m.end(), w))
    return out


def explain(model: TopicModel, text: str, topics: list[str] | None = None, top: int = 8) -> list[Explanation]:
    """Explanations of `text`'s score for each topic in `topics` (all by default)."""
    counts = model.sublinear(model.raw_counts([text]))
    _, vals, _ = model.tfidf(counts)
    value = dict(zip(counts.indices.tolist(), vals.tolist()))
    words = _words(text)
    word, char = analysers(model.features)
    feats: dict[tuple[int, str], list[tuple[int, int]]] = defaultdict(list)
    offset = 0
    if word:
        for start, end, w in words:
            feats[(word_col(w, model.n_features), "w:" + w)].append((start, end))
        for (s1, _, a), (_, e2, b) in zip(words, words[1:]):
            feats[(bigram_col(a, b, model.n_features), f"w:{a} {b}")].append((s1, e2))
        offset = model.n_features
    if char:
        for start, end, w in _words(text, word_tokens=False):
            for col, gram in char_grams(w, model.n_features):
                feats[(offset + col, "c:" + gram)].append((start, end))
    proba = model.predict_proba([text])[0]
    out = []
    for k, topic in enumerate(model.topics):
        if topics is not None and topic not in topics:
            continue
        by_feature: dict[str, tuple[float, list]] = {}
        word_weight: dict[tuple[int, int], float] = defaultdict(float)
        col_users: dict[int, int] = defaultdict(int)
        for (col, _), spans in feats.items():
            col_users[col] += 1  # hash collisions share a column's weight
        for (col, label), spans in feats.items():
            w = value.get(col, 0.0) * float(model.coef_[k, col]) / col_users[col]
            if w == 0.0:
                continue
            by_feature[label] = (w, sorted(set(spans)))
            uniq = sorted(set(spans))
            for s in uniq:
                word_weight[s] += w / len(uniq)
        ranked = sorted(by_feature.items(), key=lambda kv: kv[1][0])
        down = tuple(Contribution(f, round(w, 4), tuple(map(tuple, sp))) for f, (w, sp) in ranked[:top] if w < 0)
        up = tuple(Contribution(f, round(w, 4), tuple(map(tuple, sp))) for f, (w, sp) in reversed(ranked[-top:]) if w > 0)
        per_word: dict[tuple[int, int], float] = defaultdict(float)
        for (s, e), w in word_weight.items():
            per_word[(s, e)] += w
        out.append(Explanation(topic, round(float(proba[k]), 4), round(float(model.intercept_[k]), 4), up, down,
                               tuple((s, e, round(w, 4)) for (s, e), w in sorted(per_word.items()))))
    return out


def to_dict(e: Explanation) -> dict:
    return {"topic": e.topic, "score": e.score, "intercept": e.intercept,
            "up": [{"feature": c.feature, "weight": c.weight, "spans": [list(s) for s in c.spans]} for c in e.up],
            "down": [{"feature": c.feature, "weight": c.weight, "spans": [list(s) for s in c.spans]} for c in e.down],
            "words": [list(w) for w in e.words]}
