"""Shared helpers for the benchmarks: corpus access, machine facts, one-core pinning, fastText."""

from __future__ import annotations

import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "news.jsonl.gz"
OUT = ROOT / "benchmarks" / "out"
OUT.mkdir(parents=True, exist_ok=True)
sys.path.insert(0, str(ROOT))


def n_labeled(r: dict) -> int:
    """The size of the labeled set an active-learning run split into pool and test."""
    return r["pool"][0] + r["test"][0]


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numpy
    import sklearn
    v = {"python": platform.python_version(), "numpy": numpy.__version__, "scikit-learn": sklearn.__version__}
    try:
        import fasttext  # noqa: F401
        from importlib.metadata import version
        v["fasttext"] = version("fasttext-numpy2-wheel")
    except Exception:
        pass
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cores": os.cpu_count(), "cpu": cpu,
            "versions": v}


def pin_one_core() -> None:
    """Run this process on one core, with one BLAS thread."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
    except ImportError:
        pass


def corpus(n: int | None = None, where=lambda r: True) -> list[dict]:
    """The first `n` records of the corpus (that pass `where`), in file order."""
    out = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if where(r):
                out.append(r)
                if n is not None and len(out) >= n:
                    break
    return out


def fasttext_line(labels, text: str) -> str:
    from tagger.normalize import normalize
    tags = " ".join(f"__label__{t}" for t in labels) or "__label__none"
    return f"{tags} {normalize(text)}"


def train_fasttext(lines: list[str], **params):
    import fasttext
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    try:
        return fasttext.train_supervised(fh.name, verbose=0, seed=0, **params)
    finally:
        os.unlink(fh.name)


def fasttext_cli() -> Path:
    """fastText's own command-line tool, built from the PyPI source release (benchmark only)."""
    exe = OUT / "fasttext"
    if exe.exists():
        return exe
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                        "fasttext==0.9.3", "-d", d], check=True)
        subprocess.run(["tar", "xzf", f"{d}/fasttext-0.9.3.tar.gz", "-C", d], check=True)
        src = Path(d) / "fasttext-0.9.3" / "src"
        subprocess.run(["g++", "-std=c++17", "-O3", "-pthread", "-o", str(exe), *map(str, src.glob("*.cc"))],
                       check=True)
    return exe


def save(name: str, result: dict) -> None:
    result = {"machine": machine(), **result}
    (OUT / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
