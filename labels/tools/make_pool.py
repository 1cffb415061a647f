"""Choose which corpus paragraphs to read for labeling, and write them in batches.

Regular expressions here only decide what is *read*: topics are rare (2-4 % of
articles), so candidate articles are found by search, then every kept paragraph of
each chosen article is read and labeled by hand against TAXONOMY.md. No label is
ever taken from these patterns.

    python labels/make_pool.py ../shared/corpus/news.jsonl.gz OUTDIR --batches 7
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from pathlib import Path

# (name, how many articles, pattern that must match, pattern that must not match)
STRATA = [
    ("arms", 75, r"صفق(ة|ات) (ال)?(أسلحة|اسلحة|سلاح|مقاتلات|طائرات|صواريخ|دبابات|عسكرية)|"
     r"(بيع|شراء|تزويد|توريد|تسليم) (ال)?(أسلحة|اسلحة|السلاح|سلاح|صواريخ|مقاتلات|منظومة|منظومات)|"
     r"حظر (ال)?(أسلحة|السلاح|التسليح)|إس[ -]?400|اس[ -]?400|S-?400|باتريوت|إف[ -]?35", None),
    ("border", 50, r"حرس الحدود|الشريط الحدودي|المنافذ الحدودية|المنفذ الحدودي|الحد الجنوبي|تسلل|"
     r"متسللين|مهربين|المعبر الحدودي|السياج الحدودي", None),
    ("us", 55, r"(القوات|الجنود|القواعد|قاعدة|المستشارين|العسكريين) (ال)?(أمريكية|الأمريكية|الأميركية|"
     r"أميركية|الامريكية|الاميركية|الأمريكيين|الأميركيين|الامريكيين)|التحالف الدولي|"
     r"التحالف بقيادة (الولايات المتحدة|واشنطن)|السفارة (الأمريكية|الأميركية)", None),
    ("kurd", 50, r"العمال الكردستاني|وحدات حماية الشعب|قوات سوريا الديمقراطية|قسد|البيشمركة|عفرين|"
     r"المقاتلين الأكراد|القوات الكردية", None),
    # hard negatives: near a topic, usually not in it
    ("hard_defence", 12, r"التعاون الدفاعي|التعاون العسكري|مناورات|معرض (الدفاع|للصناعات)", r"صفق|تسليح|بيع"),
    ("hard_usdiplo", 12, r"وزير الخارجية (الأمريكي|الأميركي)|بومبيو|تيلرسون|كيري",
     r"القوات (الأمريكية|الأميركية)|قاعدة"),
    ("hard_kurdpol", 11, r"إقليم كردستان|كردستان العراق|البارزاني|بارزاني", r"البيشمركة|العمال الكردستاني"),
    ("hard_borders", 10, r"اللاجئين|المهاجرين|التبادل التجاري|المعابر التجارية|الصادرات", r"حرس الحدود|تسلل|تهريب"),
    ("random", 55, None, None),
]
MAX_PARAS = 7
MIN_CHARS = 30


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if len(p.strip()) >= MIN_CHARS]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--batches", type=int, default=7)
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--exclude", type=Path, nargs="*", default=[],
                    help="label files whose article ids are not drawn again")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    seen_ids = set()
    for f in args.exclude:
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                seen_ids.add(json.loads(line).get("id"))
    with gzip.open(args.corpus, "rt", encoding="utf-8") as fh:
        articles = [json.loads(line) for line in fh]
    rng.shuffle(articles)
    taken: set[str] = set(seen_ids)
    chosen: list[tuple[str, dict]] = []
    for name, n, must, mustnot in STRATA:
        m = re.compile(must) if must else None
        x = re.compile(mustnot) if mustnot else None
        got = 0
        # alternate corpora so both are represented in every stratum
        for corpus in ("ant-multisource-2.1", "saudinewsnet") * 1:
            want = n // 2 if corpus == "ant-multisource-2.1" else n - n // 2
            for a in articles:
                if got >= n or want <= 0:
                    break
                if a["corpus"] != corpus or a["id"] in taken:
                    continue
                body = a["text"]
                if m and not m.search(body):
                    continue
                if x and x.search(body):
                    continue
                if len(paragraphs(body)) < 1:
                    continue
                taken.add(a["id"])
                chosen.append((name, a))
                got += 1
                want -= 1
    seen_text: set[str] = set()
    items = []
    for name, a in chosen:
        for i, p in enumerate(paragraphs(a["text"])[:MAX_PARAS]):
            if p in seen_text:
                continue
            seen_text.add(p)
            items.append({"key": f"{a['id']}#{i}", "stratum": name, "corpus": a["corpus"],
                          "outlet": a["outlet"], "id": a["id"], "url": a["url"],
                          "date": a["date"], "paragraph": i, "title": a["title"], "text": p})
    # keep an article's paragraphs together, spread strata over batches
    by_article: dict[str, list[dict]] = {}
    for it in items:
        by_article.setdefault(it["id"], []).append(it)
    groups = list(by_article.values())
    rng.shuffle(groups)
    args.outdir.mkdir(parents=True, exist_ok=True)
    outs = [[] for _ in range(args.batches)]
    for g in sorted(groups, key=len, reverse=True):
        min(outs, key=len).extend(g)
    for k, out in enumerate(outs):
        path = args.outdir / f"batch_{k:02d}.jsonl"
        path.write_text("".join(json.dumps(it, ensure_ascii=False) + "\n" for it in out), encoding="utf-8")
        print(path, len(out), "paragraphs", len({it["id"] for it in out}), "articles")
    print("total", len(items), "paragraphs from", len(groups), "articles")


if __name__ == "__main__":
    main()
