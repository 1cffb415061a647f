"""Draw a labeling round the way `tagger label` would: the shipped model's default order.

The corpus's paragraphs (the same segmenter and queue as `tagger label`) are ranked by
the `uncertain` strategy with the rare-topic boost from the labels so far; articles
already labeled and near-copies of labeled paragraphs are passed over, as in a session.
The first N are written in batches for annotators to read; with `--per-outlet K` no
outlet gives more than K, so that every outlet is read (round 5). The model only chooses what
is read; the annotators never see its scores or suggestions, and every label is decided
by reading the paragraph (notes/GUIDE.md).

    python labels/tools/make_al_round.py ../shared/corpus/news.jsonl.gz WORKDIR --n 400 --batches 5
    python labels/tools/make_al_round.py ../shared/corpus/news.jsonl.gz WORKDIR --n 320 --batches 4 \
        --per-outlet 24 --name round5 --stratum al_outlets
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tagger.active import Queue  # noqa: E402
from tagger.labelstore import NearDuplicates, latest, read_labels  # noqa: E402
from tagger.model import TopicModel  # noqa: E402
from tagger.pool import iter_candidates  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("workdir", type=Path)
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--batches", type=int, default=5)
    ap.add_argument("--name", default="al_round", help="batch files are NAME_0.jsonl ...")
    ap.add_argument("--per-outlet", type=int, default=0, help="at most K paragraphs from one outlet (0: no cap)")
    ap.add_argument("--stratum", default="al_uncertain", help="recorded as each label's drawn_as")
    args = ap.parse_args()
    records, _ = read_labels(sorted((ROOT / "labels").glob("*.jsonl")))
    done = latest(records)
    labeled_articles = {r.source.get("id") for r in done.values()} | {r.group for r in done.values()}
    near = NearDuplicates(0.6)
    for h, r in done.items():
        near.add(r.text, h)
    model = TopicModel.load(ROOT / "models" / "default")
    ids = list(model.topics)
    positives = [sum(t in r.labels for r in done.values()) for t in ids]
    info = {}
    with gzip.open(args.corpus, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            info[r["id"]] = {k: r.get(k) for k in ("corpus", "outlet", "url", "date")}
    cands = (c for c in iter_candidates([str(args.corpus)]) if c.group not in labeled_articles)
    queue = Queue(cands, model, "uncertain", positives, seen=set(done), near=near)
    queue.fill()  # score the whole pool, then take the best, as a session does once scoring is done
    items, per_outlet = [], Counter()
    while len(items) < args.n and (item := queue.pop(timeout=0)) is not None:
        c = item.candidate
        outlet = info[c.group]["outlet"]
        if args.per_outlet and per_outlet[outlet] >= args.per_outlet:
            continue
        per_outlet[outlet] += 1
        items.append({"key": f"{c.group}#{c.source['paragraph']}", "stratum": args.stratum,
                      **info[c.group], "id": c.group, "paragraph": c.source["paragraph"], "title": c.title,
                      "before": c.before, "text": c.text, "after": c.after})
    out = args.workdir / "batches"
    out.mkdir(parents=True, exist_ok=True)
    for b in range(args.batches):  # interleaved, so every batch spans the whole ranking
        part = items[b::args.batches]
        (out / f"{args.name}_{b}.jsonl").write_text(
            "".join(json.dumps(it, ensure_ascii=False) + "\n" for it in part), encoding="utf-8")
    print(f"{len(items)} paragraphs from {len({it['id'] for it in items})} articles in {args.batches} batches; "
          f"scored {queue.scored}, near-copies passed over {queue.passed_over}; by outlet {dict(per_outlet)}")


if __name__ == "__main__":
    main()
