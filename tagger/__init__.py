"""tagger: topic tags for Arabic news articles and their paragraphs.

    from tagger import classify, classify_file, train
    articles = classify(open("page.txt", encoding="utf-8").read())   # the default model
    result = train("labels/")                                        # cross-validated, not saved
    result.model.save("models/try", result.meta)

Heavy modules (scikit-learn) load on first use, so `tagger --help` stays fast. The
stages are modules of their own: `tagger.segment`, `tagger.normalize`, `tagger.model`,
`tagger.labelstore`, `tagger.active`.
"""

from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "classify": "tagger.tagging",
    "classify_text": "tagger.tagging",
    "classify_file": "tagger.tagging",
    "classify_sources": "tagger.tagging",
    "load_model": "tagger.tagging",
    "TopicModel": "tagger.model",
    "train": "tagger.training",
    "evaluate": "tagger.training",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tagger' has no attribute {name!r}")
