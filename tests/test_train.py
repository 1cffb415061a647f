import json
import re

import numpy as np
import pytest

from conftest import ROOT
from tagger.errors import BadLabels
from tagger.model import TopicModel
from tagger.training import best_threshold, folds, linked_groups, load_training_set, train

TAXONOMY = ROOT / "labels" / "taxonomy.json"
SEED_LABELS = ROOT / "labels" / "seeds.jsonl"


def test_seed_model_meta_records_what_was_trained(seed_model):
    meta = json.loads((seed_model / "meta.json").read_text(encoding="utf-8"))
    assert meta["topics"] == ["arms_deals", "border_security", "us_presence", "kurdish_groups"]
    assert set(meta["thresholds"]) == set(meta["topics"])
    assert meta["cv"]["grouped_by"] == "article, near-copies joined"
    assert set(meta["cv"]["per_topic"]) == set(meta["topics"])
    assert {"precision", "recall", "f1", "support"} <= set(meta["cv"]["per_topic"]["arms_deals"])
    assert {"scikit-learn", "numpy", "pyarabic", "tagger"} <= set(meta["versions"])
    assert len(meta["training"]["labels_sha256"]) == 64


def test_training_is_reproducible(seed_model, tmp_path):
    again = train([SEED_LABELS], TAXONOMY, grid=[("word+char", 10.0)], n_splits=3)
    again.model.save(tmp_path / "m", again.meta)
    a, b = TopicModel.load(seed_model), TopicModel.load(tmp_path / "m")
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.thresholds_, b.thresholds_)


def test_the_current_models_recipe_on_the_same_labels_scores_what_the_grid_found(tmp_path):
    """Retraining on the labels the current model learned from: its recipe's cross-validation is the
    grid's own run of that recipe (reused, not run twice), so "previous" equals the new figures.
    Under another grid the recipe is cross-validated for the comparison, with the same figures."""
    from tagger.training import baseline_of

    first = train([SEED_LABELS], TAXONOMY, grid=[("word+char", 10.0)], n_splits=3)
    first.model.save(tmp_path / "m", first.meta, files=first.files())
    again = train([SEED_LABELS], TAXONOMY, grid=[("char", 30.0), ("word+char", 10.0)], n_splits=3,
                  baseline=baseline_of(tmp_path / "m"))
    previous = again.meta["cv"]["previous"]
    assert previous["trained_on"] == len(first.hashes)
    assert previous["per_topic"] == first.meta["cv"]["per_topic"] and previous["macro_f1"] == first.meta["cv"]["macro_f1"]
    other = train([SEED_LABELS], TAXONOMY, grid=[("char", 30.0)], n_splits=3, baseline=baseline_of(tmp_path / "m"))
    assert other.meta["cv"]["previous"] == previous


def test_folds_never_split_an_article():
    ts = load_training_set([SEED_LABELS], TAXONOMY)
    seen = {}
    for k, test in enumerate(folds(ts, 3)):
        for i in test:
            assert seen.setdefault(ts.groups[i], k) == k


def test_near_copies_in_other_articles_fall_in_the_same_fold(tmp_path):
    lines = SEED_LABELS.read_text(encoding="utf-8").splitlines()
    twins = []
    for k, line in enumerate(lines[::15][:6]):  # six paragraphs republished by another outlet, one word changed
        r = json.loads(line)
        words = r["text"].split()
        twins.append({**r, "text": " ".join(words[:-1] + ["اليوم"]), "hash": "", "group": f"other-outlet-{k}",
                      "source": {"corpus": "elsewhere", "id": str(k)}})
    f = tmp_path / "labels.jsonl"
    f.write_text("\n".join(lines + [json.dumps(t, ensure_ascii=False) for t in twins]) + "\n", encoding="utf-8")
    ts = load_training_set([f], TAXONOMY)
    fold_of = {int(i): k for k, test in enumerate(folds(ts, 3)) for i in test}
    text_at = {r.text: i for i, r in enumerate(ts.records)}
    for line, twin in zip(lines[::15], twins):
        original = text_at[json.loads(line)["text"]]
        assert fold_of[original] == fold_of[text_at[twin["text"]]]
    assert len(set(linked_groups(ts))) == len(set(ts.groups)) - 6


def test_unknown_label_is_refused(tmp_path):
    f = tmp_path / "l.jsonl"
    f.write_text(json.dumps({"text": "نص", "labels": ["weather"]}) + "\n", encoding="utf-8")
    with pytest.raises(BadLabels, match="weather"):
        load_training_set([f], TAXONOMY)


def test_a_new_topic_in_the_taxonomy_needs_no_code(tmp_path):
    tax = tmp_path / "taxonomy.json"
    tax.write_text(json.dumps([{"id": "sport", "name": "رياضة", "description": "sport"},
                               {"id": "economy", "name": "اقتصاد", "description": "economy"}]), encoding="utf-8")
    rows = [("فاز الفريق بالمباراة النهائية للدوري", ["sport"]), ("سجل اللاعب هدفين في المباراة", ["sport"]),
            ("ارتفعت أسعار النفط في الأسواق", ["economy"]), ("تراجع مؤشر البورصة اليوم", ["economy"]),
            ("المنتخب يستعد لكأس العالم", ["sport"]), ("البنك المركزي يرفع سعر الفائدة", ["economy"])]
    f = tmp_path / "l.jsonl"
    f.write_text("".join(json.dumps({"text": t, "labels": l, "group": str(i)}, ensure_ascii=False) + "\n"
                         for i, (t, l) in enumerate(rows)), encoding="utf-8")
    result = train([f], tax, grid=[("char", 10.0)], n_splits=2)
    assert result.model.topics == ["sport", "economy"]
    assert result.model.predict(["اللاعب سجل هدفا في المباراة"]).tolist() == [[True, False]]


def test_best_threshold_maximises_f1():
    y = np.array([0, 0, 1, 1, 1])
    p = np.array([0.1, 0.42, 0.45, 0.8, 0.9])
    assert 0.42 < best_threshold(y, p) <= 0.45


@pytest.mark.parametrize("topics, says", [
    ([{"id": "sport", "name": "رياضة"}], "topic 'sport' needs a 'description'"),
    ([{"id": "sport", "name": "", "descripton": "typo"}], "topic 'sport' needs a 'name' and a 'description'"),
    ([{"id": "sport", "name": ["x"], "description": "d"}], "topic 'sport' needs a 'name'"),
    ([{"id": "a", "name": "n", "description": "d"}, {"id": "B!", "name": "n", "description": "d"}],
     "topic 2 needs an \"id\""),
])
def test_a_taxonomy_topic_without_what_annotators_read_is_refused(tmp_path, topics, says):
    from tagger.taxonomy import load_taxonomy

    tax = tmp_path / "taxonomy.json"
    tax.write_text(json.dumps(topics, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(BadLabels, match=re.escape(says)):
        load_taxonomy(tax)


def test_the_promotion_rule_is_the_librarys(seed_model, tmp_path):
    """tagger.registry decides, without the CLI: not worse and every old paragraph, or forced."""
    import copy

    from tagger.model import TopicModel
    from tagger.registry import current_meta, save_and_promote
    from tagger.training import Baseline, TrainResult

    model = TopicModel.load(seed_model)
    default = tmp_path / "models" / "default"
    model.save(default, model.meta_)
    previous = current_meta(default)

    def result(macro: float, hashes=("a", "b")) -> TrainResult:
        meta = copy.deepcopy(model.meta_)
        meta["cv"]["macro_f1"] = macro
        meta["cv"].pop("previous", None)
        return TrainResult(model, meta, hashes)

    old = previous["cv"]["macro_f1"]
    worse = save_and_promote(result(old - 0.1), default, previous=previous)
    assert (worse.decision, worse.promoted) == ("worse", False) and worse.saved_to.parent == default.parent / "versions"
    fewer = save_and_promote(result(old + 0.1, ("a",)), default, previous=previous,
                             baseline=Baseline("word+char", 10.0, frozenset({"a", "b"})))
    assert (fewer.decision, fewer.dropped, fewer.baseline_size) == ("fewer_labels", 1, 2)
    forced = save_and_promote(result(old - 0.1), default, force=True, previous=previous)
    assert forced.decision == "forced" and current_meta(default)["cv"]["macro_f1"] == old - 0.1
    better = save_and_promote(result(old + 0.1), default, previous=current_meta(default))
    assert better.decision == "promoted" and better.kept is None  # a version already holds the same weights
    out = save_and_promote(result(0.0), default, out=tmp_path / "try")
    assert out.decision == "saved" and out.saved_to == tmp_path / "try" and (tmp_path / "try" / "meta.json").exists()


# -- what the metrics and the choices rest on, checked against computations done by hand ----------

def _seed_set():
    from tagger.training import load_training_set

    return load_training_set(ROOT / "labels" / "seeds.jsonl", ROOT / "labels" / "taxonomy.json")


def test_train_keeps_the_best_setting_of_its_search():
    from tagger.training import train

    result = train(ROOT / "labels" / "seeds.jsonl", grid=[("word", 1.0), ("char", 30.0), ("word+char", 10.0)],
                   n_splits=3)
    search = result.meta["cv"]["search"]
    best = max(search, key=lambda s: s["macro_f1"])
    assert result.meta["cv"]["macro_f1"] == best["macro_f1"] == max(s["macro_f1"] for s in search)
    assert (result.model.features, result.model.C) == (best["features"], best["C"])
    assert len({s["macro_f1"] for s in search}) > 1  # the settings do differ, so the choice matters


def test_each_fold_is_cut_at_a_threshold_tuned_on_the_other_folds_only():
    """Honest metrics: a threshold tuned on the fold it cuts would reward knowing the answers."""
    from tagger.training import best_threshold, cv_metrics, folds, prf

    ts = _seed_set()
    test_folds = folds(ts, 3)
    rng = np.random.default_rng(0)
    p = np.clip(ts.y * 0.35 + rng.random(ts.y.shape) * 0.65, 0, 1)  # informative but noisy scores
    got = cv_metrics(ts, p, test_folds)
    by_hand = np.zeros_like(ts.y, dtype=bool)
    cheat = np.zeros_like(ts.y, dtype=bool)
    for test in test_folds:
        rest = np.array([i for i in range(len(ts.texts)) if i not in set(test)])
        for j in range(ts.y.shape[1]):
            by_hand[test, j] = p[test, j] >= best_threshold(ts.y[rest, j], p[rest, j])
            cheat[test, j] = p[test, j] >= best_threshold(ts.y[:, j], p[:, j])
    for j, t in enumerate(ts.topics):
        assert got["per_topic"][t.id] == prf(ts.y[:, j], by_hand[:, j])
    assert any(prf(ts.y[:, j], cheat[:, j]) != prf(ts.y[:, j], by_hand[:, j]) for j in range(ts.y.shape[1]))


def test_the_current_model_is_refitted_only_on_what_it_was_trained_on():
    """The promotion comparison refits the current recipe, in each fold, on the paragraphs the
    current model learned from: refitting it on every label would credit it with the new ones."""
    from tagger.model import TopicModel
    from tagger.training import SEED, folds, oof_proba

    ts = _seed_set()
    test_folds = folds(ts, 3)
    mask = np.arange(len(ts.texts)) % 3 != 0  # the current model knew two thirds of the paragraphs
    got = oof_proba(ts, "word", 10.0, test_folds, trainable=mask)
    ids = [t.id for t in ts.topics]
    want = np.zeros(ts.y.shape)
    for test in test_folds:
        train = np.array([i for i in range(len(ts.texts)) if i not in set(test) and mask[i]])
        m = TopicModel(ids, features="word", C=10.0, seed=SEED).fit([ts.texts[i] for i in train], ts.y[train])
        want[test] = m.predict_proba([ts.texts[i] for i in test])
    assert np.allclose(got, want, atol=1e-6)
    assert not np.allclose(got, oof_proba(ts, "word", 10.0, test_folds), atol=1e-3)


def test_review_finds_a_paragraph_whose_label_lacks_a_topic_the_model_is_sure_of(tmp_path):
    """Both kinds of likely mistake: a topic missing from a label, and a topic given where none is."""
    from tagger.labelstore import LabelRecord, append
    from tagger.training import disagreements

    places = ["زاخو", "سنجار", "قنديل", "عفرين", "منبج", "كركوك", "دهوك", "أربيل", "القامشلي", "حلب",
              "الرقة", "الموصل", "تلعفر", "جرابلس", "عين العرب", "رأس العين", "الحسكة", "الباب"]
    recs = []
    for k, place in enumerate(places):
        recs.append(LabelRecord(f"قصفت المدفعية التركية مواقع حزب العمال الكردستاني قرب {place} أمس.",
                                ("kurdish_groups",), group=f"k{k}"))
        recs.append(LabelRecord(f"افتتح المحافظ معرضا للكتاب في {place} بحضور جمهور كبير أمس.", (), group=f"n{k}"))
    missing, extra = recs[0], recs[3]
    recs[0] = LabelRecord(missing.text, (), group=missing.group)  # the topic forgotten
    recs[3] = LabelRecord(extra.text, ("kurdish_groups",), group=extra.group)  # a topic given by mistake
    append(tmp_path / "l.jsonl", recs)
    topics, th, items = disagreements([tmp_path / "l.jsonl"], ROOT / "labels" / "taxonomy.json", "word", 10.0, 0.3)
    assert {d.record.text for d in items[:2]} == {missing.text, extra.text}


def test_train_output_never_replaces_a_folder_of_labels_or_a_file(runner, tmp_path):
    """--output into the folder the labels are in used to delete them, with exit 0."""
    from tagger.cli import app

    labels = tmp_path / "mine"
    labels.mkdir()
    (labels / "a.jsonl").write_bytes((ROOT / "labels" / "seeds.jsonl").read_bytes())
    (tmp_path / "afile").write_text("x")
    for out, says in ((labels, "holds files that are not a tagger model"), (tmp_path / "afile", "is a file")):
        r = runner.invoke(app, ["train", "--labels", str(labels), "--taxonomy", str(ROOT / "labels" / "taxonomy.json"),
                                "--output", str(out)])
        assert r.exit_code == 1 and says in r.stderr and "fitting" not in r.stderr  # refused before training
    assert (labels / "a.jsonl").read_bytes() == (ROOT / "labels" / "seeds.jsonl").read_bytes()
    assert (tmp_path / "afile").read_text() == "x"


def test_promotion_reads_the_default_it_would_replace_when_not_told(seed_model, tmp_path):
    """From Python, save_and_promote(result, default) must not replace a better default unasked."""
    import copy

    from tagger.model import TopicModel
    from tagger.registry import current_meta, save_and_promote
    from tagger.training import TrainResult

    model = TopicModel.load(seed_model)
    default = tmp_path / "models" / "default"
    model.save(default, model.meta_)
    meta = copy.deepcopy(model.meta_)
    meta["cv"]["macro_f1"] = model.meta_["cv"]["macro_f1"] - 0.2
    meta["cv"].pop("previous", None)
    worse = TrainResult(model, meta, ())
    assert save_and_promote(worse, default).decision == "worse"
    assert save_and_promote(worse, default, out=default).decision == "worse"  # -o the default: the same rule
    assert current_meta(default)["cv"]["macro_f1"] == model.meta_["cv"]["macro_f1"]


def test_a_label_folder_with_its_own_taxonomy_is_trained_with_it(tmp_path):
    """train('mydir') used the repo's labels/taxonomy.json even when mydir has its own."""
    import json as _json

    from tagger.training import load_training_set

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "a.jsonl").write_bytes((ROOT / "labels" / "seeds.jsonl").read_bytes())
    topics = _json.loads((ROOT / "labels" / "taxonomy.json").read_text(encoding="utf-8"))
    topics.append({"id": "piracy", "name": "قرصنة", "description": "هجمات القراصنة على السفن."})
    (mine / "taxonomy.json").write_text(_json.dumps(topics, ensure_ascii=False), encoding="utf-8")
    assert [t.id for t in load_training_set(mine).topics][-1] == "piracy"
    assert [t.id for t in load_training_set([mine / "a.jsonl"]).topics][-1] == "kurdish_groups"


def test_a_session_takes_one_label_path_and_refuses_a_missing_one(tmp_path):
    from tagger.errors import InputNotFound
    from tagger.session import open_session

    tax = ROOT / "labels" / "taxonomy.json"
    pool = str(ROOT / "tests" / "data" / "pool.jsonl")
    with pytest.raises(InputNotFound, match="lbll: no such file"):
        open_session([pool], [tmp_path / "lbll"], tmp_path / "s.jsonl", tax)
    s = open_session(pool, str(ROOT / "labels" / "seeds.jsonl"), tmp_path / "s.jsonl", tax)  # one of each, as strings
    try:
        assert s.queue.pop(timeout=30) is None  # every pool paragraph is a seed paragraph, labeled already
    finally:
        s.queue.close()
