"""Print what the label files hold: paragraphs, articles, corpora, outlets, positives per topic.

    python labels/counts.py            # labels/*.jsonl
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tagger.labelstore import latest, read_labels  # noqa: E402
from tagger.taxonomy import load_taxonomy  # noqa: E402


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or sorted((ROOT / "labels").glob("*.jsonl"))
    topics = [t.id for t in load_taxonomy(ROOT / "labels" / "taxonomy.json")]
    recs = list(latest(read_labels(paths)[0]).values())
    corpus = [r for r in recs if r.source.get("corpus")]
    print(f"labeled paragraphs: {len(recs)} ({len(corpus)} from the news corpus, {len(recs) - len(corpus)} from seeds)")
    print(f"articles: {len({r.group for r in recs})} ({len({r.group for r in corpus})} from the corpus)")
    print("corpora:", dict(Counter(r.source['corpus'] for r in corpus)))
    print(f"outlets ({len({r.source.get('outlet') for r in corpus})}):",
          dict(Counter(r.source.get("outlet") for r in corpus).most_common()))
    for t in topics:
        print(f"{t:<16} {sum(t in r.labels for r in recs):5d} positive")
    print(f"{'no topic':<16} {sum(not r.labels for r in recs):5d}")
    print("annotators:", dict(Counter(r.annotator for r in recs)))
    hard = [r for r in corpus if r.source.get("drawn_as", "").startswith("hard_")]
    print(f"drawn as hard negatives: {len(hard)} paragraphs, {sum(not r.labels for r in hard)} with no topic;",
          dict(Counter(r.source["drawn_as"] for r in hard if not r.labels)))
    rnd = [r for r in corpus if r.source.get("drawn_as") == "random"]
    print(f"drawn at random: {len(rnd)} paragraphs, {sum(not r.labels for r in rnd)} with no topic")


if __name__ == "__main__":
    main()
