"""Classification beyond one process: partitions of the input, tagged by local worker
processes (joblib) or by a Dask cluster.

A partition is a text file (read by the worker itself), a slice of records of a JSONL
corpus (plain or gzip), stdin, or an input that failed (carried as its error, so it is
reported in order). Records come back in input order. On Dask the model is scattered
to every worker once, a failed partition is retried, and each partition can be
written as its own JSONL shard, atomically.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from .errors import BadInput, BadOutput, ClusterError, InputNotFound, Notice, TaggerError
from .model import TopicModel
from .pool import is_jsonl, jsonl_records
from .records import TaggedArticle, dumps, records_of
from .sources import expand, read_source, read_stream

PARTITION_RECORDS = 500


@dataclass(frozen=True)
class Partition:
    """One unit of work. Exactly one of `path`, `records`, `stream`, `text`, `error` or `notice` is set."""

    index: int
    source: str
    path: str | None = None
    records: tuple = ()
    first: int = 0  # index of the first record in its corpus
    stream: object = field(default=None, compare=False)
    text: str | None = None
    error: TaggerError | None = None
    notice: Notice | None = None  # with no other field set: a warning about the input, in its place

    @property
    def articles_in(self) -> int | None:
        """Articles this partition holds, when known before tagging (JSONL records)."""
        return len(self.records) if self.records else None


def partitions(inputs: Iterable[str], size: int = PARTITION_RECORDS, stdin: BinaryIO | None = None,
               read_stdin: bool = False) -> Iterator[Partition]:
    """The inputs cut into partitions, in order. `read_stdin` reads stdin into memory (for workers)."""
    n = 0
    for item in expand(list(inputs)):
        if isinstance(item, TaggerError):
            yield Partition(n, str(item).split(":")[0], error=item)
            n += 1
        elif item == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            if read_stdin:
                try:
                    src = read_stream(stream)
                    yield Partition(n, "-", text=src.text)
                    if damage := src.damage():
                        n += 1
                        yield Partition(n, "-", notice=Notice(damage))
                except TaggerError as e:
                    yield Partition(n, "-", error=e)
            else:
                yield Partition(n, "-", stream=stream)
            n += 1
        elif is_jsonl(str(item)):
            chunk: list[dict] = []
            first = 0
            skipped: list[int] = []
            try:
                for k, rec in enumerate(jsonl_records(Path(item), skipped=skipped)):
                    chunk.append({"id": rec.get("id", k), "title": rec.get("title") or "", "text": rec["text"]})
                    if len(chunk) >= size:
                        yield Partition(n, str(item), records=tuple(chunk), first=first)
                        n, first, chunk = n + 1, k + 1, []
            except TaggerError as e:
                yield Partition(n, str(item), error=e)
                n += 1
            if chunk:
                yield Partition(n, str(item), records=tuple(chunk), first=first)
                n += 1
            if skipped:
                lines = ", ".join(map(str, skipped[:5])) + (", …" if len(skipped) > 5 else "")
                many = len(skipped) > 1
                yield Partition(n, str(item), notice=Notice(
                    f"{item}: {len(skipped)} line{'s' * many} skipped, not a JSON object with a \"text\" "
                    f"string (line{'s' * many} {lines})"))
                n += 1
        else:
            yield Partition(n, str(item), path=str(item))
            n += 1


class _Watched:
    """Chunks of text passed through unchanged, noting whether any held more than whitespace,
    and whether any held Arabic."""

    def __init__(self, chunks: Iterable[str]) -> None:
        self.chunks, self.any_text, self.any_arabic = chunks, False, False

    def __iter__(self) -> Iterator[str]:
        from .segment import has_arabic

        for c in self.chunks:
            self.any_text = self.any_text or (bool(c) and not c.isspace())
            self.any_arabic = self.any_arabic or has_arabic(c)
            yield c

    def why_nothing(self) -> str:
        """Why a text gave no article, in a few words."""
        if not self.any_text:
            return "empty, no text to tag"
        if not self.any_arabic:
            return "no Arabic text, nothing to tag"
        return "no Arabic paragraph to tag, only page furniture (captions, links, subscription lines)"


def iter_partition(part: Partition, model: TopicModel, model_name: str = "default"
                   ) -> Iterator[TaggedArticle | TaggerError | Notice]:
    """Tag one partition, streaming; its failure is yielded as the error. A `Notice` comes before
    the empty record of a text that held no article, and after the records of a text with bytes
    that did not decode."""
    from .tagging import classify_records, tag_stream
    from .segment import iter_articles, iter_lines

    if part.error is not None:
        yield part.error
        return
    if part.notice is not None:
        yield part.notice
        return
    try:
        if part.records:
            yield from classify_records(part.records, model, part.source, model_name, part.first)
            return
        if part.path is not None:
            src = read_source(Path(part.path))
        elif part.stream is not None:
            src = read_stream(part.stream)
        else:
            src = None
        chunks = _Watched(src.chunks if src is not None else [part.text or ""])
        articles = iter_articles(iter_lines(chunks))
        first = next(articles, None)
        if first is None:  # still one record, so that every input has one; the user is told why it is empty
            yield Notice(f"{part.source}: {chunks.why_nothing()}")
            yield from tag_stream((), part.source, model, model_name)
        else:
            yield from tag_stream(itertools.chain([first], articles), part.source, model, model_name)
        if src is not None and (damage := src.damage()):
            yield Notice(damage)
    except (BadInput, InputNotFound, TaggerError) as e:
        yield e


def tag_partition(part: Partition, model: TopicModel | str | Path, model_name: str = "default",
                  jsonl_level: str | None = None) -> list:
    """Tag a whole partition in a worker; `model` may be a directory, loaded once per process.
    With `jsonl_level`, articles come back as their JSONL text (cheaper to send than objects)."""
    if not isinstance(model, TopicModel):
        from .tagging import load_model
        model = load_model(model)
    out = list(iter_partition(part, model, model_name))
    if jsonl_level is not None:
        from .records import to_jsonl
        out = [to_jsonl(a, jsonl_level) if isinstance(a, TaggedArticle) else a for a in out]
    return out


def run_parallel(parts: Iterable[Partition], model: TopicModel, model_name: str, jobs: int,
                 jsonl_level: str | None = None) -> Iterator:
    """Tag partitions in `jobs` local worker processes (joblib), yielding results in input order."""
    from joblib import Parallel, delayed

    ref = getattr(model, "path_", None) or model  # workers load the model from disk once each
    pool = Parallel(n_jobs=jobs, return_as="generator", batch_size=1, pre_dispatch="2*n_jobs")
    for result in pool(delayed(tag_partition)(p, ref, model_name, jsonl_level) for p in parts):
        yield from result


# -- Dask -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DaskSummary:
    """What a Dask run did: every article in should be an article out; records out are one per
    article, or one per paragraph at the paragraph level."""

    partitions: int
    articles_in: int
    articles_out: int
    records_out: int
    errors: tuple[str, ...]
    notices: tuple[str, ...] = ()


def dask_partition(part: Partition, model: TopicModel, model_name: str, output: str | None,
                   level: str = "article") -> tuple:
    """Run on a Dask worker: tag a partition; write it as `part-NNNNN.jsonl` if `output` is set.
    Returns (records or None, articles in, articles out, records out, error messages, notices)."""
    results = list(iter_partition(part, model, model_name))
    articles = [r for r in results if isinstance(r, TaggedArticle)]
    records = [d for a in articles for d in records_of(a, level)]
    errors = tuple(str(r) for r in results if isinstance(r, TaggerError))
    notices = tuple(str(r) for r in results if isinstance(r, Notice))
    n_in = part.articles_in if part.articles_in is not None else len(articles)
    if output is None:
        return records, n_in, len(articles), len(records), errors, notices
    out = Path(output)
    final = out / f"part-{part.index:05d}.jsonl"
    tmp = out / f".part-{part.index:05d}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(dumps(r) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)  # a retried partition simply replaces its shard
    return None, n_in, len(articles), len(records), errors, notices


def shard_folder(out: Path) -> None:
    """Make `out` ready for a run's shards, or say why it cannot be. A folder already holding
    shards is refused: a run with fewer partitions would leave the old ones beside the new."""
    if out.exists() and not out.is_dir():
        raise BadOutput(f"{out} is a file; --output takes a folder for the JSONL shards")
    if out.is_dir() and next(out.glob("part-*.jsonl"), None) is not None:
        raise BadOutput(f"{out} already holds shards (part-*.jsonl) from an earlier run; "
                          "remove them or give another folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BadOutput(f"cannot create {out} ({e.strerror or e}); give a folder you can write to") from None


def cluster_errors() -> tuple[type[BaseException], ...]:
    """What Dask raises when the cluster itself is gone mid-run (not a partition's failure)."""
    try:
        from distributed.client import ClosedClientError
        from distributed.comm.core import CommClosedError
    except ImportError:
        return ()
    return ClosedClientError, CommClosedError, TimeoutError


def connect(address: str, workers: int = 2):
    """A Dask client: `local` starts a LocalCluster of worker processes on loopback, whose
    scheduler and workers log only critical failures (unless $DASK_LOGGING__DISTRIBUTED says
    otherwise): a Ctrl-C would otherwise end in warnings about cancelled tasks and lost keys, or
    in a worker's heartbeat error when the scheduler closes first. Failed tasks still reach the
    client, which reports them."""
    if address == "local":
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "critical")
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ClusterError("Dask is not installed: pip install 'tagger[dask]'") from None
    if address == "local":
        # The worker processes start with Ctrl-C ignored (they inherit that), so that Ctrl-C reaches only
        # this process, which closes the cluster; otherwise each worker prints its KeyboardInterrupt.
        # (A block of the signal is not inherited through the workers' spawn. The price: a Ctrl-C in
        # the second or two the cluster takes to start is not seen.)
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=":0")
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)
        return Client(cluster)
    try:
        return Client(address, timeout="10s")
    except (ValueError, TypeError) as e:  # no port, an unknown scheme
        raise ClusterError(f"{address!r} is not a scheduler address ({e}); give tcp://HOST:PORT, "
                          "or local for a cluster on this machine") from None
    except OSError as e:
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({e}); "
                          "is it running? Use --dask local for a cluster on this machine") from None


def run_dask(parts: Iterable[Partition], model: TopicModel, client, model_name: str = "default",
             output: str | Path | None = None, retries: int = 3, window: int | None = None,
             on_records=lambda records: None, level: str = "article") -> DaskSummary:
    """Tag partitions on a Dask cluster. Results reach `on_records` in input order (unless written
    to `output`); at most `window` partitions are in flight, so the input streams."""
    if output is not None:
        shard_folder(Path(output))
    from distributed.client import FutureCancelledError

    def scatter():
        # hash=False: a key of its own for every run. With content-hashed keys, scattering the same
        # model right after an earlier run released it races that release ("Key lost during
        # replication") and the partitions are cancelled for lost dependencies.
        [fut] = client.scatter([model], broadcast=True, hash=False)
        return fut

    shared = scatter()
    nworkers = max(1, len(client.scheduler_info().get("workers", {})))
    window = window or 4 * nworkers
    pending: deque = deque()
    n_parts = n_in = n_articles = n_out = 0
    errors: list[str] = []
    notices: list[str] = []

    def submit(part: Partition):
        return client.submit(dask_partition, part, shared, model_name,
                             None if output is None else str(output), level, retries=retries, pure=False,
                             key=f"tagger-partition-{part.index}-{uuid.uuid4().hex[:8]}")

    def failed(part: Partition, why: str) -> None:
        """A partition that came back with no records: reported, and its articles counted as not out."""
        nonlocal n_in
        errors.append(f"{part.source}: partition {part.index} {why}; its articles are not tagged")
        n_in += part.articles_in or 1

    def finish(part: Partition, fut) -> None:
        nonlocal n_in, n_articles, n_out, shared
        for attempt in range(retries + 1):
            try:
                records, a_in, a_out, r_out, errs, notes = fut.result()
                break
            except FutureCancelledError:  # its model copy was lost with the workers: try again
                if attempt == retries:
                    return failed(part, f"lost with its workers {retries + 1} times")
                if shared.status != "finished":  # every copy is gone: scatter the model anew
                    shared = scatter()
                fut = submit(part)
            except Exception as e:  # failed on the cluster after Dask's retries (a bug, workers killed over and over)
                return failed(part, f"failed on the cluster ({type(e).__name__}: {e})")
        n_in += a_in
        n_articles += a_out
        n_out += r_out
        errors.extend(errs)
        notices.extend(notes)
        if records is not None:
            on_records(records)

    for part in parts:
        pending.append((part, submit(part)))
        n_parts += 1
        while len(pending) > window:
            finish(*pending.popleft())
    while pending:
        finish(*pending.popleft())
    return DaskSummary(n_parts, n_in, n_articles, n_out, tuple(errors), tuple(notices))


def classify_dask(inputs: Iterable[str], model: TopicModel, address: str, model_name: str = "default",
                  output: str | Path | None = None, level: str = "article", partition_size: int = PARTITION_RECORDS,
                  on_records=lambda records: None) -> DaskSummary:
    """Tag the inputs on the Dask cluster at `address` (`local`: a LocalCluster on this machine,
    closed afterwards); records reach `on_records` in input order, or are written to `output` as
    shards. A cluster that goes away mid-run is a `ClusterError`; a partition's failure is in the
    summary's errors."""
    client = connect(address)
    try:
        return run_dask(partitions(inputs, size=partition_size, read_stdin=True), model, client, model_name,
                        output=output, on_records=on_records, level=level)
    except cluster_errors() as e:  # the cluster itself failed (scheduler gone, client closed): not one partition
        raise ClusterError(f"the Dask cluster stopped the run ({type(e).__name__}: {e}); records "
                           "already written stand, the rest were not tagged") from None
    finally:
        cluster = getattr(client, "cluster", None)
        client.close()
        if address == "local" and cluster is not None:
            cluster.close()
