"""The label store: append-only JSONL files of labeled paragraphs under `labels/`.

Every line is one decision: the paragraph text, its labels (an empty list is an
answer), its provenance, a text hash, the annotator and the time. Appends take an
exclusive lock and are flushed and fsynced before returning, so a crash loses at
most the decision being written, and two sessions never interleave lines.
Reading is tolerant: a truncated or non-JSON line is skipped with a warning.

A paragraph is the same as another if its normalised text is (`text_hash`), and a
near-copy of another if most of its word 3-grams are shared (`NearDuplicates`).
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import math
import os
import uuid
import zlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from .errors import InputNotFound, LabelStoreUnwritable
from .normalize import normalize


def text_hash(text: str) -> str:
    """Stable id of a paragraph's content: SHA-256 of its normalised text, 16 hex digits."""
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()[:16]


def shingles(text: str, n: int = 3) -> frozenset[str]:
    """The word n-grams of the normalised text (the whole text if it is shorter)."""
    w = normalize(text).split()
    return frozenset(" ".join(w[i:i + n]) for i in range(max(1, len(w) - n + 1)))


class NearDuplicates:
    """Paragraphs already asked, to pass over their near-copies: the same news in another
    outlet's words, or an agency story republished with a word changed. Near means a
    Jaccard similarity of word 3-grams of at least `min_jaccard`; the same paragraph (same
    text hash) is never its own near-copy, so an undone item is asked again."""

    def __init__(self, min_jaccard: float = 0.6) -> None:
        self.min_jaccard = min_jaccard
        self.sets: dict[str, frozenset[str]] = {}  # text hash → shingles
        self.index: dict[str, set[str]] = {}  # shingle → text hashes

    def add(self, text: str, hash_: str) -> None:
        if hash_ in self.sets:
            return
        sh = self.sets[hash_] = shingles(text)
        for g in sh:
            self.index.setdefault(g, set()).add(hash_)

    def matches(self, text: str, hash_: str) -> list[str]:
        """The text hashes of the paragraphs that `text` nearly copies, nearest first."""
        sh = shingles(text)
        shared: dict[str, int] = {}
        for g in sh:
            for h in self.index.get(g, ()):
                shared[h] = shared.get(h, 0) + 1
        jaccard = {h: k / (len(sh) + len(self.sets[h]) - k) for h, k in shared.items() if h != hash_}
        return sorted((h for h, j in jaccard.items() if j >= self.min_jaccard), key=lambda h: -jaccard[h])

    def match(self, text: str, hash_: str) -> str | None:
        """The text hash of a paragraph that `text` nearly copies, if any."""
        return next(iter(self.matches(text, hash_)), None)


REVIEWED = "review"  # the action of a decision made in `tagger review`


@dataclass(frozen=True)
class LabelRecord:
    """One labeling decision."""

    text: str
    labels: tuple[str, ...]
    source: dict = field(default_factory=dict)
    group: str = ""
    annotator: str = ""
    time: str = ""
    hash: str = ""
    title: str = ""
    action: str = "label"  # "undo" retracts this annotator's previous decision on the same text;
    # REVIEWED is a decision confirmed or corrected in `tagger review` (not offered for review again)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(sorted(set(self.labels))))
        if not self.hash:
            object.__setattr__(self, "hash", text_hash(self.text))
        if not self.time:
            object.__setattr__(self, "time", datetime.now(timezone.utc).isoformat(timespec="seconds"))
        if not self.group:
            object.__setattr__(self, "group", self.hash)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["labels"] = list(self.labels)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "LabelRecord":
        if not isinstance(d, dict) or not isinstance(d.get("text"), str) or not isinstance(d.get("labels"), list):
            raise ValueError("a label line needs \"text\" (string) and \"labels\" (list)")
        return cls(text=d["text"], labels=tuple(d["labels"]), source=d.get("source") or {},
                   group=str(d.get("group") or ""), annotator=str(d.get("annotator") or ""),
                   time=str(d.get("time") or ""), hash=str(d.get("hash") or ""), title=str(d.get("title") or ""),
                   action=str(d.get("action") or "label"))


def label_paths(labels: str | Path | Iterable[str | Path] | None) -> list[Path]:
    """Label files or folders given as one path or several (the default folder when none), each
    checked to exist: a mistyped path is an error, not an empty set of labels."""
    from .paths import default_labels_dir

    if labels is None:
        return [default_labels_dir()]
    paths = [Path(labels)] if isinstance(labels, (str, Path)) else [Path(p) for p in labels]
    for p in paths:
        if not p.exists():
            raise InputNotFound(f"{p}: no such file or directory")
    return paths


def label_files(path: str | Path) -> list[Path]:
    """The label files at `path`: the file itself, or every `*.jsonl` directly in a directory, sorted
    (sub-folders, such as an agreement study, are not read)."""
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.glob("*.jsonl") if p.is_file())
    return [path] if path.exists() else []


WARNINGS_PER_FILE = 5
# what a line that is not a decision raises on the way to a LabelRecord (bad UTF-8 and JSON are ValueErrors)
BAD_LINE = (ValueError, KeyError, TypeError, AttributeError)


def _lines(raw: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """The numbered lines of an open label file, plain or gzip (told by its first two bytes)."""
    gz = raw.read(2) == b"\x1f\x8b"
    raw.seek(0)
    yield from enumerate(gzip.open(raw) if gz else raw, 1)


def read_labels(paths: Iterable[str | Path]) -> tuple[list[LabelRecord], list[str]]:
    """All decisions in the given files or directories (JSONL, plain or gzip), in order, and
    warnings for lines skipped: the first few of each file, then how many more."""
    records, warnings = [], []
    for p in paths:
        for f in label_files(p):
            bad = n = 0
            with open(f, "rb") as fh:
                try:
                    for n, raw in _lines(fh):
                        if not raw.strip():
                            continue
                        try:
                            records.append(LabelRecord.from_dict(json.loads(raw.decode("utf-8"))))
                        except BAD_LINE as e:
                            bad += 1
                            if bad <= WARNINGS_PER_FILE:
                                last = not raw.endswith(b"\n")
                                why = "truncated last line (interrupted write?)" if last else str(e)
                                warnings.append(f"{f}:{n}: skipped: {why}")
                except (OSError, EOFError, zlib.error) as e:  # a damaged gzip file
                    warnings.append(f"{f}: unreadable after line {n} ({e}); the lines before it are kept")
            if bad > WARNINGS_PER_FILE:
                warnings.append(f"{f}: {bad - WARNINGS_PER_FILE:,} more lines skipped")
    return records, warnings


def latest(records: Iterable[LabelRecord]) -> dict[str, LabelRecord]:
    """One decision per text hash: the last one made wins (later files and lines override earlier);
    an "undo" takes back the decision before it, restoring any earlier one."""
    history: dict[str, list[LabelRecord]] = {}
    for r in records:
        h = history.setdefault(r.hash, [])
        if r.action == "undo":
            for k in range(len(h) - 1, -1, -1):
                if h[k].annotator == r.annotator:
                    del h[k]
                    break
        else:
            h.append(r)
    return {k: h[-1] for k, h in history.items() if h}


def _ends_mid_line(path: Path, size: int) -> bool:
    """Whether the file's last byte is not a newline: a writer killed mid-line (the next line must
    start on a fresh one)."""
    if not size:
        return False
    with open(path, "rb") as fh:
        fh.seek(size - 1)
        return fh.read(1) != b"\n"


def _whole_lines(data: bytes) -> tuple[list[bytes], int]:
    """The complete lines of `data` (a line still being written is left for the next read), and
    how many bytes they take."""
    end = data.rfind(b"\n") + 1
    return data[:end].splitlines(), end


def append(path: str | Path, records: Iterable[LabelRecord]) -> None:
    """Append records to a JSONL file under an exclusive lock, then flush and fsync."""
    path = Path(path)
    data = "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as e:
        raise LabelStoreUnwritable(f"cannot write the label file {path} ({e.strerror or e}); nothing was written") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if _ends_mid_line(path, os.fstat(fd).st_size):
            data = b"\n" + data
        view = memoryview(data)
        while view:  # os.write may write less than asked (a full disk): the rest, or an error
            written = os.write(fd, view)
            if not written:
                raise OSError(28, "No space left on device")
            view = view[written:]
        os.fsync(fd)
    except OSError as e:
        raise LabelStoreUnwritable(f"cannot write the label file {path} ({e.strerror or e}); "
                        "the last decision may not be saved") from None
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


CLAIM_TTL = 3600.0  # seconds a claim holds, whoever made it


def _started(pid: int) -> str:
    """When process `pid` started (clock ticks since boot, from /proc), so that a pid the system
    reused is told from the session that had it; "" if no such process runs (or it is a zombie),
    "?" where /proc cannot tell."""
    if pid <= 0:  # no process (and os.kill would signal a whole group)
        return ""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, OverflowError, ValueError):  # gone, or no pid at all
            return ""
        except OSError:
            pass
        return "?"
    return "" if fields[0] in ("Z", "X") else fields[19]


class Claims:
    """Keeps two `tagger label` sessions on one store from asking the same paragraph.

    Before a paragraph is shown, its session claims it with a line appended to
    `<store>.claims` under an exclusive lock. A paragraph is not shown if another session
    holds a claim on it, or if a decision on it reached the store after this session began.
    A claim holds until its session releases it (skip, quit), until its process is gone
    (same machine), or for `ttl` seconds (a session on another machine that was killed).
    Claims never stop a session: if the claims file cannot be used, every paragraph is shown."""

    def __init__(self, store: str | Path, owner: str | None = None, ttl: float = CLAIM_TTL, clock=None) -> None:
        import socket
        import time

        self.store = Path(store)
        self.path = self.store.with_name(self.store.name + ".claims")
        self.host = socket.gethostname()
        self.owner = owner or f"{self.host}:{os.getpid()}:{_started(os.getpid())}"
        self.ttl, self.clock = ttl, clock or time.time
        self.holders: dict[str, tuple[str, float]] = {}  # text hash → (owner, when claimed)
        self.offset = 0  # of the claims file, read up to here
        self.head = b""  # its first line, which changes when a session begins the file anew
        self.fresh: list[LabelRecord] = []  # decisions that reached the store since the session began
        self.elsewhere = 0  # paragraphs passed over because another session has them
        self.broken = ""  # why the claims file cannot be used, once it cannot
        try:
            self.store_offset = self.store.stat().st_size
        except OSError:
            self.store_offset = 0
        self._start()

    # the claims file -----------------------------------------------------------------------
    def _open(self) -> int | None:
        if self.broken:
            return None
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as e:
            self._broke(e)
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as e:
            os.close(fd)
            self._broke(e)
            return None
        return fd

    def _broke(self, e: OSError) -> None:
        self.broken = self.broken or f"cannot use {self.path} ({e.strerror or e})"

    def _read(self, fd: int) -> None:
        """Take in the claim lines written since the last read. The file's first line names its
        generation: a new one means another session began the file anew, so it is read from the top."""
        head = os.pread(fd, 80, 0).split(b"\n", 1)[0]
        if head != self.head:
            self.offset, self.holders, self.head = 0, {}, head
        size = os.fstat(fd).st_size
        lines, used = _whole_lines(os.pread(fd, max(0, size - self.offset), self.offset))
        self.offset += used
        for line in lines:
            try:
                c = json.loads(line)
                h, owner, at = c["hash"], c["owner"], float(c["at"])
            except (ValueError, KeyError, TypeError, OverflowError):
                continue
            if not isinstance(h, str) or not isinstance(owner, str) or not math.isfinite(at):
                continue
            if c.get("release"):
                if self.holders.get(h, ("",))[0] == owner:
                    del self.holders[h]
            else:
                self.holders[h] = (owner, at)

    def _write(self, fd: int, h: str, release: bool = False) -> None:
        rec = {"hash": h, "owner": self.owner, "at": round(self.clock(), 3), **({"release": True} if release else {})}
        line = (json.dumps(rec) + "\n").encode()
        try:
            if _ends_mid_line(self.path, os.fstat(fd).st_size):
                line = b"\n" + line
            os.write(fd, line)
        except OSError as e:
            self._broke(e)

    def _close(self, fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def _start(self) -> None:
        """Read the claims so far; with none alive but this session's, begin the file anew."""
        if (fd := self._open()) is None:
            return
        try:
            self._read(fd)
            if not any(self._live(o, at) for o, at in self.holders.values()):
                os.ftruncate(fd, 0)
                os.write(fd, (json.dumps({"claims": uuid.uuid4().hex}) + "\n").encode())
                self._read(fd)
        except OSError as e:
            self._broke(e)
        finally:
            self._close(fd)

    def _live(self, owner: str, at: float) -> bool:
        if owner == self.owner or self.clock() - at > self.ttl:
            return False
        host, pid, start = (owner.rsplit(":", 2) + ["", ""])[:3]
        if host != self.host:
            return True  # another machine's session: until the claim expires
        if not (pid.isascii() and pid.isdigit()):
            return False  # no session wrote that
        now = _started(int(pid))  # "" for a process gone (or a zombie)
        return now == "?" or now == start  # "?": /proc cannot tell, so the claim holds (until it expires)

    # the store's new decisions ----------------------------------------------------------------
    def _read_store(self) -> None:
        try:
            with open(self.store, "rb") as fh:
                fh.seek(self.store_offset)
                data = fh.read()
        except OSError:
            return
        lines, used = _whole_lines(data)
        self.store_offset += used
        for line in lines:
            try:
                self.fresh.append(LabelRecord.from_dict(json.loads(line)))
            except BAD_LINE:
                continue

    # what a session calls ----------------------------------------------------------------------
    def take(self, h: str) -> bool:
        """Claim the paragraph with text hash `h` for this session; False if another session has
        it on screen or it was decided since this session began."""
        if (fd := self._open()) is None:
            return True
        try:
            self._read(fd)
            self._read_store()
            holder = self.holders.get(h)
            if h in latest(self.fresh) or (holder is not None and self._live(*holder)):
                self.elsewhere += 1
                return False
            self._write(fd, h)
            return True
        except OSError as e:
            self._broke(e)
            return True
        finally:
            self._close(fd)

    def release(self, h: str) -> None:
        """Let other sessions have the paragraph again (it was skipped, or the session ends)."""
        if (fd := self._open()) is None:
            return
        try:
            self._write(fd, h, release=True)
        finally:
            self._close(fd)
