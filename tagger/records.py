"""Typed records passed between stages, and their stable JSON shape."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TextIO


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of an article: `text` is exactly `source_text[start:end]`."""

    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Article:
    """An article found in a text: its title and its paragraphs, page furniture removed."""

    index: int
    title: str
    start: int
    end: int
    paragraphs: tuple[Paragraph, ...] = ()


@dataclass(frozen=True)
class TaggedParagraph:
    """A paragraph with the topics whose score passed that topic's threshold."""

    index: int
    start: int
    end: int
    text: str
    labels: tuple[str, ...]
    scores: dict[str, float]

    def to_dict(self) -> dict:
        return {"index": self.index, "start": self.start, "end": self.end, "text": self.text,
                "labels": list(self.labels), "scores": self.scores}


@dataclass(frozen=True)
class TaggedArticle:
    """One output record of `classify`: an article, its tags and its tagged paragraphs."""

    source: str
    article: int
    title: str
    start: int
    end: int
    labels: tuple[str, ...]
    scores: dict[str, float]
    paragraphs: tuple[TaggedParagraph, ...] = field(default=())
    model: str = "default"
    id: str | None = None  # the record id, for articles read from a JSONL corpus

    def to_dict(self) -> dict:
        d = {"source": self.source, "article": self.article, "title": self.title,
             "start": self.start, "end": self.end, "labels": list(self.labels),
             "scores": self.scores, "paragraphs": [p.to_dict() for p in self.paragraphs],
             "model": self.model}
        if self.id is not None:
            d["id"] = self.id
        return d

    def paragraph_dicts(self) -> list[dict]:
        """Flat records for `--level paragraph`."""
        extra = {"id": self.id} if self.id is not None else {}
        return [{"source": self.source, "article": self.article, **p.to_dict(), "model": self.model, **extra}
                for p in self.paragraphs]


def dumps(obj: dict) -> str:
    """One JSON line: UTF-8 text kept readable, keys in a fixed order."""
    return json.dumps(obj, ensure_ascii=False)


def records_of(article: TaggedArticle, level: str = "article") -> list[dict]:
    """The output records of one article: itself, or one per paragraph with `level="paragraph"`."""
    return [article.to_dict()] if level == "article" else article.paragraph_dicts()


def to_jsonl(article: TaggedArticle, level: str = "article") -> str:
    """The JSONL text of one article: one line, or one line per paragraph with `level="paragraph"`."""
    return "".join(dumps(o) + "\n" for o in records_of(article, level))


class JsonWriter:
    """Writes records to a stream: one JSON object per line, or (`array=True`) one JSON array of them."""

    def __init__(self, stream: TextIO, array: bool = False) -> None:
        self.stream, self.array, self.first = stream, array, True
        if array:
            stream.write("[")

    def __call__(self, obj: dict) -> None:
        if self.array:
            self.stream.write(("\n" if self.first else ",\n") + dumps(obj))
        else:
            self.stream.write(dumps(obj) + "\n")
        self.first = False

    def close(self) -> None:
        if self.array:
            self.stream.write("\n]\n")
        self.stream.flush()
