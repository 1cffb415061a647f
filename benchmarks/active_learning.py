"""Simulated labeling sessions: macro-F1 against the number of labels for each strategy.

The labeled set is split by article: 25 % held out as the test set, the rest is the
pool whose labels are revealed only when a strategy asks for them. Several such splits
(`--splits`), so that no one test set decides. Each run starts from
the same 40 random labels, then asks batches of 40 chosen by `uncertain` (tagger's
default), `rare` or `random` (the same `active.priorities` the session uses, with the rare
boost from the labels gathered so far), retrains, and scores the test set with
thresholds tuned on the labels gathered so far (3-fold). Several seeds per split; the
table gives the mean over splits and seeds. Target: `uncertain` reaches random's final macro-F1 with at most 60 % of the labels.

Realistic prevalence (`--pool-positive-rate R`): the labeled set was built by searching
for likely positives, so about a quarter of its paragraphs have a topic, far more than an
analyst's pool drawn from the corpus. With this option every pool keeps all its no-topic
paragraphs and only some of its articles' positive paragraphs: the pool's articles that
have a positive paragraph are shuffled (seeded by split and seed, the same for every
strategy) and taken in that order, all positive paragraphs of an article at once, until
the positives make up R of the pool (slightly more: the last article is taken whole).
The positive paragraphs left out are used nowhere: not asked, not trained on, not in the
test set, which stays the same held-out articles as without the option (features are
hashed and IDF is learned from the labeled rows only, so nothing of them leaks). Each seed
of a split draws its own subsample; the JSON (out/active_learning_posR.json unless `--name`
says otherwise) records the pools' sizes and shares.
Without the option (the default) the pool is the whole training side of the split.

    python benchmarks/active_learning.py [--splits 0,1,2] [--seeds 3] [--budget 800]
        [--pool-positive-rate 0.05] [--strategies uncertain,rare,random] [--name NAME] [--drawn-as VALUE]
        [--exclude-drawn-as VALUE,...]
"""

from __future__ import annotations

import argparse
import random

import numpy as np
from sklearn.model_selection import GroupShuffleSplit

from common import OUT, ROOT, n_labeled, save
from tagger.active import STRATEGIES, priorities, topic_weights
from tagger.model import TopicModel
from tagger.training import best_threshold, load_training_set, prf

START, STEP = 40, 40


def thresholds(counts, y, groups, ids, features, C, seed):
    """Per-topic thresholds from 3-fold out-of-fold scores on the labels gathered so far."""
    from sklearn.model_selection import GroupKFold
    p = np.zeros(y.shape)
    k = min(3, len(set(groups)))
    for tr, te in GroupKFold(n_splits=k).split(counts, y, groups):
        p[te] = TopicModel(ids, features=features, C=C, seed=seed).fit_counts(counts[tr], y[tr]).proba_counts(counts[te])
    return np.array([best_threshold(y[:, j], p[:, j]) for j in range(y.shape[1])])


def run(strategy, seed, X, ts, pool, test, budget, features, C, per_article=None, picks=None):
    """One simulated session's curve; `picks`, if given, receives the asked paragraphs in order."""
    ids = [t.id for t in ts.topics]
    rng = random.Random(seed)
    labeled = rng.sample(list(pool), START)
    first = set(labeled)
    rest = [i for i in pool if i not in first]
    curve = []
    groups = np.array(ts.groups)
    while True:
        idx = np.array(labeled)
        model = TopicModel(ids, features=features, C=C, seed=seed).fit_counts(X[idx], ts.y[idx])
        model.thresholds_ = thresholds(X[idx], ts.y[idx], groups[idx], ids, features, C, seed)
        pred = model.proba_counts(X[test]) >= model.thresholds_
        macro = np.mean([prf(ts.y[test, j], pred[:, j])["f1"] for j in range(len(ids))])
        curve.append((len(labeled), round(float(macro), 4)))
        if len(labeled) >= budget or not rest:
            return curve
        p = model.proba_counts(X[rest])
        w = topic_weights(ts.y[idx].sum(axis=0))
        prio = priorities(p, model.thresholds_, w, strategy, rng)
        order = np.argsort(-prio, kind="stable")
        taken: dict[str, int] = {}
        chosen = []
        for k in order:  # optionally at most `per_article` paragraphs of one article per batch
            g = ts.groups[rest[k]]
            if per_article and strategy != "random" and taken.get(g, 0) >= per_article:
                continue
            taken[g] = taken.get(g, 0) + 1
            chosen.append(rest[k])
            if len(chosen) == STEP:
                break
        labeled += chosen
        if picks is not None:
            picks += chosen
        chosen_set = set(chosen)
        rest = [i for i in rest if i not in chosen_set]


def realistic_pool(pool, y: np.ndarray, groups, rate: float | None, rng: random.Random) -> list[int]:
    """`pool` with all its no-topic paragraphs and the positive paragraphs of a seeded random
    subset of its articles, so that about `rate` of it is positive (see the module docstring)."""
    if rate is None:
        return list(pool)
    has_topic = y.any(axis=1)
    neg = [i for i in pool if not has_topic[i]]
    by_article: dict[str, list[int]] = {}
    for i in pool:
        if has_topic[i]:
            by_article.setdefault(groups[i], []).append(i)
    target = int(round(rate / (1.0 - rate) * len(neg)))
    articles = sorted(by_article)
    rng.shuffle(articles)
    keep: list[int] = []
    for a in articles:
        if len(keep) >= target:
            break
        keep += by_article[a]
    return sorted(neg + keep)


def reach(curve, goal: float):
    """Labels after which `curve` first reaches `goal` (None if it never does)."""
    return next((n for n, f in curve if f >= goal), None)


def plot(res: dict) -> str | None:
    """Learning curves as benchmarks/active_learning.png (needs matplotlib, in the bench extra)."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for s, pts in res["mean_macro_f1"].items():
        ax.plot([n for n, _ in pts], [f for _, f in pts], marker="o", ms=3, label=s)
    ax.axhline(res["random_final_macro_f1"], color="grey", ls=":", lw=1, label="random's final")
    n_final = res["mean_macro_f1"]["random"][-1][0]
    ax.axvline(0.6 * n_final, color="grey", ls="--", lw=1, label="target: 60 % of the labels")
    ax.set_xlabel("labeled paragraphs")
    ax.set_ylabel("macro-F1 on held-out articles")
    n_splits = len(str(res.get("splits", "0")).split(","))
    ax.set_title(f"Simulated labeling sessions on {n_labeled(res):,} labels "
                 f"(mean of {n_splits} splits x {res['seeds']} seeds)", fontsize=10)
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUT.parent / "active_learning.png", dpi=120)
    return "benchmarks/active_learning.png"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--splits", default="0,1,2", help="random states of the article-grouped test splits")
    ap.add_argument("--budget", type=int, default=800)
    ap.add_argument("--plot-only", action="store_true",
                    help="redraw benchmarks/active_learning.png from out/NAME.json (with --name; default active_learning)")
    ap.add_argument("--per-article", type=int, default=None,
                    help="at most this many paragraphs of one article per batch (uncertain, rare)")
    ap.add_argument("--name", default=None,
                    help="name of the result file in out/ (default: active_learning, or active_learning_posR "
                         "with --pool-positive-rate R)")
    ap.add_argument("--pool-positive-rate", type=float, default=None,
                    help="keep all no-topic paragraphs of the pool and the positive ones of a seeded subset of its "
                         "articles, so that about this share of the pool is positive (default: the whole pool; "
                         "a rate above the pool's own keeps it whole)")
    ap.add_argument("--drawn-as", default=None,
                    help="also report which share of each strategy's asked paragraphs (after the first 40) were "
                         "drawn into the labeled set as this `source.drawn_as` (e.g. al_uncertain: round 4)")
    ap.add_argument("--exclude-drawn-as", default=None,
                    help="comma-separated `source.drawn_as` values whose paragraphs are left out of every pool "
                         "(not asked, not trained on); the test sets are unchanged (e.g. al_uncertain,al_outlets: "
                         "the rounds drawn by the uncertain order)")
    ap.add_argument("--strategies", default="uncertain,rare,random",
                    help="comma-separated strategies to simulate (random is always run)")
    args = ap.parse_args()
    rate = args.pool_positive_rate
    if rate is not None and not 0.0 < rate < 1.0:
        ap.error("--pool-positive-rate must be between 0 and 1")
    strategies = [s for s in args.strategies.split(",") if s != "random"] + ["random"]
    if unknown := [s for s in strategies if s not in STRATEGIES]:
        ap.error(f"unknown strategies {unknown}; choose from {STRATEGIES}")
    if args.name is None:
        args.name = "active_learning" if rate is None else f"active_learning_pos{rate:g}"
    if args.plot_only:
        import json
        path = OUT / f"{args.name}.json"
        res = json.loads(path.read_text(encoding="utf-8"))
        res["plot"] = plot(res)
        path.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
        return
    ts = load_training_set(sorted((ROOT / "labels").glob("*.jsonl")), ROOT / "labels" / "taxonomy.json")
    features, C = "word+char", 10.0
    X = TopicModel(features=features).counts(ts.texts)
    keys = [int(k) for k in args.splits.split(",")]
    splits = [next(GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=k).split(X, ts.y, ts.groups))
              for k in keys]
    excluded = set(args.exclude_drawn_as.split(",")) if args.exclude_drawn_as else set()
    kept = np.array([r.source.get("drawn_as") not in excluded for r in ts.records])
    # one pool per split and seed, the same for every strategy
    pools = {(k, seed): realistic_pool(tr[kept[tr]], ts.y, ts.groups, rate, random.Random(f"pool:{k}:{seed}"))
             for k, (tr, _) in zip(keys, splits) for seed in range(args.seeds)}
    budget = min([args.budget] + [len(p) for p in pools.values()])
    runs = [(k, seed, te) for k, (_, te) in zip(keys, splits) for seed in range(args.seeds)]
    picks = {s: [[] for _ in runs] for s in strategies}
    curves = {s: [run(s, seed, X, ts, pools[k, seed], te, budget, features, C, args.per_article, picks[s][n])
                  for n, (k, seed, te) in enumerate(runs)]
              for s in strategies}
    mean = {s: [(n, round(float(np.mean([c[k][1] for c in cs])), 4)) for k, (n, _) in enumerate(cs[0])]
            for s, cs in curves.items()}
    final_random = mean["random"][-1][1]
    n_final = mean["random"][-1][0]
    reached = {s: reach(m, final_random) for s, m in mean.items()}
    positive = [ts.y[p].any(axis=1) for p in pools.values()]  # per pool: which paragraphs have a topic
    res = {"pool": [len(tr) for tr, _ in splits], "test": [len(te) for _, te in splits],
           "pool_positive_rate": rate, "pool_sizes": [len(p) for p in pools.values()],
           "pool_positive_paragraphs": [int(h.sum()) for h in positive],
           "pool_positive_share_mean": round(float(np.mean([h.mean() for h in positive])), 4),
           "pool_positives_per_topic_mean": [round(float(np.mean([ts.y[p][:, j].sum() for p in pools.values()])), 1)
                                             for j in range(ts.y.shape[1])],
           "test_positive_share": [round(float(ts.y[te].any(axis=1).mean()), 4) for _, te in splits],
           "splits": args.splits, "seeds": args.seeds, "start": START, "step": STEP, "budget": budget,
           "per_article": args.per_article, "excluded_drawn_as": sorted(excluded),
           "mean_macro_f1": mean, "final_macro_f1_per_run": {s: [c[-1][1] for c in cs] for s, cs in curves.items()},
           "random_final_macro_f1": final_random,
           "labels_to_reach_random_final": reached,
           "fraction_of_labels_to_reach_random_final": {s: None if n is None else round(n / n_final, 3)
                                                        for s, n in reached.items()},
           }
    if args.drawn_as:  # share of the asked paragraphs with that origin, by labels asked so far, mean over runs
        tagged = np.array([r.source.get("drawn_as") == args.drawn_as for r in ts.records])
        res["drawn_as"] = {"value": args.drawn_as,
                           "pool_share": round(float(np.mean([tagged[p].mean() for p in pools.values()])), 4),
                           "share_of_asked": {s: [(START + n, round(float(np.mean([tagged[run_[:n]].mean()
                                                                                  for run_ in picks[s]])), 4))
                                                  for n in range(STEP, budget - START + 1, STEP * 4)]
                                              for s in strategies}}
    frac = res["fraction_of_labels_to_reach_random_final"].get("uncertain")
    res["target_met"] = frac is not None and frac <= 0.6
    res["plot"] = plot(res) if args.name == "active_learning" else None
    save(args.name, res)


if __name__ == "__main__":
    main()
