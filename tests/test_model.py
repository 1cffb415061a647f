import copy
import json
import pickle

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tagger.errors import BadModel, BadOutput, ModelNotFound, NotFitted
from tagger.model import TopicModel

TEXTS = ["صفقة صواريخ إس 400 بين تركيا وروسيا", "حرس الحدود يحبط تسلل مهربين", "القوات الأميركية في قاعدة عين الأسد",
         "مقاتلو حزب العمال الكردستاني في قنديل", "مباراة كرة القدم انتهت بالتعادل", "أسعار النفط ترتفع اليوم"]
Y = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]])
TOPICS = ["arms_deals", "border_security", "us_presence", "kurdish_groups"]


FITTED = TopicModel(TOPICS, features="word+char", C=10).fit(TEXTS, Y)  # not to be changed by a test


@pytest.fixture
def fitted():
    m = copy.deepcopy(FITTED)
    m.thresholds_ = np.array([0.3, 0.4, 0.5, 0.6], dtype=np.float32)
    return m


def test_fit_learns_the_training_examples(fitted):
    assert (fitted.predict(TEXTS) == Y.astype(bool)).all()


def test_dual_solver_reaches_the_primal_optimum():
    """Fewer texts than columns: fit uses liblinear's dual solver; its weights are the primal's."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    m = FITTED
    x = m.counts(TEXTS) @ sparse.diags(m.idf_.astype(np.float64))
    x = sparse.diags(1 / np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())) @ x
    for k in range(len(TOPICS)):
        primal = LogisticRegression(C=10, class_weight="balanced", solver="liblinear", dual=False, tol=1e-8,
                                    max_iter=10000).fit(x, Y[:, k])
        np.testing.assert_allclose(m.coef_[k], primal.coef_[0], atol=1e-4)
        assert m.intercept_[k] == pytest.approx(primal.intercept_[0], abs=1e-4)


@pytest.mark.parametrize("n_topics", [1, 3, 4, 7, 8, 11])
def test_scores_are_tfidf_times_weights_whatever_the_number_of_topics(n_topics):
    """The packed score table (4, 8 or n+1 values a column) gives the plain TF-IDF x coef + intercept."""
    from scipy import sparse

    y = np.array([[(i + k) % 3 == 0 for k in range(n_topics)] for i in range(len(TEXTS))], dtype=int)
    m = TopicModel([f"t{k}" for k in range(n_topics)], features="word+char", C=10).fit(TEXTS, y)
    probe = [*TEXTS, "الحدود مع العراق", "", "صفقة سلاح صفقة سلاح"]
    x = m.counts(probe) @ sparse.diags(m.idf_.astype(np.float64))
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    x = sparse.diags(1 / np.where(norms == 0, 1, norms)) @ x
    expected = x @ m.coef_.T.astype(np.float64) + m.intercept_
    np.testing.assert_allclose(m.decision_function(probe), expected, rtol=1e-5, atol=1e-6)


def grouped_and_row_by_row(model, texts, owner, n_groups):
    """classify's one-pass scoring (column-ordered cells) gives exactly the CSR path's scores."""
    para, groups = model.grouped_proba(texts, owner, n_groups)
    np.testing.assert_array_equal(para, model.predict_proba(texts).reshape(len(texts), len(TOPICS)))
    summed = model.raw_counts(texts).sum_rows(owner, n_groups)
    np.testing.assert_array_equal(groups, model.proba_counts(model.sublinear(summed)))
    return groups


def test_grouped_scores_equal_the_row_by_row_scores():
    groups = grouped_and_row_by_row(FITTED, [*TEXTS, "", "الحدود مع العراق"], [0, 0, 1, 1, 1, 2, 3, 3], 5)
    assert groups[4].tolist() == pytest.approx(1 / (1 + np.exp(-FITTED.intercept_)))  # an empty group


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("قال الحدود صفقة سلاح pkk \u0670\u200f\n\x00&;ab1"), max_size=40),
                max_size=8), st.data())
def test_grouped_scores_equal_the_row_by_row_scores_on_any_text(texts, data):
    owner = sorted(data.draw(st.lists(st.integers(0, 3), min_size=len(texts), max_size=len(texts))))
    grouped_and_row_by_row(FITTED, texts, owner, 4)


def test_save_load_round_trip_gives_identical_scores(fitted, tmp_path):
    fitted.save(tmp_path / "m", {"note": "x"})
    loaded = TopicModel.load(tmp_path / "m")
    probe = ["الحدود مع العراق", "صفقة سلاح"]
    np.testing.assert_array_equal(loaded.predict_proba(probe), fitted.predict_proba(probe))
    np.testing.assert_array_equal(loaded.thresholds_, fitted.thresholds_)
    assert loaded.topics == TOPICS and loaded.meta_["note"] == "x"


def test_unfitted_model_fails_clearly():
    with pytest.raises(NotFitted, match="tagger train"):
        TopicModel(TOPICS).predict(["نص"])


def test_missing_model_dir(tmp_path):
    with pytest.raises(ModelNotFound, match="tagger train"):
        TopicModel.load(tmp_path / "nope")


def test_truncated_weights_are_refused(fitted, tmp_path):
    d = fitted.save(tmp_path / "m")
    w = d / "weights.npz"
    w.write_bytes(w.read_bytes()[:100])
    with pytest.raises(BadModel, match="truncated"):
        TopicModel.load(d)


def test_foreign_directory_is_refused(tmp_path):
    (tmp_path / "meta.json").write_text(json.dumps({"hello": 1}))
    with pytest.raises(BadModel, match="not a tagger model"):
        TopicModel.load(tmp_path)


@pytest.mark.parametrize("version, says", [(99, "newer"), (1, "older tagger.*tagger train")])
def test_model_of_another_format_version_is_refused_with_what_to_do(fitted, tmp_path, version, says):
    d = fitted.save(tmp_path / "m")
    meta = json.loads((d / "meta.json").read_text())
    meta["format_version"] = version
    (d / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(BadModel, match=says):
        TopicModel.load(d)


class _Payload:
    def __reduce__(self):
        return (open, ("/tmp/tagger-pwned-by-model", "w"))


def test_pickle_payload_in_weights_never_runs(fitted, tmp_path):
    import hashlib
    import os

    marker = "/tmp/tagger-pwned-by-model"
    if os.path.exists(marker):
        os.remove(marker)
    d = fitted.save(tmp_path / "m")
    payload = pickle.dumps(_Payload())
    (d / "weights.npz").write_bytes(payload)
    meta = json.loads((d / "meta.json").read_text())
    meta["weights_sha256"] = hashlib.sha256(payload).hexdigest()  # a crafted model matches its own hash
    (d / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(BadModel):
        TopicModel.load(d)
    assert not os.path.exists(marker)


@pytest.mark.parametrize("damage", ["empty", "truncated", "flipped"])
def test_broken_weights_whose_hash_was_updated_are_refused_clearly(fitted, tmp_path, damage):
    import hashlib

    d = fitted.save(tmp_path / "m")
    data = (d / "weights.npz").read_bytes()
    data = {"empty": b"", "truncated": data[:len(data) // 2],
            "flipped": data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 0xFF]) + data[len(data) // 2 + 1:]}[damage]
    (d / "weights.npz").write_bytes(data)
    meta = json.loads((d / "meta.json").read_text())
    meta["weights_sha256"] = hashlib.sha256(data).hexdigest()
    (d / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(BadModel, match="not a usable tagger model .*retrain with `tagger train`"):
        TopicModel.load(d)


def test_killed_between_the_two_renames_of_a_save_the_old_model_is_used(fitted, tmp_path):
    d = fitted.save(tmp_path / "m")
    meta = (d / "meta.json").read_text()
    d.rename(tmp_path / ".m.old-4242")  # the old model moved aside, the new one not yet in place
    assert TopicModel.load(d).topics == fitted.topics
    assert (d / "meta.json").read_text() == meta and not (tmp_path / ".m.old-4242").exists()


def test_a_saved_model_is_as_readable_as_any_file(fitted, tmp_path):
    import os

    old = os.umask(0o022)
    try:
        d = fitted.save(tmp_path / "m")
    finally:
        os.umask(old)
    assert d.stat().st_mode & 0o777 == 0o755


def test_save_replaces_an_existing_model_atomically(fitted, tmp_path):
    d = fitted.save(tmp_path / "m")
    fitted.save(d)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    TopicModel.load(d)


@pytest.mark.parametrize("data", [
    np.array([1, 2, 3, 1, 4095], dtype=np.float32),  # whole counts: looked up
    np.array([1, 5000, 2], dtype=np.float32),  # beyond the table
    np.array([1.5, 2.0], dtype=np.float32),  # not whole
    np.array([1.0, 2.0, 3.0]),  # float64 keeps its precision
])
def test_sublinear_is_log1p_whatever_the_counts(data):
    from tagger.features import Counts
    raw = Counts(np.array([0, len(data)]), np.arange(len(data), dtype=np.int32), data, 8192)
    got = TopicModel.sublinear(raw).data
    assert got.dtype == data.dtype and np.array_equal(got, np.log1p(data))


def test_estimator_manners_settings_are_checked_and_clone_works():
    from sklearn.base import clone

    m = TopicModel(["a", "b"], features="char", C=3.0)
    c = clone(m)
    assert c is not m and c.get_params() == m.get_params() and not hasattr(c, "idf_")
    assert m.set_params(C=5.0).C == 5.0
    for bad in ({"C": "x"}, {"C": 0}, {"n_features": 2.5}, {"features": "bigrams"}):
        with pytest.raises(ValueError):
            TopicModel(["a"], **bad)
    with pytest.raises(NotFitted):
        TopicModel(["a"]).predict_proba([])


def test_a_model_whose_settings_are_of_the_wrong_type_is_refused_on_load(seed_model, tmp_path):
    import json
    import shutil

    d = tmp_path / "m"
    shutil.copytree(seed_model, d)
    meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
    meta["params"]["C"] = "x"
    (d / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(BadModel, match="not a usable tagger model"):
        TopicModel.load(d)


def test_a_topic_with_no_positive_label_is_never_tagged():
    """Right after a topic is added, it has no positive label: its constant score must be low."""
    y = Y.copy()
    y[:, 3] = 0
    m = TopicModel(TOPICS, features="word", C=10).fit(TEXTS, y)
    assert not m.predict(TEXTS)[:, 3].any() and (m.predict_proba(TEXTS)[:, 3] < 0.01).all()
    assert m.predict(TEXTS)[:, 0].any()




def test_save_into_the_current_folder_a_linked_folder_and_a_model_with_the_users_files(fitted, tmp_path, monkeypatch):
    empty = tmp_path / "here"
    empty.mkdir()
    monkeypatch.chdir(empty)
    fitted.save(".")  # "." has no name to rename: it used to end in a traceback
    assert (empty / "meta.json").exists()
    target = fitted.save(tmp_path / "target")
    (tmp_path / "link").symlink_to(target)
    fitted.save(tmp_path / "link")
    assert (tmp_path / "link").is_symlink() and (target / "meta.json").exists()  # the model behind the link
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers
    (target / "notes.txt").write_text("mine")
    with pytest.raises(BadOutput, match=r"notes\.txt"):
        fitted.save(target)
    assert (target / "notes.txt").read_text() == "mine"
