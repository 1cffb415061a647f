"""Benchmark 3: classification throughput on a fixed 20,000-article slice of the corpus.

The slice is the first 20,000 records of news.jsonl.gz. tagger segments, normalises and
scores every paragraph and article on one core (in process, model already loaded), and
then, like for like with fastText, scores the same paragraphs already cut out;
fastText predicts the same paragraphs on one core, once on text already normalised
(its cheapest case) and once including tagger's normalisation; and, to compare the same
job, fastText doing what `tagger classify` does: cut the articles into paragraphs (with
tagger's segmenter: fastText has none), then normalise and predict every paragraph and
every whole article. Then `tagger classify --jobs 1` and `--jobs 2` as whole commands on
the same slice.

The headline figures (tagger on one core, fastText's predict) are timed in alternating
rounds, as are the two `tagger classify` commands, and each is the best of its rounds
(as timeit does): the shared machine's speed drifts by ±15 % within minutes.

The process keeps large buffers in the heap as the `tagger` command does (`tagger.entry.tune_malloc`),
so the in-process figures are the command's; fastText's predict runs under the same setting.

    python benchmarks/throughput.py [--articles 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time

from common import OUT, ROOT, corpus, fasttext_line, pin_one_core, save, train_fasttext


def main() -> None:
    from tagger.entry import tune_malloc

    tune_malloc()
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3, help="alternating timed rounds; each figure is the best")
    args = ap.parse_args()
    recs = corpus(args.articles)
    mb = sum(len((r.get("title") or "").encode()) + len(r["text"].encode()) for r in recs) / 1e6
    slice_path = OUT / f"slice-{args.articles}.jsonl"
    with open(slice_path, "w", encoding="utf-8") as fh:
        for r in recs:
            fh.write(json.dumps({"id": r["id"], "title": r["title"], "text": r["text"]}, ensure_ascii=False) + "\n")
    all_cores = os.sched_getaffinity(0)
    pin_one_core()
    from tagger.tagging import classify_records, load_model
    from tagger.labelstore import latest, read_labels
    from tagger.normalize import normalize
    from tagger.segment import segment_record

    model = load_model()
    paras = [p.text for k in range(0, len(recs), 2000) for a in classify_records(recs[k:k + 2000], model)
             for p in a.paragraphs]
    labels = list(latest(read_labels(sorted((ROOT / "labels").glob("*.jsonl")))[0]).values())
    ft = train_fasttext([fasttext_line(r.labels, r.text) for r in labels], epoch=25, lr=1.0, wordNgrams=2, minn=2,
                        maxn=5, dim=50, loss="ova", thread=1)
    norm = [normalize(p) for p in paras]

    def tagger_pass() -> None:
        n_paras = 0
        for k in range(0, len(recs), 500):  # as the CLI does: 500 records at a time, results not kept
            n_paras += sum(len(a.paragraphs) for a in classify_records(recs[k:k + 500], model))
        assert n_paras == len(paras)

    # the two headline figures in alternating rounds, best of each (as timeit): the machine's speed drifts
    tagger_runs, ft_runs = [], []
    for _ in range(args.rounds):
        for runs, job in ((tagger_runs, tagger_pass), (ft_runs, lambda: ft.predict(norm, k=-1, threshold=0.0))):
            t0 = time.perf_counter()
            job()
            runs.append(round(time.perf_counter() - t0, 2))
    t_tagger, t_ft = min(tagger_runs), min(ft_runs)
    t0 = time.perf_counter()  # like for like with fastText: paragraphs already cut out, no articles
    for k in range(0, len(paras), 2000):
        model.predict_proba(paras[k:k + 2000])
    t_paras = time.perf_counter() - t0
    t0 = time.perf_counter()
    ft.predict([normalize(p) for p in paras], k=-1, threshold=0.0)
    t_ft_norm = time.perf_counter() - t0
    t0 = time.perf_counter()  # fastText doing tagger's whole job: segment, then paragraphs and articles
    for k in range(0, len(recs), 500):
        arts = [segment_record(str(r.get("text") or ""), str(r.get("title") or "").strip()) for r in recs[k:k + 500]]
        ft.predict([normalize(p.text) for a in arts for p in a.paragraphs], k=-1, threshold=0.0)
        ft.predict([normalize(" ".join([a.title, *(p.text for p in a.paragraphs)])) for a in arts], k=-1,
                   threshold=0.0)
    t_ft_job = time.perf_counter() - t0
    res = {"articles": len(recs), "paragraphs": len(paras), "megabytes": round(mb, 2), "rounds": args.rounds,
           "tagger_1core": {"seconds": round(t_tagger, 2), "paragraphs_per_s": round(len(paras) / t_tagger),
                            "mb_per_s": round(mb / t_tagger, 3), "rounds_seconds": tagger_runs},
           "fasttext_predict_1core": {"seconds": round(t_ft, 2), "paragraphs_per_s": round(len(paras) / t_ft),
                                      "rounds_seconds": ft_runs},
           "fasttext_normalise_and_predict_1core": {"seconds": round(t_ft_norm, 2),
                                                    "paragraphs_per_s": round(len(paras) / t_ft_norm)}}
    res["tagger_paragraphs_only_1core"] = {"seconds": round(t_paras, 2), "paragraphs_per_s": round(len(paras) / t_paras)}
    res["ratio_paragraphs_only_vs_fasttext_normalise_and_predict"] = round(t_ft_norm / t_paras, 3)
    res["fasttext_same_job_1core"] = {"seconds": round(t_ft_job, 2), "paragraphs_per_s": round(len(paras) / t_ft_job)}
    res["ratio_vs_fasttext_same_job"] = round(t_ft_job / t_tagger, 3)
    res["ratio_vs_fasttext_predict"] = round(t_ft / t_tagger, 3)
    res["ratio_vs_fasttext_normalise_and_predict"] = round(t_ft_norm / t_tagger, 3)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    cli_runs: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(args.rounds):
        for jobs in (1, 2):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "tagger", "classify", str(slice_path), "--jobs", str(jobs), "-f",
                            "jsonl"], stdout=subprocess.DEVNULL, check=True, env=env, cwd=ROOT,
                           preexec_fn=lambda: os.sched_setaffinity(0, all_cores))  # the pin is not inherited
            cli_runs[jobs].append(round(time.perf_counter() - t0, 2))
    for jobs, runs in cli_runs.items():
        res[f"cli_jobs_{jobs}"] = {"seconds": min(runs), "paragraphs_per_s": round(len(paras) / min(runs)),
                                   "rounds_seconds": runs}
    res["jobs_2_speedup"] = round(res["cli_jobs_1"]["seconds"] / res["cli_jobs_2"]["seconds"], 2)
    res["ratio_jobs_2_vs_fasttext_predict_1core"] = round(t_ft / res["cli_jobs_2"]["seconds"], 3)
    save("throughput", res)


if __name__ == "__main__":
    main()
