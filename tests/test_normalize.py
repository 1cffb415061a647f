import pytest

from tagger import normalize as n

CASES = [
    (n.strip_entities, "المصالح rlm;الأميركية", "المصالح  الأميركية"),
    (n.strip_entities, "أمن&nbsp;الحدود", "أمن\xa0الحدود"),
    (n.strip_entities, "a &amp;nbsp; b", "a \xa0 b"),
    (n.strip_invisibles, "بغداد\u200fاليوم", "بغداد اليوم"),
    (n.strip_invisibles, "الكرد\u00adستاني حزب\u200dالله البيش\u200cمركة", "الكردستاني حزبالله البيشمركة"),
    (n.fold_presentation_forms, "ﺑ«ممارسات", "ب«ممارسات"),
    (n.fold_presentation_forms, "ﻻ", "لا"),
    (n.strip_diacritics, "مُحَمَّدٌ قُضِيَ", "محمد قضي"),
    (n.strip_tatweel, "الحـــدود", "الحدود"),
    (n.normalize_hamza, "أمن إيران آمن", "امن ايران امن"),
    (n.normalize_hamza, "مسؤول المسائل", "مسوول المسايل"),
    (n.normalize_alef_maqsura, "على مستوى", "علي مستوي"),
    (n.normalize_ta_marbuta, "الصفقة العسكرية", "الصفقه العسكريه"),
    (n.normalize_digits, "٢٠٢٤ و۱۴۰۳", "2024 و1403"),
    (n.normalize_punctuation, "«حماس»، لماذا؟ — نعم؛", '"حماس", لماذا? - نعم;'),
    (n.lowercase, "S-400 PKK", "s-400 pkk"),
    (n.collapse_spaces, "  S-400\t\n  PKK ", "S-400 PKK"),
]


@pytest.mark.parametrize("rule,before,after", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_rule(rule, before, after):
    assert rule(before) == after


def test_every_rule_has_a_case():
    assert {c[0] for c in CASES} == set(n.RULES)


def test_normalize_composes_all_rules():
    assert n.normalize("وَأَعْلَنَتْ  تركيـــا «تطهير» مناطق عراقيّة rlm; ١٠") == 'واعلنت تركيا "تطهير" مناطق عراقيه 10'


@pytest.mark.parametrize("text", ["إسرائيل ٢٠٢٣ rlm;", "ﻻ ﺑ", "a &amp;amp; b", "مُحَمَّد — «قال»"])
def test_normalize_is_idempotent(text):
    once = n.normalize(text)
    assert n.normalize(once) == once


# -- the batch form must be the same function -----------------------------------------------------
from hypothesis import given, settings, strategies as st  # noqa: E402

from conftest import SEEDS  # noqa: E402

TRICKY = ("ابتثجحخدذرزسشصضطظعغفقكلمنهوي" "أإآٱؤئءىة" "ًٌٍَُِّْـٰ" "ﺑﻻﺍ" "٠١٩۴" "،؛؟«»…—“"
          " \t\n\xa0\u2009\u200f\u200b\ufeff" "&;#amprlmnbsp" "AZİΣσßİ" "\x00\x01😀\U0001d400")
PIECES = st.sampled_from(["&amp;", "&nbsp;", "rlm;", "&#8207;", "&hellip;", "&amp;amp;", "ﻻ", "ΟΔΟΣ ", "ىٰ", "ٰى"])
TEXT = st.lists(st.one_of(st.text(alphabet=TRICKY, max_size=12), PIECES), max_size=8).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(TEXT, max_size=6))
def test_batch_normalisation_equals_the_rules_one_text_at_a_time(texts):
    assert n.normalize_batch(texts) == [n.normalize(t) for t in texts]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=20), max_size=4))
def test_batch_normalisation_of_any_unicode(texts):
    assert n.normalize_batch(texts) == [n.normalize(t) for t in texts]


def test_batch_normalisation_of_the_seed_files():
    texts = [line for f in SEEDS for line in f.read_text(encoding="utf-8").splitlines()]
    assert n.normalize_batch(texts) == [n.normalize(t) for t in texts]
    assert n.normalize_batch([]) == []
