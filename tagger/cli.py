"""The `tagger` command line: thin typer commands over the library.

Each command parses options, calls one library function, renders the result, and
turns a `TaggerError` into `Error: …` on stderr with exit code 1. Data goes to
stdout; messages and progress go to stderr.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .errors import Notice, TaggerError

app = typer.Typer(
    help="Tag Arabic news articles and their paragraphs by topic.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(str, Enum):
    table = "table"
    jsonl = "jsonl"
    json = "json"


class Level(str, Enum):
    article = "article"
    paragraph = "paragraph"


ModelOpt = Annotated[Optional[Path], typer.Option(
    "--model", "-m", help="Model directory \\[default: models/default, or $TAGGER_MODEL].", show_default=False)]
FormatOpt = Annotated[Optional[Format], typer.Option(
    "--format", "-f", help="Output format \\[default: table on a terminal, jsonl in a pipe].", show_default=False)]
LabelsOpt = Annotated[Optional[list[Path]], typer.Option(
    "--labels", "-l", help="Label files or directories \\[default: labels/].", show_default=False, exists=True)]
TaxonomyOpt = Annotated[Optional[Path], typer.Option(
    "--taxonomy", help="Taxonomy JSON \\[default: labels/taxonomy.json].", show_default=False)]


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun, plural unless one: "1 label", "3,503 labels"."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def err(message: str) -> None:
    typer.echo(message, err=True)


def fail(e: TaggerError) -> typer.Exit:
    err(f"Error: {e}")
    return typer.Exit(1)


@app.command()
def classify(
    inputs: Annotated[list[str], typer.Argument(
        help="Text files, directories (every *.txt below), JSONL corpora (.jsonl/.jsonl.gz, one article per "
             "record) or - for stdin.", show_default=False)],
    format: FormatOpt = None,
    level: Annotated[Level, typer.Option("--level", help="One record per article, or per paragraph.")] = Level.article,
    model: ModelOpt = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes on this machine.")] = 1,
    dask: Annotated[Optional[str], typer.Option(
        "--dask", help="Run on a Dask cluster: its scheduler address, or `local` for a LocalCluster.",
        show_default=False)] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="With --dask: write one JSONL shard per partition into this directory.",
        show_default=False)] = None,
    partition_size: Annotated[int, typer.Option("--partition-size", min=1,
                                                help="JSONL records per partition (--jobs, --dask).")] = 500,
) -> None:
    """Tag every article and paragraph in the inputs.

    Example: tagger classify seeds/ --format jsonl | jq .labels
    """
    from .records import JsonWriter, records_of
    from .tagging import classify_sources, resolve_model

    if output is not None and dask is None:
        raise fail(TaggerError("--output writes Dask shards; without --dask, redirect stdout instead"))
    if dask is not None and jobs > 1:
        raise fail(TaggerError("--jobs sets worker processes on this machine; with --dask the cluster's "
                               "workers do the work, so give one or the other"))
    try:
        m, name = resolve_model(model)
        if output is not None:
            from .parallel import shard_folder
            shard_folder(output)
    except TaggerError as e:
        raise fail(e)
    if model is None and not os.environ.get("TAGGER_MODEL"):  # a model chosen by path may have its own taxonomy
        _warn_taxonomy_drift(m.topics)
    fmt = format or (Format.table if sys.stdout.isatty() else Format.jsonl)
    if dask is not None and fmt is Format.table:
        fmt = Format.jsonl
    failed = 0
    console = None
    if fmt is Format.table:
        from rich.console import Console
        console = Console()
    emit = JsonWriter(sys.stdout, array=fmt is Format.json and output is None)  # with -o, records go to shards
    if dask is not None:
        from .parallel import classify_dask

        try:
            summary = classify_dask(inputs, m, dask, name, output=output, level=level.value,
                                    partition_size=partition_size, on_records=lambda recs: [emit(r) for r in recs])
        except TaggerError as e:
            raise fail(e)
        for n in summary.notices:
            err(f"Warning: {n}")
        for e in summary.errors:
            err(f"Error: {e}")
        out = count(summary.records_out, "record") if level is Level.article else (
            f"{count(summary.articles_out, 'article')} ({count(summary.records_out, 'paragraph record')})")
        err(f"dask: {count(summary.partitions, 'partition')}, {count(summary.articles_in, 'article')} in, "
            f"{out} out" + (f", written to {output}" if output else ""))
        failed = len(summary.errors) + (summary.articles_in != summary.articles_out)
    else:
        as_text = level.value if fmt is Format.jsonl and jobs > 1 else None
        for item in classify_sources(inputs, m, model_name=name, jobs=jobs, jsonl_level=as_text):
            if isinstance(item, str):  # JSONL made by a worker process
                sys.stdout.write(item)
                continue
            if isinstance(item, TaggerError):
                failed += 1
                err(f"Error: {item}")
                continue
            if isinstance(item, Notice):
                err(f"Warning: {item}")
                continue
            if console is not None:
                from .render import article_table
                console.print(article_table(item, m.topics, paragraphs=True))
                continue
            for r in records_of(item, level.value):
                emit(r)
    emit.close()
    if failed:
        raise typer.Exit(1)


class Strategy(str, Enum):
    uncertain = "uncertain"
    rare = "rare"
    random = "random"


class Rtl(str, Enum):
    auto = "auto"
    on = "on"
    off = "off"


RtlOpt = Annotated[Rtl, typer.Option("--rtl", help="Reorder Arabic for display: auto, on (terminal does not "
                                                 "do bidi), off (it does).")]
AnnotatorOpt = Annotated[str, typer.Option("--annotator", "-a", help="Your name, recorded on every label.")]


def _use_rtl(rtl: Rtl) -> bool:
    from .render import terminal_does_bidi

    return rtl is Rtl.on or (rtl is Rtl.auto and not terminal_does_bidi(dict(os.environ)))


def _warn_unknown_topics(records, topics: list[str], fate: str) -> None:
    """Say which labels in use are not topics of the taxonomy (a topic removed, a typo)."""
    unknown = sorted({lab for r in records for lab in r.labels} - set(topics))
    if unknown:
        err(f"Warning: labels {', '.join(unknown)} are not topics of the taxonomy; {fate}")


def _warn_taxonomy_drift(model_topics: list[str]) -> None:
    """Say when the taxonomy and the default model's topics differ (a topic added but not yet
    trained, or removed). Classifying goes on with the model's topics; a missing or broken
    taxonomy file is not classify's business."""
    from .paths import default_taxonomy
    from .taxonomy import drift

    path = default_taxonomy()
    untrained, dropped = drift(model_topics, path)
    try:
        path = path.resolve().relative_to(Path.cwd())
    except ValueError:
        pass
    if untrained:
        err(f"Warning: the model was trained without {', '.join(untrained)} from {path}, so "
            f"{'it is' if len(untrained) == 1 else 'they are'} not tagged; `tagger train` adds "
            f"{'it' if len(untrained) == 1 else 'them'}")
    if dropped:
        err(f"Warning: the model tags {', '.join(dropped)}, which {path} no longer has")


@app.command()
def train(
    labels: LabelsOpt = None,
    taxonomy: TaxonomyOpt = None,
    out: Annotated[Optional[Path], typer.Option(
        "--output", "--out", "-o", help="Write the model here instead of a new version under models/versions/.",
        show_default=False)] = None,
    folds: Annotated[int, typer.Option("--folds", min=2, help="Cross-validation folds (grouped by article).")] = 5,
    force: Annotated[bool, typer.Option("--force", help="Make the new model the default even if it is worse.")] = False,
) -> None:
    """Train a model from the labels: grouped cross-validation, per-topic thresholds and metrics.

    Without --out, the model is saved as a new version under models/versions/ and becomes
    models/default only if its cross-validated macro-F1 is not worse than the current one's.

    Example: tagger train --labels labels/
    """
    from .paths import default_model_dir
    from .registry import current_meta, destination, save_and_promote
    from .render import metrics_table
    from .training import baseline_of
    from .training import train as run

    default = default_model_dir()
    previous = current_meta(default)
    baseline = baseline_of(default)
    try:
        out = destination(out, default)  # a folder a model may not take is refused before training
        result = run(labels or None, taxonomy, n_splits=folds,
                     warn=lambda m: err(f"Warning: {m}"), progress=lambda m: err(m), baseline=baseline)
        done = save_and_promote(result, default, out, force, previous, baseline)
    except TaggerError as e:
        raise fail(e)
    from rich.console import Console
    Console(stderr=True).print(metrics_table(result.meta, previous))
    err(f"Saved model to {done.saved_to}")
    cmp = done.comparison
    if cmp is not None and cmp.new_topics:
        err(f"New topic{'s' * (len(cmp.new_topics) > 1)} {', '.join(cmp.new_topics)}: the current model "
            f"never had {'them' if len(cmp.new_topics) > 1 else 'it'}, so the two are compared on the "
            f"{count(len(cmp.topics), 'topic')} both have (macro-F1 {cmp.new_f1:.3f} against "
            + (f"{cmp.old_f1:.3f})." if cmp.old_f1 is not None else "no figure).")
            + " Labels made before a topic existed count as not having it: review them "
            "(tagger review) where they might.")
    if done.decision == "fewer_labels":
        err(f"Not made the default: it was trained without {done.dropped:,} of the {done.baseline_size:,} "
            f"paragraphs {default} learned from (give every label file, e.g. --labels labels/). "
            f"Use it with --model {done.saved_to}, or rerun with --force.")
    elif done.decision == "worse":
        err(f"Not made the default: macro-F1 {cmp.new_f1:.3f} < {cmp.old_f1:.3f} of {default}"
            + (f" on the {count(len(cmp.topics), 'topic')} both have" if cmp.new_topics else "") + ". "
            f"Use it with --model {done.saved_to}, or rerun with --force.")
    elif done.promoted:
        if done.kept is not None:
            err(f"The model it replaces is kept as {done.kept}.")
        err(f"It is now the default model ({default}).")


@app.command()
def label(
    sources: Annotated[list[str], typer.Argument(
        help="Text files, directories, or JSONL corpora (.jsonl/.jsonl.gz with a \"text\" field).",
        show_default=False)],
    strategy: Annotated[Strategy, typer.Option("--strategy", help="What to ask first.")] = Strategy.uncertain,
    annotator: AnnotatorOpt = os.environ.get("USER", "annotator"),
    store: Annotated[Optional[Path], typer.Option(
        "--store", help="Label file your decisions are appended to \\[default: labels/session.jsonl].",
        show_default=False)] = None,
    labels: LabelsOpt = None,
    taxonomy: TaxonomyOpt = None,
    model: ModelOpt = None,
    rtl: RtlOpt = Rtl.auto,
    retrain_every: Annotated[int, typer.Option("--retrain-every", min=0,
                                               help="Refresh the model from all labels every N decisions.")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the random strategy.")] = 0,
    near: Annotated[float, typer.Option(
        "--near", min=0.0, max=1.0,
        help="Pass over a paragraph whose word 3-grams overlap a labeled or already shown one's by at least "
             "this Jaccard similarity (a near-copy); 0 asks every paragraph.")] = 0.6,
) -> None:
    """Label paragraphs in the terminal, most useful first; every decision is saved at once.

    Example: tagger label ../shared/corpus/news.jsonl.gz --annotator amal
    """
    from rich.console import Console

    from .paths import default_labels_dir, default_taxonomy
    from .session import open_session, raw_keys, run

    if not sys.stdin.isatty():
        raise fail(TaggerError("tagger label needs a terminal (stdin is not one); run it in a terminal"))
    store = store or default_labels_dir() / "session.jsonl"
    try:
        s = open_session(sources, labels or [default_labels_dir()], store, taxonomy or default_taxonomy(), model,
                         strategy.value, seed, near)
    except TaggerError as e:
        raise fail(e)
    for w in s.warnings:
        err(f"Warning: {w}")
    try:
        with raw_keys() as read_key:
            stats = run(s.queue, s.topics, store, annotator, Console(), read_key, rtl=_use_rtl(rtl),
                        retrain_every=retrain_every, retrain=s.retrain, positives=s.positives, read=s.read,
                        guide=s.guide, claims=s.claims)
    except TaggerError as e:
        raise fail(e)
    finally:
        s.queue.close(timeout=0)  # the pool may be 50k articles: stop scoring it, do not wait
    for e in s.errors:
        err(f"Error: {e}")
    passed = s.queue.passed_over
    elsewhere = s.claims.elsewhere
    err(f"{count(stats.decided, 'decision')} saved to {store} ({stats.skipped} skipped"
        + (f", {count(passed, 'near-copy', 'near-copies')} passed over" if passed else "")
        + (f", {elsewhere} passed over while another session had {'it' if elsewhere == 1 else 'them'};"
           " a later session asks any left unlabeled" if elsewhere else "")
        + ")."
        + (" Run `tagger train` to build a model from them." if stats.decided else ""))
    if s.errors:
        raise typer.Exit(1)


@app.command("eval")
def evaluate_cmd(
    labels: Annotated[list[Path], typer.Argument(help="Labeled JSONL files or directories (held out from training).",
                                                 show_default=False)],
    model: ModelOpt = None,
    format: FormatOpt = None,
) -> None:
    """Per-topic precision, recall and F1 of a model on labeled paragraphs.

    Example: tagger eval heldout.jsonl --format json
    """
    import json

    from .tagging import load_model
    from .paths import default_model_dir
    from .render import eval_table
    from .training import evaluate, trained_on

    try:
        m = load_model(model)
        report = evaluate(m, labels, warn=lambda msg: err(f"Warning: {msg}"),
                          trained=trained_on(model or default_model_dir()))
    except TaggerError as e:
        raise fail(e)
    if (format or (Format.table if sys.stdout.isatty() else Format.json)) is Format.table:
        from rich.console import Console
        Console().print(eval_table(report))
    else:
        typer.echo(json.dumps(report, ensure_ascii=False))


@app.command()
def review(
    labels: LabelsOpt = None,
    taxonomy: TaxonomyOpt = None,
    store: Annotated[Optional[Path], typer.Option(
        "--store", help="Label file corrections are appended to \\[default: labels/session.jsonl].",
        show_default=False)] = None,
    annotator: AnnotatorOpt = os.environ.get("USER", "annotator"),
    min_strength: Annotated[float, typer.Option("--min-strength", min=0.0, max=1.0,
                                                help="How strongly the model must disagree (0-1).")] = 0.5,
    rtl: RtlOpt = Rtl.auto,
    model: ModelOpt = None,
) -> None:
    """Re-check labels that cross-validated predictions strongly disagree with (likely mistakes).

    Example: tagger review --min-strength 0.6
    """
    from rich.console import Console

    from .active import Item, Queue
    from .tagging import load_model
    from .labelstore import REVIEWED, append
    from .paths import default_labels_dir, default_taxonomy
    from .pool import Candidate
    from .session import guide, raw_keys, run, session_topics
    from .training import disagreements

    if not sys.stdin.isatty():
        raise fail(TaggerError("tagger review needs a terminal (stdin is not one); run it in a terminal"))
    label_paths = labels or [default_labels_dir()]
    store = store or default_labels_dir() / "session.jsonl"
    try:
        append(store, [])  # a store that cannot be written is told now, not after cross-validating
        taxonomy_topics = session_topics(taxonomy or default_taxonomy())
        m = load_model(model)
        err("cross-validating the labels…")
        topics, th, items = disagreements([*label_paths, store], taxonomy or default_taxonomy(),
                                          m.features, m.C, min_strength)
    except TaggerError as e:
        raise fail(e)
    if not items:
        err("No label is strongly contradicted by cross-validation.")
        return

    queue = Queue.of_items([Item(Candidate(d.record.text, d.record.title, source=d.record.source,
                                           group=d.record.group), d.proba, d.strength) for d in items], th)
    current = {d.record.hash: set(d.record.labels) for d in items}
    use_rtl = _use_rtl(rtl)
    with raw_keys() as read_key:
        stats = run(queue, topics, store, annotator, Console(), read_key, rtl=use_rtl,
                    preselect=lambda it: current.get(it.candidate.hash, set()), action=REVIEWED,
                    guide=guide(taxonomy_topics))
    err(f"{count(stats.decided, 'paragraph')} confirmed or corrected in {store}.")


@app.command()
def explain(
    inputs: Annotated[list[str], typer.Argument(help="Text files, directories or - for stdin.", show_default=False)],
    format: FormatOpt = None,
    topic: Annotated[Optional[list[str]], typer.Option(
        "--topic", "-t", help="Explain these topics for every paragraph \\[default: each paragraph's tags].",
        show_default=False)] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="N-grams listed each way.")] = 8,
    model: ModelOpt = None,
) -> None:
    """Show which words and n-grams pushed each tag's score up or down.

    Example: tagger explain seeds/002_c4ed5918ed66c263.txt --format jsonl
    """
    from .tagging import classify_sources, resolve_model
    from .explain import explain as run, to_dict
    from .records import JsonWriter

    try:
        m, name = resolve_model(model)
    except TaggerError as e:
        raise fail(e)
    unknown = set(topic or ()) - set(m.topics)
    if unknown:
        raise fail(TaggerError(f"unknown topic(s) {sorted(unknown)}; the model's topics are {m.topics}"))
    fmt = format or (Format.table if sys.stdout.isatty() else Format.jsonl)
    console = None
    if fmt is Format.table:
        from rich.console import Console
        console = Console()
    failed = 0
    emit = JsonWriter(sys.stdout, array=fmt is Format.json)
    for art in classify_sources(inputs, m, model_name=name):
        if isinstance(art, TaggerError):
            failed += 1
            err(f"Error: {art}")
            continue
        if isinstance(art, Notice):
            err(f"Warning: {art}")
            continue
        for p in art.paragraphs:
            wanted = list(topic) if topic else list(p.labels)
            if not wanted:
                continue
            exps = run(m, p.text, wanted, top)
            if console is not None:
                from .render import explanation_panel
                console.print(explanation_panel(art, p, exps))
            else:
                emit({"source": art.source, "article": art.article, **p.to_dict(),
                      "explanations": [to_dict(e) for e in exps]})
    emit.close()
    if failed:
        raise typer.Exit(1)


labels_app = typer.Typer(help="Export, import and summarise labels.", no_args_is_help=True)
app.add_typer(labels_app, name="labels")


class LabelFormat(str, Enum):
    prodigy = "prodigy"
    doccano = "doccano"
    csv = "csv"


@labels_app.command("export")
def labels_export(
    to: Annotated[LabelFormat, typer.Option("--to", help="Target format.", show_default=False)],
    labels: LabelsOpt = None,
    taxonomy: TaxonomyOpt = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write \\[default: stdout].",
                                                   show_default=False)] = None,
) -> None:
    """Export every label (latest decision per paragraph and annotator) to Prodigy, doccano or CSV.

    Example: tagger labels export --to prodigy -o labels.prodigy.jsonl
    """
    from .agreement import per_annotator
    from .interop import export
    from .labelstore import read_labels
    from .paths import default_labels_dir, default_taxonomy
    from .taxonomy import load_taxonomy

    try:
        topics = [t.id for t in load_taxonomy(taxonomy or default_taxonomy())]
        records, warnings = read_labels(labels or [default_labels_dir()])
    except TaggerError as e:
        raise fail(e)
    for w in warnings:
        err(f"Warning: {w}")
    _warn_unknown_topics(records, topics, "written as they are")
    recs = [r for d in per_annotator(records).values() for r in d.values()]
    text = export(recs, to.value, topics)
    if output:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as e:
            raise fail(TaggerError(f"cannot write {output} ({e.strerror or e}); give a file in a folder that exists"))
        err(f"Exported {count(len(recs), 'label')} to {output}")
    else:
        sys.stdout.write(text)


@labels_app.command("import")
def labels_import(
    file: Annotated[Path, typer.Argument(help="A file exported by Prodigy, doccano or as CSV.", show_default=False)],
    from_: Annotated[LabelFormat, typer.Option("--from", help="Its format.", show_default=False)],
    store: Annotated[Optional[Path], typer.Option(
        "--store", help="Label file to append to \\[default: labels/imported.jsonl; with --per-annotator, "
                        "imported.jsonl in labels/agreement/, which training does not read].",
        show_default=False)] = None,
    labels: LabelsOpt = None,
    taxonomy: TaxonomyOpt = None,
    per_annotator: Annotated[bool, typer.Option(
        "--per-annotator", help="Keep each annotator's decision on a paragraph (an agreement study): another "
                                "annotator's label is added beside the ones there, not reported as a conflict.")] = False,
) -> None:
    """Import labels; a paragraph already labeled is skipped, a conflicting one reported, never overwritten.

    Example: tagger labels import annotations.jsonl --from doccano
    """
    from .interop import import_labels, parse
    from .paths import default_labels_dir, default_taxonomy
    from .taxonomy import load_taxonomy

    store = store or default_labels_dir() / ("agreement/imported.jsonl" if per_annotator else "imported.jsonl")
    try:
        if not file.exists():
            raise TaggerError(f"{file}: no such file")
        topics = [t.id for t in load_taxonomy(taxonomy or default_taxonomy())]
        report = import_labels(parse(file, from_.value), store, labels or [default_labels_dir()], topics,
                               per_annotator=per_annotator)
    except TaggerError as e:
        raise fail(e)
    for old, new in report.conflicts:
        err(f"Conflict: {new.hash} is labeled {list(old.labels)} by {old.annotator or '(unknown)'}, "
            f"the import says {list(new.labels)} ({new.annotator or '(unknown)'}); kept {list(old.labels)}: "
            f"{new.text[:60]}")
    for r in report.unknown:
        err(f"Skipped {r.hash}: labels {list(r.labels)} are not all in the taxonomy")
    if report.retrained:
        err(f"Warning: {store} is read by training, which takes each paragraph's latest decision: "
            f"{count(len(report.retrained), 'paragraph')} now {'trains' if len(report.retrained) == 1 else 'train'} "
            "on an imported decision that differs from the one before (labels/agreement/ keeps a study out of "
            "training):")
        for old, new in report.retrained[:5]:
            err(f"  {old.hash}: {list(old.labels)} ({old.annotator or '(unknown)'}) → {list(new.labels)} "
                f"({new.annotator or '(unknown)'})")
        if len(report.retrained) > 5:
            err(f"  and {len(report.retrained) - 5:,} more")
    if per_annotator and report.unnamed:
        one = report.unnamed == 1
        err(f"Warning: {count(report.unnamed, 'decision')} in {file} {'names' if one else 'name'} no annotator; "
            f"{'it counts' if one else 'they count'} as one annotator, \"(unknown)\"")
    err(f"Imported {count(report.added, 'label')} into {store}"
        + (f" ({report.beside:,} beside another annotator's)" if per_annotator else "")
        + f"; {report.duplicates:,} already present, "
        f"{count(len(report.conflicts), 'conflict')}, {len(report.unknown):,} with unknown topics.")
    if report.conflicts or report.unknown:
        raise typer.Exit(1)


@labels_app.command("stats")
def labels_stats(
    labels: LabelsOpt = None,
    taxonomy: TaxonomyOpt = None,
    format: FormatOpt = None,
) -> None:
    """Counts per topic and annotator, and Cohen's kappa between annotators on shared paragraphs.

    Example: tagger labels stats --format json
    """
    import json

    from .agreement import label_stats
    from .labelstore import read_labels
    from .paths import default_labels_dir, default_taxonomy
    from .taxonomy import load_taxonomy

    try:
        topics = [t.id for t in load_taxonomy(taxonomy or default_taxonomy())]
        records, warnings = read_labels(labels or [default_labels_dir()])
    except TaggerError as e:
        raise fail(e)
    for w in warnings:
        err(f"Warning: {w}")
    _warn_unknown_topics(records, topics, "not counted")
    st = label_stats(records, topics)
    if (format or (Format.table if sys.stdout.isatty() else Format.json)) is Format.table:
        from rich.console import Console

        from .render import stats_tables
        for t in stats_tables(st):
            Console().print(t)
    else:
        typer.echo(json.dumps(st, ensure_ascii=False))


def _pipe_gone() -> bool:
    """Whether click found the reader of stdout gone (it then wraps stdout to silence the rest)."""
    return type(sys.stdout).__name__.lstrip("_") == "PacifyFlushWrapper"


def main() -> None:
    """Entry point: usage errors exit 2, a closed pipe ends quietly, Ctrl-C exits 130, an
    output that cannot be written (a full disk, a closed stdout) is one `Error:` line."""
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        err("Error: standard output is closed; redirect it to a file or to /dev/null")
        sys.exit(1)
    gone = False  # stdout is no use any more: its reader left, or it cannot be written
    try:
        code = app(standalone_mode=False)
    except (typer.Abort, KeyboardInterrupt):
        code = 130
    except typer.TyperException as e:  # usage errors: typer prints them, exit 2
        e.show() if hasattr(e, "show") else err(f"Error: {e}")
        code = e.exit_code
    except typer.Exit as e:
        code = e.exit_code
    except SystemExit as e:  # click exits 1 when the reader of a pipe is gone; that is not a failure
        code = 0 if _pipe_gone() else e.code
    except BrokenPipeError:
        code, gone = 0, True
    except OSError as e:  # writing the output (a full disk, an I/O error), or a file no command caught
        if e.filename is not None:
            err(f"Error: {e.filename}: {e.strerror or e}")
            code = 1
        else:
            err(f"Error: cannot write the output ({e.strerror or e})")
            code, gone = 1, True
    code = code if isinstance(code, int) else 0
    if code == 130:  # typer turns Ctrl-C into exit code 130
        err("Interrupted.")
    gone = gone or _pipe_gone()
    if code == 0 and not gone:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            gone = True
        except OSError as e:
            err(f"Error: cannot write the output ({e.strerror or e})")
            code, gone = 1, True
    if gone:
        try:  # nothing more is written there, not even by the flush at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
    sys.exit(code)
