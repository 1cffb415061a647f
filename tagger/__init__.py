"""tagger: topic tags for Arabic news articles and their paragraphs.

    from tagger import classify_text, classify_file, load_model, train

Heavy modules (scikit-learn) load on first use, so `tagger --help` stays fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "classify_text": "tagger.classify",
    "classify_file": "tagger.classify",
    "classify_sources": "tagger.classify",
    "load_model": "tagger.classify",
    "segment": "tagger.segment",
    "normalize": "tagger.normalize",
    "TopicModel": "tagger.model",
    "train": "tagger.train",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tagger' has no attribute {name!r}")
