"""Cohen's kappa per topic between the first labels and the independent second pass.

    python labels/tools/agreement.py WORKDIR [--disagreements FILE]

WORKDIR holds out/*.labels.jsonl (first pass), second/second_pass.jsonl and
second/second_pass.labels.jsonl. Kappa is scikit-learn's cohen_kappa_score on the
paragraphs both passes labeled; the disagreements are written out for adjudication.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

TOPICS = ["arms_deals", "border_security", "us_presence", "kurdish_groups"]


def read(path: Path) -> dict[str, list[str]]:
    return {d["key"]: sorted(d["labels"]) for d in map(json.loads, path.read_text(encoding="utf-8").splitlines())
            if d}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("workdir", type=Path)
    ap.add_argument("--disagreements", type=Path)
    args = ap.parse_args()
    first = {}
    for f in sorted((args.workdir / "out").glob("*.labels.jsonl")):
        first.update(read(f))
    second = read(args.workdir / "second" / "second_pass.labels.jsonl")
    items = {json.loads(x)["key"]: json.loads(x) for x in
             (args.workdir / "second" / "second_pass.jsonl").read_text(encoding="utf-8").splitlines()}
    keys = [k for k in second if k in first]
    print(f"paragraphs in both passes: {len(keys)} of {len(second)}")
    print(f"{'topic':<16} {'kappa':>6} {'first+':>6} {'second+':>7} {'both+':>6}")
    for t in TOPICS:
        a = [int(t in first[k]) for k in keys]
        b = [int(t in second[k]) for k in keys]
        print(f"{t:<16} {cohen_kappa_score(a, b):6.3f} {sum(a):6d} {sum(b):7d} {sum(x and y for x, y in zip(a, b)):6d}")
    exact = sum(first[k] == second[k] for k in keys) / len(keys)
    print(f"exact agreement on the label set: {exact:.3f}")
    dis = [k for k in keys if first[k] != second[k]]
    print(f"disagreements: {len(dis)}")
    if args.disagreements:
        with open(args.disagreements, "w", encoding="utf-8") as fh:
            for k in dis:
                fh.write(json.dumps({"key": k, "title": items[k]["title"], "text": items[k]["text"],
                                     "first": first[k], "second": second[k]}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
