"""Arabic text normalisation: small pure `str -> str` rules composed into `normalize`.

The same `normalize` is applied to training text and to text being classified;
it only ever feeds the classifier. Output records always carry the original text.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

import numpy as np

from pyarabic import araby

# Entities whose leading "&" was lost on the way ("rlm;"), or kept ("&rlm;", "&#8207;").
_ENTITY_DEBRIS = re.compile(
    r"(?:&|(?<![A-Za-z]))(?:rlm|lrm|nbsp|zwnj|zwj|shy|quot|amp|lt|gt|raquo|laquo|hellip|mdash|ndash);", re.I)
# Joiners and the soft hyphen sit inside a word: they go. Marks that may stand between words
# (bidi controls, the zero-width space, BOMs) become a space.
_BIDI_AND_ZERO_WIDTH = {
    **dict.fromkeys(map(ord, "\u200b\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"), " "),
    **dict.fromkeys(map(ord, "\u00ad\u200c\u200d\u2060"), ""),
}
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
    """Delete joiners and soft hyphens (they sit inside words); replace bidi marks, zero-width
    spaces and BOMs with a space."""
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


def lowercase(text: str) -> str:
    """Lower-case Latin (and other cased) letters: "PKK" and "pkk" are one word."""
    return text.lower()


def collapse_spaces(text: str) -> str:
    """Squeeze every run of white space to one space, and trim the ends."""
    return _SPACES.sub(" ", text).strip()


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
    lowercase,
    collapse_spaces,
)


def normalize(text: str) -> str:
    """Apply every rule in `RULES`, in order."""
    for rule in RULES:
        text = rule(text)
    return text


# -- the same, for a batch at once -----------------------------------------------------------------
_PER_CHAR = (strip_diacritics, strip_tatweel, normalize_hamza, normalize_alef_maqsura, normalize_ta_marbuta,
             normalize_digits, normalize_punctuation)  # a function of each character alone
_DELETE, _SLOW = 0xFFFFFFFF, 0xFFFFFFFE
# Characters whose result depends on their neighbours: small alef beside alef maqsura (normalize_alef),
# capital sigma (final sigma in str.lower), dotted capital I (two characters when lowered), NUL (ours).
_CONTEXT = (0x0670, 0x03A3, 0x0130, 0x0000)


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray]:
    """Per code point of the Basic Multilingual Plane: what `_PER_CHAR` and then `str.lower` make of
    it (a code point, `_DELETE`, or `_SLOW`: send the text through `normalize`), and whether it is
    white space as `\\s` sees it."""
    codes = [c for c in range(1, 65536) if not 0xD800 <= c < 0xE000]
    mapped = "\x00".join(map(chr, codes))  # every character on its own, transformed at once
    for rule in _PER_CHAR:
        mapped = rule(mapped)
    out = np.arange(65536, dtype=np.uint32)
    for c, m in zip(codes, mapped.lower().split("\x00")):
        out[c] = ord(m) if len(m) == 1 else _DELETE if not m else _SLOW
    out[list(_CONTEXT)] = _SLOW
    space = np.array([chr(c).isspace() for c in range(65536)], dtype=bool)
    return out, space


def normalize_batch(texts: list[str]) -> list[str]:
    """`[normalize(t) for t in texts]`, with the per-character rules, space collapsing and lower-casing
    done over the whole batch at once in numpy (the tests hold the two equal)."""
    if not texts:
        return []
    table, is_space = _tables()
    redo = [i for i, t in enumerate(texts) if "\x00" in t]  # NUL separates the texts of the batch
    joined = "\x00" + "\x00".join(t.replace("\x00", " ") for t in texts) + "\x00"
    joined = strip_invisibles(strip_entities(joined))  # local rules: a NUL never joins an entity
    if not unicodedata.is_normalized("NFKC", joined):  # NFKC only the texts that need it
        joined = "\x00".join(map(fold_presentation_forms, joined.split("\x00")))
    code = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    big = code >= 65536
    mapped = table.take(np.where(big, 0, code) if big.any() else code)
    mapped[big] = code[big]
    sep = code == 0
    slow = (mapped == _SLOW) & ~sep
    mapped[slow] = 0x20  # a placeholder: these texts are redone by `normalize`
    mapped[sep] = 0
    mapped = mapped[mapped != _DELETE]
    space = is_space.take(np.minimum(mapped, 65535))  # no white space outside the BMP
    # collapse: drop a space after a space or a text boundary; then one before a boundary (strip)
    edge = space | (mapped == 0)
    keep = ~space
    keep[1:] |= ~edge[:-1]
    mapped = mapped[keep]
    space = space[keep]
    keep = ~space
    keep[:-1] |= mapped[1:] != 0
    mapped = mapped[keep]
    mapped[space[keep]] = 0x20
    out = mapped.tobytes().decode("utf-32-le", "surrogatepass").split("\x00")[1:-1]
    if slow.any():
        redo += (np.cumsum(sep) - 1)[slow].tolist()
    for i in set(redo):
        out[i] = normalize(texts[i])
    return out
