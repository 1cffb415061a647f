"""The pool of paragraphs to label: text files, directories and JSONL corpora, streamed.

Every paragraph comes with its article title, the paragraphs before and after it
(context for the annotator), its provenance and the article it belongs to. Text
files go through the same segmenter as `classify`; each JSONL record (fields
`text`, and optionally `title`, `id`, `url`, `corpus`) is one article.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .errors import BadInput, InputNotFound, TaggerError
from .labelstore import text_hash
from .records import Article
from .segment import iter_articles, iter_lines, segment_record
from .sources import Source, expand, iter_sources

MIN_CHARS = 20


@dataclass(frozen=True)
class Candidate:
    """A paragraph that may be offered for labeling."""

    text: str
    title: str = ""
    before: str = ""
    after: str = ""
    source: dict = field(default_factory=dict)
    group: str = ""
    hash: str = ""

    def __post_init__(self) -> None:
        if not self.hash:
            object.__setattr__(self, "hash", text_hash(self.text))


def from_article(article: Article, source: dict, group: str) -> Iterator[Candidate]:
    """The article's paragraphs (all but the very short) as candidates, with their neighbours."""
    paras = article.paragraphs
    for i, p in enumerate(paras):
        if len(p.text) < MIN_CHARS:
            continue
        where = {"paragraph": p.index, "start": p.start, "end": p.end}
        yield Candidate(p.text, article.title, paras[i - 1].text if i else "",
                        paras[i + 1].text if i + 1 < len(paras) else "", {**source, **where}, group)


def is_jsonl(path: str) -> bool:
    return path.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz"))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_lone_surrogates(rec: dict) -> dict:
    """JSON can spell half a UTF-16 pair ("\\ud800"); such a string cannot be written out again as
    UTF-8. Each one becomes U+FFFD, one character for one, so offsets hold."""
    return {k: _SURROGATE.sub("\ufffd", v) if isinstance(v, str) else v for k, v in rec.items()}


@dataclass
class ReadProgress:
    """How much of the pool's input has been read: bytes on disk (compressed, for .gz)."""

    total: int = 0
    done: int = 0

    @classmethod
    def of(cls, paths: Iterable[str]) -> "ReadProgress":
        """Nothing read yet of the files `paths` name (directories: their .txt files)."""
        return cls(sum(_size(p) for p in expand(list(paths)) if isinstance(p, Path)))

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.done / self.total) if self.total else None


def _size(path: Path | str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def jsonl_records(path: Path, progress: ReadProgress | None = None, skipped: list[int] | None = None
                  ) -> Iterator[dict]:
    """Records of a JSONL corpus (plain or gzip) that have a "text"; other lines are skipped, and
    their numbers appended to `skipped` if given. `progress.done` advances by the bytes read from disk."""
    base = progress.done if progress is not None else 0
    try:
        with open(path, "rb") as raw, (gzip.open(raw, "rt", encoding="utf-8") if path.suffix == ".gz"
                                       else io.TextIOWrapper(raw, encoding="utf-8")) as fh:
            for n, line in enumerate(fh, 1):
                if progress is not None:
                    progress.done = base + raw.tell()
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    rec = None
                if isinstance(rec, dict) and isinstance(rec.get("text"), str):
                    # a surrogate can only come from an escape: look for one only where there is one
                    yield _no_lone_surrogates(rec) if "\\ud" in line or "\\uD" in line else rec
                elif skipped is not None:
                    skipped.append(n)
            if progress is not None:
                progress.done = base + _size(path)
    except FileNotFoundError:
        raise InputNotFound(f"{path}: no such file") from None
    except (OSError, EOFError, UnicodeDecodeError, zlib.error) as e:
        raise BadInput(f"{path}: cannot read as JSONL ({e})") from None


def iter_candidates(paths: Iterable[str], on_error=lambda e: None,
                    progress: ReadProgress | None = None) -> Iterator[Candidate]:
    """Paragraphs of every source, in order. An unreadable source is passed to `on_error` and skipped.
    With `progress` (see `ReadProgress.of`), its `done` counts the input bytes read so far."""
    progress = progress if progress is not None else ReadProgress()
    for path in paths:
        try:
            if is_jsonl(path):
                for k, rec in enumerate(jsonl_records(Path(path), progress)):
                    rid = str(rec.get("id") or f"{path}:{k}")
                    prov = {"corpus": rec.get("corpus") or Path(path).name, "id": rid}
                    if rec.get("url"):
                        prov["url"] = rec["url"]
                    a = segment_record(rec["text"], str(rec.get("title") or "").strip())
                    yield from from_article(a, prov, rid)
                continue
            for src in iter_sources([path]):
                if not isinstance(src, Source):
                    on_error(src)
                    continue
                for a in iter_articles(iter_lines(src.chunks)):
                    yield from from_article(a, {"file": src.name, "article": a.index}, f"{src.name}#{a.index}")
                progress.done += _size(src.name)
        except TaggerError as e:
            on_error(e)
