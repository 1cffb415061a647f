import pytest

from tagger import normalize as n

CASES = [
    (n.strip_entities, "المصالح rlm;الأميركية", "المصالح  الأميركية"),
    (n.strip_entities, "أمن&nbsp;الحدود", "أمن\xa0الحدود"),
    (n.strip_entities, "a &amp;nbsp; b", "a \xa0 b"),
    (n.strip_invisibles, "بغداد\u200fاليوم", "بغداد اليوم"),
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
    (n.collapse_spaces, "  S-400\t\n  PKK ", "s-400 pkk"),
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
