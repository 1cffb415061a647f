from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def seed_model(tmp_path_factory):
    """A model trained from the seed labels alone, with one configuration (fast)."""
    from tagger.training import train

    out = tmp_path_factory.mktemp("model") / "seedmodel"
    result = train([ROOT / "labels" / "seeds.jsonl"], ROOT / "labels" / "taxonomy.json",
                   grid=[("word+char", 10.0)], n_splits=3)
    result.model.save(out, result.meta)
    return out


@pytest.fixture(autouse=True)
def no_scoring_thread_left_behind():
    """A scoring thread left running steals the GIL from every later test (Dask's event loop
    included), so each test must close the queues it starts."""
    import threading

    yield
    left = [t for t in threading.enumerate() if t.name == "tagger-scoring" and t.is_alive()]
    assert not left, "a Queue was started and not closed"
