"""Active learning: which paragraph is most worth labeling next.

A stream of transforms, as in a labeling recipe: candidates → drop what is
already labeled or already queued (by text hash) → score with the model in
batches → keep the best by a strategy's priority → when taken, pass over near-copies
of what was labeled or taken before. Scoring runs in a background thread, so the
first items can be shown after one batch while the rest of a large pool is still
being scored.

Strategies:
- `uncertain` (default): the paragraph whose score sits nearest a topic's decision
  boundary, weighted up for topics with few positive labels. The boundary is the
  classifier's own (probability 0.5: each topic's regression is trained with balanced
  class weights), not the lower, F1-tuned cut that decides the tags: in simulated
  sessions (benchmarks/active_learning.py) it reached random sampling's final macro-F1
  with fewer labels, at every share of positives tried, and ended higher;
- `rare`: the paragraph most likely to be a positive of a rare topic;
- `random`: a uniformly random order (a baseline).
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from .labelstore import NearDuplicates
from .pool import Candidate

STRATEGIES = ("uncertain", "rare", "random")
BATCH = 500
KEEP = 5000  # best items kept in memory
BOUNDARY = 0.5  # where a class-balanced logistic regression is undecided


def topic_weights(positives: Sequence[int]) -> np.ndarray:
    """Boost for topics with few positive labels: sqrt(most / this), so the rarest weighs most."""
    pos = np.asarray(positives, dtype=float) + 1.0
    return np.sqrt(pos.max() / pos) if len(pos) else pos


def priorities(proba: np.ndarray, thresholds: np.ndarray, weights: np.ndarray, strategy: str,
               rng: random.Random | None = None) -> np.ndarray:
    """Priority of each row of `proba` (higher is asked first). `thresholds` are the tag
    thresholds, which `rare` measures against."""
    if strategy == "uncertain":  # nearest the classifier's own boundary, not the tag threshold
        closeness = 1.0 - np.abs(proba - BOUNDARY) / BOUNDARY
        return (closeness * weights).max(axis=1)
    if strategy == "rare":
        return (np.minimum(proba / np.maximum(thresholds, 1e-6), 1.5) * weights).max(axis=1)
    if strategy == "random":
        rng = rng or random.Random(0)
        return np.array([rng.random() for _ in range(len(proba))])
    raise ValueError(f"strategy must be one of {STRATEGIES}, not {strategy!r}")


class Aligned:
    """A model seen through a taxonomy's topics, in the taxonomy's order. A topic the model lacks
    (added to the taxonomy since it was trained), or has learned nothing of (`without`: no
    positive label yet), scores 0 against an infinite threshold: it is never suggested and does
    not steer the order, while the model's other topics still do."""

    def __init__(self, model, topics: Sequence[str], without: Sequence[str] = ()) -> None:
        self.model, self.topics = model, list(topics)
        self.cols = [model.topics.index(t) if t in model.topics and t not in without else -1 for t in self.topics]
        th = np.asarray(model.thresholds_, dtype=float)
        self.thresholds_ = np.array([th[c] if c >= 0 else np.inf for c in self.cols])
        self.missing = [t for t, c in zip(self.topics, self.cols) if c < 0]

    @property
    def meta_(self) -> dict:
        return self.model.meta_

    @property
    def features(self) -> str:
        return self.model.features

    @property
    def C(self) -> float:
        return self.model.C

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        p = self.model.predict_proba(texts)
        out = np.zeros((len(p), len(self.cols)))
        have = [k for k, c in enumerate(self.cols) if c >= 0]
        out[:, have] = p[:, [self.cols[k] for k in have]]
        return out


def for_taxonomy(model, topics: Sequence[str]):
    """`model` as a label session uses it, through the taxonomy's topics: itself when it has them all,
    in order, each learned from a positive label (its meta says how many it had); else an `Aligned` view
    that leaves out topics it lacks or learned nothing of."""
    positives = ((getattr(model, "meta_", None) or {}).get("training") or {}).get("positives") or {}
    unlearned = [t for t, n in positives.items() if n == 0]
    if list(model.topics) == list(topics) and not unlearned:
        return model
    return Aligned(model, topics, without=unlearned)


def unseen(candidates: Iterable[Candidate], seen: set[str]) -> Iterator[Candidate]:
    """Drop candidates whose text hash is in `seen` (labeled already), and repeats within the stream."""
    for c in candidates:
        if c.hash not in seen:
            seen.add(c.hash)
            yield c


def batched(items: Iterable, n: int) -> Iterator[list]:
    it = iter(items)
    while batch := list(itertools.islice(it, n)):
        yield batch


@dataclass
class Item:
    """A candidate with the model's scores, as offered to the annotator."""

    candidate: Candidate
    proba: np.ndarray
    priority: float
    model: object = field(default=None, compare=False, repr=False)  # the model that scored it


class Queue:
    """Best-first queue over a stream of candidates, filled by a background scoring thread.

    `model` needs `predict_proba(texts)`, `thresholds_` and `topics`; it may be None (no
    suggestions, random order) and may be swapped with `set_model` while running. With
    `near`, `pop` passes over near-copies of its paragraphs (counted in `passed_over`) and
    adds every paragraph it hands out."""

    def __init__(self, candidates: Iterable[Candidate], model, strategy: str = "uncertain",
                 positives: Sequence[int] | None = None, seen: set[str] | None = None, seed: int = 0,
                 batch: int = BATCH, on_error: Callable[[BaseException], None] = lambda e: None,
                 near: NearDuplicates | None = None) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, not {strategy!r}")
        self.strategy = strategy if model is not None else "random"
        self.model = model
        self.n_topics = len(model.topics) if model is not None else 0
        self.weights = topic_weights(positives if positives is not None else [0] * self.n_topics)
        self.rng = random.Random(seed)
        self.stream = batched(unseen(candidates, seen if seen is not None else set()), batch)
        self.heap: list[tuple[float, int, Item]] = []
        self.counter = itertools.count()
        self.scored = 0
        self.done = False
        self.error: BaseException | None = None
        self.on_error = on_error
        self.cond = threading.Condition()
        self.thread: threading.Thread | None = None
        self.fixed_thresholds: np.ndarray | None = None
        self.closed = False
        self.near = near
        self.passed_over = 0

    @classmethod
    def of_items(cls, items: Sequence[Item], thresholds: Sequence[float]) -> "Queue":
        """A finished queue of items scored elsewhere (as `tagger review` does), best first."""
        q = cls([], None)
        q.fixed_thresholds = np.asarray(thresholds)
        q._push(list(items))
        q.done = True
        return q

    def thresholds(self) -> list[float] | None:
        """The thresholds the scores on screen are judged against, if any."""
        if self.model is not None:
            return list(self.model.thresholds_)
        return list(self.fixed_thresholds) if self.fixed_thresholds is not None else None

    # scoring -------------------------------------------------------------------------------
    def _score(self, batch: list[Candidate]) -> list[Item]:
        model = self.model
        if model is None:
            proba = np.zeros((len(batch), 0))
            prio = np.array([self.rng.random() for _ in batch])
        else:
            proba = model.predict_proba([c.text for c in batch])
            prio = priorities(proba, model.thresholds_, self.weights, self.strategy, self.rng)
        return [Item(c, p, float(s), model) for c, p, s in zip(batch, proba, prio)]

    def _push(self, items: list[Item]) -> None:
        with self.cond:
            for it in items:
                heapq.heappush(self.heap, (-it.priority, next(self.counter), it))
            if len(self.heap) > 2 * KEEP:
                self.heap = heapq.nsmallest(KEEP, self.heap)
                heapq.heapify(self.heap)
            self.cond.notify_all()

    def fill(self, batches: int | None = None) -> None:
        """Score `batches` more batches (all, if None) in the calling thread."""
        for _ in range(batches) if batches is not None else itertools.count():
            if self.closed:
                return
            batch = next(self.stream, None)
            if batch is None:
                with self.cond:
                    self.done = True
                    self.cond.notify_all()
                return
            items = self._score(batch)
            while items and items[0].model is not self.model:  # a refresh came while the batch was scored
                items = self._score(batch)
            self.scored += len(batch)
            self._push(items)

    def start(self) -> "Queue":
        """Score the rest of the pool in a background thread."""
        def run() -> None:
            try:
                self.fill()
            except BaseException as e:  # reported to the session, which decides what to do
                with self.cond:
                    self.error, self.done = e, True
                    self.cond.notify_all()
                self.on_error(e)

        self.thread = threading.Thread(target=run, name="tagger-scoring", daemon=True)
        self.thread.start()
        return self

    def close(self, timeout: float | None = 10.0) -> None:
        """Stop scoring: the background thread ends after the batch in hand. What is queued stays."""
        with self.cond:
            self.closed = self.done = True
            self.cond.notify_all()
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout)

    def __enter__(self) -> "Queue":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def set_model(self, model, positives: Sequence[int] | None = None) -> None:
        """Use a retrained model from now on; queued items are re-scored. They stay queued meanwhile
        (a `pop` during the re-scoring takes one as it was), and an undone item stays first."""
        with self.cond:
            self.model = model
            if positives is not None:
                self.weights = topic_weights(positives)
            queued = [it for _, _, it in self.heap]
        if not queued:
            return
        fresh = {id(old): new for old, new in zip(queued, self._score([it.candidate for it in queued]))}
        with self.cond:
            heap = [(p if p == -float("inf") or id(it) not in fresh else -fresh[id(it)].priority, n,
                     fresh.get(id(it), it)) for p, n, it in self.heap]
            heapq.heapify(heap)
            self.heap = heap
            self.cond.notify_all()

    # taking ----------------------------------------------------------------------------------
    def pop(self, timeout: float | None = None) -> Item | None:
        """The best item scored so far that is no near-copy of one taken before (the same
        paragraph again, after an undo, is not); waits while the pool is still being scored.
        None at the end."""
        with self.cond:
            while True:
                while not self.heap and not self.done:
                    if not self.cond.wait(timeout):
                        return None
                if not self.heap:
                    return None
                item = heapq.heappop(self.heap)[2]
                c = item.candidate
                if self.near is None:
                    return item
                if self.near.match(c.text, c.hash) is None:
                    self.near.add(c.text, c.hash)
                    return item
                self.passed_over += 1

    def current(self, item: Item) -> Item:
        """`item` with the scores of the model in use: rescored if an earlier model scored it (the one on
        screen, or one undone, when a refresh swapped the model)."""
        model = self.model
        if model is None or item.model is model:
            return item
        return Item(item.candidate, model.predict_proba([item.candidate.text])[0], item.priority, model)

    def push_front(self, item: Item) -> None:
        """Offer `item` again next (after an undo)."""
        with self.cond:
            heapq.heappush(self.heap, (-float("inf"), next(self.counter), item))
            self.cond.notify_all()

    def __iter__(self) -> Iterator[Item]:
        while (item := self.pop()) is not None:
            yield item
