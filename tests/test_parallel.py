"""--jobs and Dask: the same records as one process, whatever happens to a worker."""

from __future__ import annotations

import json
import os
import random
import signal
import time

import pytest

from conftest import ROOT, SEEDS
from tagger.tagging import classify_records, load_model
from tagger.cli import app
from tagger.parallel import partitions, run_dask
from tagger.segment import segment

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """300 articles assembled from seed paragraphs (deterministic), as a JSONL corpus."""
    paras = [(a.title, p.text) for f in SEEDS for a in segment(f.read_text(encoding="utf-8")) for p in a.paragraphs]
    rng = random.Random(7)
    path = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(300):
            picked = rng.sample(paras, rng.randint(1, 6))
            fh.write(json.dumps({"id": f"a{i:03d}", "title": picked[0][0], "text": "\n".join(t for _, t in picked)},
                                ensure_ascii=False) + "\n")
    return path


def jsonl(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def single(corpus, seed_model):
    from typer.testing import CliRunner

    r = CliRunner().invoke(app, ["classify", str(corpus), "-f", "jsonl", "-m", str(seed_model)])
    assert r.exit_code == 0, r.output
    recs = jsonl(r.stdout)
    assert len(recs) == 300 and [x["id"] for x in recs] == [f"a{i:03d}" for i in range(300)]
    return recs


def test_jobs_gives_exactly_the_single_process_records(runner, corpus, seed_model, single):
    r = runner.invoke(app, ["classify", str(corpus), str(ROOT / "seeds"), "-f", "jsonl", "-m", str(seed_model),
                            "--jobs", "2", "--partition-size", "40"])
    assert r.exit_code == 0, r.output
    recs = jsonl(r.stdout)
    assert recs[:300] == single
    assert len(recs) == 307  # and the seed files' 7 articles, after the corpus, in order


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as c, Client(c) as client:
        yield client


def test_a_local_clusters_workers_log_only_critical_failures(monkeypatch):
    """A worker whose heartbeat meets a scheduler already closed by Ctrl-C logs an ERROR with a
    traceback; on the user's terminal that is noise after "Interrupted.", so a local cluster's
    processes keep quiet below CRITICAL (failed tasks still reach the client)."""
    import logging

    from tagger.parallel import connect

    monkeypatch.delenv("DASK_LOGGING__DISTRIBUTED", raising=False)
    client = connect("local")
    try:
        levels = client.run(lambda: logging.getLogger("distributed.worker").getEffectiveLevel())
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()
    assert len(levels) == 2 and set(levels.values()) == {logging.CRITICAL}


def test_a_partition_that_fails_on_the_cluster_is_reported_and_the_rest_tagged(cluster, seed_model):
    """A task that raises on its worker (here: a record that is not an object, which `partitions`
    would never make) used to end the run in a traceback; now it is that partition's error."""
    from tagger.parallel import Partition

    model = load_model(seed_model)
    text = SEEDS[0].read_text(encoding="utf-8")
    parts = [Partition(0, "a.jsonl", records=({"id": 0, "title": "", "text": text},)),
             Partition(1, "b.jsonl", records=(None,)),
             Partition(2, "c.jsonl", records=({"id": 0, "title": "", "text": text},))]
    got = []
    summary = run_dask(parts, model, cluster, "seedmodel", on_records=got.extend)
    assert [r["source"] for r in got] == ["a.jsonl", "c.jsonl"]
    [error] = summary.errors
    assert error.startswith("b.jsonl: partition 1 failed on the cluster (") and "not tagged" in error
    assert (summary.articles_in, summary.articles_out, summary.records_out) == (3, 2, 2)


def test_a_cluster_that_goes_away_mid_run_is_an_error_not_a_traceback(runner, seed_model, monkeypatch):
    """The scheduler dies or the client is closed during the run: Dask raises from submit."""
    import tagger.parallel as parallel
    from distributed.client import ClosedClientError

    class Client:
        def close(self):
            pass

    def gone(*args, **kwargs):
        raise ClosedClientError("Can't submit: the client is closed")

    monkeypatch.setattr(parallel, "connect", lambda address: Client())
    monkeypatch.setattr(parallel, "run_dask", gone)
    r = runner.invoke(app, ["classify", str(SEEDS[0]), "--dask", "tcp://127.0.0.1:1", "-m", str(seed_model)])
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: the Dask cluster stopped the run (ClosedClientError: ") and "Traceback" not in r.output


def test_dask_records_equal_the_single_process_output(cluster, corpus, seed_model, single, tmp_path):
    model = load_model(seed_model)
    got = []
    summary = run_dask(partitions([str(corpus)], size=25), model, cluster, "seedmodel",
                       on_records=got.extend)
    assert (summary.partitions, summary.articles_in, summary.articles_out) == (12, 300, 300)
    assert got == single
    out = tmp_path / "shards"
    summary = run_dask(partitions([str(corpus)], size=25), model, cluster, "seedmodel", output=out)
    shards = sorted(out.glob("part-*.jsonl"))
    assert len(shards) == 12 and not list(out.glob(".*tmp"))
    assert [r for s in shards for r in jsonl(s.read_text(encoding="utf-8"))] == single


def test_dask_texts_with_nothing_to_tag_give_records_and_notices_not_errors(cluster, seed_model, tmp_path):
    (tmp_path / "e.txt").write_text(" \n", encoding="utf-8")
    (tmp_path / "en.txt").write_text("The minister said talks went well.\n", encoding="utf-8")
    got = []
    summary = run_dask(partitions([str(tmp_path / "e.txt"), str(tmp_path / "en.txt"), str(SEEDS[0])]),
                       load_model(seed_model), cluster, "seedmodel", on_records=got.extend)
    assert summary.errors == () and summary.records_out == len(got)
    assert [r["source"] for r in got[:2]] == [str(tmp_path / "e.txt"), str(tmp_path / "en.txt")]
    assert got[0]["paragraphs"] == got[1]["paragraphs"] == [] and got[2]["paragraphs"]
    assert summary.notices == (f"{tmp_path / 'e.txt'}: empty, no text to tag",
                               f"{tmp_path / 'en.txt'}: no Arabic text, nothing to tag")


def test_a_killed_worker_loses_no_article(cluster, corpus, seed_model, single):
    model = load_model(seed_model)
    pids = list(cluster.run(os.getpid).values())
    got = []
    killed = []

    def on_records(records):
        got.extend(records)
        if not killed:
            os.kill(pids[0], signal.SIGKILL)  # mid-run: most partitions are still to come
            killed.append(pids[0])

    summary = run_dask(partitions([str(corpus)], size=5), model, cluster, "seedmodel", window=20,
                       on_records=on_records)
    assert killed and summary.articles_in == summary.articles_out == 300
    assert [r["id"] for r in got] == [f"a{i:03d}" for i in range(300)]  # each exactly once, in order
    assert got == single


def test_losing_every_copy_of_the_model_loses_no_article(cluster, corpus, seed_model, single):
    model = load_model(seed_model)
    got = []
    killed = []

    def on_records(records):
        got.extend(records)
        if not killed:  # every worker at once: the scattered model is gone with them
            killed.extend(cluster.run(os.getpid).values())
            for pid in killed:
                os.kill(pid, signal.SIGKILL)

    summary = run_dask(partitions([str(corpus)], size=10), model, cluster, "seedmodel", window=20,
                       on_records=on_records)
    assert killed and summary.articles_in == summary.articles_out == 300
    assert got == single


def test_two_runs_in_a_row_with_the_same_model(cluster, corpus, seed_model, single):
    model = load_model(seed_model)  # the second run scatters while the first run's copy is released
    for _ in range(5):
        got = []
        run_dask(partitions([str(corpus)], size=50), model, cluster, "seedmodel", on_records=got.extend)
        assert got == single


def test_dask_cli_local_cluster_reports_counts(runner, corpus, seed_model, tmp_path):
    r = runner.invoke(app, ["classify", str(corpus), "--dask", "local", "-m", str(seed_model),
                            "--partition-size", "100", "--output", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert "dask: 3 partitions, 300 articles in, 300 records out" in r.stderr
    assert len(list((tmp_path / "out").glob("part-*.jsonl"))) == 3


def test_dask_paragraph_level_shards_hold_paragraph_records(cluster, corpus, seed_model, single, tmp_path):
    """--level paragraph with --output used to write article records into the shards."""
    want = [{"source": a["source"], "article": a["article"], **p, "model": a["model"], "id": a["id"]}
            for a in single for p in a["paragraphs"]]
    summary = run_dask(partitions([str(corpus)], size=100), load_model(seed_model), cluster, "seedmodel",
                       output=tmp_path / "out", level="paragraph")
    assert (summary.articles_in, summary.articles_out, summary.records_out) == (300, 300, len(want))
    shards = sorted((tmp_path / "out").glob("part-*.jsonl"))
    assert [r for s in shards for r in jsonl(s.read_text(encoding="utf-8"))] == want


def test_dask_cli_with_output_prints_no_records_whatever_the_format(runner, seed_model, tmp_path, monkeypatch):
    """With --output the records are in the shards: --format json must not print an empty array."""
    import tagger.parallel as parallel
    from tagger.parallel import DaskSummary

    def run(inputs, model, address, name, output=None, level="article", partition_size=500, on_records=None):
        assert (address, level, output) == ("tcp://h:1", "paragraph", tmp_path / "out")
        return DaskSummary(1, 7, 7, 40, ())

    monkeypatch.setattr(parallel, "classify_dask", run)
    r = runner.invoke(app, ["classify", str(SEEDS[0]), "--dask", "tcp://h:1", "-o", str(tmp_path / "out"),
                            "--level", "paragraph", "-f", "json", "-m", str(seed_model)])
    assert r.exit_code == 0, r.output
    assert r.stdout == ""
    assert r.stderr.endswith(f"dask: 1 partition, 7 articles in, 7 articles (40 paragraph records) out, "
                             f"written to {tmp_path / 'out'}\n")


def test_the_python_api_maps_over_a_dask_bag(cluster, corpus, seed_model, single):
    import dask.bag as db

    def tag(part, path=str(seed_model)):  # each task loads the model (cached per worker): a small graph
        return [a.to_dict() for a in classify_records(list(part), load_model(path), str(corpus), "seedmodel")]

    records = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    got = db.from_sequence(records, npartitions=4).map_partitions(tag).compute(scheduler=cluster.get)
    assert [(r["id"], r["labels"], r["scores"]) for r in got] == [(r["id"], r["labels"], r["scores"]) for r in single]


def test_unreachable_scheduler_is_a_clear_error(runner, seed_model):
    r = runner.invoke(app, ["classify", str(SEEDS[0]), "--dask", "tcp://127.0.0.1:9", "-m", str(seed_model)])
    assert r.exit_code == 1 and "cannot reach the Dask scheduler" in r.stderr


@pytest.mark.parametrize("address", ["127.0.0.1", "notanaddress", "udp://x:1"])
def test_a_malformed_scheduler_address_is_a_clear_error(runner, seed_model, address):
    r = runner.invoke(app, ["classify", str(SEEDS[0]), "--dask", address, "-m", str(seed_model)])
    assert r.exit_code == 1 and r.stderr.startswith(f"Error: {address!r} is not a scheduler address (")
    assert r.exception is None or isinstance(r.exception, SystemExit)


def test_shard_folder_that_is_a_file_or_holds_old_shards_is_refused_before_any_work(runner, seed_model, tmp_path):
    (tmp_path / "afile").write_text("x")
    old = tmp_path / "shards"
    old.mkdir()
    (old / "part-00007.jsonl").write_text("{}\n")
    for out, says in ((tmp_path / "afile", "is a file"), (old, "already holds shards")):
        r = runner.invoke(app, ["classify", str(SEEDS[0]), "--dask", "tcp://127.0.0.1:9", "-o", str(out),
                                "-m", str(seed_model)])
        assert r.exit_code == 1 and r.stderr.startswith(f"Error: {out} ") and says in r.stderr
    assert (old / "part-00007.jsonl").read_text() == "{}\n"  # untouched


def test_jobs_and_dask_together_are_refused(runner, seed_model):
    r = runner.invoke(app, ["classify", str(SEEDS[0]), "--dask", "local", "--jobs", "2", "-m", str(seed_model)])
    assert r.exit_code == 1 and "give one or the other" in r.stderr


def test_ctrl_c_during_a_local_dask_run_prints_one_line(seed_model):
    """Ctrl-C from a terminal reaches the whole foreground process group, workers included."""
    import subprocess
    import sys

    from test_robustness import _default_sigint, _wait_reading_stdin

    p = subprocess.Popen([sys.executable, "-m", "tagger", "classify", "-", "--dask", "local", "-m", str(seed_model)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                         preexec_fn=lambda: (os.setsid(), _default_sigint()))
    p.stdin.write(SEEDS[0].read_bytes())
    p.stdin.flush()
    _wait_reading_stdin(p.pid, timeout=120)  # the cluster is up; the rest of stdin never comes
    time.sleep(0.5)
    os.killpg(p.pid, signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130
    assert err.decode().strip() == "Interrupted.", err.decode()[-2000:]
