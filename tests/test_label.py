"""The labeling workflow: ranking, de-duplication and the store without a terminal; the real
`tagger label` through a pty."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import random
import re
import signal
import socket
import sys
import time

import numpy as np
import pexpect
import pytest

from conftest import DATA, ROOT, SEEDS
from tagger.active import Queue, priorities, topic_weights
from tagger.labelstore import Claims, LabelRecord, NearDuplicates, append, latest, read_labels, text_hash
from tagger.pool import Candidate, ReadProgress, iter_candidates
from tagger.session import key_length, raw_keys

TOPICS = ["arms_deals", "border_security", "us_presence", "kurdish_groups"]
POOL = str(DATA / "pool.jsonl")


class FixedModel:
    """A stand-in model whose scores are given per text."""

    topics = TOPICS
    thresholds_ = np.array([0.5, 0.5, 0.5, 0.5])

    def __init__(self, scores):
        self.scores = scores

    def predict_proba(self, texts):
        return np.array([self.scores[t] for t in texts])


def cands(*texts):
    return [Candidate(t, "عنوان", source={"id": t}, group=t) for t in texts]


def test_uncertain_asks_nearest_the_boundary_first():
    model = FixedModel({"a": [0.95, 0, 0, 0], "b": [0.52, 0, 0, 0], "c": [0.2, 0, 0, 0], "d": [0.05, 0, 0, 0]})
    q = Queue(cands("a", "b", "c", "d"), model, "uncertain")
    q.fill()
    assert [it.candidate.text for it in q] == ["b", "c", "a", "d"]


def test_uncertain_measures_from_the_classifier_boundary_not_the_tag_threshold():
    model = FixedModel({"near_cut": [0.22, 0, 0, 0], "near_boundary": [0.55, 0, 0, 0]})
    model.thresholds_ = np.array([0.2, 0.5, 0.5, 0.5])
    q = Queue(cands("near_cut", "near_boundary"), model, "uncertain")
    q.fill()
    assert [it.candidate.text for it in q] == ["near_boundary", "near_cut"]
    pr = priorities(np.array([[0.5, 0, 0, 0], [0.75, 0, 0, 0], [1.0, 0, 0, 0]]), model.thresholds_, np.ones(4),
                    "uncertain")
    assert pr.tolist() == pytest.approx([1.0, 0.5, 0.0])


def test_rare_topics_are_boosted():
    model = FixedModel({"common": [0.0, 0.45, 0, 0], "rare": [0.0, 0.0, 0.0, 0.4]})
    q = Queue(cands("common", "rare"), model, "uncertain", positives=[10, 400, 50, 4])
    q.fill()
    assert [it.candidate.text for it in q] == ["rare", "common"]
    assert topic_weights([400, 4])[1] == pytest.approx(np.sqrt(401 / 5))


def test_rare_strategy_prefers_likely_positives_of_rare_topics():
    p = np.array([[0.9, 0, 0, 0], [0, 0, 0, 0.6]])
    pr = priorities(p, np.full(4, 0.5), topic_weights([300, 300, 300, 3]), "rare")
    assert pr[1] > pr[0]


def test_random_strategy_is_reproducible():
    model = FixedModel({t: [0.5] * 4 for t in "abcdefgh"})
    orders = []
    for _ in range(2):
        q = Queue(cands(*"abcdefgh"), model, "random", seed=3)
        q.fill()
        orders.append([it.candidate.text for it in q])
    assert orders[0] == orders[1] and sorted(orders[0]) == list("abcdefgh")


def test_labeled_and_repeated_paragraphs_are_never_asked():
    model = FixedModel({"a": [0.5] * 4, "b": [0.5] * 4, "c": [0.5] * 4})
    q = Queue(cands("a", "b", "a", "c"), model, seen={text_hash("b")})
    q.fill()
    assert sorted(it.candidate.text for it in q) == ["a", "c"]


def test_queue_shows_items_before_the_pool_is_scored():
    def endless():
        n = 0
        while True:
            n += 1
            yield Candidate(f"فقرة رقم {n}", group=str(n))

    model = FixedModel.__new__(FixedModel)
    model.predict_proba = lambda texts: np.full((len(texts), 4), 0.3)
    with Queue(endless(), model, batch=50).start() as q:
        assert q.pop(timeout=10) is not None  # an endless pool still yields at once
    assert not q.thread.is_alive()  # and closing the queue stops its scoring thread


def test_pool_reads_jsonl_and_text_files_with_provenance(tmp_path):
    jsonl = list(iter_candidates([POOL]))
    assert jsonl[0].source["corpus"] == "seeds" and jsonl[0].group == "000-0"
    assert jsonl[1].before == jsonl[0].text and jsonl[0].title.startswith("«الحرس الثوري»")
    txt = list(iter_candidates([str(ROOT / "seeds" / "002_c4ed5918ed66c263.txt")]))
    assert len(txt) == 12 and txt[0].source["file"].endswith("002_c4ed5918ed66c263.txt")
    assert txt[0].source["start"] == 150


NEAR_A = "ولمح المسؤولون الإيرانيون خلال المباحثات إلى استعداد إيراني لتسليح الجيش العراقي، عبر اتفاقية تعاون من المتوقع أن يعلنها البلدان في المستقبل القريب بعد زيارة الوفد العسكري إلى طهران."
NEAR_A2 = "وألمح المسؤولون في طهران خلال المباحثات إلى استعداد إيراني لتسليح الجيش العراقي، عبر اتفاقية تعاون من المتوقع أن يعلنها البلدان في المستقبل القريب بعد زيارة الوفد العسكري إلى طهران."  # the same news in another outlet's words
NEAR_B = "وتستورد قطر كثيرا من السلع عبر الإمارات، وتشحن أغلب المواد الغذائية التي تحتاجها عبر الحدود البرية مع السعودية، التي أغلقت منذ بدء المقاطعة في يونيو من العام الماضي."


def test_near_copies_are_matched_and_the_same_paragraph_is_not():
    near = NearDuplicates(0.6)
    near.add(NEAR_A, "a")
    assert near.match(NEAR_A2, "a2") == "a"
    assert near.match(NEAR_B, "b") is None
    assert near.match(NEAR_A, "a") is None  # itself (shown again after an undo)
    strict = NearDuplicates(0.95)  # below a stricter bar
    strict.add(NEAR_A, "a")
    assert strict.match(NEAR_A2, "a2") is None and strict.match(NEAR_A + " ", "a3") == "a"


@pytest.mark.parametrize("gz", [False, True])
def test_read_progress_counts_the_input_bytes_read(tmp_path, gz):
    import gzip

    rng = random.Random(0)  # varied text, so that a gzip is not read in one buffer
    lines = "".join(json.dumps({"id": str(k), "text": NEAR_B + " " + "".join(rng.choices("0123456789abcdef", k=3000))})
                    + "\n" for k in range(100)).encode()
    pool = tmp_path / ("pool.jsonl.gz" if gz else "pool.jsonl")
    pool.write_bytes(gzip.compress(lines) if gz else lines)
    text = tmp_path / "texts"
    text.mkdir()
    (text / "a.txt").write_text("العنوان\n\n" + NEAR_B, encoding="utf-8")
    read = ReadProgress.of([str(pool), str(text)])
    assert read.total == pool.stat().st_size + (text / "a.txt").stat().st_size and read.fraction == 0
    seen = [read.done for _ in iter_candidates([str(pool), str(text)], progress=read)]
    assert seen == sorted(seen) and 0 < seen[len(seen) // 2] < pool.stat().st_size
    assert read.done == read.total and read.fraction == 1.0


def test_undo_takes_back_only_the_last_decision_of_that_annotator():
    a = LabelRecord("نص", ("arms_deals",), annotator="x")
    b = LabelRecord("نص", ("border_security",), annotator="y")
    undo = LabelRecord("نص", (), annotator="y", action="undo")
    assert latest([a, b, undo])[a.hash].labels == ("arms_deals",)
    assert latest([a, undo]) == {a.hash: a}
    assert latest([b, undo]) == {}


def _writer(path, name, n):
    for i in range(n):
        append(path, [LabelRecord(f"فقرة {name} {i} " + "نص " * 200, ("arms_deals",), annotator=name)])


def test_two_sessions_appending_at_once_do_not_corrupt_the_store(tmp_path):
    store = tmp_path / "s.jsonl"
    ps = [multiprocessing.Process(target=_writer, args=(store, name, 300)) for name in ("a", "b")]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    recs, warnings = read_labels([store])
    assert warnings == []
    assert sorted((r.annotator, r.text.split()[2]) for r in recs) == sorted(
        (name, str(i)) for name in ("a", "b") for i in range(300))


# -- the real command through a pty --------------------------------------------------------------

def spawn(store, *extra, env=None, pool=POOL):
    env = {**os.environ, "TAGGER_MODEL": str(store.parent / "no-model"), **(env or {})}
    (store.parent / "none").mkdir(exist_ok=True)  # no other labels
    return pexpect.spawn(sys.executable, ["-m", "tagger", "label", str(pool), "--store", str(store), "--annotator", "t1",
                                          "--labels", str(store.parent / "none"), "--rtl", "off", *extra],
                         encoding="utf-8", timeout=60, dimensions=(60, 140), cwd=str(ROOT), env=env)


def refused(store, *extra, pool=POOL) -> str:
    """What `tagger label` says when it refuses to open a session (it must exit 1 at once)."""
    child = spawn(store, *extra, pool=pool)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    return " ".join(child.before.split())


def stored(store):
    return [json.loads(line) for line in store.read_text(encoding="utf-8").splitlines()]


def with_drones(tmp_path):
    """The taxonomy's topics, and a taxonomy file with a fifth topic the seed model lacks."""
    topics = json.loads((ROOT / "labels" / "taxonomy.json").read_text(encoding="utf-8"))
    tax = tmp_path / "taxonomy.json"
    tax.write_text(json.dumps(topics + [{"id": "drones", "name": "Drones", "description": "Drone strikes."}]),
                   encoding="utf-8")
    return topics, tax


def half_labeled(tmp_path):
    """Half the seed paragraphs as labels already made; a session's pool asks the rest."""
    half = tmp_path / "half.jsonl"
    half.write_text("".join((ROOT / "labels" / "seeds.jsonl").read_text(encoding="utf-8").splitlines(True)[::2]),
                    encoding="utf-8")
    return half


def wait_refreshed(child) -> None:
    """Until the session's screen says the model was refreshed once: the refresh runs in the
    background, and '?' redraws the screen (the status line may wrap)."""
    for _ in range(120):
        child.send("?")
        if child.expect([r"model(\s|\x1b\[[0-9;]*m)+refreshed(\s|\x1b\[[0-9;]*m)+1×", pexpect.TIMEOUT], timeout=1) == 0:
            return
    raise AssertionError("the model was never refreshed")


def test_an_item_scored_before_a_refresh_is_shown_with_the_new_models_scores(seed_model):
    from tagger.tagging import load_model

    old, new = load_model(seed_model), load_model(ROOT / "models" / "default")
    q = Queue(iter_candidates([POOL]), old)
    q.fill(1)
    item = q.pop()
    assert q.current(item) is item
    q.set_model(new)
    fresh = q.current(item)
    np.testing.assert_allclose(fresh.proba, new.predict_proba([item.candidate.text])[0])
    assert not np.allclose(fresh.proba, item.proba) and fresh.candidate is item.candidate
    assert q.current(fresh) is fresh


def test_review_shows_a_topic_nobody_has_labeled_as_unknown_to_the_model(tmp_path):
    from rich.console import Console

    from tagger.active import Item
    from tagger.render import screen
    from tagger.session import Stats
    from tagger.training import disagreements

    _, tax = with_drones(tmp_path)
    ids, th, items = disagreements([ROOT / "labels" / "seeds.jsonl"], tax, min_strength=0.0, n_splits=3)
    assert ids[-1] == "drones" and th[-1] == float("inf") and np.isfinite(th[:-1]).all()
    console = Console(width=140, record=True)
    item = Item(Candidate(items[0].record.text, ""), items[0].proba, 1.0)
    console.print(screen(item, set(), ids, list(th), Stats(), False, 140, tmp_path / "s.jsonl"))
    assert re.search(r"5 drones\s+—\s+\(not in the model yet\)", console.export_text())


class _Fake:
    """A model for the queue: every paragraph scores `score` on one topic; `gate`, if set, holds
    predict_proba until it is opened."""

    topics = ["t"]
    thresholds_ = np.array([0.5])

    def __init__(self, score: float, gate=None) -> None:
        self.score, self.gate = score, gate

    def predict_proba(self, texts):
        if self.gate is not None:
            self.gate.wait(10)
        return np.full((len(texts), 1), self.score)


def _cands(n: int):
    return [Candidate(f"فقرة رقم {i}", "", group=str(i)) for i in range(n)]


def test_a_refresh_keeps_the_queue_open_while_it_rescores():
    """A key press during a refresh took the emptied queue for the end of the session."""
    import threading

    q = Queue(_cands(5), _Fake(0.5))
    q.fill()
    assert q.done
    gate = threading.Event()
    refresh = threading.Thread(target=q.set_model, args=(_Fake(0.4, gate),))
    refresh.start()
    try:
        assert q.pop(timeout=2) is not None
    finally:
        gate.set()
        refresh.join()
    assert len(list(q)) == 4 and q.pop(timeout=0) is None


def test_an_undone_item_stays_first_through_a_refresh():
    q = Queue(_cands(5), _Fake(0.45))
    q.fill()
    undone = q.pop()
    q.push_front(undone)

    class Doubts(_Fake):  # the new model is sure of the undone paragraph, unsure of the rest
        def predict_proba(self, texts):
            return np.array([[0.0 if t == undone.candidate.text else 0.5] for t in texts])

    q.set_model(Doubts(0.0))
    assert q.pop().candidate is undone.candidate


def test_a_batch_scored_during_a_refresh_is_scored_again_by_the_new_model():
    import threading

    gate = threading.Event()
    q = Queue(_cands(3), _Fake(0.9, gate)).start()
    time.sleep(0.2)  # the scoring thread is inside the old model's predict_proba
    new = _Fake(0.1)
    q.set_model(new)
    gate.set()
    item = q.pop(timeout=5)
    q.close()
    assert item.model is new and item.proba[0] == 0.1


def test_label_three_undo_one_quit(tmp_path):
    store = tmp_path / "session.jsonl"
    child = spawn(store)
    child.expect("0 labeled")
    child.send("1")
    child.expect(r"\[x\] 1 arms_deals")
    child.send("3")
    child.expect(r"\[x\] 3 us_presence")
    child.send("\r")
    child.expect("1 labeled")
    child.send("0")
    child.expect("2 labeled")
    child.send("2")
    child.expect(r"\[x\] 2 border_security")
    child.send("\r")
    child.expect("3 labeled")
    child.send("u")
    child.expect("undone")
    child.send("s")
    child.expect("1 skipped")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    lines = stored(store)
    assert [(r["labels"], r["action"]) for r in lines] == [
        (["arms_deals", "us_presence"], "label"), ([], "label"), (["border_security"], "label"), ([], "undo")]
    assert all(r["annotator"] == "t1" and r["source"]["corpus"] == "seeds" for r in lines)
    final = latest(read_labels([store])[0])
    assert sorted(r.labels for r in final.values()) == [(), ("arms_deals", "us_presence")]


def test_keys_typed_ahead_are_each_taken_in_order(tmp_path):
    store = tmp_path / "session.jsonl"
    child = spawn(store)
    child.expect("0 labeled")
    child.send("0\r20q")  # one write, faster than any screen: no key may be merged or dropped
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert [r["labels"] for r in stored(store)] == [[], [], []]


def _near_pool(tmp_path):
    pool = tmp_path / "near.jsonl"
    rows = [{"id": f"n{k}", "corpus": "t", "title": f"t{k}", "text": text}
            for k, text in enumerate([NEAR_A, NEAR_B, NEAR_A2])]
    pool.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return pool


def test_queue_passes_over_near_copies_but_offers_an_undone_paragraph_again():
    model = FixedModel({NEAR_A: [0.5] * 4, NEAR_A2: [0.45] * 4, NEAR_B: [0.4] * 4})
    q = Queue(cands(NEAR_A, NEAR_A2, NEAR_B), model, near=NearDuplicates(0.6))
    q.fill()
    first = q.pop()
    assert first.candidate.text == NEAR_A
    q.push_front(first)  # as after an undo
    assert [q.pop().candidate.text, q.pop().candidate.text] == [NEAR_A, NEAR_B] and q.pop() is None
    assert q.passed_over == 1


@pytest.mark.parametrize("near, asked", [("0.6", 2), ("0", 3)])
def test_label_passes_over_a_near_copy_of_a_paragraph_already_asked(tmp_path, near, asked):
    store = tmp_path / "session.jsonl"
    child = spawn(store, "--near", near, pool=_near_pool(tmp_path))
    for n in range(asked):
        child.expect(f"{n} labeled")
        child.send("0")
    child.expect("Nothing left to label")
    child.expect(pexpect.EOF)
    assert len(stored(store)) == asked
    assert ("1 near-copy passed over" in child.before) == (near != "0")


def test_raw_keys_splits_a_burst_into_single_keys():
    read_fd, write_fd = os.pipe()
    os.write(write_fd, "\r\r1\x1b[A\x1bxسq".encode("utf-8"))
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as stream, raw_keys(stream) as read_key:
        keys = [read_key() for _ in range(8)]
    assert keys == ["\r", "\r", "1", "\x1b[A", "\x1bx", "س", "q", "\x04"]


def test_key_length_of_characters_and_escape_sequences():
    assert [key_length(k.encode()) for k in ("q", "س", "€", "😀", "\x1b[15~x", "\x1bOP", "\x1b")] == [1, 2, 3, 4, 5, 3, 1]
    assert key_length("س".encode()[:1]) == 2  # a character still arriving


def test_kill_9_loses_nothing_decided_and_resuming_skips_it(tmp_path):
    store = tmp_path / "session.jsonl"
    child = spawn(store)
    child.expect("0 labeled")
    child.send("0")
    child.expect("1 labeled")
    child.send("4")
    child.expect(r"\[x\] 4 kurdish_groups")
    child.send("\r")
    child.expect("2 labeled")
    os.kill(child.pid, signal.SIGKILL)
    child.expect(pexpect.EOF)
    lines = stored(store)
    assert [r["labels"] for r in lines] == [[], ["kurdish_groups"]]
    total = len({c.hash for c in iter_candidates([POOL])})
    again = spawn(store)  # resume: label everything left with "no topic"
    for n in range(2, total):
        again.expect(f"{n - 2} labeled")
        again.send("0")
    again.expect("Nothing left to label")
    again.expect(pexpect.EOF)
    hashes = [r["hash"] for r in stored(store)]
    assert len(hashes) == total and len(set(hashes)) == total  # nothing asked twice, nothing lost


def test_two_sessions_on_one_store_are_not_asked_the_same_paragraph(tmp_path):
    """Two analysts share a store: with no model both queues have the same order, so without
    claims they would label the same paragraphs, one after the other."""
    store = tmp_path / "session.jsonl"
    a = spawn(store)
    a.expect("0 labeled")  # a has the first paragraph on screen
    b = spawn(store)
    b.expect("0 labeled")
    for _ in range(3):
        for child in (a, b):
            child.send("0")
    for child in (a, b):
        child.expect("3 labeled")
        child.send("q")
        child.expect(pexpect.EOF)
    hashes = [r["hash"] for r in stored(store)]
    assert len(hashes) == 6 and len(set(hashes)) == 6
    assert re.search(r"[1-9]\d* passed over while another session had (it|them)", " ".join(b.before.split()))


def _other(tmp_path, store, **kw) -> Claims:
    """Claims as another session's, on another machine (alive until its claims expire)."""
    return Claims(store, owner="elsewhere:1:1", **kw)


def test_a_claim_keeps_a_paragraph_from_other_sessions_until_released(tmp_path):
    store = tmp_path / "s.jsonl"
    mine, theirs = Claims(store), _other(tmp_path, store)
    assert mine.take("h1") and not theirs.take("h1")
    assert theirs.take("h2") and not mine.take("h2")
    assert mine.take("h1")  # a session may take its own again (after an undo)
    theirs.release("h2")  # skipped: anyone may have it
    assert mine.take("h2")
    assert (mine.elsewhere, theirs.elsewhere) == (1, 1)


def test_a_paragraph_decided_after_a_session_began_is_not_asked(tmp_path):
    store = tmp_path / "s.jsonl"
    append(store, [LabelRecord(text="قديم", labels=())])
    mine = Claims(store)
    append(store, [LabelRecord(text="جديد", labels=("arms_deals",), annotator="other")])
    assert not mine.take(text_hash("جديد"))
    assert mine.take(text_hash("قديم"))  # decided before: the session's own `seen` handles that one


def test_claims_of_a_session_gone_or_expired_are_void(tmp_path):
    import socket
    import subprocess

    store = tmp_path / "s.jsonl"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = Claims(store, owner=f"{socket.gethostname()}:{int(gone.stdout)}:1")
    assert dead.take("h1")
    assert Claims(store).take("h1")  # its process is gone
    now = [1000.0]
    theirs = _other(tmp_path, store, clock=lambda: now[0], ttl=60)
    assert theirs.take("h2")
    mine = Claims(store, clock=lambda: now[0], ttl=60)
    assert not mine.take("h2")
    now[0] += 61
    assert mine.take("h2")


def test_claims_never_stop_a_session(tmp_path):
    store = tmp_path / "s.jsonl"
    (tmp_path / "s.jsonl.claims").mkdir()  # cannot be opened as a file
    mine = Claims(store)
    assert mine.take("h1") and mine.take("h1")
    mine.release("h1")
    other = tmp_path / "t.jsonl"
    theirs = _other(tmp_path, other)
    assert theirs.take("h1")
    with open(tmp_path / "t.jsonl.claims", "a") as fh:  # lines no session wrote
        fh.write('[1]\n{"hash": ["h2"], "owner": "x", "at": 1}\n{"hash": "h3"}\nnot json\n{"hash": "h4", "ow')
    with open(tmp_path / "t.jsonl.claims", "a") as fh:  # ends without a newline: the next claim starts a fresh one
        host, now = socket.gethostname(), time.time()  # claims of now: not expired, so their owners are looked at
        fh.write(f'{{"hash": "h5", "owner": 5, "at": {now}}}\n{{"hash": "h6", "owner": null, "at": {now}}}\n'
                 f'{{"hash": "h7", "owner": "{host}:99999999999999999999:1", "at": {now}}}\n'
                 f'{{"hash": "h8", "owner": "elsewhere:1:1", "at": NaN}}\n'
                 f'{{"hash": "h10", "owner": "elsewhere:1:1", "at": 1{"0" * 400}}}\n'
                 f'{{"hash": "h11", "owner": "{host}:²:1", "at": {now}}}\n'
                 f'{{"hash": "h12", "owner": "{host}:0:x", "at": {now}}}\n{{"hash": "tr')
    assert theirs.take("h9")
    mine = Claims(other)
    assert not mine.take("h1") and mine.take("h2") and mine.take("h3")
    assert all(mine.take(h) for h in ("h5", "h6", "h7", "h8", "h10", "h11", "h12")) and not mine.take("h9")
    assert mine.broken == ""


def test_a_session_whose_process_proc_cannot_see_keeps_its_claims(tmp_path, monkeypatch):
    """Under hidepid, or for another user's process, /proc may not tell: the claim holds until it expires."""
    import tagger.labelstore as ls

    store = tmp_path / "s.jsonl"
    theirs = Claims(store, owner=f"{socket.gethostname()}:{os.getppid()}:not-its-start")
    assert theirs.take("h1")
    monkeypatch.setattr(ls, "_started", lambda pid: "?" if pid != os.getpid() else "1")
    mine = Claims(store)  # must not begin the file anew over a live claim
    assert not mine.take("h1")


@pytest.mark.parametrize("stop", ["q", "SIGINT"])
def test_a_session_that_stops_releases_the_paragraph_on_screen(tmp_path, stop):
    """A session on another machine cannot see that this one's process is gone: the claim is released."""
    store = tmp_path / "session.jsonl"
    child = spawn(store)
    child.expect("0 labeled")
    if stop == "q":
        child.send("q")
    else:
        os.kill(child.pid, signal.SIGINT)
    child.expect(pexpect.EOF)
    claims = [json.loads(line) for line in (tmp_path / "session.jsonl.claims").read_text().splitlines()][1:]
    assert [c.get("release", False) for c in claims] == [False, True] and claims[0]["hash"] == claims[1]["hash"]


def test_a_session_says_when_it_cannot_claim(tmp_path):
    store = tmp_path / "session.jsonl"
    (tmp_path / "session.jsonl.claims").mkdir()
    child = spawn(store)
    child.expect("another session on .* may be asked the same paragraphs")
    child.expect("0 labeled")
    child.send("0")
    child.expect("1 labeled")
    child.send("q")
    child.expect(pexpect.EOF)
    assert len(stored(store)) == 1


def test_the_claims_file_starts_anew_when_no_session_holds_one(tmp_path):
    store = tmp_path / "s.jsonl"
    claims = tmp_path / "s.jsonl.claims"
    first = Claims(store)
    for h in ("h1", "h2", "h3"):
        first.take(h)
    assert len(claims.read_text().splitlines()) == 4  # its generation, then three claims
    Claims(store, owner="nobody:x:y")  # the first session's claims are alive to another session…
    assert len(claims.read_text().splitlines()) == 4
    first_again = Claims(store)  # …not to the same process, which begins the file anew
    assert len(claims.read_text().splitlines()) == 1 and first_again.take("h1")


def test_a_session_sees_claims_made_after_another_began_the_file_anew(tmp_path):
    store = tmp_path / "s.jsonl"
    theirs = _other(tmp_path, store)
    for h in ("a", "b", "c", "d", "e", "f"):
        assert theirs.take(h)
        theirs.release(h)
    mine = Claims(store)  # no claim alive: the file begins anew, and grows past where `theirs` had read
    assert mine.take("x")
    for k in range(20):
        mine.take(f"y{k}")
    assert not theirs.take("x")


def test_a_topic_added_since_training_gets_no_suggestion_but_the_others_do(tmp_path, seed_model):
    topics, tax = with_drones(tmp_path)
    store = tmp_path / "session.jsonl"
    child = spawn(store, "--taxonomy", str(tax), env={"TAGGER_MODEL": str(seed_model)})
    child.expect("trained without drones")
    child.expect("0 labeled")
    screen = child.before
    for k, t in enumerate(topics, 1):  # the model's topics keep their scores and thresholds
        assert re.search(rf"{k} {t['id']}\s+[01]\.\d\d \(threshold [01]\.\d\d\)", screen), screen
    assert re.search(r"5 drones\s+—\s+\(not in the model yet\)", screen), screen
    child.send("5")
    child.expect(r"\[x\] 5 drones")
    child.send("\r")
    child.expect("1 labeled")
    child.send("q")
    child.expect(pexpect.EOF)
    [rec] = stored(store)
    assert "drones" in rec["labels"]


def test_a_model_trained_with_a_topic_nobody_labeled_does_not_suggest_it(tmp_path):
    """A model trained after the topic was added, before anyone labeled it: the topic is a constant in it."""
    from tagger.training import train

    _, tax = with_drones(tmp_path)
    result = train([ROOT / "labels" / "seeds.jsonl"], tax, grid=[("word+char", 10.0)], n_splits=3)
    result.model.save(tmp_path / "m", result.meta)
    child = spawn(tmp_path / "session.jsonl", "--taxonomy", str(tax), env={"TAGGER_MODEL": str(tmp_path / "m")})
    child.expect("trained without drones")
    child.expect("0 labeled")
    assert re.search(r"5 drones\s+—\s+\(not in the model yet\)", child.before), child.before
    assert re.search(r"1 arms_deals\s+[01]\.\d\d \(threshold", child.before)
    child.send("q")
    child.expect(pexpect.EOF)


@pytest.mark.parametrize("key, after", [("5", r"5 drones\s+[01]\.\d\d \(threshold"),
                                        ("0", r"5 drones\s+—\s+\(not in the model yet\)")])
def test_a_refresh_brings_in_a_new_topic_once_it_has_labels(tmp_path, seed_model, key, after):
    """Two paragraphs labeled with the new topic (fewer positives than folds, so scikit-learn warns,
    but not onto the screen): the refreshed model scores it. Two labeled without it: still unknown."""
    _, tax = with_drones(tmp_path)
    half = half_labeled(tmp_path)
    store = tmp_path / "session.jsonl"
    child = spawn(store, "--taxonomy", str(tax), "--labels", str(half), "--retrain-every", "2",
                  env={"TAGGER_MODEL": str(seed_model)})
    child.logfile_read = seen = io.StringIO()
    for n in range(2):
        child.expect(f"{n} labeled")
        child.send(key)
        if key == "5":
            child.send("\r")
    child.expect("2 labeled")
    wait_refreshed(child)
    screen = child.before.rsplit("\x1b[2J", 1)[-1]  # the last screen drawn, with the refreshed model
    assert re.search(after, screen), screen
    child.send("q")
    child.expect(pexpect.EOF)
    assert "sklearn" not in seen.getvalue() and "UserWarning" not in seen.getvalue()


def test_retrain_every_n_refreshes_the_model_during_the_session(tmp_path, seed_model):
    half = half_labeled(tmp_path)
    store = tmp_path / "session.jsonl"
    child = spawn(store, "--labels", str(half), "--retrain-every", "2", env={"TAGGER_MODEL": str(seed_model)})
    for n in range(2):
        child.expect(f"{n} labeled")
        child.send("0")
    child.expect("2 labeled")
    wait_refreshed(child)
    child.send("q")
    child.expect(pexpect.EOF)
    assert len(stored(store)) == 2


def test_the_screen_shows_how_far_scoring_the_pool_has_got(tmp_path):
    child = spawn(tmp_path / "session.jsonl")
    child.expect(r"0 labeled")
    child.expect(r"(pool: all \d+ paragraphs scored|\d+% of the pool read)")
    child.send("s")  # the tiny pool is scored at once: the next screen says all of it is
    child.expect(r"pool: all \d+ paragraphs scored")
    child.send("q")
    child.expect(pexpect.EOF)


def test_label_without_a_terminal_is_a_clear_error(runner):
    from tagger.cli import app

    r = runner.invoke(app, ["label", POOL])
    assert r.exit_code == 1 and "needs a terminal" in r.stderr


def test_label_on_a_missing_source_says_so_before_the_session_opens(tmp_path):
    store = tmp_path / "session.jsonl"
    assert refused(store, pool=str(tmp_path / "typo.jsonl.gz")) == \
        f"Error: {tmp_path / 'typo.jsonl.gz'}: no such file or directory"
    assert not store.exists()


def test_a_broken_link_inside_a_source_folder_does_not_stop_the_session(tmp_path):
    pool = tmp_path / "pool"
    pool.mkdir()
    (pool / "a.txt").write_bytes(SEEDS[0].read_bytes())
    (pool / "zz.txt").symlink_to(tmp_path / "nowhere")
    store = tmp_path / "session.jsonl"
    child = spawn(store, pool=str(pool))
    child.expect("0 labeled")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1  # the broken link is named at the end, and counts as a failure
    assert "zz.txt: not a regular file" in child.before


def test_label_with_a_store_it_cannot_write_says_so_before_the_session_opens(tmp_path):
    store = tmp_path / "a-folder"
    store.mkdir()
    assert refused(store) == f"Error: cannot write the label file {store} (Is a directory); nothing was written"


def test_help_lists_each_topic_with_its_definition(tmp_path):
    store = tmp_path / "session.jsonl"
    child = spawn(store)
    child.expect("0 labeled")
    child.send("?")
    child.expect(r"1 arms_deals \(")
    child.expect(r"4 kurdish_groups \(")
    child.send("q")
    child.expect(pexpect.EOF)


def test_a_taxonomy_of_more_than_nine_topics_is_refused_before_the_session_opens(tmp_path):
    tax = tmp_path / "taxonomy.json"
    tax.write_text(json.dumps([{"id": f"t{i}", "name": f"n{i}", "description": f"d{i}"} for i in range(10)]),
                   encoding="utf-8")
    assert "has 10 topics; a label session toggles topics with the keys 1-9, so it takes at most 9" in \
        refused(tmp_path / "session.jsonl", "--taxonomy", str(tax))


def test_review_opens_contradicted_labels_and_records_the_confirmation(tmp_path, seed_model):
    labels = tmp_path / "labels.jsonl"
    rows = [json.loads(x) for x in (ROOT / "labels" / "seeds.jsonl").read_text(encoding="utf-8").splitlines()]
    rows[0]["labels"] = ["kurdish_groups"]  # a deliberate mistake on a paragraph about a missile exhibition
    labels.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    store = tmp_path / "review.jsonl"
    child = pexpect.spawn(sys.executable, ["-m", "tagger", "review", "--labels", str(labels), "--store", str(store),
                                           "--annotator", "rev", "--min-strength", "0.3", "--rtl", "off",
                                           "--model", str(seed_model)],
                          encoding="utf-8", timeout=120, dimensions=(60, 140), cwd=str(ROOT))
    child.expect("0 labeled")
    child.send("\r")  # confirm the label as shown (the current label is pre-selected)
    child.expect("1 labeled")
    child.send("q")
    child.expect(pexpect.EOF)
    [rec] = stored(store)
    original = {text_hash(r["text"]): r["labels"] for r in rows}
    assert rec["annotator"] == "rev" and rec["labels"] == original[rec["hash"]]
    assert rec["action"] == "review"
    # reviewed once, not offered again (the store is read with the labels), the rest still are
    from tagger.training import disagreements
    before = {d.record.hash for d in disagreements([labels], ROOT / "labels" / "taxonomy.json", min_strength=0.3)[2]}
    after = {d.record.hash for d in disagreements([labels, store], ROOT / "labels" / "taxonomy.json",
                                                  min_strength=0.3)[2]}
    assert rec["hash"] in before and after == before - {rec["hash"]}


def test_a_session_is_set_up_by_the_library_without_a_terminal(seed_model, tmp_path, monkeypatch):
    """What `tagger label` does before its screen opens, from Python: the queue is ranked by the
    model, paragraphs already labeled are not in it, a broken default model is a warning."""
    from tagger.errors import InputNotFound
    from tagger.session import open_session

    first = next(iter_candidates([POOL]))
    labels = [tmp_path / "done.jsonl"]
    append(labels[0], [LabelRecord(first.text, ())])  # the pool holds the seed paragraphs: one labeled already
    tax = ROOT / "labels" / "taxonomy.json"
    s = open_session([POOL], labels, tmp_path / "s.jsonl", tax, seed_model)
    try:
        asked = []
        while (item := s.queue.pop(timeout=30)) is not None:
            asked.append(item)
        assert len(asked) > 20 and first.hash not in {i.candidate.hash for i in asked}
        assert asked[0].priority >= asked[-1].priority
        assert s.topics == ["arms_deals", "border_security", "us_presence", "kurdish_groups"]
        assert s.retrain is not None and s.warnings == [] and "1 arms_deals" in s.guide
    finally:
        s.queue.close()
    monkeypatch.setenv("TAGGER_MODEL", str(tmp_path / "nowhere"))  # the default model is missing: a warning
    s = open_session([POOL], labels, tmp_path / "s.jsonl", tax)
    s.queue.close()
    assert s.retrain is None and len(s.warnings) == 1 and "labeling without suggestions" in s.warnings[0]
    with pytest.raises(InputNotFound, match="typo.jsonl: no such file"):
        open_session([str(tmp_path / "typo.jsonl")], labels, tmp_path / "s.jsonl", tax, seed_model)


def test_a_long_queue_keeps_its_best_items_when_trimmed(monkeypatch):
    """Past 2 x KEEP items the queue keeps its KEEP best: on a real corpus that happens within minutes."""
    import tagger.active as active

    monkeypatch.setattr(active, "KEEP", 3)
    scores = {str(k): [0.5 - k / 40, 0, 0, 0] for k in range(10)}  # "0" sits on the boundary: the best
    q = Queue(cands(*scores), FixedModel(scores), "uncertain")
    q.fill()
    assert [it.candidate.text for it in q][:3] == ["0", "1", "2"]


def test_a_near_copy_of_a_paragraph_labeled_before_the_session_is_not_asked(tmp_path, monkeypatch):
    """The README promises it for labels already in labels/, not only for what a session shows."""
    from tagger.session import open_session

    monkeypatch.setenv("TAGGER_MODEL", str(tmp_path / "no-model"))  # no model: only the filters order

    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"id": str(k), "title": "عنوان", "text": t}, ensure_ascii=False) + "\n"
                            for k, t in enumerate([NEAR_A2, NEAR_B])), encoding="utf-8")
    labels = [tmp_path / "done.jsonl"]
    append(labels[0], [LabelRecord(NEAR_A, ("arms_deals",), group="old")])
    s = open_session([str(pool)], labels, tmp_path / "s.jsonl", ROOT / "labels" / "taxonomy.json")
    try:
        asked = []
        while (item := s.queue.pop(timeout=30)) is not None:
            asked.append(item.candidate.text)
    finally:
        s.queue.close()
    assert asked == [NEAR_B] and s.queue.passed_over == 1


def _run_keys(tmp_path, keys, **kw):
    """tagger label's loop without a terminal: scripted keys, a console that writes to a string."""
    from rich.console import Console

    from tagger.session import run

    model = FixedModel({t: [0.9 - 0.1 * k, 0.1, 0.1, 0.1] for k, t in enumerate("abcd")})
    q = Queue(cands(*"abcd"), model, "uncertain")
    q.fill()
    store = tmp_path / "s.jsonl"
    claims = Claims(store)
    it = iter(keys)
    stats = run(q, TOPICS, store, "t1", Console(file=io.StringIO(), width=120), lambda: next(it),
                claims=claims, **kw)
    return stats, store, claims


def test_undo_brings_back_the_decision_with_its_topics_and_the_paragraph_on_screen_comes_next(tmp_path):
    stats, store, claims = _run_keys(tmp_path, ["2", "\r", "u", "\r", "s", "q"])
    first = stored(store)[0]["text"]
    assert [(r["text"], r["labels"], r["action"]) for r in stored(store)] == [
        (first, ["arms_deals", "border_security"], "label"), (first, [], "undo"),
        (first, ["arms_deals", "border_security"], "label")]  # Enter after u saved the topics shown again
    assert (stats.decided, stats.undone, stats.skipped) == (1, 1, 1)
    lines = [json.loads(x) for x in (tmp_path / "s.jsonl.claims").read_text().splitlines()[1:]]
    released = [c["hash"] for c in lines if c.get("release")]
    taken = [c["hash"] for c in lines if not c.get("release")]
    assert len(released) == 2 and released[0] == taken[1]  # the skip released the paragraph that came back
    assert set(released) == set(taken[1:])  # the one on screen at q is released too


def test_a_refresh_comes_every_n_decisions_not_after_each(tmp_path):
    import threading

    calls = []
    done = threading.Event()

    def retrain():
        calls.append(1)
        done.set()
        return None

    _run_keys(tmp_path, ["0", "0", "q"], retrain_every=3, retrain=retrain)
    assert not done.wait(1) and calls == []  # a refresh runs in a thread: give it time to show up
    (tmp_path / "again").mkdir()
    _run_keys(tmp_path / "again", ["0", "0", "0", "q"], retrain_every=3, retrain=retrain)
    assert done.wait(10) and calls == [1]


def test_the_terminal_is_restored_after_the_session_even_when_it_fails():
    import termios

    master, slave = os.openpty()
    try:
        with os.fdopen(slave, "rb", buffering=0, closefd=False) as tty_in:
            before = termios.tcgetattr(slave)
            with pytest.raises(RuntimeError):
                with raw_keys(tty_in) as read_key:
                    assert termios.tcgetattr(slave) != before  # cbreak while the session runs
                    os.write(master, "ب".encode())
                    assert read_key() == "ب"
                    raise RuntimeError("a failed save")
            assert termios.tcgetattr(slave) == before
    finally:
        os.close(master)
        os.close(slave)


def test_an_append_waits_for_the_lock_another_writer_holds(tmp_path):
    """Two sessions on one store: the lock, not O_APPEND alone, keeps a decision's line whole
    (a line is written in parts when it is long, and a reader sees whole lines only)."""
    import fcntl
    import threading

    store = tmp_path / "s.jsonl"
    append(store, [])
    fd = os.open(store, os.O_WRONLY | os.O_APPEND)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another session mid-write
    t = threading.Thread(target=append, args=(store, [LabelRecord("فقرة", ())]))
    t.start()
    t.join(0.5)
    assert t.is_alive() and store.read_text() == ""  # waiting, nothing written
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    t.join(10)
    assert not t.is_alive() and len(stored(store)) == 1


def test_a_corrupt_corpus_among_the_sources_is_reported_and_the_rest_read(tmp_path):
    bad = tmp_path / "broken.jsonl.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00" + os.urandom(200))  # a gzip header, then noise
    errors = []
    got = list(iter_candidates([str(bad), POOL], on_error=errors.append))
    assert len(errors) == 1 and "broken.jsonl.gz" in str(errors[0])
    assert len(got) == len(list(iter_candidates([POOL])))
    assert all(c.source.get("url", "").startswith("seeds/") for c in got)  # provenance keeps the record's url
