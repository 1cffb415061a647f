"""Segmentation: a decoded text → articles → paragraphs, with page furniture dropped.

Works line by line. Each line is classified by general rules (no outlet's strings
alone decide): blank, furniture (captions, bylines, datelines, share bars, tag lists,
teasers, prompts, font controls, lone Latin tokens, entity debris, lines repeated in
the file), a "related articles" marker, a reader-comments marker, a heading (short,
no sentence-final punctuation) or body text.

A heading starts a new article when there is a sign of a page boundary (two or
more blank lines or a rule line before it, the title repeated after page
furniture, or a blank line before it and an agency's or paper's dateline right
below it) *and* at least two body paragraphs follow it. A "related articles" block
is skipped until such an article start or until body text resumes (two body lines
in a row); a reader-comments block, once the article has text, until the next
article. A short first heading set apart from the headline by page furniture is a
site name or section label, and gives way to the headline. Every other content line
after an article's title is one of its paragraphs; offsets point into the text
exactly as decoded, so `text[p.start:p.end] == p.text`.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator, NamedTuple

from .normalize import strip_entities, strip_invisibles
from .records import Article, Paragraph

_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_TERMINAL_CHARS = ".!?؟…:؛;"
_CLOSERS = "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "\"'»«”“’)]"  # as \s: all below U+3001
_SEPARATOR = re.compile(r"^[\W_]{3,}$")

_MONTHS = (
    "يناير|فبراير|مارس|أبريل|ابريل|إبريل|مايو|يونيو|يوليو|أغسطس|اغسطس|سبتمبر|أكتوبر|اكتوبر|نوفمبر|ديسمبر|"
    "كانون الثاني|شباط|آذار|نيسان|أيار|حزيران|تموز|آب|أيلول|تشرين الأول|تشرين الثاني|كانون الأول|"
    "محرم|صفر|ربيع الأول|ربيع الآخر|ربيع الثاني|جمادى الأولى|جمادى الآخرة|رجب|شعبان|رمضان|شوال|ذو القعدة|ذو الحجة"
)
_AGENCIES = (
    r"رويترز|فرانس برس|فرانس ?24|أ ?\.? ?ف ?\.? ?ب|ا ف ب|الأناضول|د ?\.? ?ب ?\.? ?أ|إ ?\.? ?ب ?\.? ?أ|واس|كونا|وام|"
    r"سبوتنيك|أسوشيتد برس|أسوشييتد برس|وكالات|متابعات|بترا|سانا|قنا|العربية ?\.? ?نت|سكاي نيوز عربية"
)
_ALSO = r"(?:أيضا|أيضاً|ايضا|ايضاً)"
_RELATED = re.compile(
    r"^(?:مقالات|أخبار|اخبار|مواضيع|موضوعات|قصص)\s+(?:ذات صلة|ذات علاقة|متعلقة|مشابهة|مقترحة|قد تهمك)|^ذات صلة$|"
    rf"^(?:اقرأ|إقرأ|اقرا)\s+(?:{_ALSO}|المزيد)$|^(?:شاهد|طالع|تابع)\s+{_ALSO}$|"
    r"^الأكثر\s+(?:قراءة|مشاهدة|تعليقا|تعليقاً)(?:\s+\S+)?$|"
    rf"^قد\s+(?:يهمك|يعجبك|يهمّك)(?:\s+{_ALSO})?$|^(?:اخترنا لك|اختيارات المحرر|مختارات المحرر|مرتبط|ذو صلة)$|"
    r"^(?:related|read more|see also|more stories)$",
    re.I,
)
# A reader-comments block: skipped, whatever its lines look like, until the next article starts.
_COMMENTS = re.compile(r"^التعليقات(?:\s*\(\d+\))?$|^تعليقات القراء$|^(?:اترك|أضف|اضف|اكتب)\s+(?:تعليقا|تعليقاً|تعليقك|تعليق)$")
# Page furniture, as patterns that match at the start of a (cleaned) line and patterns found
# anywhere in it: kept apart, because one alternation mixing `^` and unanchored branches is
# tried at every position of every line (7x slower).
_FURNITURE_AT_START = (
    # font-size and sharing controls, tag-list labels, "more" links
    r"\+?\s*الخط\s*-?$", r"(?:تكبير|تصغير|حجم)\s+الخط",
    r"(?:دلالات|الوسوم|وسوم|كلمات مفتاحية|كلمات دالة|شارك|شارك الخبر|مشاركة|طباعة|حفظ|إعلان|"
    r"أرسل لصديق|تعليقات|\d+\s+تعليقا?ت?|[.…]*\s*المزيد)$",
    # tag lists ("الوسوم: تركيا، روسيا"), teasers ("اقرأ أيضاً: <headline>"), photo credits
    r"(?:ال)?(?:دلالات|وسوم|كلمات المفتاحية|كلمات مفتاحية|كلمات الدالة|كلمات دالة|علامات|مواضيع|هاشتاغ|tags)\s*:",
    rf"(?:اقرأ|إقرأ|اقرا|شاهد|طالع|تابع)\s+(?:{_ALSO}|المزيد)\s*[:\-–—]", r"(?:للمزيد|المزيد)\s*:",
    r"(?:تصوير|مصدر الصورة|حقوق الصورة|الصورة|صورة)\s*:",
    r"اقرأ\s+(?:المقال|الخبر|النص)\s+(?:ب|في)",
    # share bars and buttons, one per line or all on one
    r"(?:(?:تويتر|فيسبوك|فيس بوك|واتساب|واتس ?[اآ]ب|تلغرام|تيليغرام|تلجرام|تليجرام|لينكد ?[اإ]ن|[اإ]نستغرام|"
    r"[اإ]نستجرام|يوتيوب|بريد [اإ]لكتروني|البريد ال[اإ]لكتروني|انسخ الرابط|نسخ الرابط|شارك هذا المقال|شارك المقال|"
    r"شارك على \S+|موافق|أوافق|رد)(?>\s*[|،,·•]?\s*))+$",  # atomic: the separator cannot be split two ways
    # relative times ("منذ 3 ساعات"), breadcrumbs ("الرئيسية › أخبار")
    r"(?:منذ|قبل)\s+\d+\s+(?:ثانية|ثوان|ثواني|دقيقة|دقائق|ساعة|ساعات|يوم|أيام|أسبوع|أسابيع|شهر|أشهر)$",
    r"الرئيسية\s*[›>»/|]",
    r"تابعوا\s.*(?:تلغرام|تيليغرام|تويتر|فيسبوك|يوتيوب|واتساب|إنستغرام|انستغرام|قناتنا|حسابنا)",
    r"بقلم\s+\S+(?:\s+\S+){0,3}$",
    # publication stamps ("نُشر في: الأحد 17 حزيران/يونيو 2018 - 10:30")
    r"(?:نُ?شر|تاريخ النشر|تاريخ الإضافة|آخر تحديث|تحديث|محدث)(?:\s+(?:في|بتاريخ))?\s*:\s*(?:\d|ال(?:سبت|أحد|احد|"
    r"اثنين|إثنين|ثلاثاء|أربعاء|اربعاء|خميس|جمعة))",
    # click, subscription and app prompts
    r"[إا]ضغط هنا", r"انقر هنا", r"اشترك(?:وا)?(?:\s|$)", r"تابعونا", r"للتواصل", r"حمّ?ل تطبيق",
    # agency wrap-ups, reprint credits
    r"[/\s\-–]*[اإ]نتهى[/\s\-–.]*$",
    r"\*+\s*(?:نقلا|نقلاً|خدمة|بالاتفاق|خاص)",
    # bylines
    r"(?:كتب|بقلم|إعداد|اعداد|تحرير|ترجمة|المصدر|مصدر)\s*:",
)
_FURNITURE_ANYWHERE = (  # unanchored alternations only: they are joined with "|" as they are
    # subscription, app and SMS prompts
    r"(?:يمكنكم|يمكنك)\s+(?:الآن\s+)?(?:متابعة|استلام|تسلم|الاشتراك|تحميل)",
    r"للاشتراك|للإشتراك|حسابنا على|رسالة (?:نصية )?[sS][mM][sS]",
    # disclaimers and copyright lines
    r"تمثل رأي (?:كاتبها|كتابها)|لا (?:يمكنه|يمكنها|نستطيع) التأكد|حقوق النشر محفوظة",
)
# Cookie banners, newsletter and comment-form prompts, copyright lines (short lines only).
_PROMPT_HINTS = ("بريد", "كوكيز", "الارتباط", "محفوظة")
_PROMPT = re.compile(r"نستخدم (?:ملفات تعريف الارتباط|ال?كوكيز)|(?:سجّ?ل|أدخل|ادخل) بريدك|لن يتم نشر عنوان بريدك|"
                     r"جميع الحقوق محفوظة|الحقوق محفوظة ?©")
_FURNITURE_START = re.compile("|".join(f"(?:{p})" for p in _FURNITURE_AT_START), re.I)
# one flat alternation, no re.I: the regex engine then skips to positions whose first character can
# start a branch (2x faster than wrapped branches, which in turn were 25 % faster without re.I)
_FURNITURE_IN = re.compile("|".join(_FURNITURE_ANYWHERE))
# The patterns found anywhere in a line are searched only in lines holding one of these words (each
# pattern has one): a few substring tests cost less than a regex tried all along every line.
_ANYWHERE_HINTS = ("يمكن", "شتراك", "حسابنا", "رسالة", "تمثل", "التأكد", *_PROMPT_HINTS)
_NUMERIC_DATE = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}")
_DATE = re.compile(rf"(?<!\w)(?:{_MONTHS})(?!\w)|\d{{1,4}}[/.-]\d{{1,2}}[/.-]\d{{1,4}}")
_WEEKDAY = r"(?:ال)?(?:سبت|أحد|احد|اثنين|إثنين|ثلاثاء|أربعاء|اربعاء|خميس|جمعة)"
# "الاثنين - 13 شوال 1439 هـ - 25 يونيو 2018 مـ رقم العدد [ 14454]", "مكة المكرمة 25 شوال 1436 هـ الموافق 10 أغسطس 2015 م واس":
# a paper's header or an agency's dateline, however long
_DATED_HEADER = re.compile(rf"^{_WEEKDAY}\b.*\d\s*هـ|\d\s*هـ.*\s(?:{_AGENCIES})$|رقم العدد")
_CAPTION_START = re.compile(r"^\(?(?:صورة|الصورة|صور|بالصور|بالفيديو|فيديو|شاهد|أرشيفية|ارشيفية)\b|"
                            r"^\((?:عدسة|تصوير|أرشيف|ارشيف)\s*[/:]")  # "(عدسة/ أحمد المغلوث)"
_CAPTION_CREDIT = re.compile(r"\(([^()]{2,60})\)$")
_LATIN_AGENCIES = r"AFP|Reuters|AP|EPA|Getty Images|Getty|Anadolu|DPA|Xinhua|Shutterstock"
_CAPTION_TRAILER = re.compile(rf"\s[|\-–—ـ]\s*(?:{_AGENCIES}|{_LATIN_AGENCIES})$")  # "… | AFP", "… - رويترز"
# a dateline under a headline, the sign of a new article: it names an agency or a paper's (city)
_DATELINE = re.compile(rf"(?:{_AGENCIES})|^«[^»]+»\s*\(|/|\+")
_BYLINE = re.compile(rf"^«[^»]+»\s*(?:\([^)]*\))?$|^\(?(?:{_AGENCIES})\)?$|^[^+]{{2,30}}\+\s*(?:{_AGENCIES})$|^\S+(?:\s+\S+)?\s*[-–—ـ:/]\s*(?:{_AGENCIES})$|"
                     rf"^[^\s:–—-]+(?:\s+[^\s:–—-]+){{0,2}}\s+[–—ـ-]\s+[^\s:–—-]+(?:\s+[^\s:–—-]+){{0,2}}$")

_HEADER_FURNITURE = re.compile(rf"›|>|^الرئيسية|\d|{_WEEKDAY}")  # breadcrumbs, dates and times
_AUTHOR_LINE = re.compile(r"^(?:بقلم|كتب|كتبت)\b")
# Between a headline and its text, "مراسل سكاي نيوز عربية في القامشلي" is a byline.
_BYLINE_BEFORE_TEXT = re.compile(r"^(?:مراسل|مراسلة|محرر|محررة)\s")

MAX_HEADING_WORDS = 20
SHORT_HEADING_WORDS = 3  # a heading this short before an article's first paragraph is a site name or section label


def _words(cleaned: str) -> int:
    return cleaned.count(" ") + 1


class Line(NamedTuple):
    """One line of the input: offsets of its stripped content and its kind. (A named tuple: there is
    one per input line, and it is built 2.5x faster than a frozen dataclass.)"""

    start: int
    end: int
    text: str
    kind: str  # blank | separator | related | comments | furniture | byline | heading | body
    key: str  # cleaned text (entities, invisibles, extra spaces gone), for spotting repeats


def clean(text: str) -> str:
    """Text of a line as the rules see it: entities, invisibles, U+FFFD (a byte that did not
    decode) and extra spaces removed."""
    text = strip_invisibles(strip_entities(text))
    if "\ufffd" in text:  # a download cut mid-letter must not turn "دلالات" into a paragraph
        text = text.replace("\ufffd", " ")
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text  # already single-spaced: printable text has no white space but " " (3x faster)
    return " ".join(text.split())  # str.split(): the same white space as \s


def has_arabic(text: str) -> bool:
    """Whether `text` holds any Arabic letter or sign."""
    return _ARABIC.search(text) is not None


def line_kind(text: str) -> str:
    """Classify one line by its own text (repeats are handled by the caller)."""
    return _kind(clean(text))


def _kind(c: str) -> str:
    """`line_kind` of an already cleaned line."""
    if not c:
        return "blank"
    if _SEPARATOR.match(c):
        return "separator"
    if not _ARABIC.search(c):
        return "furniture"
    n = _words(c)
    if n <= 6:
        if _RELATED.match(c.rstrip(" :.")):
            return "related"
        if _COMMENTS.match(c.rstrip(" :.")):
            return "comments"
    if n <= 8 and (_BYLINE.match(c) or (c[-1] == ":" and "«" in c and _BYLINE.match(c.rstrip(" :")))):
        return "byline"  # also "لندن - «القدس العربي»:"
    if n <= 40 and (_FURNITURE_START.match(c) or any(h in c for h in _ANYWHERE_HINTS)
                    and (_FURNITURE_IN.search(c) or n <= 25 and _PROMPT.search(c))):
        return "furniture"
    if n <= 12 and ("›" in c or ">" in c) and (c.count(" › ") + c.count(" > ") >= 2 or c.startswith("الرئيسية")):
        return "furniture"  # breadcrumbs
    if c[-1] not in _TERMINAL_CHARS:
        if n <= 5 and _NUMERIC_DATE.search(c) or n <= 8 and _DATE.search(c) and any(w.isdigit() for w in c.split()):
            return "furniture"  # a dateline
        if n <= 20 and ("هـ" in c or "رقم العدد" in c) and _DATED_HEADER.search(c):
            return "furniture"
    bare = c.rstrip(_CLOSERS)  # closing quotes and brackets do not hide a sentence end
    terminal = bool(bare) and bare[-1] in _TERMINAL_CHARS
    if not terminal and n <= 40:
        if _CAPTION_START.match(c) or _CAPTION_TRAILER.search(c, max(0, len(c) - 40)):
            return "furniture"
        credit = _CAPTION_CREDIT.search(c)
        if credit and len(credit.group(1).split()) <= 6 and n > len(credit.group(1).split()) + 1:
            return "furniture"
    if n <= MAX_HEADING_WORDS and (not terminal or (n <= 15 and c[-1] in "?؟!")):
        return "heading"  # a short question or exclamation is a headline too
    return "body"


_BREAK_CHARS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # str.splitlines's, \r\n counting as one
_SENTENCE_END = re.compile(r"[.!?؟](?=\s)")
MAX_LINE_CHARS = 4000  # longer lines (a page saved without newlines) are cut at sentence ends
PIECE_CHARS = 2000
MAX_PARAGRAPHS = 1000  # an "article" longer than this is emitted in parts, to keep memory bounded
WINDOW = 60  # lines either side in which a repeated line counts as repeated
LOOKAHEAD = 40  # lines the article-start rules may look ahead


def _pieces(content: str) -> Iterator[tuple[int, int]]:
    """(start, end) of pieces of a line longer than MAX_LINE_CHARS (the caller keeps shorter lines
    whole), cut after sentence ends (or white space)."""
    pos = 0
    while len(content) - pos > PIECE_CHARS:
        window = content[pos + PIECE_CHARS // 2: pos + PIECE_CHARS]
        cut = None
        for m in _SENTENCE_END.finditer(window):
            cut = m.end()
        if cut is None:
            ws = window.rfind(" ")
            cut = ws if ws > 0 else len(window)
        end = pos + PIECE_CHARS // 2 + cut
        yield pos, end
        pos = end
        while pos < len(content) and content[pos].isspace():
            pos += 1
    if pos < len(content):
        yield pos, len(content)


def _make_line(content: str, start: int) -> Line:
    key = clean(content)
    return Line(start, start + len(content), content, _kind(key), key)


def _line_records(raw: str, pos: int) -> list[Line]:
    """The Line of one input line (without its break) at `pos`, or the pieces of an over-long one.
    (A list, not a generator: one is made per input line.)"""
    content = raw.strip()
    if not content:
        return [Line(pos, pos, "", "blank", "")]
    start = pos + len(raw) - len(raw.lstrip())
    if len(content) <= MAX_LINE_CHARS:
        return [_make_line(content, start)]
    return [_make_line(content[a:b], start + a) for a, b in _pieces(content)]


def _unbroken(line: str) -> str:
    """A line without its line break, if it has one (\r\n counts as one)."""
    if line.endswith("\r\n"):
        return line[:-2]
    return line[:-1] if line and line[-1] in _BREAK_CHARS else line


def iter_lines(chunks: Iterable[str]) -> Iterator[Line]:
    """Lines of a text given as successive chunks, with global offsets of their stripped content.
    Line breaks are those of `str.splitlines`."""
    pos = 0
    buf = ""
    for chunk in chunks:
        buf += chunk
        lines = buf.splitlines(keepends=True)
        # the last piece may be unfinished, or end in a "\r" whose "\n" is in the next chunk
        buf = lines.pop() if lines and (lines[-1][-1] not in _BREAK_CHARS or lines[-1][-1] == "\r") else ""
        for line in lines:
            yield from _line_records(_unbroken(line), pos)
            pos += len(line)
    if buf:
        yield from _line_records(_unbroken(buf), pos)


class _Builder:
    def __init__(self) -> None:
        self.count = 0
        self.title: Line | None = None
        self.paras: list[Line] = []
        self.open = False

    def start(self, title: Line | None) -> Article | None:
        done = self.close()
        self.title, self.paras, self.open = title, [], True
        return done

    def add(self, line: Line) -> Article | None:
        done = None
        if not self.open:
            done = self.start(None)
        elif len(self.paras) >= MAX_PARAGRAPHS:
            title = self.title
            done = self.start(title)
        self.paras.append(line)
        return done

    def close(self) -> Article | None:
        if not self.open:
            return None
        self.open = False
        if self.title is None and not self.paras:
            return None
        first = self.title or self.paras[0]
        last = self.paras[-1] if self.paras else first
        paragraphs = tuple(Paragraph(i, p.start, p.end, p.text) for i, p in enumerate(self.paras))
        article = Article(index=self.count, title=self.title.text if self.title else "",
                          start=first.start, end=last.end, paragraphs=paragraphs)
        self.count += 1
        return article


class _Window:
    """The lines around the one being decided, from a stream: what is behind is kept for WINDOW
    lines (at least), and lines are read ahead as the rules ask. Repeats are counted on the fly."""

    def __init__(self, lines: Iterator[Line]) -> None:
        self.src = lines
        self.buf: list[Line] = []
        self.base = 0  # absolute index of buf[0]
        self.done = False
        self.counts: dict[str, int] = {}  # text key -> content lines in buf with it

    def get(self, i: int) -> Line | None:
        if 0 <= i - self.base < len(self.buf):  # read already: the usual case
            return self.buf[i - self.base]
        while not self.done and i >= self.base + len(self.buf):
            nxt = next(self.src, None)
            if nxt is None:
                self.done = True
            else:
                self.buf.append(nxt)
                if nxt.kind in ("heading", "body"):
                    self.counts[nxt.key] = self.counts.get(nxt.key, 0) + 1
        if i < self.base or i >= self.base + len(self.buf):
            return None
        return self.buf[i - self.base]

    def forget_before(self, i: int) -> None:
        drop = i - WINDOW - self.base
        if drop > 256:
            for ln in self.buf[:drop]:
                if ln.kind in ("heading", "body"):
                    self.counts[ln.key] -= 1
                    if not self.counts[ln.key]:
                        del self.counts[ln.key]
            del self.buf[:drop]
            self.base += drop

    def content_after(self, i: int, limit: int = LOOKAHEAD) -> Iterator[Line]:
        for k in range(i + 1, i + 1 + limit):
            ln = self.get(k)
            if ln is None:
                return
            if ln.kind != "blank":
                yield ln

    def repeats(self, i: int) -> int:
        """How often line i's text occurs among the lines kept around it (WINDOW ahead, at least WINDOW behind)."""
        self.get(i + WINDOW)
        return self.counts.get(self.get(i).key, 0)


def iter_articles(lines: Iterable[Line], split_articles: bool = True, title_line: bool = True) -> Iterator[Article]:
    """Articles from a stream of lines, each emitted as soon as it is complete. With `title_line`
    false (a corpus record whose title is kept apart), the first line is a paragraph, not a title."""
    w = _Window(iter(lines))

    def repeated_title(i: int) -> bool:
        """The heading at i comes back after only furniture (a page header), not right below itself."""
        key = w.get(i).key
        for n, ln in enumerate(w.content_after(i)):
            if n >= 12:
                break
            if ln.key == key:
                return n > 0
            if ln.kind in ("body", "related"):
                return False
        return False

    def dateline_follows(i: int) -> bool:
        """The heading at i has a dateline right below it: an agency's or a paper's ("دمشق - سكاي نيوز
        عربية", «الشرق الأوسط» (واشنطن)), not a quote or a reader's signature ("أم هاني - الرياض.")."""
        nxt = next(w.content_after(i), None)
        return nxt is not None and nxt.kind == "byline" and nxt.key[-1] not in _TERMINAL_CHARS \
            and _DATELINE.search(nxt.key) is not None

    def header_follows(i: int) -> bool:
        """Right below the heading at i: a dateline, a date, a breadcrumb or the author's line (not a
        photo caption): what follows a headline on a page."""
        nxt = next(w.content_after(i), None)
        return nxt is not None and (is_header(nxt) or nxt.kind == "furniture" and _AUTHOR_LINE.match(nxt.key) is not None)

    def is_header(ln: Line) -> bool:
        return ln.kind == "byline" or (ln.kind == "furniture" and _HEADER_FURNITURE.search(ln.key) is not None)

    def bodies_follow(i: int, in_block: bool) -> int:
        """Body lines below the heading at i (up to 2), not counting past another heading in a
        related-articles block."""
        key, found = w.get(i).key, 0
        for n, ln in enumerate(w.content_after(i)):
            if n >= 14 or ln.kind in ("related", "comments", "separator"):
                break
            if in_block and ln.kind == "heading" and ln.key != key:
                break
            if ln.kind == "body":
                found += 1
                if found >= 2:
                    break
        return found

    b = _Builder()
    seen_bodies: dict[str, int] = {}
    in_related = in_comments = False
    furnished = False  # furniture (a breadcrumb, a dateline) seen since the article's title
    blank_run = 0
    after_separator = False
    i = -1
    while True:
        i += 1
        ln = w.get(i)
        if ln is None:
            break
        w.forget_before(i)
        if ln.kind == "blank":
            blank_run += 1
            continue
        gap, blank_run = blank_run, 0
        boundary_sign = gap >= 2 or after_separator
        after_separator = ln.kind == "separator"
        if ln.kind in ("separator", "furniture", "byline"):
            # a breadcrumb or a dateline marks a page's header; a photo caption does not
            furnished = furnished or is_header(ln)
            continue
        if ln.kind == "related":
            in_related = True
            continue
        if ln.kind == "comments":
            # a comments block below an article's text; a marker above it, or in a corpus record, is furniture
            in_comments = split_articles and len(b.paras) >= 2
            continue
        if b.title is not None and ln.key == b.title.key:
            continue  # the title shown again by the page layout
        done = None
        if ln.kind == "heading":
            before_text = b.open and b.title is not None and not b.paras  # between a headline and its text
            if not b.open and b.count == 0 and title_line:
                done = b.start(ln)
                furnished = False
            elif before_text and _words(ln.key) > SHORT_HEADING_WORDS >= _words(b.title.key) \
                    and (furnished or header_follows(i)) and (gap or furnished):
                # the page opened with the site's name or a section label, set apart from the headline by
                # page furniture (a breadcrumb, a dateline) above or below the headline; this is the headline
                b.title = ln
            elif split_articles and (boundary_sign or repeated_title(i) or ((gap or in_comments) and dateline_follows(i)
                                                                             and not before_text)) \
                    and bodies_follow(i, in_related) >= 2:
                done = b.start(ln)
                in_related = in_comments = furnished = False
            elif before_text and (_BYLINE_BEFORE_TEXT.match(ln.key)
                                  or _words(ln.key) <= SHORT_HEADING_WORDS and header_follows(i)):
                pass  # a correspondent's line, or a site name or section label above the dateline
            elif in_related or in_comments or w.repeats(i) > 1:
                pass  # teaser titles, repeated captions, comments
            else:
                done = b.add(ln)
        elif in_comments:
            continue
        else:
            if in_related:
                nxt = next(w.content_after(i), None)
                if nxt is None or nxt.kind != "body":
                    continue
                in_related = False
            if w.repeats(i) > 1:
                if i - seen_bodies.get(ln.key, -10 * WINDOW) <= 2 * WINDOW + 256:
                    continue
                seen_bodies[ln.key] = i
            done = b.add(ln)
        if done is not None:
            yield done
    done = b.close()
    if done is not None:
        yield done


def segment(text: str, split_articles: bool = True, title_line: bool = True) -> list[Article]:
    """Split `text` into articles (or one article when `split_articles` is false, as for a corpus record)."""
    return list(iter_articles(iter_lines([text]), split_articles, title_line))


def segment_record(text: str, title: str = "") -> Article:
    """A corpus record (title kept apart from the text) as exactly one article; offsets point into `text`."""
    arts = segment(text, split_articles=False, title_line=False)
    if len(arts) == 1:  # the usual case: its paragraphs are numbered from 0 already
        paras = arts[0].paragraphs
    else:  # none, or one cut into parts of MAX_PARAGRAPHS
        paras = tuple(Paragraph(i, p.start, p.end, p.text) for i, p in enumerate(q for a in arts for q in a.paragraphs))
    return Article(0, title, paras[0].start if paras else 0, paras[-1].end if paras else 0, paras)
