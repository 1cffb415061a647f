"""Console entry point: Ctrl-C is handled even while the CLI's modules are still loading."""

from __future__ import annotations

import os
import sys

# glibc serves each large numpy buffer (over 128 KiB) with its own mmap and unmaps it when freed,
# so every batch of classify faulted its arrays' pages in again: 320,000 page faults and a fifth
# of the run on 5,000 articles. Buffers up to 32 MiB come from the heap instead, and freed heap
# memory is kept for the next batch (peak memory barely moves: 112 MB against 116 MB there).
MALLOC = {"MALLOC_MMAP_THRESHOLD_": 32 << 20, "MALLOC_TRIM_THRESHOLD_": 512 << 20}
_MALLOPT = {"MALLOC_MMAP_THRESHOLD_": -3, "MALLOC_TRIM_THRESHOLD_": -1}  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD


def tune_malloc() -> None:
    """Apply `MALLOC` to this process (glibc's mallopt) and, through the environment, to the
    worker processes it starts (--jobs, --dask local). Settings the user exported win."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    for name, value in MALLOC.items():
        try:
            mallopt(_MALLOPT[name], int(os.environ.setdefault(name, str(value))))
        except (ValueError, OverflowError, ctypes.ArgumentError):  # the user's own setting, as glibc reads it
            pass


def main() -> None:
    try:
        tune_malloc()
        from .cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
    run()
