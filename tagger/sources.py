"""Turn command-line inputs (files, directories, `-`) into decoded texts.

Decoding is deterministic, not guessed: a BOM decides (UTF-8, UTF-16), else strict
UTF-8, else Windows-1256, the legacy Arabic code page.

UTF-8 with a few damaged bytes (a cut download, one stray byte) stays UTF-8: around its
first error nearly all non-ASCII bytes form valid UTF-8, as they never do in
Windows-1256 text. The damaged bytes are read as U+FFFD and counted
(`Source.replaced`), so that the user is told. A UTF-8 file with passages in
Windows-1256 (pasted from an older page) is mostly valid UTF-8 all the same: such
input is read line by line, a line that is mostly not UTF-8 as Windows-1256
(`Source.legacy_lines`). UTF-16 without a BOM is recognised by its text, not refused
as binary.

Text in another Arabic code page (ISO-8859-6, MacArabic) also decodes as Windows-1256,
into mojibake full of accented Latin letters; such input is refused with a clear error
rather than tagged. Newlines are kept as they are, so offsets point into exactly the
text the user has.
"""

from __future__ import annotations

import codecs
import io
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from .errors import BadEncoding, BadInput, InputNotFound

_MAGIC = {
    b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
    b"PK\x03\x04": "a zip archive", b"%PDF": "a PDF document", b"\x1f\x8b": "a gzip archive",
    b"\x7fELF": "an executable", b"BZh": "a bzip2 archive",
}


CHUNK = 1 << 20
# Windows-1256 puts French accented letters where ISO-8859-6 and MacArabic have Arabic ones:
# 19-21 % of the letters of the seed articles in those code pages read as these, against 0 %
# in Windows-1256; an Arabic sentence quoting a French phrase has 4 %. The bar sits between.
_MOJIBAKE = frozenset("àâçèéêëîïôùûüÀÂÇÈÉÊËÎÏÔÙÛÜ")
MOJIBAKE_SHARE = 0.10


@dataclass(frozen=True)
class Source:
    """One input: its name (a path, or `-` for stdin), its encoding, and its decoded text in chunks."""

    name: str
    encoding: str
    chunks: Iterable[str]

    @property
    def text(self) -> str:
        """The whole decoded text (reads the rest of the input into memory)."""
        return "".join(self.chunks)

    @property
    def replaced(self) -> int:
        """Byte sequences that could not be decoded and were read as U+FFFD, so far."""
        return getattr(self.chunks, "replaced", 0)

    @property
    def legacy_lines(self) -> int:
        """Lines of a UTF-8 input that were in Windows-1256 and read as such, so far."""
        return getattr(self.chunks, "legacy_lines", 0)

    def damage(self) -> str | None:
        """What to tell the user about bytes that did not decode, once the chunks are read."""
        said = []
        if n := self.legacy_lines:
            said.append(f"{self.name}: UTF-8 with {n} line{'s' * (n > 1)} in Windows-1256, the older Arabic code "
                        f"page, read as such; check {'them' if n > 1 else 'it'} in the output")
        if n := self.replaced:
            said.append(f"{self.name}: {n} byte sequence{'s' * (n > 1)} not valid {self.encoding.upper()}, "
                        "read as U+FFFD; the rest is tagged")
        return "; ".join(said) or None


def sniff(head: bytes, name: str = "-") -> str | None:
    """The encoding a BOM announces, or UTF-16 without one (`_bomless_utf16`), or None; raise `BadInput`
    for binary data."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise BadInput(f"{name}: {what}, not a text file; skipped")
    if b"\x00" in head:
        if enc := _bomless_utf16(head):
            return enc
        raise BadInput(f"{name}: binary data (NUL bytes), not a text file; skipped")
    return None


def _bomless_utf16(head: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" if `head` reads in it as text: no control character but line
    breaks and tabs, spaces between words, and most letters Arabic or Latin (a text with no Arabic
    is then told so, not refused as binary). Else None."""
    import unicodedata

    for enc in ("utf-16-le", "utf-16-be"):
        try:  # not final: the sample may end inside a character (a surrogate pair cut in two)
            text = codecs.getincrementaldecoder(enc)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        if any(unicodedata.category(c) in ("Cc", "Co", "Cn", "Cs") and c not in "\n\r\t" for c in text):
            continue
        letters = [c for c in text if c.isalpha()]
        arabic = sum("\u0600" <= c <= "\u06ff" for c in letters)
        latin = sum(c.isascii() for c in letters)
        if " " in text and letters and max(arabic, latin) >= len(letters) / 2:
            return enc
    return None


def legacy_encoding(head: bytes, name: str = "-") -> str:
    """The encoding of input that is not UTF-8: Windows-1256, unless `head` read that way is another
    Arabic code page's mojibake, which raises `BadEncoding`."""
    letters = [c for c in head.decode("cp1256", "replace") if c.isalpha()]
    share = sum(c in _MOJIBAKE for c in letters) / len(letters) if letters else 0.0
    if share > MOJIBAKE_SHARE:
        raise BadEncoding(
            f"{name}: not UTF-8, and as Windows-1256 {share:.0%} of its letters read as accented Latin ones "
            "(è, ê, â…): probably another Arabic code page such as ISO-8859-6; save it as UTF-8 and try again")
    return "cp1256"


class _Replaced(threading.local):
    n = 0


_REPLACED = _Replaced()


def _count_and_replace(e: UnicodeDecodeError) -> tuple[str, int]:
    """The "replace" error handler that also counts, in this thread, the sequences it replaced."""
    _REPLACED.n += 1
    return "\ufffd", e.end


codecs.register_error("tagger-replace", _count_and_replace)
_HIGH = bytes(range(128, 256))
# Windows-1256 Arabic read as UTF-8 has 0.1-2 % of its non-ASCII bytes in valid sequences (the seeds):
# a file with half or more is UTF-8 with passages in Windows-1256.
MIXED_SHARE = 0.5


def decode(data: bytes, name: str = "-") -> tuple[str, str]:
    """Return `(text, encoding)` for raw bytes, judged as `read_stream` judges stdin; raise
    `BadInput`/`BadEncoding` for binary data or another Arabic code page."""
    src = read_stream(io.BytesIO(data), name)
    return src.text, src.encoding


def _invalid_utf8_bytes(data: bytes) -> int:
    """How many bytes of `data` are not part of a valid UTF-8 sequence."""
    return len(data) - len(data.decode("utf-8", "ignore").encode("utf-8"))


def _utf8_verdict(fh: BinaryIO) -> str:
    """"strict" if the whole stream is UTF-8; "lines" if it is not, but at least half of its non-ASCII
    bytes are valid UTF-8 all the same (a few damaged bytes, or passages in Windows-1256: read line by
    line, see `decode_line`); else "not"."""
    dec = codecs.getincrementaldecoder("utf-8")()
    try:
        while block := fh.read(CHUNK):
            dec.decode(block)
        dec.decode(b"", final=True)
        return "strict"
    except UnicodeDecodeError:
        pass
    fh.seek(0)
    high = bad = 0
    while block := fh.read(CHUNK):  # a sequence cut at a block's end counts as invalid: a few bytes
        high += _high_bytes(block)
        bad += _invalid_utf8_bytes(block)
    return "lines" if _mostly_valid(bad, high) else "not"


def _high_bytes(data: bytes) -> int:
    """How many bytes of `data` are not ASCII."""
    return len(data) - len(data.translate(None, _HIGH))


def _mostly_valid(bad: int, high: int) -> bool:
    """Whether UTF-8 input with `bad` invalid bytes among `high` non-ASCII ones is UTF-8 all the same:
    Windows-1256 Arabic read as UTF-8 has 98-99.9 % of its non-ASCII bytes invalid (the seeds)."""
    return high > 0 and bad <= (1 - MIXED_SHARE) * high


def decode_line(line: bytes) -> tuple[str, int, bool]:
    """One line of a UTF-8 input that is not all UTF-8: (its text, sequences read as U+FFFD, whether it
    was read as Windows-1256). A line most of whose non-ASCII bytes fail is a passage in Windows-1256,
    read whole as such (some of its byte pairs are valid UTF-8 by chance: an Arabic letter and a
    comma); a line with a few bad bytes is UTF-8 with damage."""
    try:
        return line.decode("utf-8"), 0, False
    except UnicodeDecodeError:
        pass
    high = _high_bytes(line)
    bad = _invalid_utf8_bytes(line)
    if bad >= 3 and bad > MIXED_SHARE * high:  # a word, not a stray byte or a character cut short
        return line.decode("cp1256", "replace"), 0, True
    _REPLACED.n = 0
    text = line.decode("utf-8", "tagger-replace")
    return text, _REPLACED.n, False


class _Decoded:
    """The decoded text of a binary stream in chunks. With `errors="replace"`, counts in `replaced`
    the characters it had to replace; with `errors="lines"` (UTF-8 that is not all UTF-8), decodes
    line by line (`decode_line`), counting also the lines read as Windows-1256 in `legacy_lines`."""

    def __init__(self, fh: BinaryIO, enc: str, first: bytes = b"", errors: str = "strict") -> None:
        self.fh, self.enc, self.first, self.errors, self.replaced = fh, enc, first, errors, 0
        self.legacy_lines = 0

    def _lines(self) -> Iterator[str]:
        rest = b""
        block = self.first or self.fh.read(CHUNK)
        bom = self.enc == "utf-8-sig"
        while True:
            data = rest + block
            cut = len(data)
            if block:  # whole lines now, the rest with the next block
                cut = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
                if cut == 0 and len(data) > CHUNK:  # no line end for a megabyte: cut after a space
                    cut = data.rfind(b" ") + 1 or len(data)
            done, rest = data[:cut], data[cut:]
            if done:
                try:
                    text = done.decode("utf-8")  # the usual case, at C speed
                except UnicodeDecodeError:
                    out = []
                    for line in done.splitlines(keepends=True):
                        part, bad, legacy = decode_line(line)
                        self.replaced += bad
                        self.legacy_lines += legacy
                        out.append(part)
                    text = "".join(out)
                if bom:
                    text, bom = text.removeprefix("\ufeff"), False
                yield text
            if not block:
                return
            block = self.fh.read(CHUNK)

    def _decode(self, dec, block: bytes, final: bool = False) -> str:
        _REPLACED.n = 0
        text = dec.decode(block, final)
        self.replaced += _REPLACED.n  # counted by the handler: a U+FFFD the text holds is not damage
        return text

    def __iter__(self) -> Iterator[str]:
        if self.errors == "lines":
            yield from self._lines()
            return
        errors = "tagger-replace" if self.errors == "replace" else self.errors
        dec = codecs.getincrementaldecoder(self.enc)(errors=errors)
        block = self.first
        while True:
            if block:
                text = self._decode(dec, block)
                if text:
                    yield text
            block = self.fh.read(CHUNK)
            if not block:
                break
        tail = self._decode(dec, b"", final=True)
        if tail:
            yield tail


class _FileDecoded(_Decoded):
    """`_Decoded` over a file it opens when iterated (and closes when done)."""

    def __init__(self, path: Path, enc: str, name: str, errors: str = "strict") -> None:
        super().__init__(None, enc, errors=errors)  # type: ignore[arg-type]
        self.path, self.name = path, name

    def __iter__(self) -> Iterator[str]:
        try:
            with open(self.path, "rb") as self.fh:
                yield from super().__iter__()
        except UnicodeDecodeError as e:
            raise BadEncoding(f"{self.name}: cannot decode as {self.enc} (byte {e.start}); "
                              "save it as UTF-8 and try again") from None


def read_source(path: Path) -> Source:
    """Open one file: check it is text, find its encoding, and stream its decoded text."""
    name = str(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
            enc = sniff(head, name)
            errors = "strict"
            if enc == "utf-8-sig":  # declared UTF-8: whole blocks at C speed, line by line where one is not
                errors = "lines"
            elif enc is None:
                fh.seek(0)
                verdict = _utf8_verdict(fh)
                enc = "utf-8" if verdict != "not" else legacy_encoding(head, name)
                errors = "lines" if verdict == "lines" else "strict"
    except FileNotFoundError:
        raise InputNotFound(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputNotFound(f"{path}: is a directory") from None
    except OSError as e:
        raise BadInput(f"{path}: cannot read ({e.strerror or e})") from None
    return Source(name, enc, _FileDecoded(path, enc, name, errors))


def read_stream(stream: BinaryIO, name: str = "-") -> Source:
    """Stream a binary input such as stdin; its encoding is judged on the first megabyte."""
    head = stream.read(CHUNK)
    enc = sniff(head[:65536], name)
    if enc is None:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
            enc = "utf-8"
        except UnicodeDecodeError:
            enc = "utf-8" if _mostly_valid(_invalid_utf8_bytes(head), _high_bytes(head)) \
                else legacy_encoding(head[:65536], name)
    # UTF-8 is read line by line: a passage in Windows-1256 later in the stream is read as such
    lines = enc in ("utf-8", "utf-8-sig")
    return Source(name, enc, _Decoded(stream, enc, head, errors="lines" if lines else "replace"))


def expand(paths: list[str]) -> Iterator[Path | str | InputNotFound]:
    """Expand arguments into files to read: directories give their `*.txt` files (recursive, sorted);
    `-` stays `-`; a missing path or an empty directory yields an `InputNotFound` in its place."""
    for arg in paths:
        if arg == "-":
            yield "-"
            continue
        p = Path(arg)
        if p.is_dir():
            found = list(_walk_txt(p))
            files = [f for f in found if isinstance(f, Path)]
            if not files and len(found) == len(files):
                yield InputNotFound(f"{p}: directory holds no .txt files")
            yield from found
        elif p.exists():
            yield p
        else:
            yield InputNotFound(f"{p}: no such file or directory")


def _walk_txt(top: Path) -> Iterator[Path | BadInput]:
    """The `*.txt` files below `top`, sorted; a sub-folder that cannot be read, or a `*.txt` that is
    not a regular file (a dangling link, a FIFO), is yielded as an error in its place."""
    out: list[tuple[str, Path | BadInput]] = []  # (path, item)

    def unreadable(e: OSError) -> None:
        out.append((str(e.filename), BadInput(f"{e.filename}: cannot read this folder ({e.strerror}); skipped")))

    for root, dirs, names in os.walk(top, onerror=unreadable):
        for name in names:
            if name.endswith(".txt"):
                f = Path(root) / name
                try:
                    regular = f.is_file()
                except OSError as e:  # a folder we may list but not enter
                    out.append((str(f), BadInput(f"{f}: cannot read ({e.strerror}); skipped")))
                    continue
                out.append((str(f), f if regular else
                            BadInput(f"{f}: not a regular file (a broken link, a pipe); skipped")))
    return (item for _, item in sorted(out, key=lambda x: Path(x[0])))  # the order rglob gave


def iter_sources(paths: list[str], stdin: BinaryIO | None = None) -> Iterator[Source | BadInput | InputNotFound]:
    """Decoded sources in argument order; a failure is yielded in place, so later inputs still run."""
    for item in expand(paths):
        if isinstance(item, Exception):
            yield item
            continue
        try:
            if item == "-":
                yield read_stream(stdin if stdin is not None else sys.stdin.buffer)
            else:
                yield read_source(item)
        except (BadInput, InputNotFound) as e:
            yield e
