"""Labels in and out of other tools: Prodigy, doccano and CSV, without losing anything.

- Prodigy (textcat with options, multi-label): one task per line with `text`,
  `options` (one per topic), `accept` (the chosen topic ids), `answer: "accept"`,
  `_input_hash`/`_task_hash`, `_annotator_id`, `_timestamp`, and our provenance in `meta`.
- doccano (text classification JSONL): `text`, `label` (a list of names), and every
  other field kept as metadata, which doccano preserves on export.
- CSV: one row per label with `text`, `labels` (";"-separated), `annotator`, `time`,
  `hash`, `group`, `title`, `source` (JSON).

Importing never duplicates a text hash already in the store, and a paragraph that
the store labels differently is reported, not overwritten.
"""

from __future__ import annotations

import csv
import io
import json
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from .errors import BadLabels
from .labelstore import LabelRecord, append, latest, read_labels, text_hash

FORMATS = ("prodigy", "doccano", "csv")
CSV_FIELDS = ["text", "labels", "annotator", "time", "hash", "group", "title", "source"]


def _prodigy_hash(s: str) -> int:
    return zlib.crc32(s.encode("utf-8")) & 0x7FFFFFFF


def _epoch(iso: str) -> int:
    try:
        return int(datetime.fromisoformat(iso).timestamp())
    except ValueError:
        return 0


def _iso(epoch) -> str:
    try:
        return datetime.fromtimestamp(int(epoch), timezone.utc).isoformat(timespec="seconds")
    except (TypeError, ValueError, OverflowError):
        return ""


def to_prodigy(r: LabelRecord, topics: list[str]) -> dict:
    return {"text": r.text, "options": [{"id": t, "text": t} for t in topics], "accept": list(r.labels),
            "answer": "accept", "_input_hash": _prodigy_hash(r.text),
            "_task_hash": _prodigy_hash(r.text + "|" + ",".join(topics)), "_annotator_id": r.annotator,
            "_timestamp": _epoch(r.time) if r.time else 0, "_view_id": "choice",
            "meta": {"source": r.source, "group": r.group, "title": r.title, "hash": r.hash, "time": r.time}}


def _names(value, what: str) -> tuple[str, ...]:
    """A list of topic names, or a ValueError saying what `value` is instead."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return tuple(value)
    raise ValueError(f"{what} must be a list of topic names, not {json.dumps(value, ensure_ascii=False)[:60]}")


def from_prodigy(d: dict) -> LabelRecord | None:
    if "answer" not in d:
        raise ValueError("no \"answer\": a task not yet annotated (export the annotations with prodigy db-out)")
    if d["answer"] != "accept":
        return None  # rejected or ignored tasks carry no decision
    if "accept" not in d and isinstance(d.get("label"), str):
        raise ValueError("a binary task (one \"label\" and an answer) says nothing of the other topics; "
                         "export a choice task with one option per topic")
    meta = d.get("meta") or {}
    if not isinstance(meta, dict):
        raise ValueError("\"meta\" must be an object")
    return LabelRecord(text=d["text"], labels=_names(d.get("accept"), '"accept"'), source=meta.get("source") or {},
                       group=meta.get("group") or "", annotator=str(d.get("_annotator_id") or ""),
                       time=meta.get("time") or _iso(d.get("_timestamp")), title=meta.get("title") or "")


def to_doccano(r: LabelRecord) -> dict:
    return {"text": r.text, "label": list(r.labels), "annotator": r.annotator, "time": r.time, "hash": r.hash,
            "group": r.group, "title": r.title, "source": r.source}


def from_doccano(d: dict) -> LabelRecord:
    if "label" not in d and "labels" not in d:
        raise ValueError("no \"label\": not an annotated record (export the labeled dataset from doccano)")
    labels = d.get("label", d.get("labels"))
    if isinstance(labels, list) and any(isinstance(x, list) for x in labels):
        raise ValueError("spans ([start, end, label]) are sequence labelling; export the text classification project")
    return LabelRecord(text=d["text"], labels=_names(labels, '"label"'), source=d.get("source") or {},
                       group=str(d.get("group") or ""), annotator=str(d.get("annotator") or d.get("user") or ""),
                       time=str(d.get("time") or ""), title=str(d.get("title") or ""))


def to_csv_row(r: LabelRecord) -> dict:
    return {"text": r.text, "labels": ";".join(r.labels), "annotator": r.annotator, "time": r.time, "hash": r.hash,
            "group": r.group, "title": r.title, "source": json.dumps(r.source, ensure_ascii=False)}


def from_csv_row(d: dict) -> LabelRecord:
    return LabelRecord(text=d["text"], labels=tuple(x for x in (d.get("labels") or "").split(";") if x),
                       source=json.loads(d.get("source") or "{}"), group=d.get("group") or "",
                       annotator=d.get("annotator") or "", time=d.get("time") or "", title=d.get("title") or "")


def export(records: Iterable[LabelRecord], fmt: str, topics: list[str]) -> str:
    """All records as text in `fmt`."""
    if fmt == "prodigy":
        return "".join(json.dumps(to_prodigy(r, topics), ensure_ascii=False) + "\n" for r in records)
    if fmt == "doccano":
        return "".join(json.dumps(to_doccano(r), ensure_ascii=False) + "\n" for r in records)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=CSV_FIELDS)
        w.writeheader()
        for r in records:
            w.writerow(to_csv_row(r))
        return buf.getvalue()
    raise ValueError(f"format must be one of {FORMATS}")


def parse(path: Path, fmt: str) -> Iterator[LabelRecord]:
    """Records from a file exported by another tool."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise BadLabels(f"{path}: cannot read ({e})") from None
    if fmt == "csv":
        for n, row in enumerate(csv.DictReader(io.StringIO(text)), 2):
            if "text" not in row or "labels" not in row:
                raise BadLabels(f"{path}: no \"text\" and \"labels\" columns; nothing imported")
            try:
                if row["text"] is None:
                    raise ValueError("no text in this row")
                yield from_csv_row(row)
            except ValueError as e:  # no text, or the "source" column is not JSON
                raise BadLabels(f"{path}:{n}: not a csv record ({e}); nothing imported") from None
        return
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            if not isinstance(d, dict) or not isinstance(d.get("text"), str):
                raise ValueError("no \"text\"")
            rec = from_prodigy(d) if fmt == "prodigy" else from_doccano(d)
        except ValueError as e:
            raise BadLabels(f"{path}:{n}: not a {fmt} record ({e}); nothing imported") from None
        if rec is not None:
            yield rec


def _read_by(store: Path, paths: Iterable[str | Path]) -> bool:
    """Whether reading the label files at `paths` reads `store` (once it exists)."""
    for p in map(Path, paths):
        if p.is_dir() and store.name.endswith(".jsonl") and store.resolve().parent == p.resolve():
            return True
        if store.resolve() == p.resolve():
            return True
    return False


@dataclass
class ImportReport:
    added: int = 0
    duplicates: int = 0
    conflicts: list[tuple[LabelRecord, LabelRecord]] = field(default_factory=list)
    unknown: list[LabelRecord] = field(default_factory=list)
    beside: int = 0  # added next to another annotator's decision on the same paragraph
    unnamed: int = 0  # incoming decisions that name no annotator
    retrained: list[tuple[LabelRecord, LabelRecord]] = field(default_factory=list)  # training's label, before/after


def import_labels(incoming: Iterable[LabelRecord], store: Path, existing: Iterable[str | Path],
                  topics: list[str], per_annotator: bool = False) -> ImportReport:
    """Append new labels to `store`: skip text hashes already labeled the same way, report conflicts.
    With `per_annotator`, a paragraph's decisions are keyed by annotator too (an agreement study):
    another annotator's decision is added beside the ones there, and only the same annotator's can
    be a duplicate or a conflict; a store that training does not read is compared with itself only."""
    from .agreement import per_annotator as by_annotator

    existing = list(existing)
    trained = _read_by(Path(store), existing)
    # a study kept apart from training is compared with itself: a decision training has too is still the study's
    records = read_labels([store] if per_annotator and not trained else [*existing, store])[0]
    # what training reads, if the store is among it: to tell what the import changes for training
    before = latest(read_labels(existing)[0]) if per_annotator and trained else {}
    have = {(a, h): r for a, d in by_annotator(records).items() for h, r in d.items()} if per_annotator else \
        {("", h): r for h, r in latest(records).items()}
    labeled = {h for _, h in have}
    report = ImportReport()
    new: list[LabelRecord] = []
    for r in incoming:
        r = LabelRecord(text=r.text, labels=r.labels, source=r.source, group=r.group, annotator=r.annotator,
                        time=r.time, hash=text_hash(r.text), title=r.title)
        report.unnamed += not r.annotator
        if set(r.labels) - set(topics):
            report.unknown.append(r)
            continue
        key = ((r.annotator or "(unknown)") if per_annotator else "", r.hash)
        old = have.get(key)
        if old is not None:
            if set(old.labels) == set(r.labels):
                report.duplicates += 1
            else:
                report.conflicts.append((old, r))
            continue
        report.beside += r.hash in labeled
        labeled.add(r.hash)
        have[key] = r
        new.append(r)
    if new:
        append(store, new)
    if before:
        after = latest(read_labels(existing)[0])
        report.retrained = [(before[h], after[h]) for h in before if set(after[h].labels) != set(before[h].labels)]
    report.added = len(new)
    return report
