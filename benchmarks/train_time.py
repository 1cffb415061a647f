"""Benchmark 6: wall time of `tagger train` on all labels (cross-validation, search, thresholds).

    python benchmarks/train_time.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time

from common import ROOT, save


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "tagger", "train", "--out", f"{d}/m"], cwd=ROOT,
                           capture_output=True, text=True, check=True)
        dt = time.perf_counter() - t0
    save("train_time", {"seconds": round(dt, 1), "target_met": dt <= 60, "output_tail": r.stderr[-1500:]})


if __name__ == "__main__":
    main()
