"""The topic taxonomy is data (`labels/taxonomy.json`), never code: add a topic there and retrain."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import BadTaxonomy

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Topic:
    """One topic: a stable id used in output, its Arabic name and what it covers."""

    id: str
    name: str
    description: str


def load_taxonomy(path: str | Path) -> list[Topic]:
    """Read a taxonomy file: a JSON list of {"id", "name", "description"}."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadTaxonomy(f"{path}: no taxonomy file; create it (see labels/taxonomy.json)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BadTaxonomy(f"{path}: cannot read the taxonomy ({e})") from None
    if not isinstance(raw, list) or not raw:
        raise BadTaxonomy(f"{path}: the taxonomy must be a non-empty JSON list of topics")
    topics, seen = [], set()
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not _ID.match(item["id"]):
            raise BadTaxonomy(f"{path}: topic {i} needs an \"id\" of lower-case letters, digits and _")
        if item["id"] in seen:
            raise BadTaxonomy(f"{path}: topic id {item['id']!r} appears twice")
        missing = [k for k in ("name", "description") if not isinstance(item.get(k), str) or not item[k].strip()]
        if missing:
            raise BadTaxonomy(f"{path}: topic {item['id']!r} needs a {' and a '.join(repr(k) for k in missing)} "
                            "(text): they are what annotators read when they label it")
        seen.add(item["id"])
        topics.append(Topic(item["id"], item["name"], item["description"]))
    return topics


def drift(model_topics: list[str], path: str | Path) -> tuple[list[str], list[str]]:
    """(topics of the taxonomy at `path` the model was not trained on, topics the model tags that
    the taxonomy no longer has). A missing or unreadable taxonomy gives ([], []): classifying goes on
    with the model's own topics."""
    try:
        topics = [t.id for t in load_taxonomy(path)] if Path(path).is_file() else []
    except (BadTaxonomy, OSError):
        topics = []
    if not topics:
        return [], []
    return [t for t in topics if t not in model_topics], [t for t in model_topics if t not in topics]
