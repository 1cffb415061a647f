import json

import pytest

from conftest import DATA, SEEDS
from tagger.segment import line_kind, segment


def _expected(seed):
    return json.loads((DATA / seed.name.replace(".txt", ".segments.json")).read_text(encoding="utf-8"))


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_seed_segmentation_matches_golden(seed):
    text = seed.read_text(encoding="utf-8")
    got = [{"title": a.title, "start": a.start, "end": a.end,
            "paragraphs": [{"start": p.start, "end": p.end, "text": p.text} for p in a.paragraphs]}
           for a in segment(text)]
    assert got == _expected(seed)["articles"]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_offsets_point_at_the_paragraph_text(seed):
    text = seed.read_text(encoding="utf-8")
    for a in segment(text):
        assert 0 <= a.start <= a.end <= len(text)
        ends = [a.start]
        for p in a.paragraphs:
            assert text[p.start:p.end] == p.text
            assert p.start >= ends[-1]
            ends.append(p.end)


def test_two_articles_in_file_000():
    titles = [a.title for a in segment(SEEDS[0].read_text(encoding="utf-8"))]
    assert titles == ["«الحرس الثوري» يدعو العراق إلى تعزيز التعاون العسكري",
                      "أميركا تطلب من تركيا الضغط على «حماس» للقبول بوقف النار في غزة"]


def test_related_block_in_003_belongs_to_neither_article():
    text = SEEDS[3].read_text(encoding="utf-8")
    arts = segment(text)
    assert [a.title for a in arts] == ["قائد «برية» الجيش الإيراني يبحث التعاون العسكري في موسكو",
                                       "تركيا تعلن «تطهير» مناطق عراقية من «العمال الكردستاني»"]
    related_start = text.index("مقالات ذات صلة")
    related_end = text.index("تركيا تعلن «تطهير»")
    for a in arts:
        for p in a.paragraphs:
            assert not (related_start <= p.start < related_end), p.text
    assert arts[0].paragraphs[-1].text.startswith("وتسعى إيران، منذ وقت طويل")


FURNITURE = ["TT", "+ الخط -", "دلالات", "يمكنكم الآن متابعة آخر الأخبار مجاناً من خلال حسابنا على تويتر",
             "إضغط هنا للإشتراك", "15 نوفمبر 2020", "«الشرق الأوسط» (واشنطن)", "// انتهى //", "rlm;", "&nbsp;",
             "عين اليوم – متابعات", "للتواصل مع الكاتب ارسل رسالة SMS", "88591 - Stc",
             "** جميع المقالات المنشورة تمثل رأي كتابها فقط.", "* خدمة «نيويورك تايمز»", "...المزيد",
             "غولر خلال اجتماع لجنة الخطة والموازنة بالبرلمان التركي (وزارة الدفاع التركية)",
             "يمكنكم استلام إشعارات بأهم الموضوعات بعد تحميل أحدث نسخة من تطبيق بي بي سي",
             "الرياض - واس", "-----------------------",
             # from pages of outlets the seeds do not cover
             "إسطنبول/ الأناضول", "بغداد ـ الصباح الجديد", "الجزيرة نت + وكالات", "لندن - «القدس العربي»:",
             "الرئيسية › أخبار › سياسة", "تويتر", "واتساب | انسخ الرابط", "شارك هذا المقال",
             "الوسوم: تركيا، روسيا، صواريخ إس-400، حلف الناتو",
             "اقرأ أيضاً: واشنطن ترسل تعزيزات عسكرية إلى قاعدة عين الأسد غرب العراق",
             "الاثنين - 13 شوال 1439 هـ - 25 يونيو 2018 مـ رقم العدد [ 14454]",
             "مكة المكرمة 25 شوال 1436 هـ الموافق 10 أغسطس 2015 م واس", "الأحد ١٧/٠٦/٢٠١٨", "منذ 3 ساعات",
             "نُشر في: الأحد 17 حزيران/يونيو 2018 - 10:30 صباحاً بتوقيت مكة المكرمة",
             "وزير الخارجية التركي خلال مؤتمر صحافي في أنقرة | AFP", "تصوير: أحمد علي",
             "نستخدم ملفات تعريف الارتباط (الكوكيز) لتحسين تجربتك على موقعنا.", "(عدسة/ أحمد المغلوث)"]


@pytest.mark.parametrize("line", FURNITURE)
def test_page_furniture_is_not_content(line):
    assert line_kind(line) not in ("heading", "body")


@pytest.mark.parametrize("line,kind", [
    # sentences that mention what furniture mentions, and list items, stay content
    ('وأضاف في منشور على "فيسبوك" أن الشركة تجمع بيانات المستخدمين عبر ملفات تعريف الارتباط.', "body"),
    ("تعرضت مقدمة النشرة الإخبارية على القناة إلى موقف محرج على الهواء مباشرة.", "body"),
    ("حراك الريف بالمغرب يدعو لمسيرة احتجاج في 20 يوليو/تموز", "heading"),
    ("3 - الافتقار إلى المهنية:", "body"),
    ("طهران: لا تفاوض مع واشنطن", "heading"),
    # headlines and body lines that the first version of the rules for other outlets took for furniture
    ("التضخم في تركيا يقفز إلى 15.8% في مايو", "heading"),
    ("1. ممارسة الرياضة تجعل مخك أكبر", "heading"),
    ("واشنطن/ موسكو", "heading"),
    ("الدولار > 15 ألف ليرة", "heading"),
    ("أنقرة تختبر مسيرة جديدة - Bayraktar Kizilelma", "heading"),
    ("تابعوا كيف تحولت المعابر الحدودية إلى خط مواجهة بين الجيشين", "heading"),
    ("تحديث: ارتفاع عدد القتلى إلى 12 في هجوم على نقطة حدودية", "heading"),
    ("ووصل وزير الداخلية إلى البصرة في 12 شوال 1436 هـ وسط إجراءات أمنية مشددة على المنافذ الحدودية", "heading"),
    ("الأكثر تداولاً", "heading"),
])
def test_content_that_resembles_furniture_is_kept(line, kind):
    assert line_kind(line) == kind


@pytest.mark.parametrize("line", ["مقالات مقترحة", "الأكثر قراءة اليوم", "قد يهمك أيضاً", "اختيارات المحرر", "مرتبط",
                                  "اقرأ أيضاً:", "مقالات ذات صلة:"])
def test_related_block_markers(line):
    assert line_kind(line) == "related"


@pytest.mark.parametrize("line", ["التعليقات", "التعليقات (2)", "اترك تعليقاً", "تعليقات القراء"])
def test_comment_block_markers(line):
    assert line_kind(line) == "comments"


def test_a_messy_page_from_an_outlet_the_seeds_do_not_cover():
    """Site name and breadcrumb above the headline, byline, share bar, an inline teaser, a related block
    in the middle of the text, a tag line, reader comments, then a second article after one blank line
    whose only sign of a new article is the dateline under its headline."""
    arts = segment((DATA / "messy_page.txt").read_text(encoding="utf-8"))
    assert [a.title for a in arts] == ["تركيا تتوعد بعمليات جديدة عبر حدودها الجنوبية",
                                       "فرنسا تدرس نقل لوحة الموناليزا إلى مدينة أخرى"]
    assert [p.text[:12] for p in arts[0].paragraphs] == ["أعلن الرئيس ", "وقال إن الجي", "وأضاف أن حرس",
                                                         "وأشار إلى أن", "وختم بالقول "]
    assert [p.text[:12] for p in arts[1].paragraphs] == ["أعلنت وزيرة ", "وقالت إن الق"]


def test_a_short_heading_above_the_headline_is_a_site_name_only_where_page_furniture_says_so():
    body = "وقال المسؤول إن الحدود مع تركيا مغلقة أمام المهربين منذ يومين.\nوأضاف أن الحرس في حالة تأهب.\n"
    headline = "اتهامات للجيش التركي باستخدام غاز في عفرين"
    [a] = segment(f"عنب بلدي\n\n{headline}\n\nعنب بلدي – خاص\n" + body)  # a dateline below the headline
    assert a.title == headline and len(a.paragraphs) == 2
    [a] = segment(f"الجزيرة نت\nالرئيسية › أخبار › سياسة\n\n{headline}\n\n" + body)  # a breadcrumb above it
    assert a.title == headline and len(a.paragraphs) == 2
    [a] = segment("تركيا تقصف عفرين\n\n" + body)
    assert a.title == "تركيا تقصف عفرين" and len(a.paragraphs) == 2
    # a short headline with the author's name or a subtitle below it keeps its place
    [a] = segment("حدود بلا حراس\nد. عبدالله بن موسى الطاير\n\n" + body)
    assert a.title == "حدود بلا حراس" and a.paragraphs[0].text == "د. عبدالله بن موسى الطاير"
    [a] = segment("رحيل أمير الكويت\nالكويت تعلن الحداد 40 يوما وتعطيل الدوائر الرسمية\n\n" + body)
    assert a.title == "رحيل أمير الكويت" and len(a.paragraphs) == 3


@pytest.mark.parametrize("line", ["دلالات", "إضغط هنا للإشتراك", "TT"])
def test_furniture_cut_mid_letter_is_still_furniture(line):
    """A download cut in the middle of the last letter leaves U+FFFD at the end of the line."""
    assert line_kind(line + "\ufffd") == line_kind(line)
    text = "عنوان المقال\n\nوقال المسؤول إن الحدود مع تركيا مغلقة أمام المهربين منذ يومين.\n\n" + line + "\ufffd"
    [art] = segment(text)
    assert [p.text for p in art.paragraphs] == ["وقال المسؤول إن الحدود مع تركيا مغلقة أمام المهربين منذ يومين."]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_no_furniture_reaches_paragraphs(seed):
    for a in segment(seed.read_text(encoding="utf-8")):
        for p in a.paragraphs:
            assert p.text not in ("TT", "+ الخط -", "دلالات") and "إضغط هنا" not in p.text
            assert not p.text.startswith(("صورة تناقلتها", "فيدان وبلينكن في تصريحات"))


def test_repeated_caption_lines_are_dropped_but_a_repeated_body_paragraph_is_kept_once():
    body = "وقالت الوزارة في بيان إن قواتها قتلت عشرة مسلحين في مناطق حدودية خلال عملية أمس."
    text = f"عنوان الخبر هنا\n\nصورة من الحدود\nصورة من الحدود\n{body}\n{body}\nوأضافت أن العملية مستمرة حتى الآن.\n"
    [a] = segment(text)
    assert [p.text for p in a.paragraphs] == [body, "وأضافت أن العملية مستمرة حتى الآن."]


def test_corpus_record_is_one_article():
    text = "خبر أول\n\n\nوقال المتحدث إن المحادثات مستمرة.\nوأضاف أن الجولة المقبلة الشهر المقبل.\n"
    assert len(segment(text, split_articles=False)) == 1


def test_crlf_offsets():
    text = "عنوان\r\n\r\nوقال المسؤول إن الحدود مغلقة.\r\nوأضاف أن الحرس في حالة تأهب.\r\n"
    [a] = segment(text)
    assert [text[p.start:p.end] for p in a.paragraphs] == [p.text for p in a.paragraphs]
    assert a.paragraphs[0].text == "وقال المسؤول إن الحدود مغلقة."


def test_empty_and_whitespace_text_have_no_articles():
    assert segment("") == [] and segment(" \n\t\n") == []


def test_chunks_cut_between_cr_and_lf_segment_as_the_whole_text():
    """A 1 MiB read can end between the \\r and the \\n of a Windows line end: still one line end."""
    from tagger.segment import iter_articles, iter_lines

    body = "وقال المسؤول إن الحدود مع تركيا مغلقة أمام المهربين منذ يومين."
    text = (f"عنوان الخبر الأول\r\n\r\n{body}\r\n{body[:-1]} أيضا.\r\n\r\n"  # one blank line: no new article
            f"عنوان فرعي داخل الخبر\r\nوأضاف أن الحرس في حالة تأهب.\r\nوأكد أن التعزيزات وصلت.\r\n")
    whole = segment(text)
    assert len(whole) == 1
    for cut in [m for m in range(len(text)) if text[m - 1:m] == "\r"]:
        assert list(iter_articles(iter_lines([text[:cut], text[cut:]]))) == whole, cut


def test_a_very_long_line_is_kept_to_its_last_character():
    sentence = "وقال المسؤول إن قوات حرس الحدود أحبطت محاولة تسلل جديدة الليلة الماضية. "
    text = "عنوان الخبر\n\n" + sentence * 400 + "وأضاف أن التحقيق مستمر"
    [a] = segment(text)
    assert a.paragraphs[-1].end == len(text) and a.paragraphs[-1].text.endswith("التحقيق مستمر")


def test_a_short_line_repeated_on_the_page_is_dropped_and_a_paragraph_kept_once():
    teaser = "العراق يعزز قواته على الحدود"  # a heading, not a caption: only its repetition marks it
    body = "وقال المسؤول إن الحدود مع تركيا مغلقة أمام المهربين منذ يومين."
    text = f"عنوان الخبر هنا\n\n{teaser}\n{body}\n{teaser}\nوأضاف أن الحرس في حالة تأهب.\n"
    [a] = segment(text)
    assert [p.text for p in a.paragraphs] == [body, "وأضاف أن الحرس في حالة تأهب."]


BODY4 = ["قال مسؤولون عراقيون إن القوات الأمنية عززت انتشارها على طول الحدود مع إيران بعد سلسلة من الهجمات.",
         "وأضافوا أن وحدات إضافية من حرس الحدود وصلت إلى المنطقة خلال الأيام الماضية لتأمين المعابر.",
         "وتعهدت الحكومة بمواصلة العمليات حتى تأمين كامل الشريط الحدودي ومنع تسلل المسلحين.",
         "وأعلنت وزارة الدفاع التركية أن مقاتلاتها استهدفت مواقع لحزب العمال الكردستاني شمالي العراق."]


@pytest.mark.parametrize("marker", ["التعليقات", "2 تعليقات"])
def test_a_comments_marker_below_the_lead_does_not_drop_the_article(marker):
    """A comment count or marker under the first paragraph, as some pages show, is furniture."""
    [a] = segment(f"العراق يعزز قواته على الحدود\n\n{BODY4[0]}\n\n{marker}\n\n" + "\n\n".join(BODY4[1:]) + "\n")
    assert [p.text for p in a.paragraphs] == BODY4


def test_a_corpus_record_never_skips_text_after_a_comments_marker():
    from tagger.segment import segment_record

    rec = segment_record(f"{BODY4[0]}\n{BODY4[1]}\nالتعليقات\n{BODY4[2]}\n{BODY4[3]}", "عنوان")
    assert [p.text for p in rec.paragraphs] == BODY4


@pytest.mark.parametrize("line,kind", [("اشترك في نشرتنا البريدية", "furniture"), ("اشتركوا الآن", "furniture"),
                                       ("اشتركت القوات العراقية والتركية في مناورات على الحدود.", "body")])
def test_subscribe_prompts_but_not_sentences_that_begin_with_the_verb(line, kind):
    assert line_kind(line) == kind


def test_a_long_line_of_share_words_is_classified_at_once():
    """The share-bar pattern could split each space two ways, doubling the time with every word: a
    complexity guard, not a speed target (the bound is a thousand times the time it takes)."""
    import time

    line = " ".join(["تويتر", "فيسبوك", "واتساب"] * 8) + " الآن"  # the old pattern: about a minute
    start = time.perf_counter()
    assert line_kind(line) in ("heading", "body")
    assert time.perf_counter() - start < 2.0


def test_a_photo_caption_under_a_short_headline_does_not_make_it_a_site_name():
    lead = "قالت مصادر أمنية إن الحدود شهدت هدوءا حذرا منذ أيام"  # no final full stop: a heading by form
    [a] = segment(f"حدود بلا حراس\n(صورة أرشيفية)\n{lead}\n\n" + "\n\n".join(BODY4) + "\n")
    assert a.title == "حدود بلا حراس" and a.paragraphs[0].text == lead


def test_an_article_right_after_a_comments_block_with_its_dateline_is_kept():
    t = (f"العراق يعزز قواته\n\n{BODY4[0]}\n\n{BODY4[1]}\n\nالتعليقات\nتعليق قارئ يقول إن الوضع صعب جدا في المنطقة.\n"
         f"تركيا تقصف مواقع العمال الكردستاني\nأنقرة - رويترز\n{BODY4[2]}\n{BODY4[3]}\n")
    assert [(a.title, len(a.paragraphs)) for a in segment(t)] == [
        ("العراق يعزز قواته", 2), ("تركيا تقصف مواقع العمال الكردستاني", 2)]


def test_an_author_line_under_a_short_headline_does_not_make_it_a_site_name():
    sub = "مقتل خمسة أشخاص وإصابة عشرين في انفجار سيارة مفخخة"
    [a] = segment(f"انفجار في بغداد\nبقلم: أحمد علي\n{sub}\n{BODY4[0]}\n{BODY4[1]}\n")
    assert a.title == "انفجار في بغداد" and a.paragraphs[0].text == sub
