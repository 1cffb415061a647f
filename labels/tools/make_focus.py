"""Second draw for labeling: paragraphs likely to bear on a rare topic, from articles not drawn yet.

As in make_pool.py, the patterns only choose what is read; every label is decided by
reading the paragraph. Each chosen paragraph comes with the paragraph after it, so the
draw also holds near-misses and ordinary text.

    python labels/tools/make_focus.py ../shared/corpus/news.jsonl.gz OUTDIR --exclude-batches DIR
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import random
import re
from pathlib import Path

from make_pool import MIN_CHARS, STRATA, paragraphs



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--exclude-batches", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=20261124)
    ap.add_argument("--focus", default="arms=230,us=130,border=130", help="stratum=paragraphs,...")
    ap.add_argument("--round", default="", help="suffix of the output files, for a later round")
    args = ap.parse_args()
    focus = {k: int(v) for k, v in (kv.split("=") for kv in args.focus.split(","))}
    rng = random.Random(args.seed)
    taken = {json.loads(line)["id"] for f in glob.glob(str(args.exclude_batches / "*.jsonl")) for line in open(f)}
    patterns = {name: re.compile(p) for name, _, p, _ in STRATA if name in focus}
    with gzip.open(args.corpus, "rt", encoding="utf-8") as fh:
        articles = [json.loads(line) for line in fh]
    rng.shuffle(articles)
    args.outdir.mkdir(parents=True, exist_ok=True)
    seen_text: set[str] = set()
    for name, want in focus.items():
        items = []
        for a in articles:
            if len(items) >= want:
                break
            if a["id"] in taken:
                continue
            paras = paragraphs(a["text"])
            hits = [i for i, p in enumerate(paras) if patterns[name].search(p)]
            if not hits:
                continue
            i = rng.choice(hits)
            taken.add(a["id"])
            for j in (i, i + 1):
                if j < len(paras) and paras[j] not in seen_text and len(paras[j]) >= MIN_CHARS:
                    seen_text.add(paras[j])
                    items.append({"key": f"{a['id']}#{j}", "stratum": f"focus_{name}", "corpus": a["corpus"],
                                  "outlet": a["outlet"], "id": a["id"], "url": a["url"], "date": a["date"],
                                  "paragraph": j, "title": a["title"], "text": paras[j]})
        path = args.outdir / f"focus_{name}{args.round}.jsonl"
        path.write_text("".join(json.dumps(it, ensure_ascii=False) + "\n" for it in items), encoding="utf-8")
        print(path, len(items), "paragraphs", len({it["id"] for it in items}), "articles")


if __name__ == "__main__":
    main()
