"""The shipped label files: every line parses, labels are known topics, no paragraph twice."""

import json
from collections import defaultdict

import pytest

from conftest import ROOT
from tagger.labelstore import label_files, read_labels, text_hash
from tagger.taxonomy import load_taxonomy

FILES = label_files(ROOT / "labels")
TOPICS = {t.id for t in load_taxonomy(ROOT / "labels" / "taxonomy.json")}


def test_there_are_label_files():
    assert {f.name for f in FILES} >= {"seeds.jsonl", "corpus.jsonl"}


STUDIES = [("corpus.jsonl", "agreement"), ("corpus_al.jsonl", "agreement/al_round"),
           ("corpus_outlets.jsonl", "agreement/round5")]
AGREEMENT = [f for _, study in STUDIES for f in label_files(ROOT / "labels" / study)]


@pytest.mark.parametrize("path", FILES + AGREEMENT, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_line_parses_with_known_topics_and_a_true_hash(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    assert all(json.loads(line) for line in lines)
    records, warnings = read_labels([path])
    assert warnings == [] and len(records) == len(lines)
    for r in records:
        assert set(r.labels) <= TOPICS, r.labels
        assert r.hash == text_hash(r.text)
        assert r.annotator and r.time and r.group and r.text.strip()


def test_no_text_hash_twice_in_the_training_labels():
    records, _ = read_labels(FILES)
    seen = defaultdict(list)
    for r in records:
        seen[r.hash].append(r)
    assert [h for h, rs in seen.items() if len(rs) > 1] == []


def test_no_annotator_contradicts_themselves():
    records, _ = read_labels(FILES + AGREEMENT)
    answers = defaultdict(set)
    for r in records:
        answers[(r.annotator, r.hash)].add(r.labels)
    assert [k for k, v in answers.items() if len(v) > 1] == []


@pytest.mark.parametrize("name", [name for name, _ in STUDIES])
def test_corpus_labels_carry_their_provenance(name):
    records, _ = read_labels([ROOT / "labels" / name])
    assert records
    for r in records:
        assert {"corpus", "id", "url", "paragraph", "outlet"} <= set(r.source)
        assert r.group == r.source["id"]


@pytest.mark.parametrize("name, study", STUDIES)
def test_every_second_pass_disagreement_is_adjudicated_and_applied(name, study):
    folder = ROOT / "labels" / study
    verdicts = {v["key"]: v for v in json.loads((folder / "adjudication.json").read_text(encoding="utf-8"))}
    first, _ = read_labels([folder / "first_pass.jsonl"])
    second, _ = read_labels([folder / "second_pass.jsonl"])
    assert [r.hash for r in first] == [r.hash for r in second]
    key = lambda r: f"{r.source['id']}#{r.source['paragraph']}"  # noqa: E731
    disagreements = {key(a) for a, b in zip(first, second) if set(a.labels) != set(b.labels)}
    assert disagreements and disagreements <= set(verdicts)
    records, _ = read_labels([ROOT / "labels" / name])
    adjudicated = {key(r): r for r in records if r.annotator == "adjudicator"}
    assert set(adjudicated) == set(verdicts)
    for k, v in verdicts.items():
        assert sorted(adjudicated[k].labels) == sorted(v["labels"]), k
        assert adjudicated[k].source["adjudicated"]["first"] == v["first"], k
