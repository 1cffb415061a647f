"""Articles per second on a corpus slice: one process, --jobs 2, and a 2-worker Dask LocalCluster;
the overhead of Dask against --jobs on the same machine.

    python benchmarks/dask_scaling.py [--articles 5000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from common import OUT, ROOT, corpus, save


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=5000)
    args = ap.parse_args()
    path = OUT / f"slice-{args.articles}.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for r in corpus(args.articles):
            fh.write(json.dumps({"id": r["id"], "title": r["title"], "text": r["text"]}, ensure_ascii=False) + "\n")
    res = {"articles": args.articles}
    for name, extra in (("one_process", []), ("jobs_2", ["--jobs", "2"]), ("dask_local_2_workers", ["--dask", "local"])):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tagger", "classify", str(path), "-f", "jsonl", *extra],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=ROOT)
        dt = time.perf_counter() - t0
        res[name] = {"seconds": round(dt, 2), "articles_per_s": round(args.articles / dt, 1)}
    res["jobs_2_speedup"] = round(res["one_process"]["seconds"] / res["jobs_2"]["seconds"], 2)
    res["dask_overhead_vs_jobs_2"] = round(res["dask_local_2_workers"]["seconds"] / res["jobs_2"]["seconds"] - 1, 3)
    save("dask_scaling", res)


if __name__ == "__main__":
    main()
