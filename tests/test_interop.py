import csv
import io
import json
import re

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from conftest import DATA, ROOT
from tagger.agreement import label_stats
from tagger.cli import app
from tagger.explain import explain
from tagger.interop import export, import_labels, parse
from tagger.labelstore import LabelRecord, append, latest, read_labels
from tagger.model import TopicModel

TOPICS = ["arms_deals", "border_security", "us_presence", "kurdish_groups"]
SEED_LABELS = ROOT / "labels" / "seeds.jsonl"


def seed_records(n=12):
    recs, _ = read_labels([SEED_LABELS])
    return [LabelRecord(r.text, r.labels, r.source, r.group, annotator="amal", time=r.time, title=r.title)
            for r in recs[:n]]


@pytest.mark.parametrize("fmt", ["prodigy", "doccano", "csv"])
def test_round_trip_keeps_text_labels_annotator_and_provenance(tmp_path, fmt):
    recs = seed_records()
    f = tmp_path / f"out.{fmt}"
    f.write_text(export(recs, fmt, TOPICS), encoding="utf-8")
    back = list(parse(f, fmt))
    key = lambda r: (r.text, r.labels, r.annotator, json.dumps(r.source, sort_keys=True), r.group, r.title, r.time,
                     r.hash)
    assert [key(r) for r in back] == [key(r) for r in recs]


def test_prodigy_export_has_the_fields_prodigy_reads():
    [task] = [json.loads(line) for line in export(seed_records(1), "prodigy", TOPICS).splitlines()]
    assert task["answer"] == "accept" and [o["id"] for o in task["options"]] == TOPICS
    assert isinstance(task["_input_hash"], int) and isinstance(task["_task_hash"], int)
    assert task["_annotator_id"] == "amal"


def test_reading_a_real_prodigy_file_keeps_accepted_answers_only():
    recs = list(parse(DATA / "prodigy_choice.jsonl", "prodigy"))
    assert [(r.labels, r.annotator) for r in recs] == [(("kurdish_groups",), "news_multilabel-rania"),
                                                       ((), "news_multilabel-rania")]
    assert recs[0].time == "2024-11-26T05:46:40+00:00"


def test_reading_a_real_doccano_file():
    recs = list(parse(DATA / "doccano_textcat.jsonl", "doccano"))
    assert recs[0].labels == ("border_security", "kurdish_groups") and recs[1].annotator == "omar"


def test_csv_export_is_plain_csv():
    rows = list(csv.DictReader(io.StringIO(export(seed_records(3), "csv", TOPICS))))
    assert list(rows[0]) == ["text", "labels", "annotator", "time", "hash", "group", "title", "source"]


def test_import_skips_duplicates_and_reports_conflicts(tmp_path):
    store = tmp_path / "store.jsonl"
    existing = seed_records(3)
    append(store, existing)
    changed = LabelRecord(existing[1].text, ("kurdish_groups",), annotator="omar")
    same = LabelRecord(existing[0].text, existing[0].labels, annotator="omar")
    new = LabelRecord("نص جديد تماما عن الحدود", ("border_security",), annotator="omar")
    rep = import_labels([same, changed, new, new], store, [], TOPICS)
    assert (rep.added, rep.duplicates, len(rep.conflicts)) == (1, 2, 1)
    final = latest(read_labels([store])[0])
    assert final[existing[1].hash].labels == existing[1].labels  # not overwritten
    assert len(final) == 4


@pytest.mark.parametrize("fmt", ["prodigy", "doccano", "csv"])
def test_an_agreement_study_round_trips_with_per_annotator(runner, tmp_path, fmt):
    """Two annotators on the same paragraphs, exported and imported again: by default the second
    annotator's disagreements are conflicts; --per-annotator keeps both, and the kappa with them."""
    amal = seed_records(6)
    omar = [LabelRecord(r.text, r.labels if i % 2 else ("kurdish_groups",), r.source, r.group, annotator="omar",
                        time=r.time, title=r.title) for i, r in enumerate(amal)]
    study = tmp_path / "study.jsonl"
    append(study, amal + omar)
    (tmp_path / "none").mkdir()
    exported = tmp_path / f"study.{fmt}"
    r = runner.invoke(app, ["labels", "export", "--to", fmt, "--labels", str(study), "-o", str(exported)])
    assert r.exit_code == 0, r.output

    def imported(*extra):
        store = tmp_path / f"back{len(extra)}.jsonl"
        r = runner.invoke(app, ["labels", "import", str(exported), "--from", fmt, "--store", str(store),
                                "--labels", str(tmp_path / "none"), *extra])
        return r, store

    r, _ = imported()
    assert r.exit_code == 1 and r.stderr.count("Conflict:") == sum(a.labels != o.labels for a, o in zip(amal, omar))
    r, store = imported("--per-annotator")
    assert r.exit_code == 0, r.output
    assert "Imported 12 labels" in r.stderr and "(6 beside another annotator's)" in r.stderr
    assert label_stats(read_labels([store])[0], TOPICS) == label_stats(amal + omar, TOPICS)
    r = runner.invoke(app, ["labels", "import", str(exported), "--from", fmt, "--store", str(store),  # again
                            "--labels", str(tmp_path / "none"), "--per-annotator"])
    assert r.exit_code == 0 and "Imported 0 labels" in r.stderr and "12 already present" in r.stderr


def test_a_per_annotator_import_keeps_out_of_training_unless_told(runner, tmp_path, monkeypatch):
    """Training takes each paragraph's latest decision: another annotator's label imported into a file
    training reads could replace an adjudicated one. By default the study goes to labels/agreement/;
    into a training file, every paragraph whose training label changes is named."""
    monkeypatch.setenv("TAGGER_HOME", str(tmp_path))
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "taxonomy.json").write_text((ROOT / "labels" / "taxonomy.json").read_text("utf-8"), "utf-8")
    agreed = seed_records(3)
    append(tmp_path / "labels" / "corpus.jsonl", agreed)
    theirs = [LabelRecord(r.text, ("us_presence",), annotator="omar") for r in agreed[:2]]
    theirs.append(LabelRecord(agreed[2].text, agreed[2].labels, annotator=""))
    f = tmp_path / "omar.csv"  # the study: amal's decisions (as in training) and the others'
    f.write_text(export(agreed + theirs, "csv", TOPICS), encoding="utf-8")
    training = lambda: {h: r.labels for h, r in latest(read_labels([tmp_path / "labels"])[0]).items()}
    before = training()
    r = runner.invoke(app, ["labels", "import", str(f), "--from", "csv", "--per-annotator"])
    assert r.exit_code == 0, r.output
    assert "labels/agreement/imported.jsonl" in r.stderr and "Imported 6 labels" in r.stderr
    assert "(3 beside another annotator's)" in r.stderr
    assert 'Warning: 1 decision in' in r.stderr and 'names no annotator; it counts as one annotator' in r.stderr
    assert training() == before and "now train" not in r.stderr
    study = read_labels([tmp_path / "labels" / "agreement"])[0]
    assert label_stats(study, TOPICS) == label_stats(agreed + theirs, TOPICS)
    r = runner.invoke(app, ["labels", "import", str(f), "--from", "csv", "--per-annotator",
                            "--store", str(tmp_path / "labels" / "omar.jsonl")])
    assert r.exit_code == 0, r.output
    changed = [h for h in before if training()[h] != before[h]]
    assert changed and re.search(rf"{len(changed)} paragraphs? now trains? on an imported decision", r.stderr)
    for h in changed:
        assert f"  {h}: {list(before[h])} (amal) → ['us_presence'] (omar)" in r.stderr


def test_import_cli_reports_conflicts_and_exits_1(runner, tmp_path):
    store = tmp_path / "store.jsonl"
    append(store, [LabelRecord("ولمح المسؤولون الإيرانيون خلال المباحثات إلى استعداد إيراني لتسليح الجيش العراقي.",
                               (), annotator="x")])
    (tmp_path / "none").mkdir()
    r = runner.invoke(app, ["labels", "import", str(DATA / "doccano_textcat.jsonl"), "--from", "doccano",
                            "--store", str(store), "--labels", str(tmp_path / "none")])
    assert r.exit_code == 1
    assert "Conflict:" in r.stderr and "Imported 1 label into" in r.stderr


def test_kappa_matches_scikit_learn(runner, tmp_path):
    a = [1, 1, 0, 0, 1, 0, 0, 1, 0, 0]
    b = [1, 0, 0, 0, 1, 0, 1, 1, 0, 0]
    recs = []
    for i, (x, y) in enumerate(zip(a, b)):
        text = f"فقرة رقم {i} عن موضوع ما"
        recs.append(LabelRecord(text, ("border_security",) if x else (), annotator="a"))
        recs.append(LabelRecord(text, ("border_security",) if y else (), annotator="b"))
    recs.append(LabelRecord("فقرة لم يرها إلا واحد", (), annotator="a"))
    st = label_stats(recs, TOPICS)
    [pair] = st["pairs"]
    assert pair["shared"] == 10
    assert pair["kappa"]["border_security"] == pytest.approx(cohen_kappa_score(a, b), abs=1e-4)
    assert pair["kappa"]["arms_deals"] is None  # nobody used it: undefined, not 1.0
    assert st["annotators"]["a"]["paragraphs"] == 11 and st["annotators"]["a"]["border_security"] == 4
    f = tmp_path / "l.jsonl"
    append(f, recs)
    r = runner.invoke(app, ["labels", "stats", "--labels", str(f), "--format", "json"])
    assert json.loads(r.stdout)["pairs"][0]["kappa"]["border_security"] == pair["kappa"]["border_security"]


def test_explain_finds_the_word_that_decides():
    texts = ["صواريخ جديدة للجيش في العرض", "صفقة صواريخ للجيش في العرض", "طائرات جديدة للجيش في العرض",
             "صفقة طائرات للجيش في العرض", "دبابات قديمة للجيش في المعرض", "صفقة دبابات للجيش في المعرض"] * 3
    y = np.array([[int("صفقة" in t), 0, 0, 0] for t in texts])
    m = TopicModel(TOPICS, features="word", C=100).fit(texts, y)
    [e] = explain(m, "أعلنت الحكومة صفقة سفن للبحرية", ["arms_deals"])
    assert e.up[0].feature == "w:صفقه"
    start, end = e.up[0].spans[0]
    assert "أعلنت الحكومة صفقة سفن للبحرية"[start:end] == "صفقة"
    logit = m.decision_function(["أعلنت الحكومة صفقة سفن للبحرية"])[0, 0]
    assert sum(w for _, _, w in e.words) == pytest.approx(logit - e.intercept, abs=1e-3)


def test_explain_cli_lists_features_per_tag(runner, seed_model):
    r = runner.invoke(app, ["explain", str(ROOT / "seeds" / "002_c4ed5918ed66c263.txt"), "-f", "jsonl",
                            "-m", str(seed_model), "--topic", "border_security"])
    assert r.exit_code == 0, r.output
    recs = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(recs) == 12
    e = recs[11]["explanations"][0]
    assert e["topic"] == "border_security" and e["up"] and e["up"][0]["weight"] > 0
    s, t = e["up"][0]["spans"][0]
    assert recs[11]["text"][s:t].strip()
    r = runner.invoke(app, ["explain", str(ROOT / "seeds" / "002_c4ed5918ed66c263.txt"), "-f", "json",
                            "-m", str(seed_model), "--topic", "border_security"])
    assert json.loads(r.stdout) == recs  # --format json: the same records as one array, as classify gives


@pytest.mark.parametrize("fmt, line, why", [
    ("doccano", {"text": "نص", "label": [[0, 2, "arms_deals"]]}, "sequence labelling"),
    ("prodigy", {"text": "نص", "label": "arms_deals", "answer": "accept"}, "binary task"),
    ("prodigy", {"text": "نص", "accept": 5, "answer": "accept"}, "list of topic names"),
    ("doccano", {"text": "نص", "label": {"a": 1}}, "list of topic names"),
    ("doccano", {"text": "نص", "id": 7}, "not an annotated record"),  # a corpus, not labels
    ("prodigy", {"text": "نص", "options": [{"id": "arms_deals"}]}, "a task not yet annotated"),
])
def test_import_of_a_record_it_cannot_read_is_refused_whole(runner, tmp_path, fmt, line, why):
    f = tmp_path / "in.jsonl"
    good = {"text": "نص سليم عن الحدود", "label": ["border_security"], "accept": ["border_security"], "answer": "accept"}
    f.write_text(json.dumps(good, ensure_ascii=False) + "\n" + json.dumps(line, ensure_ascii=False) + "\n",
                 encoding="utf-8")
    (tmp_path / "none").mkdir()
    store = tmp_path / "store.jsonl"
    r = runner.invoke(app, ["labels", "import", str(f), "--from", fmt, "--store", str(store),
                            "--labels", str(tmp_path / "none")])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert r.stderr.startswith(f"Error: {f}:2: not a {fmt} record (") and why in r.stderr
    assert "nothing imported" in r.stderr and not store.exists()


def test_export_to_a_path_it_cannot_write_is_a_clear_error(runner, tmp_path):
    for dest in (tmp_path / "missing" / "x.csv", tmp_path):
        r = runner.invoke(app, ["labels", "export", "--to", "csv", "-o", str(dest), "--labels", str(SEED_LABELS)])
        assert r.exit_code == 1 and r.stderr.startswith(f"Error: cannot write {dest} (")


def test_a_labels_path_that_does_not_exist_is_a_usage_error(runner, tmp_path):
    for cmd in (["labels", "stats"], ["labels", "export", "--to", "csv"], ["train"]):
        r = runner.invoke(app, [*cmd, "--labels", str(tmp_path / "typo")], env={"COLUMNS": "300"})
        assert r.exit_code == 2 and f"'{tmp_path / 'typo'}' does not exist" in r.stderr


def test_stats_say_why_there_is_no_kappa(runner, tmp_path):
    r = runner.invoke(app, ["labels", "stats", "--labels", str(SEED_LABELS), "--format", "table"],
                      terminal_width=200)
    assert r.exit_code == 0 and "No paragraph is labeled by two annotators here" in r.stdout


def test_import_into_a_store_that_cannot_be_written_is_a_clear_error(runner, tmp_path):
    (tmp_path / "none").mkdir()
    store = tmp_path / "a-folder"
    store.mkdir()
    r = runner.invoke(app, ["labels", "import", str(DATA / "doccano_textcat.jsonl"), "--from", "doccano",
                            "--store", str(store), "--labels", str(tmp_path / "none")])
    assert r.exit_code == 1 and r.exception.__class__ is SystemExit
    assert r.stderr.startswith(f"Error: cannot write the label file {store} (Is a directory)")


def test_import_of_a_csv_without_a_labels_column_is_refused(runner, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("text,id\nنص,1\n", encoding="utf-8")
    (tmp_path / "none").mkdir()
    r = runner.invoke(app, ["labels", "import", str(f), "--from", "csv", "--store", str(tmp_path / "s.jsonl"),
                            "--labels", str(tmp_path / "none")])
    assert r.exit_code == 1 and "no \"text\" and \"labels\" columns; nothing imported" in r.stderr
    assert not (tmp_path / "s.jsonl").exists()


def test_explain_on_a_terminal_tells_character_ngrams_from_words(seed_model):
    from rich.console import Console

    from tagger.tagging import classify_text
    from tagger.render import explanation_panel

    model = TopicModel.load(seed_model)
    text = (ROOT / "seeds" / "002_c4ed5918ed66c263.txt").read_text(encoding="utf-8")
    art = classify_text(text, model=model)[0]
    p = art.paragraphs[11]
    exps = explain(model, p.text, ["border_security"], 8)
    console = Console(width=400, record=True, color_system=None)
    console.print(explanation_panel(art, p, exps))
    shown = console.export_text()
    for c in exps[0].up + exps[0].down:
        assert (f'c:"{c.feature[2:]}"' if c.feature.startswith("c:") else c.feature) in shown


@pytest.mark.parametrize("cmd, fate", [(["labels", "stats", "-f", "json"], "not counted"),
                                       (["labels", "export", "--to", "csv"], "written as they are")])
def test_labels_of_a_topic_no_longer_in_the_taxonomy_are_named(runner, tmp_path, cmd, fate):
    f = tmp_path / "l.jsonl"
    append(f, [LabelRecord("نص عن السفن في المضيق", ("maritime_security",), annotator="a"),
               LabelRecord("نص عن الحدود", ("border_security",), annotator="a")])
    r = runner.invoke(app, [*cmd, "--labels", str(f)])
    assert r.exit_code == 0
    assert f"Warning: labels maritime_security are not topics of the taxonomy; {fate}" in r.stderr


def test_an_undone_decision_is_neither_exported_nor_counted(runner, tmp_path):
    """An undo line takes back the annotator's decision: it is not a 'no topic' answer."""
    kept = LabelRecord("فقرة عن الحدود بقيت كما هي", ("border_security",), annotator="a")
    undone = LabelRecord("فقرة تراجع عنها المعلق", ("arms_deals",), annotator="a")
    recs = [kept, undone, LabelRecord(undone.text, (), annotator="a", action="undo")]
    st = label_stats(recs, TOPICS)
    assert st["annotators"]["a"]["paragraphs"] == 1 and st["annotators"]["a"]["arms_deals"] == 0
    f = tmp_path / "l.jsonl"
    append(f, recs)
    r = runner.invoke(app, ["labels", "export", "--to", "csv", "--labels", str(f)])
    assert r.exit_code == 0 and kept.text in r.stdout and undone.text not in r.stdout


def test_explain_shows_what_pulls_a_score_down_and_word_pairs_span_both_words():
    texts = ["صفقة صواريخ للجيش", "صفقة طائرات للجيش", "عرض عسكري للجيش", "مناورات عسكرية للجيش"] * 4
    y = np.array([[int("صفقة" in t), 0, 0, 0] for t in texts])
    m = TopicModel(TOPICS, features="word", C=100).fit(texts, y)
    text = "عرض عسكري يتضمن صفقة صواريخ"
    [e] = explain(m, text, ["arms_deals"])
    assert e.down and all(f.weight < 0 for f in e.down)
    assert any(f.feature == "w:عرض" for f in e.down)
    pair = next(f for f in e.up + e.down if f.feature == "w:صفقه صواريخ")
    s, t = pair.spans[0]
    assert text[s:t] == "صفقة صواريخ"


def test_explain_shares_add_up_to_the_logit_for_character_n_grams_too():
    """A character n-gram met in several words, or a column shared by two n-grams, is split among them."""
    texts = ["صفقة صواريخ للجيش", "صفقة طائرات للجيش", "عرض عسكري للجيش", "مناورات عسكرية للجيش"] * 4
    y = np.array([[int("صفقة" in t), 0, 0, 0] for t in texts])
    m = TopicModel(TOPICS, features="word+char", C=100, n_features=2**10).fit(texts, y)  # small: collisions
    text = "صفقة صفقات عرض عسكري للجيش الجديد"
    [e] = explain(m, text, ["arms_deals"])
    logit = m.decision_function([text])[0, 0]
    assert sum(w for _, _, w in e.words) == pytest.approx(logit - e.intercept, abs=1e-3)
