import json
import re

import pytest
import typer

from conftest import ROOT, SEEDS
from tagger.cli import app

SEED_002 = str(ROOT / "seeds" / "002_c4ed5918ed66c263.txt")
SEED_004 = ROOT / "seeds" / "004_a0a0517b3fa354ea.txt"
TOPICS = ["arms_deals", "border_security", "us_presence", "kurdish_groups"]


def jsonl(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_jsonl_shape_is_stable(runner, seed_model):
    r = runner.invoke(app, ["classify", SEED_002, "--format", "jsonl", "--model", str(seed_model)])
    assert r.exit_code == 0, r.output
    [rec] = jsonl(r.stdout)
    assert list(rec)[:9] == ["source", "article", "title", "start", "end", "labels", "scores", "paragraphs", "model"]
    assert rec["source"].endswith("seeds/002_c4ed5918ed66c263.txt") and rec["article"] == 0
    assert rec["title"] == "إيران والعراق يعتزمان التوقيع على وثيقة دفاعية مشتركة"
    assert sorted(rec["scores"]) == sorted(TOPICS)
    assert all(0 <= v <= 1 for v in rec["scores"].values())
    text = (ROOT / "seeds" / "002_c4ed5918ed66c263.txt").read_text(encoding="utf-8")
    for i, p in enumerate(rec["paragraphs"]):
        assert list(p) == ["index", "start", "end", "text", "labels", "scores"] and p["index"] == i
        assert text[p["start"]:p["end"]] == p["text"]
        assert set(p["labels"]) <= set(TOPICS)


def test_labels_are_the_scores_that_pass_the_stored_thresholds(runner, seed_model):
    th = json.loads((seed_model / "meta.json").read_text())["thresholds"]
    r = runner.invoke(app, ["classify", str(SEEDS[0]), "-f", "jsonl", "-m", str(seed_model)])
    assert r.exit_code == 0
    recs = jsonl(r.stdout)
    objs = [obj for rec in recs for obj in [rec, *rec["paragraphs"]]]
    assert len(recs) == 2 and len(objs) > 20 and any(o["labels"] for o in objs) and not all(o["labels"] for o in objs)
    for obj in objs:
        assert obj["labels"] == [t for t in TOPICS if obj["scores"][t] >= round(th[t], 4) - 1e-4]


def test_shipped_model_tags_the_seed_articles_sensibly(runner):
    r = runner.invoke(app, ["classify", *map(str, SEEDS), "-f", "jsonl"])
    assert r.exit_code == 0, r.output
    recs = {(rec["source"].rsplit("/", 1)[-1][:3], rec["article"]): rec for rec in jsonl(r.stdout)}
    assert len(recs) == 7
    assert {"border_security", "kurdish_groups"} <= set(recs["002", 0]["labels"])
    assert "kurdish_groups" in recs["003", 1]["labels"]
    assert "arms_deals" in recs["003", 0]["labels"]
    assert "us_presence" in recs["001", 0]["labels"]


def test_stdin_at_paragraph_level(runner, seed_model):
    data = SEED_004.read_bytes()
    r = runner.invoke(app, ["classify", "-", "--level", "paragraph", "-m", str(seed_model)], input=data)
    assert r.exit_code == 0, r.output
    recs = jsonl(r.stdout)
    assert len(recs) == 27
    assert list(recs[0])[:8] == ["source", "article", "index", "start", "end", "text", "labels", "scores"]
    assert recs[0]["source"] == "-" and recs[5]["index"] == 5


def test_json_format_is_one_array(runner, seed_model):
    r = runner.invoke(app, ["classify", str(SEEDS[0]), str(SEEDS[3]), "-f", "json", "-m", str(seed_model)])
    arr = json.loads(r.stdout)
    assert [a["article"] for a in arr] == [0, 1, 0, 1]


def test_table_for_people(runner, seed_model):
    r = runner.invoke(app, ["classify", SEED_002, "-f", "table", "-m", str(seed_model)])
    assert r.exit_code == 0
    assert "إيران والعراق يعتزمان" in r.stdout and "tags" in r.stdout


def test_missing_file_is_reported_and_the_rest_still_processed(runner, seed_model, tmp_path):
    r = runner.invoke(app, ["classify", str(tmp_path / "nope.txt"), SEED_002, "-f", "jsonl", "-m", str(seed_model)])
    assert r.exit_code == 1
    assert re.search(r"^Error: .*nope\.txt: no such file", r.stderr, re.M)
    assert len(jsonl(r.stdout)) == 1
    assert "Traceback" not in r.output


def test_undecodable_and_binary_files(runner, seed_model, tmp_path):
    (tmp_path / "img.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (tmp_path / "win.txt").write_bytes("وقال المسؤول إن الحدود مغلقة أمام المهربين.".encode("cp1256"))
    r = runner.invoke(app, ["classify", str(tmp_path), "-f", "jsonl", "-m", str(seed_model)])
    assert r.exit_code == 1
    assert "img.txt: a PNG image" in r.stderr
    [rec] = jsonl(r.stdout)
    assert rec["paragraphs"][0]["text"] == "وقال المسؤول إن الحدود مغلقة أمام المهربين."


def test_a_file_in_another_arabic_code_page_is_an_error_not_mojibake(runner, seed_model, tmp_path):
    (tmp_path / "iso.txt").write_bytes("وقال المسؤول إن الحدود مغلقة أمام المهربين.".encode("iso8859_6"))
    r = runner.invoke(app, ["classify", str(tmp_path / "iso.txt"), SEED_002, "-f", "jsonl", "-m", str(seed_model)])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert re.search(r"^Error: .*iso\.txt: not UTF-8.*ISO-8859-6; save it as UTF-8", r.stderr, re.M)
    assert [rec["source"] for rec in jsonl(r.stdout)] == [SEED_002]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_empty_file_gives_an_empty_record_and_a_warning(runner, seed_model, tmp_path, jobs):
    (tmp_path / "e.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "z.txt").write_bytes(b"")
    r = runner.invoke(app, ["classify", str(tmp_path / "e.txt"), SEED_002, str(tmp_path / "z.txt"), "-f", "jsonl",
                            "-m", str(seed_model), "--jobs", jobs])
    assert r.exit_code == 0, r.output  # not an error: every input has its record
    recs = jsonl(r.stdout)
    assert [rec["source"] for rec in recs] == [str(tmp_path / "e.txt"), SEED_002, str(tmp_path / "z.txt")]
    assert recs[0]["paragraphs"] == recs[2]["paragraphs"] == [] and recs[0]["labels"] == recs[2]["labels"] == []
    assert recs[1]["paragraphs"]
    assert r.stderr.splitlines() == [f"Warning: {tmp_path / n}: empty, no text to tag"
                                     for n in ("e.txt", "z.txt")]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_empty_stdin_gives_an_empty_record_and_a_warning(runner, seed_model, jobs):
    r = runner.invoke(app, ["classify", "-", "-f", "jsonl", "-m", str(seed_model), "--jobs", jobs], input=b"\n \n")
    assert r.exit_code == 0
    [rec] = jsonl(r.stdout)
    assert rec["source"] == "-" and rec["paragraphs"] == [] and rec["labels"] == []
    assert r.stderr == "Warning: -: empty, no text to tag\n"


def test_a_topic_added_to_the_taxonomy_but_not_trained_is_named(runner, seed_model, tmp_path, monkeypatch):
    """An analyst who added a topic and forgot `tagger train` learns why it never shows up."""
    import shutil

    topics = json.loads((ROOT / "labels" / "taxonomy.json").read_text(encoding="utf-8"))
    (tmp_path / "labels").mkdir()
    shutil.copytree(seed_model, tmp_path / "models" / "default")
    tax = tmp_path / "labels" / "taxonomy.json"
    tax.write_text(json.dumps(topics[1:] + [{"id": "drones", "name": "Drones", "description": "Drone strikes."}]),
                   encoding="utf-8")
    monkeypatch.setenv("TAGGER_HOME", str(tmp_path))
    monkeypatch.delenv("TAGGER_MODEL", raising=False)
    r = runner.invoke(app, ["classify", SEED_002, "-f", "jsonl"])
    assert r.exit_code == 0, r.output
    [rec] = jsonl(r.stdout)
    assert set(rec["scores"]) == {t["id"] for t in topics}  # the model's topics, as before
    assert r.stderr.splitlines() == [
        f"Warning: the model was trained without drones from {tax}, so it is not tagged; `tagger train` adds it",
        f"Warning: the model tags {topics[0]['id']}, which {tax} no longer has"]
    r = runner.invoke(app, ["classify", SEED_002, "-f", "jsonl", "-m", str(seed_model)])
    assert r.exit_code == 0 and r.stderr == ""  # a model chosen by path may come with a taxonomy of its own
    tax.write_text("{broken", encoding="utf-8")  # classify does not depend on the taxonomy
    r = runner.invoke(app, ["classify", SEED_002, "-f", "jsonl"])
    assert r.exit_code == 0 and r.stderr == ""


def test_no_model_says_what_to_run(runner, tmp_path):
    r = runner.invoke(app, ["classify", SEED_002, "-m", str(tmp_path / "none")])
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: no model at") and "tagger train" in r.stderr


def test_broken_model_says_what_to_run(runner, tmp_path):
    (tmp_path / "meta.json").write_text("{not json")
    r = runner.invoke(app, ["classify", SEED_002, "-m", str(tmp_path)])
    assert r.exit_code == 1 and "Error:" in r.stderr and "tagger train" in r.stderr


def test_bad_option_is_a_usage_error(runner):
    r = runner.invoke(app, ["classify", SEED_002, "--format", "xml"])
    assert r.exit_code == 2


def test_train_writes_a_model_and_prints_metrics(runner, tmp_path):
    out = tmp_path / "m"
    r = runner.invoke(app, ["train", "--labels", str(ROOT / "labels" / "seeds.jsonl"), "--out", str(out), "--folds", "3"])
    assert r.exit_code == 0, r.output
    assert (out / "meta.json").exists() and "macro" in r.stderr
    r2 = runner.invoke(app, ["classify", SEED_002, "-f", "jsonl", "-m", str(out)])
    assert r2.exit_code == 0


def test_train_with_no_labels_is_an_error(runner, tmp_path):
    r = runner.invoke(app, ["train", "--labels", str(tmp_path), "--out", str(tmp_path / "m")])
    assert r.exit_code == 1 and r.stderr.startswith("Error: no labeled paragraphs")


LEAVES = ["classify", "train", "label", "eval", "review", "explain", "labels export", "labels import", "labels stats"]


@pytest.mark.parametrize("command", LEAVES)
def test_every_command_has_help_and_is_in_the_readme(runner, command):
    r = runner.invoke(app, [*command.split(), "--help"])
    assert r.exit_code == 0 and "Example:" in r.stdout
    assert f"tagger {command}" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", LEAVES)
def test_help_shows_the_defaults_written_into_option_help(runner, command):
    """Rich reads "[default: x]" as markup and drops it unless escaped; the user must see it."""
    cmd = typer.main.get_command(app)
    for part in command.split():
        cmd = cmd.commands[part]
    written = [re.search(r"\[default: [^\]]*\]", p.help.replace("\\[", "[")).group(0)
               for p in cmd.params if getattr(p, "help", None) and "[default: " in p.help]
    shown = " ".join(runner.invoke(app, [*command.split(), "--help"]).stdout.replace("│", " ").split())
    for text in written:
        assert text in shown


def _leaves(cmd, prefix=()) -> list[str]:
    """Every command a user can run, sub-commands of groups included, walked from the click tree."""
    subs = getattr(cmd, "commands", None)
    if not subs:
        return [" ".join(prefix)]
    return [leaf for name, sub in sorted(subs.items()) for leaf in _leaves(sub, (*prefix, name))]


def test_every_command_is_listed_in_this_test():
    """So that a new command, or a new sub-command of `labels`, gets the help and README checks above."""
    assert sorted(_leaves(typer.main.get_command(app))) == sorted(LEAVES)


def test_eval_reports_per_topic_metrics_as_json(runner, seed_model):
    r = runner.invoke(app, ["eval", str(ROOT / "labels" / "seeds.jsonl"), "-m", str(seed_model), "-f", "json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["paragraphs"] == 111 and set(rep["per_topic"]) == set(TOPICS)
    assert rep["macro_f1"] == pytest.approx(sum(m["f1"] for m in rep["per_topic"].values()) / 4, abs=1e-3)
    assert rep["per_topic"]["arms_deals"]["support"] == 15


def _home(tmp_path, monkeypatch, lines=None):
    """A TAGGER_HOME with the taxonomy and the seed labels (or the first `lines` of them)."""
    home = tmp_path / "home"
    (home / "labels").mkdir(parents=True)
    (home / "labels" / "taxonomy.json").write_bytes((ROOT / "labels" / "taxonomy.json").read_bytes())
    seeds = (ROOT / "labels" / "seeds.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (home / "labels" / "seeds.jsonl").write_text("".join(seeds[:lines]), encoding="utf-8")
    monkeypatch.setenv("TAGGER_HOME", str(home))
    monkeypatch.delenv("TAGGER_MODEL", raising=False)
    return home


def test_train_without_a_record_of_the_current_models_labels_compares_its_own_figures(runner, tmp_path, monkeypatch):
    home = _home(tmp_path, monkeypatch)
    r = runner.invoke(app, ["train", "--folds", "3"])
    assert r.exit_code == 0 and "It is now the default model" in r.stderr
    default = home / "models" / "default"
    (default / "trained_on.txt").unlink()  # as a model from before trained_on.txt
    meta = json.loads((default / "meta.json").read_text())
    meta["cv"]["macro_f1"] = 0.99  # pretend the current default is far better
    (default / "meta.json").write_text(json.dumps(meta))
    r = runner.invoke(app, ["train", "--folds", "3"])
    assert r.exit_code == 0 and "Not made the default" in r.stderr and "previous F1" in r.stderr
    assert "on the labels it was trained on (not these)" in " ".join(r.stderr.split())
    assert len(list((home / "models" / "versions").iterdir())) == 2  # even within one second


def test_train_table_shows_every_topic_and_figure_whole_in_80_columns(runner, tmp_path, monkeypatch):
    _home(tmp_path, monkeypatch)
    monkeypatch.setenv("COLUMNS", "80")
    assert runner.invoke(app, ["train", "--folds", "3"]).exit_code == 0
    r = runner.invoke(app, ["train", "--folds", "3"])  # now with the "previous F1" column, the widest table
    assert r.exit_code == 0 and "previous F1" in " ".join(r.stderr.split())
    table = [line for line in r.stderr.splitlines() if line[:1] in "┏┃┡│└"]
    rows = [line for line in table if line.startswith("│")]
    assert max(len(line) for line in table) <= 80
    assert [row.strip("│ ").split()[0] for row in rows] == TOPICS + ["macro"]
    assert all("…" not in row and len(re.findall(r"\d\.\d{3}", row)) >= 2 for row in rows)


@pytest.mark.parametrize("params", [{"features": "bogus"}, {"C": "x"}, {"C": -1}])
def test_train_beside_a_damaged_current_model_still_trains(runner, tmp_path, monkeypatch, params):
    home = _home(tmp_path, monkeypatch, lines=60)
    assert runner.invoke(app, ["train", "--folds", "3"]).exit_code == 0
    meta_path = home / "models" / "default" / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["params"].update(params)
    meta_path.write_text(json.dumps(meta))
    r = runner.invoke(app, ["train", "--folds", "3"])
    assert r.exit_code == 0 and r.exception is None, r.output
    assert "on the labels it was trained on (not these)" in " ".join(r.stderr.split())


def test_eval_counts_and_warns_about_paragraphs_the_model_was_trained_on(runner, tmp_path, monkeypatch):
    _home(tmp_path, monkeypatch, lines=60)
    assert runner.invoke(app, ["train", "--folds", "3"]).exit_code == 0
    r = runner.invoke(app, ["eval", str(ROOT / "labels" / "seeds.jsonl"), "-f", "json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["paragraphs"] == 111 and rep["seen_in_training"] == 60
    assert "60 of these 111 paragraphs were in the model's training labels" in " ".join(r.stderr.split())
    r = runner.invoke(app, ["eval", str(tmp_path / "missing.jsonl")])
    assert r.exit_code == 1 and "missing.jsonl: no such file or directory" in r.stderr and r.exception.__class__ is SystemExit


def test_train_compares_with_the_current_model_on_the_same_folds(runner, tmp_path, monkeypatch):
    home = _home(tmp_path, monkeypatch, lines=60)
    r = runner.invoke(app, ["train", "--folds", "3"])
    assert r.exit_code == 0, r.output
    default = home / "models" / "default"
    first = (default / "trained_on.txt").read_text().split()
    assert len(first) == len(set(first)) == 60 == json.loads((default / "meta.json").read_text())["training"]["paragraphs"]

    (home / "labels" / "seeds.jsonl").write_bytes((ROOT / "labels" / "seeds.jsonl").read_bytes())  # 51 more
    r = runner.invoke(app, ["train", "--folds", "3", "--force"])
    assert r.exit_code == 0, r.output
    assert "refitted in the same folds on the 60 paragraphs it was trained on" in " ".join(r.stderr.split())
    versions = sorted((home / "models" / "versions").iterdir())
    meta = json.loads((versions[-1] / "meta.json").read_text())
    prev = meta["cv"]["previous"]
    assert prev["trained_on"] == 60
    assert {t: m["support"] for t, m in prev["per_topic"].items()} == \
        {t: m["support"] for t, m in meta["cv"]["per_topic"].items()}  # scored on all 111 paragraphs
    assert len((versions[-1] / "trained_on.txt").read_text().split()) == 111

    # labels unchanged: the current recipe's figures are the search's own for it, and never better
    r = runner.invoke(app, ["train", "--folds", "3"])
    meta = json.loads((sorted((home / "models" / "versions").iterdir())[-1] / "meta.json").read_text())
    prev = meta["cv"]["previous"]
    same = [s["macro_f1"] for s in meta["cv"]["search"] if (s["features"], s["C"]) == (prev["features"], prev["C"])]
    assert prev["trained_on"] == 111 and [prev["macro_f1"]] == same
    assert meta["cv"]["macro_f1"] >= prev["macro_f1"] and "It is now the default model" in r.stderr


def test_a_model_trained_on_fewer_labels_is_not_made_the_default_without_force(runner, tmp_path, monkeypatch):
    home = _home(tmp_path, monkeypatch)
    assert runner.invoke(app, ["train", "--folds", "3"]).exit_code == 0
    default = home / "models" / "default"
    before = (default / "weights.npz").read_bytes()
    subset = tmp_path / "subset.jsonl"
    subset.write_text("".join((home / "labels" / "seeds.jsonl").read_text(encoding="utf-8")
                              .splitlines(keepends=True)[:60]), encoding="utf-8")
    r = runner.invoke(app, ["train", "--folds", "3", "--labels", str(subset)])
    assert r.exit_code == 0, r.output
    assert f"Not made the default: it was trained without 51 of the 111 paragraphs {default} learned from" in \
        " ".join(r.stderr.split())
    assert (default / "weights.npz").read_bytes() == before
    r = runner.invoke(app, ["train", "--folds", "3", "--labels", str(subset), "--force"])
    assert r.exit_code == 0 and "It is now the default model" in r.stderr
    assert len((default / "trained_on.txt").read_text().split()) == 60


def test_a_json_corpus_with_half_a_surrogate_pair_is_still_tagged(runner, seed_model, tmp_path):
    corpus = tmp_path / "c.jsonl"  # "\ud800" alone: valid JSON, not writable as UTF-8
    corpus.write_text('{"id": "x", "title": "تركيا", "text": "الحدود \\ud800 مع تركيا"}\n', encoding="utf-8")
    r = runner.invoke(app, ["classify", str(corpus), "-f", "jsonl", "-m", str(seed_model)])
    assert r.exit_code == 0, r.output
    [rec] = jsonl(r.stdout)
    assert rec["paragraphs"][0]["text"] == "الحدود \ufffd مع تركيا"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_corpus_lines_that_are_not_records_are_named_in_a_warning(runner, seed_model, tmp_path, jobs):
    corpus = tmp_path / "c.jsonl"
    good = json.dumps({"id": "a", "text": "وقال المسؤول إن الحدود مغلقة أمام المهربين منذ يومين."}, ensure_ascii=False)
    corpus.write_text("\n".join([good, "not json", "[1, 2]", '{"text": 5}', "", '{"title": "x"}', good]) + "\n",
                      encoding="utf-8")
    r = runner.invoke(app, ["classify", str(corpus), "-f", "jsonl", "-m", str(seed_model), "--jobs", jobs])
    assert r.exit_code == 0, r.output
    assert [rec["article"] for rec in jsonl(r.stdout)] == [0, 1]
    assert r.stderr == (f'Warning: {corpus}: 4 lines skipped, not a JSON object with a "text" string '
                        "(lines 2, 3, 4, 6)\n")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_utf8_with_one_stray_byte_is_tagged_with_a_warning_not_read_as_windows_1256(runner, seed_model, tmp_path,
                                                                                     jobs):
    data = open(SEED_002, "rb").read()
    f = tmp_path / "d.txt"
    f.write_bytes(data[:500] + b"\xff" + data[500:])
    clean = runner.invoke(app, ["classify", SEED_002, "-f", "jsonl", "-m", str(seed_model)])
    for args, name, stdin in (([str(f)], str(f), None), (["-"], "-", f.read_bytes())):
        r = runner.invoke(app, ["classify", *args, "-f", "jsonl", "-m", str(seed_model), "--jobs", jobs], input=stdin)
        assert r.exit_code == 0, r.output
        [rec], [want] = jsonl(r.stdout), jsonl(clean.stdout)
        assert rec["title"] == want["title"] and rec["labels"] == want["labels"]
        assert r.stderr == f"Warning: {name}: 1 byte sequence not valid UTF-8, read as U+FFFD; the rest is tagged\n"


def test_eval_on_labels_of_another_taxonomy_is_an_error_not_zeros(runner, seed_model, tmp_path):
    f = tmp_path / "sports.jsonl"
    f.write_text("".join(json.dumps({"text": f"فاز الفريق بالمباراة رقم {i}", "labels": ["sports"]},
                                    ensure_ascii=False) + "\n" for i in range(5)), encoding="utf-8")
    r = runner.invoke(app, ["eval", str(f), "-m", str(seed_model)])
    assert r.exit_code == 1 and r.exception.__class__ is SystemExit
    assert r.stderr.startswith(f"Error: none of the labels in {f} (sports) is a topic of this model")


def test_eval_names_a_few_bad_lines_of_a_file_then_counts_the_rest(runner, seed_model, tmp_path):
    import gzip

    f = tmp_path / "corpus.jsonl"
    f.write_text("".join(json.dumps({"id": i, "text": "نص"}) + "\n" for i in range(40)), encoding="utf-8")
    r = runner.invoke(app, ["eval", str(f), "-m", str(seed_model)])
    assert r.exit_code == 1
    lines = r.stderr.splitlines()
    assert [line.split(":")[2] for line in lines[:5]] == ["1", "2", "3", "4", "5"]  # "Warning: FILE:N: …"
    assert lines[5:] == [f"Warning: {f}: 35 more lines skipped", f"Error: no labeled paragraphs in {f}"]
    gz = tmp_path / "seeds.jsonl.gz"
    gz.write_bytes(gzip.compress((ROOT / "labels" / "seeds.jsonl").read_bytes()))
    r = runner.invoke(app, ["eval", str(gz), "-m", str(seed_model), "-f", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["paragraphs"] == 111


def test_promoting_a_model_keeps_the_one_it_replaces_as_a_version(runner, tmp_path, monkeypatch, seed_model):
    import shutil

    home = _home(tmp_path, monkeypatch)
    default = home / "models" / "default"
    shutil.copytree(seed_model, default)  # a default that is in no version, like the shipped model
    shipped = json.loads((default / "meta.json").read_text())
    r = runner.invoke(app, ["train", "--folds", "3", "--force"])
    assert r.exit_code == 0 and "It is now the default model" in r.stderr, r.output
    kept = [v for v in (home / "models" / "versions").iterdir()
            if json.loads((v / "meta.json").read_text())["weights_sha256"] == shipped["weights_sha256"]]
    assert len(kept) == 1 and f"The model it replaces is kept as {kept[0]}." in r.stderr
    assert (kept[0] / "weights.npz").read_bytes() == (seed_model / "weights.npz").read_bytes()
    r = runner.invoke(app, ["train", "--folds", "3", "--force"])  # the one replaced now is already a version
    assert r.exit_code == 0 and "kept as" not in r.stderr
    assert len(list((home / "models" / "versions").iterdir())) == 3


def test_eval_averages_over_the_topics_the_file_has_positives_for(runner, seed_model, tmp_path):
    rows = [json.loads(x) for x in (ROOT / "labels" / "seeds.jsonl").read_text(encoding="utf-8").splitlines()]
    no_arms = [r for r in rows if "arms_deals" not in r["labels"]]
    f = tmp_path / "no_arms.jsonl"
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in no_arms), encoding="utf-8")
    r = runner.invoke(app, ["eval", str(f), "-m", str(seed_model), "-f", "json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["per_topic"]["arms_deals"]["support"] == 0 and rep["macro_over"] == TOPICS[1:]
    assert rep["macro_f1"] == pytest.approx(sum(rep["per_topic"][t]["f1"] for t in TOPICS[1:]) / 3, abs=1e-3)
    assert "no positive label for arms_deals in these files" in r.stderr


def test_a_new_topic_is_compared_on_the_topics_both_models_have(runner, tmp_path, monkeypatch):
    home = _home(tmp_path, monkeypatch)
    assert runner.invoke(app, ["train", "--folds", "3"]).exit_code == 0
    tax = json.loads((home / "labels" / "taxonomy.json").read_text(encoding="utf-8"))
    tax.append({"id": "names_iran", "name": "ذكر إيران", "description": "The paragraph names Iran (إيران)."})
    (home / "labels" / "taxonomy.json").write_text(json.dumps(tax, ensure_ascii=False), encoding="utf-8")
    rows = [json.loads(x) for x in (home / "labels" / "seeds.jsonl").read_text(encoding="utf-8").splitlines()]
    for r in rows:  # the new topic's definition applied to each paragraph
        r["labels"] = sorted(set(r["labels"]) | ({"names_iran"} if "إيران" in r["text"] else set()))
    (home / "labels" / "seeds.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                                 encoding="utf-8")
    monkeypatch.setenv("COLUMNS", "160")
    r = runner.invoke(app, ["train", "--folds", "3"])
    assert r.exit_code == 0, r.output
    said = " ".join(r.stderr.split())
    assert "New topic names_iran: the current model never had it, so the two are compared on the 4 topics both have" \
        in said and "review them (tagger review)" in said
    [row] = [line for line in r.stderr.splitlines() if line.lstrip("│ ").startswith("names_iran")]
    assert row.rstrip(" │").endswith("—")  # no previous figure for a topic it never had
    meta = json.loads((sorted((home / "models" / "versions").iterdir())[-1] / "meta.json").read_text())
    shared = sum(meta["cv"]["per_topic"][t]["f1"] for t in TOPICS) / 4
    assert f"macro-F1 {shared:.3f} against" in said


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_paragraph_records_of_a_jsonl_corpus_carry_their_articles_id(runner, seed_model, tmp_path, jobs):
    corpus = tmp_path / "c.jsonl"
    text = SEEDS[2].read_text(encoding="utf-8")
    corpus.write_text("".join(json.dumps({"id": f"x{k}", "title": "عنوان", "text": text}, ensure_ascii=False) + "\n"
                              for k in range(3)), encoding="utf-8")
    r = runner.invoke(app, ["classify", str(corpus), "--level", "paragraph", "-f", "jsonl", "-m", str(seed_model),
                            "--jobs", jobs, "--partition-size", "1"])
    assert r.exit_code == 0, r.output
    recs = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(recs) > 3 and {x["id"] for x in recs} == {"x0", "x1", "x2"}
    ids = [x["id"] for x in recs]
    assert ids == sorted(ids) and ids.count("x0") == ids.count("x2") == len(recs) // 3  # in order, each article whole


def test_a_dask_run_whose_counts_differ_exits_1(runner, seed_model, monkeypatch):
    import tagger.parallel as parallel
    from tagger.parallel import DaskSummary

    monkeypatch.setattr(parallel, "classify_dask", lambda *a, **k: DaskSummary(1, 7, 6, 6, ()))
    r = runner.invoke(app, ["classify", str(SEEDS[0]), "--dask", "tcp://h:1", "-m", str(seed_model)])
    assert r.exit_code == 1 and "7 articles in, 6 records out" in r.stderr


def test_an_import_with_labels_of_unknown_topics_exits_1(runner, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("text,labels\nفقرة عن موضوع غير معروف في التصنيف,piracy\n", encoding="utf-8")
    r = runner.invoke(app, ["labels", "import", str(f), "--from", "csv", "--store", str(tmp_path / "s.jsonl")])
    assert r.exit_code == 1 and "1 with unknown topics" in r.stderr
