"""The library from Python: `from tagger import classify, train` gives functions, with sensible defaults."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, SEEDS
from tagger.errors import InputNotFound, NotFitted
from tagger.model import TopicModel

SEED_LABELS = ROOT / "labels" / "seeds.jsonl"
TAXONOMY = ROOT / "labels" / "taxonomy.json"


def test_the_advertised_imports_are_functions_even_after_the_cli_loaded_every_module():
    code = ("import tagger.cli, tagger.tagging, tagger.training, tagger.parallel\n"
            "from tagger import classify, classify_file, classify_text, load_model, train, evaluate, TopicModel\n"
            "import types\n"
            "assert all(isinstance(f, types.FunctionType) for f in (classify, classify_file, classify_text, "
            "load_model, train, evaluate)), [type(f) for f in (classify, train)]\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr


def test_classify_a_text_with_a_model_directory(seed_model):
    from tagger import classify, classify_text, load_model

    text = SEEDS[2].read_text(encoding="utf-8")
    got = classify(text, seed_model)
    assert [a.to_dict() for a in got] == [a.to_dict() for a in classify_text(text, model=load_model(seed_model),
                                                                             model_name="seedmodel")]
    assert got[0].model == "seedmodel"  # named after the directory, as the CLI names it
    assert got[0].paragraphs and set(got[0].labels) <= set(load_model(seed_model).topics)


def test_train_takes_one_path_and_defaults_its_taxonomy_and_a_missing_path_is_an_error(tmp_path):
    from tagger import train

    result = train(SEED_LABELS, grid=[("word", 10.0)], n_splits=3)
    assert result.model.meta_ is result.meta and result.meta["training"]["paragraphs"] == 111
    with pytest.raises(InputNotFound, match="nope.jsonl: no such file"):
        train([SEED_LABELS, tmp_path / "nope.jsonl"], TAXONOMY, grid=[("word", 10.0)], n_splits=3)


def test_save_computes_what_describes_the_weights_whatever_meta_says(seed_model, tmp_path):
    """A caller's meta (the loaded model's, say) must not overwrite the weights' hash or thresholds."""
    m = TopicModel.load(seed_model)
    stale = {**m.meta_, "weights_sha256": "0" * 64, "thresholds": {t: 0.9 for t in m.topics}}
    m.thresholds_ = np.full(len(m.topics), 0.3, dtype=np.float32)
    back = TopicModel.load(m.save(tmp_path / "copy", stale))
    assert np.allclose(back.thresholds_, 0.3)


def test_refitting_a_loaded_model_forgets_its_thresholds_directory_and_meta(seed_model):
    m = TopicModel.load(seed_model)
    assert hasattr(m, "path_") and hasattr(m, "meta_")
    from tagger.segment import segment

    texts = [p.text for a in segment(SEEDS[0].read_text(encoding="utf-8")) for p in a.paragraphs]
    y = np.zeros((len(texts), len(m.topics)), dtype=int)
    y[::2, 0] = 1
    m.fit(texts, y)
    assert not hasattr(m, "path_") and not hasattr(m, "meta_") and np.all(m.thresholds_ == 0.5)


def test_load_model_loads_again_a_model_retrained_into_the_same_directory(seed_model, tmp_path):
    from tagger import load_model

    d = tmp_path / "m"
    first = load_model(TopicModel.load(seed_model).save(d))
    assert load_model(d) is first  # cached while the files stay the same
    m = TopicModel.load(seed_model)
    m.thresholds_ = np.full(len(m.topics), 0.42, dtype=np.float32)
    m.save(d)
    assert np.allclose(load_model(d).thresholds_, 0.42)


def test_an_articles_score_is_the_higher_of_its_whole_text_and_its_best_paragraph(seed_model):
    """The README's rule for article tags, recomputed from the model's parts: the whole article is
    its title's and paragraphs' n-gram counts summed, scored as one text."""
    from scipy import sparse

    from tagger import classify_file, load_model
    from tagger.features import Counts

    m = load_model(seed_model)
    whole_won = para_won = 0
    for seed in SEEDS:
        for art in classify_file(seed, m):
            texts = [p.text for p in art.paragraphs]
            raw = m.raw_counts([art.title, *texts]).to_scipy()
            summed = sparse.csr_matrix(raw.sum(axis=0))
            whole = m.proba_counts(m.sublinear(Counts(summed.indptr, summed.indices, summed.data, raw.shape[1])))[0]
            best = m.predict_proba(texts).max(axis=0)
            for j, t in enumerate(m.topics):
                assert abs(art.scores[t] - max(whole[j], best[j])) <= 1e-4, (seed.name, art.article, t)
                assert (t in art.labels) == (max(whole[j], best[j]) >= m.thresholds_[j])
                whole_won += whole[j] > best[j] + 0.01
                para_won += best[j] > whole[j] + 0.01
    assert whole_won and para_won  # both sides of the rule decide somewhere in the seeds


def test_python_callers_get_clear_errors_for_the_usual_mix_ups(seed_model):
    from tagger import classify

    with pytest.raises(TypeError, match="classify_file"):
        classify(SEEDS[0], seed_model)  # a Path
    with pytest.raises(TypeError, match="classify_file"):
        classify(str(SEEDS[0]), seed_model)  # a path as a string would be tagged as text
    with pytest.raises(ValueError, match="list of topic ids"):
        TopicModel("abc")
    assert TopicModel(t for t in ["a", "b"]).topics == ["a", "b"]  # a generator is read once, not consumed twice
    assert TopicModel(["a"], C=np.int64(3), n_features=np.int64(1024)).C == 3


def test_changing_a_fitted_models_settings_forgets_what_it_learned(seed_model):
    m = TopicModel.load(seed_model)
    m.set_params(C=m.C)  # the same settings: nothing forgotten
    assert hasattr(m, "idf_")
    m.set_params(features="word")
    assert not hasattr(m, "idf_") and not hasattr(m, "meta_")
    with pytest.raises(NotFitted):
        m.predict(["نص"])


def test_evaluate_takes_a_model_directory_and_says_when_it_saw_the_labels():
    from tagger import evaluate

    said = []  # the shipped model was trained on every label, the seeds' included (its trained_on.txt)
    report = evaluate(ROOT / "models" / "default", ROOT / "labels" / "seeds.jsonl", warn=said.append)
    assert report["seen_in_training"] == 111 and said and "flatter" in said[0]


def test_classify_file_names_its_records_after_the_model_directory(seed_model):
    from tagger import classify_file

    assert {a.model for a in classify_file(SEEDS[2], seed_model)} == {"seedmodel"}
