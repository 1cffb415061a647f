"""Property tests: arbitrary Unicode never breaks normalisation or segmentation."""

from hypothesis import given, settings, strategies as st

from tagger.normalize import normalize
from tagger.segment import iter_articles, iter_lines, segment

PIECES = st.sampled_from([
    "\n", "\r\n", "\r", "\n\n\n", " ", "\t", "\u200f", "\u200e", "\u0640", "\u064e\u0651", "\x00", "rlm;", "&nbsp;",
    "&amp;", "«", "»", ".", "؟", "TT", "+ الخط -", "مقالات ذات صلة", "دلالات", "(رويترز)", "ﻻ", "ﺑ", "٣", "---",
    "قال المسؤول إن الحدود مغلقة.", "عنوان الخبر", "صورة من الحدود", "«الشرق الأوسط» (بغداد)",
])
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=40).map("".join)
FAST = settings(max_examples=300, deadline=None)


@FAST
@given(st.text())
def test_normalize_never_fails_and_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


@FAST
@given(TEXT)
def test_normalize_is_idempotent_on_news_like_text(text):
    once = normalize(text)
    assert normalize(once) == once


@FAST
@given(TEXT)
def test_segments_are_slices_in_order(text):
    last = 0
    for a in segment(text):
        assert 0 <= a.start <= a.end <= len(text)
        for p in a.paragraphs:
            assert last <= p.start < p.end <= len(text)
            assert text[p.start:p.end] == p.text
            last = p.end


@FAST
@given(TEXT, st.integers(min_value=1, max_value=7))
def test_chunked_input_segments_like_whole_input(text, size):
    chunks = [text[i:i + size] for i in range(0, len(text), size)]
    assert list(iter_articles(iter_lines(chunks))) == segment(text)

