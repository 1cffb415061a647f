"""Write labels/seeds.jsonl: every paragraph of seeds/*.txt with the labels decided by reading it.

The decisions below were made by reading each paragraph against TAXONOMY.md and the
decisions in labels/README.md; this script only attaches them to the segmenter's
paragraphs, and fails if the segmentation no longer matches what was read.

    python labels/tools/seed_labels.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tagger.labelstore import LabelRecord  # noqa: E402
from tagger.records import dumps  # noqa: E402
from tagger.segment import segment  # noqa: E402

A, B, U, K = "arms_deals", "border_security", "us_presence", "kurdish_groups"
# file -> article -> {paragraph index: labels}; paragraphs not listed have no topic
DECISIONS = {
    "000_40c48c3d1e98fa5c.txt": [
        {1: [U], 3: [U], 4: [U], 6: [A], 7: [A], 8: [A], 9: [A], 10: [A], 11: [B]},
        {},  # the Gaza ceasefire article: no topic (TAXONOMY.md)
    ],
    "001_1f87a20759130aee.txt": [{2: [A], 4: [A], 11: [B], 16: [U], 17: [U]}],
    "002_c4ed5918ed66c263.txt": [{2: [B], 4: [B, U], 5: [B], 6: [U], 7: [U], 9: [B, K], 10: [B, K], 11: [B, K]}],
    "003_b0ebd5a042dcffbe.txt": [
        {4: [A], 6: [A], 7: [A], 8: [A], 9: [A], 10: [A], 11: [A], 12: [A]},
        {0: [K], 3: [K], 4: [K], 5: [K], 9: [K], 12: [K], 13: [K]},
    ],
    "004_a0a0517b3fa354ea.txt": [{0: [B], 4: [B], 5: [U], 6: [B], 8: [B, K], 9: [B], 10: [K], 12: [B], 20: [U]}],
}
EXPECTED_PARAGRAPHS = {"000_40c48c3d1e98fa5c.txt": [16, 10], "001_1f87a20759130aee.txt": [18],
                       "002_c4ed5918ed66c263.txt": [12], "003_b0ebd5a042dcffbe.txt": [13, 15],
                       "004_a0a0517b3fa354ea.txt": [27]}


def main() -> None:
    lines = []
    for name, per_article in DECISIONS.items():
        text = (ROOT / "seeds" / name).read_text(encoding="utf-8")
        articles = segment(text)
        got = [len(a.paragraphs) for a in articles]
        if got != EXPECTED_PARAGRAPHS[name]:
            sys.exit(f"{name}: segmentation changed ({got} paragraphs, labels were read on "
                     f"{EXPECTED_PARAGRAPHS[name]}); re-read the file before relabeling")
        for a, decided in zip(articles, per_article):
            for p in a.paragraphs:
                rec = LabelRecord(text=p.text, labels=tuple(decided.get(p.index, [])),
                                  source={"file": f"seeds/{name}", "article": a.index, "paragraph": p.index,
                                          "start": p.start, "end": p.end},
                                  group=f"seeds/{name}#{a.index}", annotator="maintainer-1",
                                  time="2026-11-23T07:30:00+00:00", title=a.title)
                lines.append(dumps(rec.to_dict()))
    out = ROOT / "labels" / "seeds.jsonl"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{out}: {len(lines)} paragraphs")


if __name__ == "__main__":
    main()
