"""Classification: decoded text → segmented articles → tagged records.

An article's score for a topic is the higher of two scores: the model's score for
the whole article (title and every paragraph as one text) and the best score of
any of its paragraphs. So an article is tagged with a topic when it is about the
topic as a whole or when one of its paragraphs is clearly about it.

Inputs are streamed: articles are scored in batches as the segmenter emits them,
so memory stays bounded whatever the size of the input.
"""

from __future__ import annotations

from itertools import compress
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

import numpy as np

from .errors import Notice, TaggerError
from .model import TopicModel
from .paths import default_model_dir
from .records import Article, TaggedArticle, TaggedParagraph
from .segment import iter_articles, iter_lines, segment_record
from .sources import read_source

_MODELS: dict[str, tuple[tuple, TopicModel]] = {}  # directory -> (its meta.json's stamp, the model)
BATCH_PARAGRAPHS = 512
EMPTY = Article(0, "", 0, 0, ())


def load_model(path: str | Path | None = None) -> TopicModel:
    """Load the model at `path`, or the default model; once per process while its files stay the same
    (a model retrained into the same directory is loaded again). The model is shared by every caller:
    copy it (`copy.deepcopy`) before changing it."""
    directory = Path(path) if path else default_model_dir()
    try:
        st = (directory / "meta.json").stat()
    except OSError:
        return TopicModel.load(directory)  # which says what is missing
    key, stamp = str(directory.resolve()), (st.st_ino, st.st_mtime_ns, st.st_size)
    if key not in _MODELS or _MODELS[key][0] != stamp:
        _MODELS[key] = (stamp, TopicModel.load(directory))
    return _MODELS[key][1]


def resolve_model(model: TopicModel | str | Path | None, name: str = "default") -> tuple[TopicModel, str]:
    """A model given as itself (named `name`), as its directory (named after it), or None (the default
    model, "default"), with the name its records carry."""
    if isinstance(model, TopicModel):
        return model, name
    return load_model(model), Path(model).name if model else "default"


def tag_articles(articles: list[Article], source: str, model: TopicModel, model_name: str = "default",
                 ids: list[str] | None = None) -> list[TaggedArticle]:
    """Score every paragraph and every whole article of a batch at once, then apply the thresholds.

    Each text is analysed once: an article's counts are the sum of its title's and paragraphs' counts."""
    texts: list[str] = []
    for a in articles:
        texts.append(a.title)
        texts.extend([p.text for p in a.paragraphs])
    sizes = np.array([len(a.paragraphs) for a in articles], dtype=np.intp)
    owner = np.repeat(np.arange(len(articles)), sizes + 1)
    is_title = np.zeros(len(texts), dtype=bool)
    is_title[np.cumsum(sizes + 1) - (sizes + 1)] = True
    # each article's counts: the sum of its title's and paragraphs' counts
    text_p, doc_p = model.grouped_proba(texts, owner, len(articles))
    para_p = text_p[~is_title]  # titles are scored too: cheaper than leaving them out
    # an article's scores: the higher of its own and its best paragraph's
    has = sizes > 0
    art_p = doc_p.copy()
    if has.any():
        starts = (np.cumsum(sizes) - sizes)[has]
        art_p[has] = np.maximum(doc_p[has], np.maximum.reduceat(para_p, starts, axis=0))
    art_p[[not a.paragraphs and not a.title.strip() for a in articles]] = 0.0  # nothing to read
    topics = model.topics
    # Python lists of rounded scores and of labels, made by numpy a batch at once
    para_s, art_s = np.round(para_p, 4).tolist(), np.round(art_p, 4).tolist()
    para_l, art_l = (para_p >= model.thresholds_).tolist(), (art_p >= model.thresholds_).tolist()
    out, k = [], 0
    for n, a in enumerate(articles):
        m = len(a.paragraphs)
        tagged = tuple(
            TaggedParagraph(p.index, p.start, p.end, p.text, tuple(compress(topics, on)), dict(zip(topics, sc)))
            for p, on, sc in zip(a.paragraphs, para_l[k:k + m], para_s[k:k + m])
        )
        k += m
        out.append(TaggedArticle(source, a.index, a.title, a.start, a.end, tuple(compress(topics, art_l[n])),
                                 dict(zip(topics, art_s[n])), tagged, model_name, ids[n] if ids else None))
    return out


def tag_stream(articles: Iterable[Article], source: str, model: TopicModel,
               model_name: str = "default") -> Iterator[TaggedArticle]:
    """Tag a stream of articles in batches of about `BATCH_PARAGRAPHS` paragraphs; an empty
    stream gives one empty record, so every input appears in the output."""
    batch: list[Article] = []
    size = 0
    any_article = False
    for a in articles:
        any_article = True
        batch.append(a)
        size += 1 + len(a.paragraphs)
        if size >= BATCH_PARAGRAPHS:
            yield from tag_articles(batch, source, model, model_name)
            batch, size = [], 0
    if not any_article:
        batch = [EMPTY]
    if batch:
        yield from tag_articles(batch, source, model, model_name)


def classify(text: str, model: TopicModel | str | Path | None = None, source: str = "-") -> list[TaggedArticle]:
    """Tag every article and paragraph of `text` with `model` (a `TopicModel`, a model directory, or
    the default model). `from tagger import classify`; `classify_file` reads a file."""
    if not isinstance(text, str):
        raise TypeError(f"classify() takes the text itself, not {type(text).__name__}; "
                        "classify_file(path) reads a file")
    if "\n" not in text and len(text) < 4096 and text.endswith((".txt", ".jsonl", ".gz")) and Path(text).is_file():
        raise TypeError(f"classify({text!r}) would tag the file's name; classify_file(path) reads the file")
    model, name = resolve_model(model)
    return classify_text(text, source, model, name)


def classify_text(text: str, source: str = "-", model: TopicModel | None = None,
                  model_name: str = "default") -> list[TaggedArticle]:
    """Tag every article and paragraph of a text. A text with no article gives one empty record."""
    model = model or load_model()
    return list(tag_stream(iter_articles(iter_lines([text])), source, model, model_name))


def classify_file(path: str | Path, model: TopicModel | str | Path | None = None,
                  model_name: str = "default") -> list[TaggedArticle]:
    """Read, decode and tag one file (UTF-8, UTF-16 or Windows-1256); `model` is a `TopicModel`, a
    model directory or None (the default). Bytes that did not decode are told as a `UserWarning`."""
    import warnings

    src = read_source(Path(path))
    model, model_name = resolve_model(model, model_name)
    out = list(tag_stream(iter_articles(iter_lines(src.chunks)), src.name, model, model_name))
    if damage := src.damage():
        warnings.warn(damage, stacklevel=2)
    return out


def classify_records(records: Iterable[dict | str], model: TopicModel | None = None, source: str = "-",
                     model_name: str = "default", first_index: int = 0) -> list[TaggedArticle]:
    """Tag corpus records (dicts with "text", optionally "title" and "id"; or plain strings), one
    article each, in order. This is the function to map over partitions in your own Dask code."""
    model = model or load_model()
    out: list[TaggedArticle] = []
    batch: list[Article] = []
    ids: list[str] = []
    size = 0
    for n, rec in enumerate(records, first_index):
        rec = {"text": rec} if isinstance(rec, str) else rec
        a = segment_record(str(rec.get("text") or ""), str(rec.get("title") or "").strip())
        batch.append(Article(n, a.title, a.start, a.end, a.paragraphs))
        ids.append(str(rec.get("id") if rec.get("id") is not None else n))
        size += 1 + len(a.paragraphs)
        if size >= BATCH_PARAGRAPHS:
            out.extend(tag_articles(batch, source, model, model_name, ids))
            batch, ids, size = [], [], 0
    if batch:
        out.extend(tag_articles(batch, source, model, model_name, ids))
    return out


def classify_sources(paths: Iterable[str], model: TopicModel, stdin: BinaryIO | None = None,
                     model_name: str = "default", jobs: int = 1,
                     jsonl_level: str | None = None) -> Iterator[TaggedArticle | TaggerError | Notice | str]:
    """Tag every input in order; an input that fails is yielded as its error and the rest go on.
    A text with no article (empty, not Arabic) gives a `Notice` saying so, then its empty record.
    With `jobs` > 1 the inputs' partitions are tagged by that many worker processes, which send
    back JSONL text instead of objects when `jsonl_level` ("article" or "paragraph") is given."""
    from .parallel import iter_partition, partitions, run_parallel

    if jobs > 1:
        yield from run_parallel(partitions(paths, stdin=stdin, read_stdin=True), model, model_name, jobs,
                                jsonl_level)
        return
    for part in partitions(paths, stdin=stdin):
        yield from iter_partition(part, model, model_name)
