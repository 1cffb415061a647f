"""Write benchmarks/RESULTS.md from the figures in benchmarks/out/*.json.

    python benchmarks/report.py [--force]

A section is written only when its JSON is in out/. If RESULTS.md has a section the new
text lacks, the new text goes to out/RESULTS.partial.md instead and the missing sections
are named (exit 1), so figures whose JSON is gone are not silently dropped; `--force`
overwrites anyway.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from common import OUT, n_labeled

HERE = Path(__file__).resolve().parent


def load(name):
    p = OUT / f"{name}.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else None


RUN_NAMES = ("accuracy", "outlets", "sections", "throughput", "coldstart", "memory", "train_time", "active_learning",
             "dask_scaling")


def mark(ok):
    return "met" if ok else "**missed**"


# further runs of benchmarks/active_learning.py, shown when their JSON is in out/: the labeled set as drawn on
# other test splits or with more seeds, and pools cut to a realistic share of positives (--pool-positive-rate)
FURTHER_RUNS = ("active_learning_splits345", "active_learning_seeds6", "active_learning_splits345_seeds6",
                "active_learning_splits0-11", "active_learning_splits0-11_round4",
                "active_learning_splits0-11_round5", "active_learning_splits0-11_round5_noal")
PREVALENCE_RUNS = ("active_learning_pos0.05", "active_learning_pos0.05_splits345", "active_learning_pos0.1",
                   "active_learning_pos0.1_splits345", "active_learning_pos0.05_round4",
                   "active_learning_pos0.05_splits345_round4", "active_learning_pos0.05_round5",
                   "active_learning_pos0.05_splits345_round5", "active_learning_pos0.05_splits678_round5",
                   "active_learning_pos0.05_splits91011_round5")


def headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("## ")]


def dropped(old: str, new: str) -> list[str]:
    """Sections of `old` that `new` does not have."""
    return [h for h in headings(old) if h not in headings(new)]


def main(force: bool = False) -> int:
    parts = ["# Benchmark results", "",
             "Produced by `python benchmarks/report.py` from `benchmarks/out/*.json`; each section names the "
             "command that produced it. Figures are from one run on the machine below. The machine is a shared "
             "virtual machine whose speed drifts: runs minutes apart vary by ±15 %, and on 2026-11-23 the "
             "same code ran 2-3x slower at 15:00 than at 12:30 UTC (fastText's predict of the same 166,832 "
             "paragraphs: 6.6 s, then 21.3 s; `tagger --help`: 0.12 s, then 0.26 s). Compare tools by the "
             "ratios, which are measured in the same run; absolute times are this run's.", ""]
    any_machine = next((load(n)["machine"] for n in ("accuracy", "throughput", "coldstart", "memory") if load(n)), None)
    if any_machine:
        m = any_machine
        parts += [f"Machine: {m['cores']} cores, {m['cpu']}; Python {m['versions']['python']}, numpy "
                  f"{m['versions']['numpy']}, scikit-learn {m['versions']['scikit-learn']}, fastText "
                  f"{m['versions'].get('fasttext', '?')} (fasttext-numpy2-wheel). Date: {m['date']}.", ""]
        parts += ["Each benchmark's run: " + "; ".join(f"{n} {r['machine']['date']}" for n, r in
                                                       ((n, load(n)) for n in RUN_NAMES) if r) + ".", ""]
    summary = []
    a = load("accuracy")
    if a:
        summary.append(("macro-F1 on our topics ≥ fastText + 0.05",
                        f"{a['tagger']['macro_f1']:.3f} vs {a['fasttext']['macro_f1']:.3f} "
                        f"({a['macro_f1_difference']:+.3f})", mark(a["target_met"])))
    t = load("throughput")
    if t:
        job = (f"; fastText doing the same job: {t['ratio_vs_fasttext_same_job']:.2f}×"
               if "ratio_vs_fasttext_same_job" in t else "")
        summary.append(("throughput ≥ 1.0× fastText predict, one core",
                        f"whole pipeline vs bare predict {t['ratio_vs_fasttext_predict']:.2f}× (vs fastText incl. "
                        f"normalisation: {t['ratio_vs_fasttext_normalise_and_predict']:.2f}×{job}); paragraph "
                        f"scoring like for like: {t['ratio_paragraphs_only_vs_fasttext_normalise_and_predict']:.2f}×",
                        mark(t["ratio_vs_fasttext_predict"] >= 1.0)))
        summary.append(("close to 2× with --jobs 2", f"{t['jobs_2_speedup']:.2f}×", mark(t["jobs_2_speedup"] >= 1.7)))
    c = load("coldstart")
    if c:
        summary.append(("cold single-article classify ≤ 0.6 s median", f"{c['tagger_classify']['median_s']:.3f} s "
                        f"(fastText CLI {c['fasttext_cli_predict_prob']['median_s']:.3f} s)", mark(c["target_met"])))
    mem = load("memory")
    if mem:
        summary.append(("peak memory ≤ 400 MB, whole corpus",
                        f"{mem['whole_corpus_57015_articles']['peak_rss_mb']:.0f} MB", mark(mem["target_met"])))
    tt = load("train_time")
    if tt:
        summary.append(("`tagger train` ≤ 60 s", f"{tt['seconds']:.1f} s", mark(tt["target_met"])))
    al = load("active_learning")
    if al:
        runs = [al] + [r for r in (load(n) for n in FURTHER_RUNS + PREVALENCE_RUNS) if r]

        def pool(r):
            what = (f"pool {r['pool_positive_share_mean'] * 100:.0f} % positive" if r.get("pool_positive_rate")
                    else f"labeled set as drawn ({n_labeled(r)} paragraphs)")
            return f"{what}, splits {r['splits']}" + (f", {r['seeds']} seeds" if r["seeds"] != 3 else "")

        def share(r):
            f = r["fraction_of_labels_to_reach_random_final"]["uncertain"]
            return "not reached" if f is None else f"{f * 100:.0f} %"

        missed = sum(not r["target_met"] for r in runs)
        summary.append(("active learning: random's final macro-F1 with ≤ 60 % of the labels",
                        "; ".join(f"{pool(r)}: {share(r)}" for r in runs),
                        f"**missed** on {missed} of {len(runs)} runs" if missed else "met"))
    parts += ["## Targets", "", "| target | result | |", "| --- | --- | --- |"]
    parts += [f"| {a_} | {b_} | {c_} |" for a_, b_, c_ in summary]
    parts.append("")
    if a:
        parts += ["## 1. Accuracy on our topics", "", "`python benchmarks/accuracy.py`", "",
                  f"{a['paragraphs']} labeled paragraphs from {a['articles']} articles, {a['folds']}-fold cross-validation "
                  "grouped by article, near-copies joined (the same folds for both); each system chosen on its grid by that CV; every "
                  "fold cut at per-topic thresholds tuned on the other folds. fastText: supervised, `-loss ova`, "
                  f"word n-grams {a['fasttext']['wordNgrams']}, subwords {a['fasttext']['minn']}-{a['fasttext']['maxn']}, "
                  f"dim {a['fasttext']['dim']}, best epoch {a['fasttext']['epoch']} and lr {a['fasttext']['lr']}; "
                  f"tagger: best `{a['tagger']['features']}`, C = {a['tagger']['C']:g}.", "",
                  "| topic | tagger P | tagger R | tagger F1 | fastText P | fastText R | fastText F1 |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for topic, m in a["tagger"]["per_topic"].items():
            f = a["fasttext"]["per_topic"][topic]
            parts.append(f"| `{topic}` | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | "
                         f"{f['precision']:.3f} | {f['recall']:.3f} | {f['f1']:.3f} |")
        parts += [f"| **macro** | | | **{a['tagger']['macro_f1']:.3f}** | | | **{a['fasttext']['macro_f1']:.3f}** |", "",
                  f"Grid (macro-F1): tagger {a['grid']['tagger']}; fastText (epoch, lr) {a['grid']['fasttext']}.", ""]
    o = load("outlets")
    if o:
        parts += ["## 1b. Outlets and corpora never trained on", "", "`python benchmarks/outlets.py`", "",
                  "The same labels, grid and threshold tuning as above, but each held-out part is a whole outlet "
                  "(the seed files count as one), then a whole corpus (ant-multisource, pan-Arab outlets, 2018; "
                  "SaudiNewsNet, Saudi outlets, 2015): the model never saw that outlet's, or that corpus's, "
                  "articles. Near-copy groups go with the outlet most of their paragraphs come from.", "",
                  "| held out | parts | tagger macro-F1 (best of grid) | fastText macro-F1 (best of grid) | difference |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        for key, what in (("by_outlet", "one outlet at a time"), ("by_corpus", "one corpus at a time")):
            r = o[key]
            parts.append(f"| {what} | {len(r['parts'])} | {r['tagger']['macro_f1']:.3f} (`{r['tagger']['features']}`, "
                         f"C = {r['tagger']['C']:g}) | {r['fasttext']['macro_f1']:.3f} | {r['macro_f1_difference']:+.3f} |")
        parts += ["", f"Grid, one outlet at a time: tagger {o['by_outlet']['grid']['tagger']}; fastText (epoch, lr) "
                  f"{o['by_outlet']['grid']['fasttext']}. One corpus at a time: tagger {o['by_corpus']['grid']['tagger']}; "
                  f"fastText {o['by_corpus']['grid']['fasttext']}.", "",
                  "Holding out a whole corpus trains on about half the labels and tests on another year's "
                  "stories; every recipe loses about as much, so the gap is one of data, not of recipe.", ""]
    s = load("sections")
    if s:
        parts += ["## 2. A second task: site sections", "", "`python benchmarks/sections.py`", "",
                  f"{s['task']}; {s['split']}; {s['train_articles']} training and {s['test_articles']} test articles. "
                  "tagger is trained through a new taxonomy file and label file (no code change); each article is "
                  "its title and first 1,500 characters; the prediction is the highest-scoring section.", "",
                  "| | accuracy | macro-F1 | training (s) |", "| --- | ---: | ---: | ---: |",
                  f"| tagger (`{s['tagger']['features']}`) | {s['tagger']['accuracy']:.3f} | {s['tagger']['macro_f1']:.3f} "
                  f"| {s['tagger']['train_seconds']} (incl. CV over 2 feature sets) |",
                  f"| fastText (softmax, {s['fasttext']['chosen']['epoch']} epochs, lr {s['fasttext']['chosen']['lr']}; "
                  f"4/5 of the training articles, settings chosen on the last 1/5) | {s['fasttext']['accuracy']:.3f} | "
                  f"{s['fasttext']['macro_f1']:.3f} "
                  f"| {s['fasttext']['train_seconds']} |", ""]
    if t:
        parts += ["## 3. Throughput", "", "`python benchmarks/throughput.py`", "",
                  f"The first {t['articles']:,} articles of the corpus: {t['paragraphs']:,} paragraphs, "
                  f"{t['megabytes']} MB of text.", "",
                  "| | seconds | paragraphs/s | ratio |", "| --- | ---: | ---: | ---: |",
                  f"| tagger, one core (segment, normalise, score paragraphs and articles) | {t['tagger_1core']['seconds']} "
                  f"| {t['tagger_1core']['paragraphs_per_s']:,} | 1.00 |",
                  f"| fastText predict, one core, text already normalised | {t['fasttext_predict_1core']['seconds']} | "
                  f"{t['fasttext_predict_1core']['paragraphs_per_s']:,} | {t['ratio_vs_fasttext_predict']:.2f} |",
                  f"| fastText normalise + predict, one core | {t['fasttext_normalise_and_predict_1core']['seconds']} | "
                  f"{t['fasttext_normalise_and_predict_1core']['paragraphs_per_s']:,} | "
                  f"{t['ratio_vs_fasttext_normalise_and_predict']:.2f} |",
                  *([f"| fastText doing tagger's job, one core (tagger's segmenter, then normalise + predict every "
                     f"paragraph and every whole article) | {t['fasttext_same_job_1core']['seconds']} | "
                     f"{t['fasttext_same_job_1core']['paragraphs_per_s']:,} | {t['ratio_vs_fasttext_same_job']:.2f} |"]
                    if "fasttext_same_job_1core" in t else []),
                  f"| tagger, one core, the same paragraphs already cut out (normalise, score) | "
                  f"{t['tagger_paragraphs_only_1core']['seconds']} | {t['tagger_paragraphs_only_1core']['paragraphs_per_s']:,} "
                  f"| vs fastText normalise + predict: {t['ratio_paragraphs_only_vs_fasttext_normalise_and_predict']:.2f} |",
                  f"| `tagger classify --jobs 1` (whole command) | {t['cli_jobs_1']['seconds']} | "
                  f"{t['cli_jobs_1']['paragraphs_per_s']:,} | |",
                  f"| `tagger classify --jobs 2` (whole command) | {t['cli_jobs_2']['seconds']} | "
                  f"{t['cli_jobs_2']['paragraphs_per_s']:,} | {t['jobs_2_speedup']:.2f}× jobs 1 |", "",
                  f"tagger on one core: {t['tagger_1core']['mb_per_s']} MB/s. \"ratio\" is tagger's speed over the "
                  "other's (above 1: tagger is faster). fastText's predict figures exclude segmentation, which it does "
                  "not do, and article scores.", "",
                  *([f"tagger on one core and fastText's predict were timed in {t['rounds']} alternating rounds, and so "
                     "were the two commands; each figure above is the best of its rounds. All rounds (s): tagger "
                     f"{t['tagger_1core']['rounds_seconds']}, fastText {t['fasttext_predict_1core']['rounds_seconds']}, "
                     f"--jobs 1 {t['cli_jobs_1']['rounds_seconds']}, --jobs 2 {t['cli_jobs_2']['rounds_seconds']}.", ""]
                    if "rounds" in t else [])]
    if c:
        parts += ["## 4. Cold start", "", "`python benchmarks/coldstart.py`", "",
                  "| command (fresh process, 10 runs) | median s | min | max |", "| --- | ---: | ---: | ---: |"]
        for k, label in (("tagger_classify", "`tagger classify seeds/002_….txt`"), ("tagger_help", "`tagger --help`"),
                         ("fasttext_cli_predict_prob", "`fasttext predict-prob model.bin one.txt -1`")):
            parts.append(f"| {label} | {c[k]['median_s']} | {c[k]['min_s']} | {c[k]['max_s']} |")
        parts += ["", f"`tagger --help` imports scikit-learn: {c['help_imports_sklearn']}.", ""]
    if mem:
        parts += ["## 5. Memory", "", "`python benchmarks/memory.py`", "",
                  "| `tagger classify … -f jsonl > /dev/null` | peak RSS | seconds |", "| --- | ---: | ---: |",
                  f"| first 5,000 articles | {mem['first_5000_articles']['peak_rss_mb']} MB | "
                  f"{mem['first_5000_articles']['seconds']} |",
                  f"| whole corpus, 57,015 articles, streamed from news.jsonl.gz | "
                  f"{mem['whole_corpus_57015_articles']['peak_rss_mb']} MB | {mem['whole_corpus_57015_articles']['seconds']} |",
                  ""]
    if tt:
        parts += ["## 6. Training time", "", "`python benchmarks/train_time.py`", "",
                  f"`tagger train` on all labels (feature search over 5 configurations × 5 grouped folds, thresholds, "
                  f"final fit): {tt['seconds']} s.", ""]
    if al:
        parts += ["## Active learning (issue: labeling)", "", "`python benchmarks/active_learning.py`", "",
                  f"{len(al['pool'])} article-grouped splits (random states {al['splits']}): pools of "
                  f"{', '.join(map(str, al['pool']))} paragraphs, tests of {', '.join(map(str, al['test']))} "
                  f"(held-out articles); start {al['start']}, batches of {al['step']}, mean over the splits and "
                  f"{al['seeds']} seeds each.", "",
                  "| labels | " + " | ".join(al["mean_macro_f1"]) + " |", "| ---: |" + " ---: |" * len(al["mean_macro_f1"])]
        strategies = list(al["mean_macro_f1"])
        for k, (n, _) in enumerate(al["mean_macro_f1"][strategies[0]]):
            parts.append(f"| {n} | " + " | ".join(f"{al['mean_macro_f1'][s][k][1]:.3f}" for s in strategies) + " |")
        parts += ["", f"random's final macro-F1: {al['random_final_macro_f1']:.3f}; uncertain reaches it after "
                  f"{al['labels_to_reach_random_final']['uncertain']} labels. Plot: `{al['plot']}`.", ""]
        for n in FURTHER_RUNS:
            r = load(n)
            if r:
                frac = r["fraction_of_labels_to_reach_random_final"]
                parts += [f"Test splits {r['splits']}, {r['seeds']} seeds each, {n_labeled(r)} labeled "
                          f"paragraphs (`python benchmarks/active_learning.py "
                          f"--splits {r['splits']} --seeds {r['seeds']} --name {n}"
                          + (f" --drawn-as {r['drawn_as']['value']}" if r.get("drawn_as") else "")
                          + (f" --exclude-drawn-as {','.join(r['excluded_drawn_as'])}"
                             if r.get("excluded_drawn_as") else "")
                          + f"`): random's final "
                          f"{r['random_final_macro_f1']:.3f}; "
                          + ", ".join(f"{s} reaches it with {'never' if f is None else f'{f * 100:.0f} %'}"
                                      for s, f in frac.items() if s != "random")
                          + " of the labels; final macro-F1 "
                          + ", ".join(f"{s} {c[-1][1]:.3f}" for s, c in r["mean_macro_f1"].items()) + "."
                          + (f" Plot: `{r['plot']}`." if r.get("plot") else ""), ""]
                if r.get("drawn_as"):
                    d = r["drawn_as"]
                    parts += [f"Paragraphs drawn as `{d['value']}` are {d['pool_share'] * 100:.1f} % of the pools; "
                              "their share of what each strategy asked, by labels so far: "
                              + "; ".join(f"{s} " + ", ".join(f"{v * 100:.0f} % at {n}" for n, v in xs)
                                          for s, xs in d["share_of_asked"].items()) + ".", ""]
        low = [(n, r) for n, r in ((n, load(n)) for n in PREVALENCE_RUNS) if r]
        if low:
            parts += ["### At a realistic share of positives", "",
                      "The labeled set was drawn by searching for likely positives, so a quarter of its paragraphs "
                      "have a topic; in the corpus the topics are in 2-4 % of articles, fewer paragraphs. With "
                      "`--pool-positive-rate R` each pool keeps all its no-topic paragraphs and the positive "
                      "paragraphs of a seeded random subset of its articles, up to R of the pool; the positives left "
                      "out are used nowhere and the test sets are unchanged. Budget 400.", "",
                      "| labeled set | pool positive | splits | random's final | uncertain reaches it at | "
                      "rare reaches it at | command |", "| ---: | ---: | --- | ---: | ---: | ---: | --- |"]
            for n, r in low:
                frac = r["fraction_of_labels_to_reach_random_final"]
                cell = lambda k: "never" if frac.get(k) is None else f"{frac[k] * 100:.0f} %"  # noqa: E731
                parts.append(f"| {n_labeled(r)} | {r['pool_positive_share_mean'] * 100:.1f} % | "
                             f"{r['splits']} | "
                             f"{r['random_final_macro_f1']:.3f} | {cell('uncertain')} | {cell('rare')} | "
                             f"`python benchmarks/active_learning.py --splits {r['splits']} --budget {r['budget']} "
                             f"--pool-positive-rate {r['pool_positive_rate']:g}"
                             + ("" if n == f"active_learning_pos{r['pool_positive_rate']:g}" else f" --name {n}") + "` |")
            parts += ["", "Curves (mean macro-F1 by labels):", "",
                      "| labels | " + " | ".join(f"{s} @{r['pool_positive_rate']:g} s{r['splits']} "
                                                f"n{n_labeled(r)}"
                                                for _, r in low for s in r["mean_macro_f1"]) + " |",
                      "| ---: |" + " ---: |" * sum(len(r["mean_macro_f1"]) for _, r in low)]
            for k, (n_labels, _) in enumerate(low[0][1]["mean_macro_f1"]["random"]):
                parts.append(f"| {n_labels} | " + " | ".join(f"{r['mean_macro_f1'][s][k][1]:.3f}" for _, r in low
                                                             for s in r["mean_macro_f1"]) + " |")
            parts.append("")
    d = load("dask_scaling")
    if d:
        parts += ["## Dask and --jobs", "", "`python benchmarks/dask_scaling.py`", "",
                  "| | seconds | articles/s |", "| --- | ---: | ---: |"]
        for k in ("one_process", "jobs_2", "dask_local_2_workers"):
            parts.append(f"| {k.replace('_', ' ')} | {d[k]['seconds']} | {d[k]['articles_per_s']} |")
        parts += ["", f"{d['articles']:,} articles; --jobs 2 speed-up {d['jobs_2_speedup']}×; Dask's overhead "
                  f"against --jobs 2: {d['dask_overhead_vs_jobs_2'] * 100:+.0f} %.", ""]
    text, target = "\n".join(parts), HERE / "RESULTS.md"
    missing = dropped(target.read_text(encoding="utf-8"), text) if target.exists() else []
    if missing and not force:
        target = OUT / "RESULTS.partial.md"
    target.write_text(text, encoding="utf-8")
    print(text)
    if missing and not force:
        print(f"\nNot overwriting RESULTS.md: no JSON in out/ for its sections {missing}; wrote {target}. "
              "Rerun those benchmarks, or pass --force.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(force="--force" in sys.argv[1:]))
