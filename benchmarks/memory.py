"""Benchmark 5: peak memory (max RSS, /usr/bin/time -v) of `tagger classify` over the whole corpus,
streamed from news.jsonl.gz, and over the first 5,000 articles (bounded memory: the two should be close).

    python benchmarks/memory.py
"""

from __future__ import annotations

import re
import subprocess
import sys
import time

from common import CORPUS, OUT, ROOT, corpus, save


def peak(args) -> dict:
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-m", "tagger", "classify", *args, "-f", "jsonl"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT, check=True)
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1))
    return {"peak_rss_mb": round(kb / 1024, 1), "seconds": round(time.perf_counter() - t0, 1)}


def main() -> None:
    import json
    small = OUT / "slice-5000.jsonl"
    with open(small, "w", encoding="utf-8") as fh:
        for r in corpus(5000):
            fh.write(json.dumps({"id": r["id"], "title": r["title"], "text": r["text"]}, ensure_ascii=False) + "\n")
    res = {"first_5000_articles": peak([str(small)]), "whole_corpus_57015_articles": peak([str(CORPUS)])}
    res["target_met"] = res["whole_corpus_57015_articles"]["peak_rss_mb"] <= 400
    save("memory", res)


if __name__ == "__main__":
    main()
