"""Domain errors. Each says what went wrong and what to do next; the CLI prints them as `Error: …`."""

from __future__ import annotations

from dataclasses import dataclass


class TaggerError(Exception):
    """Base class for every error a user can cause; never shown as a traceback."""


class InputNotFound(TaggerError):
    """A path given on the command line does not exist or holds no text files."""


class BadInput(TaggerError):
    """A file exists but cannot be read as text (binary, unreadable, undecodable)."""


class BadEncoding(BadInput):
    """The bytes are not UTF-8, UTF-16 with BOM or Windows-1256."""


class ModelNotFound(TaggerError):
    """No model directory where one was expected."""


class BadModel(TaggerError):
    """A model directory is truncated, foreign, unsafe or from a newer tagger."""


class BadLabels(TaggerError):
    """The taxonomy or label files cannot be used for training."""


class BadOutput(TaggerError):
    """Where output should go cannot take it (a file where a folder is wanted, shards already there)."""


class ClusterError(TaggerError):
    """Dask is missing, its scheduler cannot be reached, or the cluster went away mid-run."""


class BadTaxonomy(BadLabels):
    """The taxonomy file is missing, unreadable, or not a list of topics with id, name and description."""


class LabelStoreUnwritable(BadLabels):
    """Decisions cannot be appended to the label store (a folder, no permission, a full disk)."""


class NotFitted(TaggerError):
    """A model method that needs training was called before `fit`."""


@dataclass(frozen=True)
class Notice:
    """Not an error: something a user should hear about an input that was still tagged.
    The CLI prints it as `Warning: …` on stderr and leaves the exit code alone."""

    message: str

    def __str__(self) -> str:
        return self.message
