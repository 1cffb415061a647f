"""Arabic text normalisation: small pure `str -> str` rules composed into `normalize`.

The same `normalize` is applied to training text and to text being classified;
it only ever feeds the classifier. Output records always carry the original text.
"""

from __future__ import annotations

import html
import re
import unicodedata

from pyarabic import araby

# Entities whose leading "&" was lost on the way ("rlm;"), or kept ("&rlm;", "&#8207;").
_ENTITY_DEBRIS = re.compile(
    r"(?:&|(?<![A-Za-z]))(?:rlm|lrm|nbsp|zwnj|zwj|shy|quot|amp|lt|gt|raquo|laquo|hellip|mdash|ndash);", re.I)
_BIDI_AND_ZERO_WIDTH = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u00ad"), " "
)
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_PUNCT = str.maketrans({
    "،": ",", "؛": ";", "؟": "?", "٪": "%", "٫": ".", "٬": ",", "۔": ".",
    "«": '"', "»": '"', "“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‹": '"', "›": '"',
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "…": "...",
})
_SPACES = re.compile(r"\s+")


def _translator(table: dict[int, str]):
    """`str.translate(table)`, but only touching the characters that occur (much faster on Arabic text)."""
    pattern = re.compile("[" + re.escape("".join(map(chr, table))) + "]")
    by_char = {chr(k): chr(v) if isinstance(v, int) else v for k, v in table.items()}

    def apply(text: str) -> str:
        return pattern.sub(lambda m: by_char[m.group()], text) if pattern.search(text) else text

    return apply


_invisibles = _translator(_BIDI_AND_ZERO_WIDTH)
_digits = _translator(_DIGITS)
_punct = _translator(_PUNCT)


def strip_entities(text: str) -> str:
    """Decode HTML entities and drop broken ones such as a bare `rlm;`."""
    if "&" in text:
        while (unescaped := html.unescape(text)) != text:  # "&amp;nbsp;" needs two rounds
            text = unescaped
    return _ENTITY_DEBRIS.sub(" ", text) if ";" in text else text


def strip_invisibles(text: str) -> str:
    """Replace bidi marks, zero-width characters and BOMs with a space."""
    return _invisibles(text)


def fold_presentation_forms(text: str) -> str:
    """Map Arabic presentation forms (ﺑ, ﻻ) and other compatibility characters to base letters (NFKC)."""
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


_TASHKEEL = re.compile("[" + "".join(araby.TASHKEEL) + "]")


def strip_diacritics(text: str) -> str:
    """Remove harakat, tanwin, shadda and sukun: pyarabic's TASHKEEL set, as its strip_tashkeel does
    (one regex pass instead of its per-character check)."""
    return _TASHKEEL.sub("", text)


def strip_tatweel(text: str) -> str:
    """Remove the kashida (ـ) used to stretch words."""
    return araby.strip_tatweel(text)


def normalize_hamza(text: str) -> str:
    """Write every hamza form and alef with madda/hamza/wasla on its bare carrier: أ إ آ ٱ → ا, ؤ → و, ئ → ي."""
    return araby.normalize_hamza(araby.normalize_alef(text), method="tasheel")


def normalize_alef_maqsura(text: str) -> str:
    """ى → ي (spelled either way in the press)."""
    return text.replace(araby.ALEF_MAKSURA, araby.YEH)


def normalize_ta_marbuta(text: str) -> str:
    """ة → ه (spelled either way at word ends)."""
    return araby.normalize_teh(text)


def normalize_digits(text: str) -> str:
    """Arabic-Indic and Persian digits → ASCII digits."""
    return _digits(text)


def normalize_punctuation(text: str) -> str:
    """Arabic comma, semicolon, question mark, guillemets, curly quotes and dashes → ASCII."""
    return _punct(text)


def collapse_spaces(text: str) -> str:
    """Lower-case Latin letters and squeeze every run of white space to one space."""
    return _SPACES.sub(" ", text).strip().lower()


RULES = (
    strip_entities,
    strip_invisibles,
    fold_presentation_forms,
    strip_diacritics,
    strip_tatweel,
    normalize_hamza,
    normalize_alef_maqsura,
    normalize_ta_marbuta,
    normalize_digits,
    normalize_punctuation,
    collapse_spaces,
)


def normalize(text: str) -> str:
    """Apply every rule in `RULES`, in order."""
    for rule in RULES:
        text = rule(text)
    return text

