"""Bad input, crashes and hostile files: a clear error and nothing lost (one test per case)."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, SEEDS
from tagger.tagging import classify_records, classify_text, load_model, tag_articles
from tagger.cli import app
from tagger.labelstore import LabelRecord, append, read_labels
from tagger.model import TopicModel
from tagger.segment import iter_articles, iter_lines, segment

TAGGER = [sys.executable, "-m", "tagger"]
SEED_002 = str(ROOT / "seeds" / "002_c4ed5918ed66c263.txt")


def jsonl(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_unreadable_file_is_named_and_the_rest_processed(runner, seed_model, tmp_path, monkeypatch):
    bad = tmp_path / "locked.txt"
    bad.write_text("نص", encoding="utf-8")
    real_open = open

    def guarded(path, *a, **k):
        if str(path) == str(bad):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *a, **k)

    monkeypatch.setattr("builtins.open", guarded)
    r = runner.invoke(app, ["classify", str(bad), SEED_002, "-f", "jsonl", "-m", str(seed_model)])
    assert r.exit_code == 1
    assert f"Error: {bad}: cannot read (Permission denied)" in r.stderr
    assert len(jsonl(r.stdout)) == 1


def test_directory_without_txt_files(runner, seed_model, tmp_path):
    (tmp_path / "notes.md").write_text("x")
    r = runner.invoke(app, ["classify", str(tmp_path), "-m", str(seed_model), "-f", "jsonl"])
    assert r.exit_code == 1 and f"Error: {tmp_path}: directory holds no .txt files" in r.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_file_with_no_arabic_is_an_empty_record_and_a_warning(runner, seed_model, tmp_path, jobs):
    en, furniture = tmp_path / "en.txt", tmp_path / "furniture.txt"
    en.write_text("Breaking news\n\nThe minister said talks went well.\n", encoding="utf-8")
    furniture.write_text("Photo: AFP\n\nاشترك في نشرتنا البريدية\n", encoding="utf-8")
    r = runner.invoke(app, ["classify", str(en), str(furniture), "-m", str(seed_model), "-f", "jsonl",
                            "--jobs", jobs])
    assert r.exit_code == 0
    recs = jsonl(r.stdout)
    assert [rec["source"] for rec in recs] == [str(en), str(furniture)]
    assert all(rec["paragraphs"] == [] and rec["labels"] == [] for rec in recs)
    assert r.stderr.splitlines() == [
        f"Warning: {en}: no Arabic text, nothing to tag",
        f"Warning: {furniture}: no Arabic paragraph to tag, only page furniture (captions, links, "
        "subscription lines)"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1256"])
def test_encodings_and_mixed_newlines_keep_offsets_right(runner, seed_model, tmp_path, encoding):
    text = SEEDS[2].read_text(encoding="utf-8").replace("\n", "\r\n", 7)
    f = tmp_path / "x.txt"
    f.write_bytes(text.encode(encoding))
    r = runner.invoke(app, ["classify", str(f), "-m", str(seed_model), "-f", "jsonl"])
    assert r.exit_code == 0, r.output
    [rec] = jsonl(r.stdout)
    assert len(rec["paragraphs"]) == 12
    for p in rec["paragraphs"]:
        assert text[p["start"]:p["end"]] == p["text"]


def test_one_very_long_line_is_cut_into_sentence_pieces_with_true_offsets():
    sentence = "وقال المسؤول إن قوات حرس الحدود أحبطت محاولة تسلل جديدة رقم {n} الليلة الماضية. "
    text = "عنوان\n\n" + "".join(sentence.format(n=n) for n in range(18000))  # one line of about 1.5 MB
    [a] = segment(text)
    assert len(a.paragraphs) > 500
    assert all(text[p.start:p.end] == p.text and len(p.text) <= 2000 for p in a.paragraphs)
    assert all(p.text.endswith(".") for p in a.paragraphs[:-1])


def test_segmentation_streams_so_memory_is_bounded():
    """An endless input yields its first articles: nothing waits for the end of the text."""
    page = ("خبر رقم {n}\n\nوقال المسؤول إن الحدود مغلقة منذ أمس أمام الشاحنات.\n"
            "وأضاف أن المحادثات ستستمر الأسبوع المقبل.\n\n\n")
    endless = (page.format(n=n) for n in itertools.count())
    first = list(itertools.islice(iter_articles(iter_lines(endless)), 3))
    assert [a.title for a in first] == ["خبر رقم 0", "خبر رقم 1", "خبر رقم 2"]


def test_an_endless_article_is_emitted_in_parts():
    para = "وقال المسؤول إن المحادثات ستستمر الأسبوع المقبل في العاصمة {n}.\n"
    endless = itertools.chain(["عنوان طويل\n\n"], (para.format(n=n) for n in itertools.count()))
    a, b = itertools.islice(iter_articles(iter_lines(endless)), 2)
    assert len(a.paragraphs) == 1000 and b.title == "عنوان طويل" and b.paragraphs[0].start > a.end


def test_truncated_and_garbage_label_lines_are_skipped_with_a_warning(tmp_path):
    f = tmp_path / "l.jsonl"
    good = LabelRecord(text="نص أول", labels=("border_security",))
    append(f, [good])
    with open(f, "ab") as fh:
        fh.write(b"not json\n")
        fh.write(b'{"text": "\xd9\x86\xd8\xb5", "lab')  # killed mid-write
    before = f.read_bytes()
    recs, warnings = read_labels([f])
    assert [r.text for r in recs] == ["نص أول"]
    assert any(":2: skipped" in w for w in warnings) and any("truncated last line" in w for w in warnings)
    assert f.read_bytes() == before  # reading never rewrites
    append(f, [LabelRecord(text="نص ثان", labels=())])
    recs, _ = read_labels([f])
    assert [r.text for r in recs] == ["نص أول", "نص ثان"]  # the next append starts on a fresh line


def test_train_cli_warns_about_bad_label_lines(runner, tmp_path):
    f = tmp_path / "l.jsonl"
    f.write_bytes((ROOT / "labels" / "seeds.jsonl").read_bytes() + b'{"text": "x", "lab')
    r = runner.invoke(app, ["train", "-l", str(f), "-o", str(tmp_path / "m"), "--folds", "2"])
    assert r.exit_code == 0, r.output
    assert "Warning:" in r.stderr and "truncated last line" in r.stderr


def test_full_disk_while_saving_keeps_the_old_model(runner, tmp_path, monkeypatch):
    out = tmp_path / "m"
    r = runner.invoke(app, ["train", "-l", str(ROOT / "labels" / "seeds.jsonl"), "-o", str(out), "--folds", "2"])
    assert r.exit_code == 0
    before = (out / "weights.npz").read_bytes()

    def no_space(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez_compressed", no_space)
    r = runner.invoke(app, ["train", "-l", str(ROOT / "labels" / "seeds.jsonl"), "-o", str(out), "--folds", "2"])
    assert r.exit_code == 1
    assert "Error: cannot write the model" in r.stderr and "No space left" in r.stderr
    assert (out / "weights.npz").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no half-written directory left
    TopicModel.load(out)


def test_read_only_models_directory_keeps_the_old_model(runner, tmp_path, monkeypatch):
    out = tmp_path / "m"
    r = runner.invoke(app, ["train", "-l", str(ROOT / "labels" / "seeds.jsonl"), "-o", str(out), "--folds", "2"])
    before = (out / "weights.npz").read_bytes()
    import tempfile as tf

    def read_only(*a, **k):  # what mkdtemp meets in a read-only directory (root ignores chmod, so simulate)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tf, "mkdtemp", read_only)
    r = runner.invoke(app, ["train", "-l", str(ROOT / "labels" / "seeds.jsonl"), "-o", str(out), "--folds", "2"])
    assert r.exit_code == 1 and "Error: cannot write the model" in r.stderr and "Permission denied" in r.stderr
    assert "Traceback" not in r.output
    assert (out / "weights.npz").read_bytes() == before


def test_stdout_closed_early_exits_quietly():
    cmd = " ".join(TAGGER) + f" classify {ROOT / 'seeds'} -f jsonl | head -c 10 >/dev/null"
    r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, cwd=ROOT)
    assert "Traceback" not in r.stderr and "BrokenPipe" not in r.stderr, r.stderr
    assert r.stderr.strip() == ""
    assert r.returncode == 0  # with pipefail: the reader leaving is not a failure


@pytest.mark.parametrize("redirect, says", [
    (">/dev/full", "Error: cannot write the output (No space left on device)"),
    (">&-", "Error: standard output is closed; redirect it to a file or to /dev/null"),
])
@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_an_output_that_cannot_be_written_is_one_error_line(redirect, says, fmt):
    if redirect == ">/dev/full" and not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    cmd = " ".join(TAGGER) + f" classify {ROOT / 'seeds'} -f {fmt} {redirect}"
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1 and r.stderr.strip() == says, r.stderr


def _default_sigint() -> None:
    """In the child: take Ctrl-C as a terminal would deliver it, even if this test run was started
    in the background (where SIGINT is ignored and the child would inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _slow_stdin_process(args):
    return subprocess.Popen(TAGGER + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT, preexec_fn=_default_sigint)


def _wait_reading_stdin(pid: int, timeout: float = 60) -> None:
    """Wait until the process blocks in read() on fd 0 (so it is past start-up, inside classify)."""
    nr = {"x86_64": "0", "aarch64": "63"}.get(os.uname().machine)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            call = Path(f"/proc/{pid}/syscall").read_text().split()
        except OSError:
            call = []
        if nr is None and len(call) > 1:
            time.sleep(5)
            return
        if call[:2] == [nr, "0x0"]:
            return
        time.sleep(0.1)
    raise AssertionError("classify never waited on stdin")


def test_ctrl_c_during_classify_exits_130_with_one_line():
    p = _slow_stdin_process(["classify", "-", "-f", "jsonl"])
    p.stdin.write(SEEDS[0].read_bytes())
    p.stdin.flush()
    _wait_reading_stdin(p.pid)  # the model is loaded and classify waits for the rest of stdin
    time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 130
    assert err.decode().strip() == "Interrupted."


def test_ctrl_c_during_train_exits_130_and_keeps_the_old_model(tmp_path):
    out = tmp_path / "m"
    subprocess.run(TAGGER + ["train", "-l", str(ROOT / "labels" / "seeds.jsonl"), "-o", str(out), "--folds", "2"],
                   check=True, capture_output=True, cwd=ROOT)
    before = (out / "weights.npz").read_bytes()
    p = subprocess.Popen(TAGGER + ["train", "-l", str(ROOT / "labels" / "seeds.jsonl"), "-o", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, preexec_fn=_default_sigint)
    # interrupt at the first of the five searched configurations: waiting a fixed time let a fast
    # machine finish training first (and a slow one still be importing)
    assert p.stderr.readline().startswith(b"cross-validating word n-grams")
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert err.decode().strip().splitlines()[-1] == "Interrupted."
    assert (out / "weights.npz").read_bytes() == before


@pytest.mark.parametrize("delay", [1.5, 3.0, 4.5])
def test_kill_9_during_train_leaves_the_old_or_the_new_model(tmp_path, delay):
    out = tmp_path / "m"
    args = TAGGER + ["train", "-l", str(ROOT / "labels" / "seeds.jsonl"), "-o", str(out), "--folds", "2"]
    subprocess.run(args, check=True, capture_output=True, cwd=ROOT)
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    time.sleep(delay)
    p.kill()
    p.wait()
    TopicModel.load(out)  # loads cleanly: never half-written


def test_library_calls_with_nothing_to_tag(seed_model):
    model = load_model(seed_model)
    assert tag_articles([], "-", model) == []
    assert classify_records([], model) == []
    [empty] = classify_text("", model=model)
    assert empty.paragraphs == () and empty.labels == () and set(empty.scores.values()) == {0.0}


def test_the_cli_keeps_numpy_buffers_in_the_heap_for_itself_and_its_workers():
    """glibc's default returned each batch's buffers to the OS (a fifth of classify's time in page faults)."""
    code = ("import os, sys; from tagger.entry import tune_malloc; tune_malloc(); "
            "print(os.environ['MALLOC_MMAP_THRESHOLD_'], os.environ['MALLOC_TRIM_THRESHOLD_'])")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split() == [str(32 << 20), str(512 << 20)]
    env["MALLOC_TRIM_THRESHOLD_"] = "1234567"  # what the user exported wins
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split() == [str(32 << 20), "1234567"]


def test_a_corrupted_gzip_label_file_is_a_warning_not_a_traceback(runner, tmp_path):
    import gzip

    data = bytearray(gzip.compress((ROOT / "labels" / "seeds.jsonl").read_bytes()))
    data[200:260] = bytes(b ^ 0xFF for b in data[200:260])
    f = tmp_path / "bad.jsonl"
    f.write_bytes(bytes(data))
    r = runner.invoke(app, ["labels", "stats", "-l", str(f), "-f", "json"])
    assert r.exit_code == 0 and r.exception is None, r.output
    assert f"Warning: {f}: unreadable after line" in r.stderr


def test_a_malloc_setting_glibc_would_not_read_does_not_stop_tagger():
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "0x100000"}
    r = subprocess.run(TAGGER + ["--help"], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and "Traceback" not in r.stderr


def test_an_os_error_naming_a_file_is_not_reported_as_an_output_error(monkeypatch, capsys):
    import tagger.cli as cli

    def boom(**kw):
        raise PermissionError(13, "Permission denied", "labels/private.jsonl")

    monkeypatch.setattr(cli, "app", boom)
    with pytest.raises(SystemExit) as e:
        cli.main()
    assert e.value.code == 1
    assert capsys.readouterr().err == "Error: labels/private.jsonl: Permission denied\n"


def test_a_short_write_to_the_label_store_is_completed(tmp_path, monkeypatch):
    from tagger.labelstore import LabelRecord, append, read_labels

    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real(fd, bytes(data[:100])))  # a disk that takes 100 bytes a time
    store = tmp_path / "s.jsonl"
    rec = LabelRecord("نص طويل عن الحدود " * 50, ("border_security",), annotator="a")
    append(store, [rec])
    monkeypatch.undo()
    [back], warnings = read_labels([store])
    assert warnings == [] and back.text == rec.text
