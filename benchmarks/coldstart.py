"""Benchmark 4: cold start, `tagger classify one-article.txt` in a fresh process (median of N),
beside fastText's own command-line `predict-prob` on the same article.

    python benchmarks/coldstart.py [--runs 10]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from common import OUT, ROOT, fasttext_cli, fasttext_line, save, train_fasttext
from tagger.normalize import normalize


def timed(cmd, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=ROOT)
        times.append(time.perf_counter() - t0)
    return {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
            "max_s": round(max(times), 3), "runs": runs}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    article = ROOT / "seeds" / "002_c4ed5918ed66c263.txt"
    exe = fasttext_cli()
    from tagger.labelstore import latest, read_labels
    labels = list(latest(read_labels(sorted((ROOT / "labels").glob("*.jsonl")))[0]).values())
    ft = train_fasttext([fasttext_line(r.labels, r.text) for r in labels], epoch=25, lr=1.0, wordNgrams=2, minn=2,
                        maxn=5, dim=50, loss="ova", thread=1)
    ft.save_model(str(OUT / "ft.bin"))
    one = OUT / "one-article.normalised.txt"
    one.write_text(normalize(article.read_text(encoding="utf-8")) + "\n", encoding="utf-8")
    tagger_bin = [sys.executable, "-m", "tagger"]
    res = {"article": str(article.relative_to(ROOT)),
           "tagger_classify": timed([*tagger_bin, "classify", str(article), "-f", "jsonl"], args.runs),
           "tagger_help": timed([*tagger_bin, "--help"], args.runs),
           "fasttext_cli_predict_prob": timed([str(exe), "predict-prob", str(OUT / "ft.bin"), str(one), "-1"],
                                              args.runs)}
    res["target_met"] = res["tagger_classify"]["median_s"] <= 0.6
    res["ratio_tagger_over_fasttext"] = round(res["tagger_classify"]["median_s"]
                                              / res["fasttext_cli_predict_prob"]["median_s"], 2)
    imports = subprocess.run([*tagger_bin, "--help"], capture_output=True, text=True, cwd=ROOT,
                             env={"PYTHONPROFILEIMPORTTIME": "1"}).stderr
    res["help_imports_sklearn"] = "sklearn" in imports
    save("coldstart", res)


if __name__ == "__main__":
    main()
