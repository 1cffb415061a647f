"""Turn the annotators' batch answers into label records (run once per labeling round).

Each batch file (the paragraphs drawn by make_pool.py / make_focus.py) is joined by key
with the annotator's answers; every record carries its text, labels, provenance
(corpus, outlet, article id, url, date, paragraph index in the article's newline-split
text after dropping lines under 30 characters), the article title, a text hash, the
annotator and the time the answers were written.

    python labels/tools/merge_batches.py WORKDIR labels/corpus.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tagger.labelstore import LabelRecord  # noqa: E402
from tagger.records import dumps  # noqa: E402

ANNOTATORS = {"batch_00": "ann-a", "batch_01": "ann-b", "batch_02": "ann-c", "batch_03": "ann-d",
              "batch_04": "ann-e", "batch_05": "ann-f", "batch_06": "ann-g", "focus_arms": "ann-h",
              "focus_us": "ann-i", "focus_border": "ann-j", "second_pass": "ann-k",
              "focus_border2": "ann-l", "focus_us2": "ann-m",
              "focus_round3": "ann-n",
              # round 4, drawn by make_al_round.py (the shipped model's `uncertain` order)
              "al_round_0": "ann-o", "al_round_1": "ann-p", "al_round_2": "ann-q", "al_round_3": "ann-r",
              "al_round_4": "ann-s", "al_second_pass": "ann-t",
              # round 5, the same order with at most 24 paragraphs from one outlet
              "round5_0": "ann-u", "round5_1": "ann-v", "round5_2": "ann-w", "round5_3": "ann-x",
              "round5_second": "ann-y"}


def load(batch: Path, answers: Path, annotator: str) -> list[tuple[str, LabelRecord]]:
    items = [json.loads(line) for line in batch.read_text(encoding="utf-8").splitlines() if line.strip()]
    got = {}
    for line in answers.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            got[d["key"]] = d["labels"]
    missing = [it["key"] for it in items if it["key"] not in got]
    if missing:
        print(f"skipped {answers.name}: {len(missing)} of {len(items)} keys unanswered, e.g. {missing[:2]}")
        return []
    when = datetime.fromtimestamp(answers.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
    return [(it["key"], LabelRecord(text=it["text"], labels=tuple(got[it["key"]]),
                        source={"corpus": it["corpus"], "outlet": it["outlet"], "id": it["id"], "url": it["url"],
                                "date": it["date"], "paragraph": it["paragraph"], "drawn_as": it["stratum"]},
                        group=it["id"], annotator=annotator, time=when, title=it["title"])) for it in items]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workdir", type=Path, help="holds batches/, out/ and second/")
    ap.add_argument("out", type=Path)
    ap.add_argument("--agreement", type=Path, help="folder for the second-pass study and its adjudication")
    ap.add_argument("--second", default="second_pass", help="the second pass's name in ANNOTATORS")
    args = ap.parse_args()
    keyed: list[tuple[str, LabelRecord]] = []
    for batch in sorted((args.workdir / "batches").glob("*.jsonl")):
        answers = args.workdir / "out" / f"{batch.stem}.labels.jsonl"
        if not answers.exists():
            print(f"skipped {batch.name}: no answers yet")
            continue
        keyed += load(batch, answers, ANNOTATORS[batch.stem])
    if args.agreement:
        second = dict(load(args.workdir / "second" / "second_pass.jsonl",
                           args.workdir / "second" / "second_pass.labels.jsonl", ANNOTATORS[args.second]))
        first = [r for k, r in keyed if k in second]
        (args.agreement / "first_pass.jsonl").write_text("".join(dumps(r.to_dict()) + "\n" for r in first),
                                                         encoding="utf-8")
        (args.agreement / "second_pass.jsonl").write_text(
            "".join(dumps(second[k].to_dict()) + "\n" for k, r in keyed if k in second), encoding="utf-8")
        verdicts = {d["key"]: d for d in json.loads((args.agreement / "adjudication.json").read_text(encoding="utf-8"))}
        for i, (k, r) in enumerate(keyed):
            if k in verdicts:
                v = verdicts[k]
                keyed[i] = (k, LabelRecord(text=r.text, labels=tuple(v["labels"]),
                                           source={**r.source, "adjudicated": {
                                               "first": v["first"], "first_annotator": r.annotator,
                                               "second": v["second"], "note": v["note"]}},
                                           group=r.group, annotator="adjudicator", time=r.time, title=r.title))
        print(f"agreement study: {len(first)} paragraphs in both passes, {len(verdicts)} adjudicated")
    seen: dict[str, LabelRecord] = {}
    unique = []
    for k, r in keyed:  # the same paragraph text in two articles is kept once (its first reading)
        if r.hash in seen:
            if set(seen[r.hash].labels) != set(r.labels):
                print(f"repeated paragraph labeled differently, first kept: {k} {list(r.labels)} vs "
                      f"{list(seen[r.hash].labels)}")
            continue
        seen[r.hash] = r
        unique.append((k, r))
    keyed = unique
    args.out.write_text("".join(dumps(r.to_dict()) + "\n" for _, r in keyed), encoding="utf-8")
    print(f"{args.out}: {len(keyed)} labeled paragraphs")


if __name__ == "__main__":
    main()
