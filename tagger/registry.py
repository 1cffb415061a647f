"""Models on disk: the default model, earlier versions under `models/versions/`, and the rule
that decides when a newly trained model becomes the default.

A new model is saved as a version (named by the UTC time it was trained). It replaces the
default only if its cross-validated macro-F1 is not worse on the topics both have, and it was
trained on every paragraph the default learned from (fewer labels can score higher on their own
folds and still make a worse model), or when forced. The default it replaces is first copied
into the versions, unless one of them already holds the same weights.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .errors import BadOutput, TaggerError
from .model import check_model_folder, read_meta
from .training import Baseline, Comparison, TrainResult, baseline_of, compare


@dataclass(frozen=True)
class Outcome:
    """What `save_and_promote` did. `decision` is "saved" (written where asked, no promotion),
    "promoted", "forced", "worse" or "fewer_labels"."""

    saved_to: Path
    default: Path
    decision: str
    comparison: Comparison | None = None
    kept: Path | None = None  # the replaced default, copied into the versions
    dropped: int = 0  # paragraphs the default learned from that the new model was not trained on
    baseline_size: int = 0

    @property
    def promoted(self) -> bool:
        return self.decision in ("promoted", "forced")


def current_meta(directory: Path) -> dict | None:
    """The meta.json of the model at `directory`, or None if there is no usable one."""
    try:
        return read_meta(directory)
    except TaggerError:
        return None


def new_version(versions: Path) -> Path:
    """A directory name under `versions` for a model trained now: the UTC time to the second,
    with -1, -2, ... if a training in the same second took it."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    k = 0
    while (versions / (name := stamp if k == 0 else f"{stamp}-{k}")).exists():
        k += 1
    return versions / name


def keep_as_version(default: Path, meta: dict | None, versions: Path) -> Path | None:
    """Copy the model at `default` into `versions` (named by when it was trained) unless a version
    there already holds the same weights, so that replacing it can be undone. Returns the copy."""
    digest = (meta or {}).get("weights_sha256")
    if not digest:
        return None
    for v in versions.glob("*/meta.json") if versions.is_dir() else ():
        try:
            if json.loads(v.read_text(encoding="utf-8")).get("weights_sha256") == digest:
                return None
        except (OSError, ValueError):
            continue
    stamp = "".join(c for c in str(meta.get("created", ""))[:19] if c.isdigit())
    dest = versions / (f"{stamp[:8]}-{stamp[8:]}" if len(stamp) == 14 else new_version(versions).name)
    if dest.exists():
        dest = new_version(versions)
    try:
        shutil.copytree(default, dest)
    except OSError as e:
        raise BadOutput(f"cannot keep the current model in {dest} before replacing it ({e.strerror or e}); "
                        f"{default} is untouched") from None
    return dest


def destination(out: Path | None, default: Path) -> Path | None:
    """Where `save_and_promote` writes: `out`, checked to be a folder a model may take, or None (a new
    version, then the rule) when no `out` is given or it is the default's own folder. Call it before
    training to refuse a wrong `out` at once."""
    if out is None or Path(out).resolve() == Path(default).resolve():
        return None
    check_model_folder(Path(out).resolve())
    return Path(out)


def save_and_promote(result: TrainResult, default: Path, out: Path | None = None, force: bool = False,
                     previous: dict | None = None, baseline: Baseline | None = None) -> Outcome:
    """Save a trained model: to `out` if given (nothing else happens), else as a new version beside
    `default` (in `default.parent / "versions"`), which then replaces `default` by the rule above.
    `previous` and `baseline` describe the default as it was before training (read from `default`
    when not given). An `out` that is the default's own folder goes through the rule too."""
    out = destination(out, default)
    if out is None:
        previous = previous if previous is not None else current_meta(default)
        baseline = baseline if baseline is not None else baseline_of(default)
    dest = out or new_version(default.parent / "versions")
    try:
        result.model.save(dest, result.meta, files=result.files())
    except OSError as e:
        raise BadOutput(f"cannot write the model to {dest} ({e.strerror or e}); the previous model is untouched") from None
    if out is not None:
        return Outcome(dest, default, "saved")
    cmp = compare(result.meta, previous)
    dropped = len(baseline.hashes - set(result.hashes)) if baseline is not None else 0
    size = len(baseline.hashes) if baseline is not None else 0
    if dropped and not force:
        return Outcome(dest, default, "fewer_labels", cmp, dropped=dropped, baseline_size=size)
    better = cmp.old_f1 is None or cmp.new_f1 >= cmp.old_f1
    if not (better or force):
        return Outcome(dest, default, "worse", cmp, dropped=dropped, baseline_size=size)
    kept = keep_as_version(default, previous, dest.parent)
    try:
        result.model.save(default, result.meta, files=result.files())
    except OSError as e:
        raise BadOutput(f"cannot write {default} ({e.strerror or e}); it is untouched; the new model is at {dest}") from None
    return Outcome(dest, default, "promoted" if better and not dropped else "forced", cmp, kept, dropped, size)
