"""The interactive labeling session: one paragraph at a time, one key per decision.

The loop takes items from an `active.Queue`, shows each with its context and the
model's suggestion pre-selected, and appends every decision to the label store
(flushed and fsynced) before the next item is shown. Keys:

  1-9 toggle a topic · Enter accept · 0 no topic · s skip · u undo · q quit · ? help
"""

from __future__ import annotations

import os
import sys
import termios
import threading
import tty
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

from rich.console import Console
from rich.text import Text

from .active import Item, Queue, for_taxonomy
from .errors import BadTaxonomy, InputNotFound, TaggerError
from .labelstore import Claims, LabelRecord, NearDuplicates, append, label_paths, latest, read_labels
from .pool import ReadProgress, iter_candidates
from .render import scoring_line, screen
from .sources import expand
from .taxonomy import load_taxonomy

LONG_HELP = """Each paragraph is shown with the one before and after it (dimmed) and its article title.
The model's suggestion is pre-selected: press Enter to accept it, or toggle topics with
their numbers first. 0 saves "no topic" at once. s skips (asked again next session),
u takes back your last decision and shows it again, q quits. Every decision is saved
to the label store before the next paragraph appears, so quitting (or a crash) never
loses a decision. Judge each paragraph on its own text against the topics below."""


@dataclass
class Stats:
    decided: int = 0
    skipped: int = 0
    undone: int = 0
    retrains: int = 0
    message: str = ""
    claims_warned: bool = False
    history: list[tuple[Item, LabelRecord]] = field(default_factory=list)


def key_length(buf: bytes) -> int:
    """Bytes of the first key in `buf`: one UTF-8 character, or a whole escape sequence
    (an arrow key is one unknown key, not three). May exceed len(buf) when the key is
    still arriving."""
    if buf[:1] == b"\x1b":
        if buf[1:2] in (b"[", b"O"):  # CSI / SS3: up to a final byte in @..~
            end = next((i for i in range(2, len(buf)) if 0x40 <= buf[i] <= 0x7E), None)
            return len(buf) if end is None else end + 1
        return min(len(buf), 2)  # Esc alone, or Alt+key
    lead = buf[0]
    return 1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4


@contextmanager
def raw_keys(stream=None) -> Iterator[Callable[[], str]]:
    """Read single key presses from a terminal (cbreak mode), restoring it afterwards.

    Keys typed faster than the screen is drawn arrive together in one read; each call
    returns one of them, in order, so no key press is lost or merged with the next."""
    stream = stream or sys.stdin
    fd = stream.fileno()
    old = termios.tcgetattr(fd) if os.isatty(fd) else None
    pending = bytearray()
    try:
        if old is not None:
            tty.setcbreak(fd)

        def read() -> str:
            if not pending:
                pending.extend(os.read(fd, 1024))
                if not pending:
                    return "\x04"  # end of input
            n = key_length(bytes(pending))
            while n > len(pending) and pending[0] != 0x1B:  # the rest of a UTF-8 character
                more = os.read(fd, n - len(pending))
                if not more:
                    break
                pending.extend(more)
            key = bytes(pending[:n])
            del pending[:n]
            return key.decode("utf-8", "replace")

        yield read
    finally:
        if old is not None:
            termios.tcsetattr(fd, termios.TCSADRAIN, old)


def suggestion(item: Item, topics: Sequence[str], thresholds: Sequence[float] | None) -> set[str]:
    if thresholds is None or not len(item.proba):
        return set()
    return {t for t, p, th in zip(topics, item.proba, thresholds) if p >= th}


def run(queue: Queue, topics: Sequence[str], store: Path, annotator: str, console: Console,
        read_key: Callable[[], str], rtl: bool = False, retrain_every: int = 0,
        retrain: Callable[[], object] | None = None, positives: Callable[[], list[int]] | None = None,
        preselect: Callable[[Item], set[str]] | None = None, read: ReadProgress | None = None,
        action: str = "label", guide: str = "", claims: Claims | None = None) -> Stats:
    """Run the session until the pool is exhausted or the annotator quits. With `read` (the pool's
    input progress), the screen shows how far scoring has got. `action` is recorded on each decision;
    `guide` (the topics' definitions) is shown with the help. With `claims`, paragraphs another
    session on the same store has on screen, or decided meanwhile, are passed over."""
    stats = Stats()
    retrain_lock = threading.Lock()

    thresholds = queue.thresholds
    def maybe_retrain() -> None:
        if not retrain_every or not retrain or stats.decided % retrain_every or retrain_lock.locked():
            return

        def work() -> None:
            with retrain_lock:
                try:
                    model = retrain()
                except Exception as e:  # keep labeling with the old model
                    stats.message = f"model refresh failed: {e}"
                    return
                queue.set_model(model, positives() if positives else None)
                stats.retrains += 1
                stats.message = f"model refreshed from all labels ({stats.retrains}×)"

        threading.Thread(target=work, name="tagger-retrain", daemon=True).start()

    def save(item: Item, labels: set[str]) -> None:
        c = item.candidate
        rec = LabelRecord(text=c.text, labels=tuple(sorted(labels)), source=c.source, group=c.group,
                          annotator=annotator, title=c.title, action=action)
        append(store, [rec])
        stats.history.append((item, rec))
        stats.decided += 1
        maybe_retrain()

    item = None
    try:
        while True:
            if item is None:
                console.clear()
                if not queue.done:  # a review's queue is complete from the start
                    console.print(Text(f"scoring the pool… {queue.scored} paragraphs so far", style="dim"))
                item = queue.pop()
                while item is not None and claims is not None and not claims.take(item.candidate.hash):
                    item = queue.pop()
                if claims is not None and claims.broken and not stats.claims_warned:
                    stats.claims_warned = True
                    stats.message = f"{claims.broken}: another session on this store may be asked the same paragraphs"
                if item is None:
                    if queue.error is not None:
                        stats.message = f"scoring stopped: {queue.error}"
                    console.print("Nothing left to label in these sources." if queue.error is None else stats.message)
                    return stats
                item = queue.current(item)  # scored before a refresh: the suggestion is the new model's
                selected = preselect(item) if preselect else suggestion(item, topics, thresholds())
            item = queue.current(item)  # after a refresh, the new model's scores beside its thresholds
            console.clear()
            console.print(screen(item, selected, topics, thresholds(), stats, rtl, console.width, store,
                                 scoring_line(queue, read) if read is not None else None))
            stats.message = ""
            key = read_key()
            if key in ("q", "Q", "\x04", "\x03"):
                return stats
            if key == "?":
                stats.message = LONG_HELP + ("\n\n" + guide if guide else "")
            elif key.isdigit() and 1 <= int(key) <= len(topics):
                selected ^= {topics[int(key) - 1]}
            elif key == "0":
                save(item, set())
                item = None
            elif key in ("\r", "\n"):
                save(item, selected)
                item = None
            elif key in ("s", "S"):
                stats.skipped += 1
                if claims is not None:
                    claims.release(item.candidate.hash)
                item = None
            elif key in ("u", "U"):
                if not stats.history:
                    stats.message = "nothing to undo"
                    continue
                last, rec = stats.history.pop()
                append(store, [LabelRecord(text=rec.text, labels=(), source=rec.source, group=rec.group,
                                           annotator=annotator, title=rec.title, action="undo")])
                stats.decided -= 1
                stats.undone += 1
                queue.push_front(item)
                item = last
                selected = set(rec.labels)
                stats.message = "undone: decide this paragraph again"
            else:
                stats.message = f"unknown key {key!r}: press ? for help"
    finally:  # quit, Ctrl-C, a failed save: the paragraph on screen is free for other sessions
        if claims is not None and item is not None:
            claims.release(item.candidate.hash)


MAX_TOPICS = 9  # the keys 1-9 toggle topics


def session_topics(taxonomy: Path) -> list:
    """The topics of a label or review session, whose keys 1-9 toggle them: at most 9."""
    topics = load_taxonomy(taxonomy)
    if len(topics) > MAX_TOPICS:
        raise BadTaxonomy(f"{taxonomy} has {len(topics)} topics; a label session toggles topics with the keys 1-9, "
                        f"so it takes at most {MAX_TOPICS}")
    return topics


def guide(topics) -> str:
    """The topics as a session's help lists them: key, id, name and definition."""
    return "\n".join(f"{k} {t.id} ({t.name}): {t.description}" for k, t in enumerate(topics, 1))


@dataclass
class Setup:
    """A labeling session ready to run: its queue (started; close it), topics and help text, the
    claims on its store, how to count positives and to refresh the model, what has been read, and
    the warnings and input errors met on the way (`errors` grows while the pool is read)."""

    queue: Queue
    topics: list[str]
    guide: str
    claims: Claims
    positives: Callable[[], list[int]]
    retrain: Callable[[], object] | None
    read: ReadProgress
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def open_session(sources: Sequence[str], labels: Sequence[Path], store: Path, taxonomy: Path,
                 model: Path | None = None, strategy: str = "uncertain", seed: int = 0, near: float = 0.6) -> Setup:
    """Everything `tagger label` needs before its screen opens: the store checked writable, claims
    taken on it, the taxonomy (at most 9 topics), the labels decided so far, the model aligned to the
    taxonomy (or none, with a warning, unless `model` was asked for), and the pool's queue started.
    A missing source raises `InputNotFound` first."""
    sources = [sources] if isinstance(sources, (str, Path)) else [str(s) for s in sources]
    labels = label_paths(labels)  # one path or several; a missing one is an error, not an empty set
    missing = [e for e in expand(sources) if isinstance(e, InputNotFound)]
    if missing:  # a typo in a path is told before the session opens, not after
        raise InputNotFound("; ".join(str(e) for e in missing))
    append(store, [])  # a store that cannot be written is told now, not at the first decision
    claims = Claims(store)  # before the labels are read: a decision made from now on is seen by one or the other
    warnings = [f"{claims.broken}; another session on {store} may be asked the same paragraphs"] if claims.broken else []
    tax = session_topics(taxonomy)
    topics = [t.id for t in tax]
    decided = latest(read_labels([*labels, store])[0])

    def count(now: dict[str, LabelRecord]) -> list[int]:
        return [sum(t in r.labels for r in now.values()) for t in topics]

    def positives() -> list[int]:  # at a refresh: the labels as they are then
        return count(latest(read_labels([*labels, store])[0]))

    try:
        from .tagging import load_model
        m = load_model(model)
        if not set(m.topics) & set(topics):
            warnings.append(f"the model's topics {m.topics} are none of the taxonomy's; no suggestions")
            m = None
        else:
            m = for_taxonomy(m, topics)
            if missing_topics := getattr(m, "missing", []):
                it = "it" if len(missing_topics) == 1 else "them"
                warnings.append(f"the model was trained without {', '.join(missing_topics)}: no suggestions "
                                f"for {it} until `tagger train` (or --retrain-every) makes a model with {it}")
    except TaggerError as e:
        if model:
            raise
        warnings.append(f"{e}; labeling without suggestions")
        m = None
    errors: list[str] = []
    read = ReadProgress.of(sources)
    cands = iter_candidates(sources, on_error=lambda e: errors.append(str(e)), progress=read)
    copies = None
    if near > 0:
        copies = NearDuplicates(near)
        for h, r in decided.items():
            copies.add(r.text, h)
    queue = Queue(cands, m, strategy, count(decided), seen=set(decided), seed=seed, near=copies).start()

    def refresh():
        from .training import refit

        return for_taxonomy(refit([*labels, store], taxonomy, m.features, m.C), topics)

    return Setup(queue, topics, guide(tax), claims, positives, refresh if m is not None else None, read, warnings,
                 errors)

