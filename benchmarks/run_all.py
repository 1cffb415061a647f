"""Run every benchmark in turn (about 20-30 minutes on 2 cores); results land in benchmarks/out/."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for name in ("accuracy", "outlets", "sections", "throughput", "coldstart", "memory", "train_time", "active_learning",
             "dask_scaling"):
    print(f"== {name}", flush=True)
    subprocess.run([sys.executable, str(HERE / f"{name}.py")], check=True, cwd=HERE)
subprocess.run([sys.executable, str(HERE / "report.py")], check=True, cwd=HERE)
