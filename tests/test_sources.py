import codecs
import io

import pytest

from conftest import ROOT
from tagger.errors import BadEncoding, BadInput, InputNotFound
from tagger.sources import decode, iter_sources, read_source, read_stream, Source

TEXT = "إيران والعراق يعززان أمن الحدود\r\nوقال المسؤول إن «الحدود» آمنة.\n"
SEEDS_TEXT = (ROOT / "seeds" / "002_c4ed5918ed66c263.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("data,enc", [
    (TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
    (TEXT.encode("utf-16"), "utf-16"),
    (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
    (TEXT.encode("cp1256"), "cp1256"),
])
def test_encodings_found_in_the_wild_decode_to_the_same_text(data, enc):
    assert decode(data) == (TEXT, enc)


@pytest.mark.parametrize("codepage", ["iso8859_6", "mac_arabic"])
def test_another_arabic_code_page_is_refused_not_read_as_windows_1256_mojibake(codepage, tmp_path):
    data = "إيران والعراق يعززان أمن الحدود\nوقال المسؤول إن الحدود آمنة، والتهريب تراجع.\n".encode(codepage)
    path = tmp_path / "old.txt"
    path.write_bytes(data)
    for read in (lambda: decode(data, "old.txt"), lambda: read_source(path),
                 lambda: read_stream(io.BytesIO(data), "old.txt")):
        with pytest.raises(BadEncoding, match=r"old\.txt: not UTF-8.*ISO-8859-6.*save it as UTF-8"):
            read()


def test_windows_1256_with_french_words_in_it_still_decodes():
    text = "قال المدير في باريس إن « la sécurité des frontières » أولوية، وأضاف أن الاتفاق سيوقع قريبا.\n"
    assert decode(text.encode("cp1256")) == (text, "cp1256")


@pytest.mark.parametrize("data,what", [
    (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG image"),
    (b"PK\x03\x04\x14\x00", "zip archive"),
    (b"abc\x00\x00\x01def", "binary data"),
])
def test_binary_data_is_refused(data, what):
    with pytest.raises(BadInput, match=what):
        decode(data, "x.bin")


def test_missing_paths_and_empty_dirs_are_reported_in_place(tmp_path):
    (tmp_path / "empty").mkdir()
    good = tmp_path / "a.txt"
    good.write_text("نص", encoding="utf-8")
    items = list(iter_sources([str(tmp_path / "nope.txt"), str(tmp_path / "empty"), str(good)]))
    assert isinstance(items[0], InputNotFound) and "nope.txt" in str(items[0])
    assert isinstance(items[1], InputNotFound) and "no .txt files" in str(items[1])
    assert isinstance(items[2], Source) and items[2].text == "نص"


def test_directories_are_read_recursively_in_order(tmp_path):
    (tmp_path / "b").mkdir()
    for name in ("b/2.txt", "1.txt", "b/skip.md"):
        (tmp_path / name).write_text(name, encoding="utf-8")
    assert [s.text for s in iter_sources([str(tmp_path)])] == ["1.txt", "b/2.txt"]
    (tmp_path / "a-b").mkdir()  # "a-b" sorts before "b" and after "a", whatever '-' and '/' compare to
    (tmp_path / "a-b" / "3.txt").write_text("a-b/3.txt", encoding="utf-8")
    assert [s.text for s in iter_sources([str(tmp_path)])] == ["1.txt", "a-b/3.txt", "b/2.txt"]


def test_a_txt_in_a_directory_that_is_not_a_regular_file_is_named_not_skipped_silently(tmp_path):
    import os

    (tmp_path / "ok.txt").write_text("نص", encoding="utf-8")
    (tmp_path / "broken.txt").symlink_to(tmp_path / "nowhere")
    os.mkfifo(tmp_path / "pipe.txt")
    got = list(iter_sources([str(tmp_path)]))
    assert [type(x).__name__ for x in got] == ["BadInput", "Source", "BadInput"]
    assert str(got[0]) == f"{tmp_path / 'broken.txt'}: not a regular file (a broken link, a pipe); skipped"
    assert str(got[2]).startswith(f"{tmp_path / 'pipe.txt'}: not a regular file")


def test_an_unreadable_sub_folder_is_named(tmp_path):
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "x.txt").write_text("نص", encoding="utf-8")
    os.chmod(locked, 0)
    try:
        if os.access(locked, os.R_OK):  # root reads it anyway (as on CI): os.walk is told it cannot
            import tagger.sources as sources

            real_walk = os.walk

            def walk(top, onerror=None):
                for root, dirs, names in real_walk(top):
                    if "locked" in dirs:
                        dirs.remove("locked")
                        onerror(PermissionError(13, "Permission denied", str(locked)))
                    yield root, dirs, names

            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(sources.os, "walk", walk)
                [err] = iter_sources([str(tmp_path)])
        else:
            [err] = iter_sources([str(tmp_path)])
        assert str(err) == f"{locked}: cannot read this folder (Permission denied); skipped"
    finally:
        os.chmod(locked, 0o755)


def _damaged():
    """The same Arabic text with one stray byte inside, and cut in the middle of its last letter."""
    data = (TEXT * 200).encode("utf-8")
    return {"stray": data[:301] + b"\xff" + data[301:], "cut": data + "ز".encode("utf-8")[:1]}


@pytest.mark.parametrize("kind", ["stray", "cut"])
def test_utf8_with_a_damaged_byte_stays_utf8_and_the_damage_is_counted(tmp_path, kind):
    data = _damaged()[kind]
    want = data.decode("utf-8", "replace")
    path = tmp_path / "d.txt"
    path.write_bytes(data)
    assert decode(data) == (want, "utf-8")
    for name, src in ((str(path), read_source(path)), ("-", read_stream(io.BytesIO(data)))):
        assert src.encoding == "utf-8" and src.text == want and src.replaced == 1
        assert src.damage() == f"{name}: 1 byte sequence not valid UTF-8, read as U+FFFD; the rest is tagged"


def test_windows_1256_is_not_mistaken_for_damaged_utf8_nor_a_real_fffd_for_damage(tmp_path):
    path = tmp_path / "w.txt"
    path.write_bytes((TEXT * 200).encode("cp1256"))
    src = read_source(path)
    assert src.encoding == "cp1256" and src.text == TEXT * 200 and src.damage() is None
    real = ("نص فيه \ufffd أصلا\n" * 3).encode("utf-8")
    (tmp_path / "r.txt").write_bytes(real)
    for src in (read_source(tmp_path / "r.txt"), read_stream(io.BytesIO(real))):
        assert src.text == real.decode("utf-8") and src.replaced == 0 and src.damage() is None


@pytest.mark.parametrize("bom, enc", [(codecs.BOM_UTF8, "utf-8"), (b"", "utf-16")])
def test_a_real_fffd_in_clean_input_is_not_counted_as_damage(bom, enc):
    text = ("نص فيه \ufffd أصلا\n" * 3)
    data = bom + text.encode(enc)
    src = read_stream(io.BytesIO(data))
    assert src.text == text and src.replaced == 0 and src.damage() is None


def test_a_short_windows_1256_text_is_not_taken_for_damaged_utf8():
    data = "the last word: لا".encode("cp1256")
    assert decode(data) == ("the last word: لا", "cp1256")


def test_utf8_with_a_passage_in_windows_1256_reads_each_in_its_own_encoding(tmp_path):
    """A paragraph pasted from an older page: the whole file used to be read as Windows-1256 mojibake."""
    pasted = "وقالت وحدات حماية الشعب الكردية إن القصف طال قرية قرب الحدود.\n"
    data = (TEXT * 20).encode("utf-8") + pasted.encode("cp1256") + TEXT.encode("utf-8")
    (tmp_path / "m.txt").write_bytes(data)
    for name, src in (("m", read_source(tmp_path / "m.txt")), ("-", read_stream(io.BytesIO(data)))):
        assert src.encoding == "utf-8" and src.text == TEXT * 20 + pasted + TEXT
        assert src.legacy_lines == 1 and src.replaced == 0 and "UTF-8 with 1 line in Windows-1256" in src.damage()


def test_one_pasted_sentence_in_a_long_file_and_letters_before_a_comma_are_read_right(tmp_path):
    """Under 1 % of a long file's bytes, a passage was taken for damage and read as U+FFFD; and in
    Windows-1256 a letter before «،» or «»» forms a valid UTF-8 pair, which was read as a Latin letter."""
    pasted = "وقال المتحدث، في بيان رسمي، إن «الحدود» مغلقة؛ فهل تفتح قريبا؟\n"
    page = SEEDS_TEXT.rstrip("\n") + "\n"
    text = page * 12 + pasted + page
    data = (page * 12).encode("utf-8") + pasted.encode("cp1256") + page.encode("utf-8")
    assert len(pasted.encode("cp1256")) < 0.01 * len(data)
    (tmp_path / "m.txt").write_bytes(data)
    for src in (read_source(tmp_path / "m.txt"), read_stream(io.BytesIO(data))):
        assert src.text == text and src.legacy_lines == 1 and src.replaced == 0


@pytest.mark.parametrize("enc", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_read_not_refused_as_binary(tmp_path, enc):
    (tmp_path / "u.txt").write_bytes(TEXT.encode(enc))
    src = read_source(tmp_path / "u.txt")
    assert (src.encoding, src.text) == (enc, TEXT)
    assert decode(TEXT.encode(enc)) == (TEXT, enc)



def test_utf16_without_a_bom_cut_inside_a_character_or_without_arabic_is_read(tmp_path):
    emoji_at_the_cut = "كلمة " * 6553 + "بب" + "😀" + " نص عربي\n"  # the 64 KiB sample ends inside the emoji
    (tmp_path / "e.txt").write_bytes(emoji_at_the_cut.encode("utf-16-le"))
    assert read_source(tmp_path / "e.txt").text == emoji_at_the_cut
    english = "The minister said the border talks went well.\n"
    (tmp_path / "en.txt").write_bytes(english.encode("utf-16-le"))
    assert read_source(tmp_path / "en.txt").text == english  # then classify says: no Arabic text


def test_utf8_with_a_bom_and_a_line_in_windows_1256_is_read_not_refused(tmp_path):
    pasted = "غزة\n"  # three letters: a word, not a stray byte
    data = codecs.BOM_UTF8 + (TEXT * 30).encode("utf-8") + pasted.encode("cp1256") + TEXT.encode("utf-8")
    (tmp_path / "b.txt").write_bytes(data)
    for src in (read_source(tmp_path / "b.txt"), read_stream(io.BytesIO(data))):
        assert src.text == TEXT * 30 + pasted + TEXT and src.legacy_lines == 1 and src.replaced == 0


def test_long_input_with_old_mac_line_ends_or_none_reads_whole(tmp_path):
    cr = ("سطر عربي قصير\r" * 200_000).encode("utf-8")  # about 5 MiB, no \n at all
    src = read_stream(io.BytesIO(cr))
    assert src.text == cr.decode("utf-8") and src.replaced == 0
