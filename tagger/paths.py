"""Where tagger finds its labels, taxonomy and models when no path is given.

`$TAGGER_HOME` if set, else the current directory, else the checkout tagger runs from.
`$TAGGER_MODEL` names a model directory directly.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def _roots() -> list[Path]:
    if os.environ.get("TAGGER_HOME"):
        return [Path(os.environ["TAGGER_HOME"])]
    return [Path.cwd(), _PACKAGE_ROOT]


def _first(relative: str) -> Path:
    for root in _roots():
        if (root / relative).exists():
            return root / relative
    return _roots()[0] / relative


def default_model_dir() -> Path:
    if os.environ.get("TAGGER_MODEL"):
        return Path(os.environ["TAGGER_MODEL"])
    return _first("models/default")


def default_labels_dir() -> Path:
    return _first("labels")


def default_taxonomy() -> Path:
    return default_labels_dir() / "taxonomy.json"
