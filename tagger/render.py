"""Rich renderings for people at a terminal: classify's tables, explain's shading, and the
label session's screen. The CLI and the session import this module; the rest of the library
does not."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from rich.console import Group
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from .records import TaggedArticle

if TYPE_CHECKING:
    from .active import Item, Queue
    from .pool import ReadProgress
    from .session import Stats

HELP = ("[bold]1-{n}[/] toggle a topic · [bold]Enter[/] accept · [bold]0[/] no topic · [bold]s[/] skip · "
        "[bold]u[/] undo · [bold]q[/] quit · [bold]?[/] help")


def _tags(labels, scores, sep: str = "\n") -> Text:
    if not labels:
        return Text("—", style="dim")
    return Text(sep.join(f"{t} {scores[t]:.2f}" for t in labels), style="bold green")


def article_table(a: TaggedArticle, topics: list[str], paragraphs: bool = True) -> Table:
    """One table per article: title and article tags in the header, then each paragraph's tags."""
    title = Text(a.title or "(untitled)", style="bold")
    title.append(f"\n{a.source} · article {a.article} · chars {a.start}-{a.end}  ", style="dim")
    title.append_text(_tags(a.labels, a.scores, sep=", "))
    table = Table(title=title, title_justify="left", show_lines=False, expand=True)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("paragraph", overflow="ellipsis", no_wrap=True, ratio=1)
    table.add_column("tags (score)", width=22, no_wrap=True)
    if paragraphs:
        for p in a.paragraphs:
            table.add_row(str(p.index), p.text, _tags(p.labels, p.scores))
    if not a.paragraphs:
        table.add_row("", Text("no paragraphs", style="dim"), "")
    return table


def metrics_table(meta: dict, previous: dict | None = None) -> Table:
    """Cross-validated per-topic precision/recall/F1 of a model, beside the model it would replace:
    measured on the same folds if `meta` holds that comparison (cv.previous), else the replaced
    model's own figures from `previous` (its meta), on the labels it was trained on."""
    from .training import compare, previous_cv  # only `tagger train` draws this table: keep classify's start-up light

    cv = meta["cv"]
    paired = cv.get("previous")
    before = previous_cv(meta, previous)
    cmp = compare(meta, previous)
    if paired:
        caption = (f"previous F1: the current model's recipe ({paired['features']}, C={paired['C']:g}) refitted in "
                   f"the same folds on the {paired['trained_on']} paragraphs it was trained on, scored on the same "
                   "paragraphs")
    elif before:
        caption = "previous F1: the current model's own cross-validation, on the labels it was trained on (not these)"
    else:
        caption = None
    t = Table(title=f"Cross-validated by {cv.get('grouped_by', 'article')} ({cv['folds']} folds), "
                    f"{meta['training']['paragraphs']} paragraphs, {meta['training']['articles']} articles",
              title_justify="left", caption=caption, caption_justify="left", pad_edge=False)
    for col in ("topic", "support", "threshold", "precision", "recall", "F1"):
        t.add_column(col, justify="left" if col == "topic" else "right", no_wrap=col == "topic")
    if before:
        t.add_column("previous F1", justify="right")
    for topic, m in cv["per_topic"].items():
        row = [topic, str(m["support"]), f"{meta['thresholds'].get(topic, 0):.3f}" if "thresholds" in meta else "",
               f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}"]
        if before:
            pm = before.get("per_topic", {}).get(topic) if topic not in cmp.new_topics else None
            row.append(f"{pm['f1']:.3f}" if pm else "—")  # "—": a topic the current model never had
        t.add_row(*row)
    row = ["macro", "", "", "", "", f"{cv['macro_f1']:.3f}"]
    if before:
        row.append("—" if cmp.new_topics else f"{before.get('macro_f1', 0):.3f}")
    t.add_row(*row, style="bold")
    if before and cmp.new_topics:
        t.add_row(f"macro, {len(cmp.topics)} shared", "", "", "", "", f"{cmp.new_f1:.3f}",
                  "—" if cmp.old_f1 is None else f"{cmp.old_f1:.3f}", style="bold")
    return t


def rtl_lines(text: str, width: int, rtl: bool) -> list[str]:
    """Wrap `text` to `width` columns; with `rtl`, shape the Arabic letters and put each line in visual
    order (for terminals that do not do bidi themselves). Display only: stored text is never changed."""
    import textwrap

    lines = textwrap.wrap(text, width) or [""]
    if not rtl:
        return lines
    from arabic_reshaper import reshape
    from bidi import get_display

    return [get_display(reshape(line)) for line in lines]


def terminal_does_bidi(env: dict) -> bool:
    """Best guess whether the terminal reorders right-to-left text itself."""
    if env.get("TMUX") or env.get("STY"):
        return False  # tmux and screen pass cells through in logical order
    vte = env.get("VTE_VERSION", "")
    if vte.isdigit() and int(vte) >= 5800:  # GNOME Terminal, Tilix… (VTE 0.58+ implements BiDi)
        return True
    return bool(env.get("KONSOLE_VERSION") or env.get("MLTERM")
                or env.get("TERM_PROGRAM") == "Apple_Terminal")


def eval_table(report: dict) -> Table:
    """Per-topic precision/recall/F1 of a model on a labeled file."""
    seen = report.get("seen_in_training")
    t = Table(title=f"Evaluation on {report['paragraphs']} labeled paragraphs"
                    + (f" ({seen} of them seen in training)" if seen else ""), title_justify="left")
    for col in ("topic", "support", "precision", "recall", "F1"):
        t.add_column(col, justify="left" if col == "topic" else "right", no_wrap=col == "topic")
    for topic, m in report["per_topic"].items():
        t.add_row(topic, str(m["support"]), f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}")
    over = report.get("macro_over", list(report["per_topic"]))
    t.add_row("macro" if len(over) == len(report["per_topic"]) else f"macro ({len(over)} topics)", "", "", "",
              f"{report['macro_f1']:.3f}", style="bold")
    return t


def _feature(name: str) -> str:
    """An n-gram as `explain` lists it: `w:` + words, or `c:` + characters in quotes, so that a
    character n-gram's boundary spaces show and it is not mistaken for the word it resembles."""
    return f'c:"{name[2:]}"' if name.startswith("c:") else name


def explanation_panel(article: TaggedArticle, paragraph, explanations) -> Table:
    """A paragraph with each explained topic: its words shaded by contribution, and the top n-grams."""
    t = Table(title=Text(f"{article.source} · article {article.article} · paragraph {paragraph.index}",
                         style="dim"), title_justify="left", show_header=False, expand=True)
    t.add_column("topic", no_wrap=True)
    t.add_column("why", ratio=1)
    for e in explanations:
        text = Text(paragraph.text)
        scale = max((abs(w) for _, _, w in e.words), default=1.0) or 1.0
        for s, end, w in e.words:
            strength = abs(w) / scale
            if strength < 0.15:
                continue
            style = ("bold green" if strength > 0.5 else "green") if w > 0 else ("bold red" if strength > 0.5 else "red")
            text.stylize(style, s, end)
        up = ", ".join(f"{_feature(c.feature)} +{c.weight:.2f}" for c in e.up)
        down = ", ".join(f"{_feature(c.feature)} {c.weight:.2f}" for c in e.down)
        why = Text.assemble(text, "\n", ("up: ", "bold green"), up or "—", "\n", ("down: ", "bold red"), down or "—")
        t.add_row(Text(f"{e.topic}\n{e.score:.2f}", style="bold"), why)
    return t


def stats_tables(st: dict) -> list[Table]:
    """Label counts per annotator, and kappa per annotator pair and topic."""
    topics = st["topics"]
    counts = Table(title="Labels per annotator (latest decision per paragraph)", title_justify="left")
    for col in ("annotator", "paragraphs", *topics, "none"):
        counts.add_column(col, justify="left" if col == "annotator" else "right")
    for a, c in st["annotators"].items():
        counts.add_row(a, *(str(c[k]) for k in ("paragraphs", *topics, "none")))
    kappa = Table(title="Cohen's kappa on paragraphs both annotators labeled", title_justify="left")
    for col in ("annotators", "shared", *topics, "exact"):
        kappa.add_column(col, justify="left" if col == "annotators" else "right")
    for p in st["pairs"]:
        kappa.add_row(" / ".join(p["annotators"]), str(p["shared"]),
                      *("—" if p["kappa"][t] is None else f"{p['kappa'][t]:.3f}" for t in topics),
                      f"{p['exact_agreement']:.3f}")
    if not st["pairs"]:
        kappa.caption = ("No paragraph is labeled by two annotators here, so there is no kappa; "
                         "an agreement study gives it, e.g. tagger labels stats -l labels/agreement")
    return [counts, kappa]


def scoring_line(queue: Queue, read: ReadProgress | None) -> Table:
    """How far scoring the pool has got: a bar of the input read, and the paragraphs scored."""
    grid = Table.grid(padding=(0, 1))
    if queue.done:
        grid.add_row(Text(f"pool: all {queue.scored:,} paragraphs scored; the best of them are asked first"
                          + (f" · {queue.passed_over} near-copies passed over" if queue.passed_over else ""),
                          style="dim"))
        return grid
    frac = read.fraction if read is not None else None
    note = Text(f"{queue.scored:,} paragraphs scored so far; the best of these are asked first"
                + (f" · {queue.passed_over} near-copies passed over" if queue.passed_over else ""), style="dim")
    if frac is None:
        grid.add_row(note)
    else:
        grid.add_row(ProgressBar(total=100, completed=100 * frac, width=24), Text(f"{frac:.0%} of the pool read ·"),
                     note)
    return grid


def screen(item: Item, selected: set[str], topics: Sequence[str], thresholds: Sequence[float] | None,
           stats: Stats, rtl: bool, width: int, store: Path, scoring: Table | None = None) -> Group:
    """The session screen for one item."""
    c = item.candidate
    body_width = max(30, width - 6)

    def para(text: str, style: str) -> Text:
        return Text("\n".join(rtl_lines(text, body_width, rtl)), style=style, justify="right" if rtl else "left")

    parts = [Text("\n".join(rtl_lines(c.title or "(untitled)", body_width, rtl)), style="bold",
                  justify="right" if rtl else "left")]
    if c.before:
        parts.append(para(c.before, "dim"))
    parts.append(Panel(para(c.text, "bold white"), border_style="cyan"))
    if c.after:
        parts.append(para(c.after, "dim"))
    where = ", ".join(f"{k}={v}" for k, v in c.source.items() if k in ("file", "corpus", "id", "paragraph"))
    parts.append(Text(where, style="dim"))
    rows = Text()
    for k, t in enumerate(topics):
        mark = "[x]" if t in selected else "[ ]"
        known = thresholds is not None and thresholds[k] < float("inf")
        score = f"{item.proba[k]:.2f}" if len(item.proba) > k and (known or thresholds is None) else "  — "
        th = f" (threshold {thresholds[k]:.2f})" if known else " (not in the model yet)" if thresholds else ""
        rows.append(f" {mark} {k + 1} {t:<18} {score}{th}\n", style="bold green" if t in selected else "")
    parts.append(rows)
    status = (f"{stats.decided} labeled · {stats.skipped} skipped · {stats.undone} undone this session"
              f" · store {store}")
    if stats.retrains:
        status += f" · model refreshed {stats.retrains}×"
    parts.append(Text(status, style="dim"))
    if scoring is not None:
        parts.append(scoring)
    parts.append(Text.from_markup(HELP.format(n=len(topics))))
    if stats.message:
        parts.append(Text(stats.message, style="yellow"))
    return Group(*parts)
