"""Page generators for document types of RVL-CDIP's taxonomy (letter, memo, email, form,
invoice, resume, presentation, scientific publication, budget, news article, questionnaire,
advertisement), each with its own characteristic layout built from the shared page elements.

Every generator has the signature `(rng, nrng, width, height) -> PIL "L" image`.
"""
import copy
import math

from .blocks import Stack
from .canvas import Canvas
from .degrade import degrade
from .fonts import BODY_FAMILIES, FAMILIES, MONO_FAMILIES, SYMBOL_FONT, family_font, line_metrics, load_font, text_width
from .page_layout import ACCENTS, MIN_FONT_PX, compose_layout_page
from .pictures import Picture
from .tables import Table
from .text_blocks import TextStyle, single_line, text_block
from .vocabulary import MONTHS, TextGenerator

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
# Scan effects are more frequent than on layout pages: RVL-CDIP is a set of scanned documents.
SCAN_STRENGTH = 1.6


class Writer:
    """Draws a document top to bottom: a cursor `y` between the margins, helpers for lines,
    paragraphs, rules and blocks. Elements that do not fit are left out (or cut at a line)."""

    def __init__(self, rng, nrng, width, height, domain="business", family=None, margins=(0.08, 0.14)):
        self.rng, self.nrng = rng, nrng
        self.width, self.height = width, height
        self.s = min(width / 612.0, height / 792.0)
        self.canvas = Canvas(width, height)
        self.text = TextGenerator(rng, domain)
        self.family = FAMILIES[family or rng.choice(BODY_FAMILIES)]
        level = rng.randint(0, 35)
        self.ink = (level, level, level)
        self.accent = rng.choice(ACCENTS)
        margin = rng.uniform(*margins) * width
        self.left = round(margin)
        self.right = width - round(margin * rng.uniform(0.85, 1.15))
        self.top = round(height * rng.uniform(0.05, 0.09))
        self.bottom = height - round(height * rng.uniform(0.05, 0.08))
        self.y = self.top

    @property
    def col_width(self):
        """Width between the margins."""
        return self.right - self.left

    def room(self):
        """Pixels left between the cursor and the bottom margin."""
        return self.bottom - self.y

    def region(self, x0, y0, x1, y1, zoom=1.0):
        """A Writer drawing on the same canvas inside (x0, y0, x1, y1), with sizes scaled by `zoom`."""
        sub = copy.copy(self)
        sub.s = self.s * zoom
        sub.left, sub.right, sub.y, sub.bottom = x0, x1, y0, y1
        return sub

    def px(self, points, minimum=1):
        """`points` scaled to this page, at least `minimum` pixels."""
        return max(minimum, int(round(points * self.s)))

    def font(self, points, bold=False, italic=False, family=None):
        """The page family (or `family`) at `points`."""
        return family_font(family or self.family, max(MIN_FONT_PX, round(points * self.s)), bold, italic)

    def style(self, points, align="left", spacing=1.25, bold=False, italic=False, family=None, color=None):
        """A TextStyle at `points` with line pitch `spacing` times the font size."""
        font = self.font(points, bold, italic, family)
        asc, desc = line_metrics(font)
        return TextStyle(font, max(asc + desc + 1, round(font.size * spacing)), color or self.ink, align)

    def skip(self, points):
        """Move the cursor down by `points`."""
        self.y += self.px(points)

    def place(self, block, x=None, gap=0):
        """Draw `block` at the cursor if it fits; a text block that does not fit is cut to the room."""
        if block.height <= 0:
            return False
        if block.height > self.room():
            parts = block.split(self.room())
            if parts is None:
                return False
            block = parts[0]
        block.draw(self.canvas, self.left if x is None else x, self.y)
        self.y += block.height + self.px(gap)
        return True

    def paragraph(self, words, points=10, align="left", gap=8, width=None, x=None, indent=0, **style_kw):
        """Wrap and place `words` as a paragraph at the cursor."""
        block = text_block(words, self.style(points, align, **style_kw), width or self.col_width, None,
                           first_indent=self.px(indent, 0))
        return self.place(block, x, gap)

    def line(self, words, points=10, bold=False, italic=False, align="left", gap=2, family=None, color=None,
             x0=None, x1=None):
        """One line of text aligned between x0 and x1 (default: the margins); returns its block."""
        if isinstance(words, str):
            words = words.split()
        x0 = self.left if x0 is None else x0
        x1 = self.right if x1 is None else x1
        font = self.font(points, bold, italic, family)
        block = single_line(words, font, color or self.ink, None)
        while block.width > x1 - x0 and font.size > MIN_FONT_PX:
            font = family_font(family or self.family, font.size - 1, bold, italic)
            block = single_line(words, font, color or self.ink, None)
        x = {"left": x0, "center": (x0 + x1 - block.width) // 2, "right": x1 - block.width}[align]
        if block.height > self.room():
            return None
        block.draw(self.canvas, x, self.y)
        self.y += block.height + self.px(gap)
        return block

    def pair(self, left_words, right_words, points=10, bold_left=False, bold_right=False, italic_right=False, gap=2):
        """A line with text at the left margin and other text flush right."""
        start = self.y
        self.line(left_words, points, bold=bold_left, gap=0)
        after = self.y
        self.y = start
        self.line(right_words, points, bold=bold_right, italic=italic_right, align="right", gap=0)
        self.y = max(after, self.y) + self.px(gap)

    def field(self, label, value, points=10, tab=None, gap=2, family=None):
        """'LABEL:   value' with the value starting at the tab stop."""
        start = self.y
        label_block = self.line(label, points, bold=True, gap=0, family=family)
        if label_block is None:
            return
        self.y = start
        tab = tab if tab is not None else label_block.width + self.px(8)
        self.line(value, points, gap=0, x0=self.left + tab, family=family)
        self.y = start + label_block.height + self.px(gap)

    def rule(self, thickness=0.8, gap=4, color=None, x0=None, x1=None):
        """A horizontal rule at the cursor."""
        if self.room() < self.px(thickness) + 1:
            return
        self.canvas.hline(self.left if x0 is None else x0, self.right if x1 is None else x1, self.y,
                          color or self.ink, self.px(thickness))
        self.y += self.px(thickness) + self.px(gap)

    def signature(self, x, width_pt=110, height_pt=22):
        """A handwritten-looking squiggle at (x, cursor)."""
        r = self.rng
        w, h = self.px(width_pt), self.px(height_pt)
        if h > self.room():
            return
        color = r.choice([(20, 30, 90), (10, 10, 10), (30, 30, 60)])
        pts = []
        n = 48
        phase, freq = r.uniform(0, 6), r.uniform(2.5, 5.0)
        for i in range(n):
            t = i / (n - 1)
            loop = math.sin(freq * 2 * math.pi * t + phase)
            pts.append((x + w * t + 0.06 * w * math.cos(freq * 4 * math.pi * t),
                        self.y + h * (0.5 + 0.4 * loop * (0.4 + 0.6 * math.sin(math.pi * t)))))
        self.canvas.draw.line(pts, fill=color, width=max(1, self.px(1.2)), joint="curve")
        self.y += h + self.px(4)

    def checkbox(self, x, y, size, checked=False, round_box=False):
        """A square (or round) box, optionally crossed."""
        box = (x, y, x + size, y + size)
        if round_box:
            self.canvas.draw.ellipse(box, outline=self.ink, width=max(1, self.px(0.7)))
        else:
            self.canvas.draw.rectangle(box, outline=self.ink, width=max(1, self.px(0.7)))
        if checked:
            inset = max(1, size // 4)
            self.canvas.draw.line((x + inset, y + inset, x + size - inset, y + size - inset), fill=self.ink, width=2)
            self.canvas.draw.line((x + inset, y + size - inset, x + size - inset, y + inset), fill=self.ink, width=2)

    def finish(self):
        """The page with scan effects, in grey-scale."""
        return degrade(self.canvas.image, self.rng, self.nrng, SCAN_STRENGTH).convert("L")


def _sentence_words(w, n_min=1, n_max=3):
    return w.text.sentences(w.rng.randint(n_min, n_max)).split()


def _long_date(w):
    r = w.rng
    return f"{r.choice(WEEKDAYS)}, {r.choice(MONTHS)} {r.randint(1, 28):02d}, {w.text.year()} " \
           f"{r.randint(1, 12)}:{r.randint(0, 59):02d} {r.choice(['AM', 'PM'])}"


def _logo(w, x, y, size, initials):
    """A filled square or circle with white initials; returns its width."""
    box = (x, y, x + size, y + size)
    if w.rng.random() < 0.5:
        w.canvas.draw.ellipse(box, fill=w.accent)
    else:
        w.canvas.draw.rectangle(box, fill=w.accent)
    font = w.font(size / w.s * 0.42, bold=True)
    tw = text_width(font, initials)
    asc, desc = line_metrics(font)
    w.canvas.text(x + (size - tw) / 2, y + (size + asc - desc) / 2, initials, font, (255, 255, 255))
    return size


def letter(rng, nrng, width, height):
    """Business letter: letterhead, date, inside address, salutation, body, closing, signature."""
    w = Writer(rng, nrng, width, height, "business", margins=(0.1, 0.16))
    t = w.text
    company = t.company()
    color = w.accent if rng.random() < 0.5 else w.ink
    if rng.random() < 0.5:
        w.line(company, rng.uniform(14, 22), bold=True, align="center", color=color, gap=3)
        w.line(f"{t.street()}  {t.city_line()}", 8, align="center", gap=1)
        w.line(f"Telephone {t.phone()}", 8, align="center", gap=4)
    else:
        size = w.px(rng.uniform(28, 40))
        _logo(w, w.left, w.y, size, "".join(p[0] for p in company.split()[:2]))
        start = w.y
        w.line(company, rng.uniform(13, 18), bold=True, color=color, x0=w.left + size + w.px(8), gap=2)
        w.line(t.street() + ", " + t.city_line(), 8, x0=w.left + size + w.px(8), gap=2)
        w.y = max(w.y, start + size + w.px(4))
    if rng.random() < 0.6:
        w.rule(rng.uniform(0.5, 1.5), gap=4, color=color)
    w.skip(rng.uniform(16, 36))
    body_pt = rng.uniform(9.5, 12)
    indent_x = w.left + round(w.col_width * 0.55) if rng.random() < 0.4 else None
    w.line(t.date(0), body_pt, x0=indent_x, gap=0)
    w.skip(rng.uniform(14, 26))
    for line in t.address_lines():
        w.line(line, body_pt, gap=1)
    w.skip(rng.uniform(10, 18))
    if rng.random() < 0.4:
        w.line(["Re:"] + t.phrase(2, 5).split(), body_pt, bold=True, gap=0)
        w.skip(10)
    w.line(f"Dear {rng.choice(['Mr.', 'Ms.', 'Dr.', 'Mrs.'])} {t.last_name()}{rng.choice([':', ','])}", body_pt, gap=0)
    w.skip(rng.uniform(8, 12))
    align = "justify" if rng.random() < 0.4 else "left"
    indent = rng.choice([0, 0, 24])
    for _ in range(rng.randint(2, 5)):
        w.paragraph(t.paragraph_words(25, 100), body_pt, align, gap=rng.uniform(8, 13), indent=indent)
    w.skip(4)
    w.line(rng.choice(["Sincerely,", "Sincerely yours,", "Very truly yours,", "Best regards,", "Respectfully,"]),
           body_pt, x0=indent_x, gap=4)
    w.signature(indent_x or w.left)
    w.line(t.person(), body_pt, x0=indent_x, gap=1)
    w.line(t.job_title(), body_pt, x0=indent_x, gap=1)
    if rng.random() < 0.5:
        w.skip(14)
        w.line(f"cc: {t.person()}", 8, gap=1)
        if rng.random() < 0.5:
            w.line("Enclosure", 8, gap=1)
    return w.finish()


def memo(rng, nrng, width, height):
    """Memorandum: a large MEMO title, TO/FROM/DATE/SUBJECT fields, a rule and short paragraphs."""
    w = Writer(rng, nrng, width, height, "business", margins=(0.09, 0.14))
    t = w.text
    if rng.random() < 0.4:
        w.line(t.company().upper(), 9, bold=True, align=rng.choice(["left", "center"]), gap=6)
    title = rng.choice(["MEMORANDUM", "MEMO", "INTEROFFICE MEMORANDUM", "Memorandum", "INTER-OFFICE CORRESPONDENCE"])
    w.line(title, rng.uniform(16, 26), bold=True, align=rng.choice(["left", "center", "left"]), gap=4)
    if rng.random() < 0.5:
        w.rule(rng.uniform(1, 2.5), gap=8)
    w.skip(rng.uniform(8, 18))
    body_pt = rng.uniform(9.5, 11.5)
    labels = ["TO:", "FROM:", "DATE:", "SUBJECT:"] if rng.random() < 0.7 else ["To:", "From:", "Date:", "Re:"]
    values = [t.person(), t.person(), t.date(), t.phrase(2, 6)]
    if rng.random() < 0.4:
        labels.insert(2, "CC:" if labels[0] == "TO:" else "Cc:")
        values.insert(2, f"{t.person()}, {t.person()}")
    tab = w.px(rng.uniform(70, 95))
    for label, value in zip(labels, values):
        w.field(label, value, body_pt, tab=tab, gap=rng.uniform(5, 10))
    w.skip(4)
    w.rule(rng.uniform(0.8, 2.5), gap=rng.uniform(12, 20))
    align = "justify" if rng.random() < 0.3 else "left"
    for i in range(rng.randint(2, 5)):
        if i == 2 and rng.random() < 0.4:
            for n in range(rng.randint(2, 4)):
                block = text_block(t.paragraph_words(8, 30), w.style(body_pt), w.col_width, None,
                                   indent=w.px(28), label=f"{n + 1}.", label_indent=w.px(10))
                w.place(block, gap=5)
            w.skip(6)
        w.paragraph(t.paragraph_words(20, 80), body_pt, align, gap=rng.uniform(8, 12))
    if rng.random() < 0.6:
        w.skip(12)
        w.line(f"{t.first_name()[0]}{t.last_name()[0]}/{t.first_name()[0].lower()}{t.last_name()[0].lower()}",
               8, gap=1)
    return w.finish()


def email(rng, nrng, width, height):
    """Printed e-mail: header fields (From, Sent, To, Subject), short body, maybe a quoted message."""
    mono = rng.random() < 0.4
    family = rng.choice(MONO_FAMILIES) if mono else rng.choice(("dejavu_sans", "dejavu_serif", "stix"))
    w = Writer(rng, nrng, width, height, "business", family=family, margins=(0.07, 0.11))
    t = w.text
    pt = rng.uniform(8.5, 10.5)
    sender = t.person()
    if rng.random() < 0.6:
        w.line(sender, pt + 3, bold=True, gap=2)
        w.rule(rng.uniform(1.5, 3), gap=8)
    for quoted in range(2 if rng.random() < 0.5 else 1):
        if quoted:
            w.skip(10)
            w.line("-----Original Message-----", pt, gap=3)
        tab = w.px(rng.uniform(55, 75))
        w.field("From:", f"{sender} [mailto:{t.email(sender)}]" if rng.random() < 0.5 else sender, pt, tab)
        w.field("Sent:", _long_date(w), pt, tab)
        w.field("To:", "; ".join(t.person() for _ in range(rng.randint(1, 3))), pt, tab)
        if rng.random() < 0.5:
            w.field("Cc:", t.person(), pt, tab)
        w.field("Subject:", ("RE: " if quoted == 0 and rng.random() < 0.4 else "") + t.phrase(2, 5), pt, tab)
        w.skip(rng.uniform(10, 16))
        w.line(f"{rng.choice(['Hi', 'Dear', 'Hello'])} {t.first_name()},", pt, gap=6)
        for _ in range(rng.randint(1, 4)):
            w.paragraph(_sentence_words(w, 1, 3), pt, gap=8)
        w.line(rng.choice(["Thanks,", "Regards,", "Best,", "Thank you,"]), pt, gap=2)
        w.line(sender.split()[0], pt, gap=2)
        if rng.random() < 0.6:
            w.skip(4)
            for line in (t.job_title(), t.company(), t.phone()):
                w.line(line, pt - 1, gap=1)
        sender = t.person()
    return w.finish()


def form(rng, nrng, width, height):
    """Form: form number, title, shaded section bars, boxed fields, check boxes, signature lines."""
    w = Writer(rng, nrng, width, height, "business", family=rng.choice(("dejavu_sans", "dejavu_serif", "cm_sans")),
               margins=(0.05, 0.09))
    t = w.text
    start = w.y
    w.line(f"Form {rng.randint(100, 9999)}-{rng.choice('ABCDEF')} (Rev. {rng.randint(1, 12)}/{rng.randint(80, 99)})",
           7, gap=0)
    w.y = start
    w.line(f"OMB No. {rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}", 7, align="right", gap=4)
    w.line(rng.choice(["APPLICATION FOR", "REQUEST FOR", "REPORT OF", "CERTIFICATE OF", "STATEMENT OF"]) + " "
           + t.phrase(1, 3).upper(), rng.uniform(12, 16), bold=True, align="center", gap=2)
    w.line(t.phrase(3, 6, title_case=False).capitalize(), 8, italic=True, align="center", gap=4)
    w.rule(rng.uniform(1.5, 3), gap=4)
    label_font = w.font(6.5)
    value_font = w.font(rng.uniform(8.5, 10), family=rng.choice(MONO_FAMILIES))
    dark_bars = rng.random() < 0.5
    cell_h = w.px(rng.uniform(22, 30))
    section = 1
    while w.room() > cell_h * 3:
        bar_h = w.px(13)
        fill = w.ink if dark_bars else (205, 205, 205)
        w.canvas.draw.rectangle((w.left, w.y, w.right - 1, w.y + bar_h - 1), fill=fill)
        title = f"PART {['I', 'II', 'III', 'IV', 'V', 'VI', 'VII'][min(section - 1, 6)]}  {t.phrase(1, 3).upper()}"
        font = w.font(8, bold=True)
        asc, desc = line_metrics(font)
        w.canvas.text(w.left + w.px(4), w.y + (bar_h + asc - desc) // 2, title, font,
                      (255, 255, 255) if dark_bars else w.ink)
        w.y += bar_h
        section += 1
        for _ in range(rng.randint(2, 5)):
            if w.room() < cell_h + w.px(4):
                break
            if rng.random() < 0.25:
                size = w.px(8)
                x = w.left + w.px(4)
                question = t.phrase(2, 5, title_case=False).capitalize() + "?"
                font = w.font(8.5)
                asc, _ = line_metrics(font)
                base = w.y + (cell_h + asc) // 2
                w.canvas.text(x, base, question, font, w.ink)
                x = max(x + text_width(font, question) + w.px(12), w.left + w.col_width // 2)
                for option in ("Yes", "No") if rng.random() < 0.7 else ("A", "B", "C", "D"):
                    w.checkbox(x, base - size, size, checked=rng.random() < 0.3)
                    w.canvas.text(x + size + w.px(3), base, option, font, w.ink)
                    x += size + text_width(font, option) + w.px(16)
                w.canvas.hline(w.left, w.right, w.y + cell_h, w.ink)
                w.y += cell_h
                continue
            n = rng.randint(1, 4)
            edges = sorted(rng.sample(range(1, 20), n - 1))
            xs = [w.left] + [w.left + w.col_width * e // 20 for e in edges] + [w.right - 1]
            for i in range(n):
                x0, x1 = xs[i], xs[i + 1]
                w.canvas.draw.rectangle((x0, w.y, x1, w.y + cell_h), outline=w.ink)
                label = t.phrase(1, 3)
                if text_width(label_font, label) < x1 - x0 - 6:
                    w.canvas.text(x0 + w.px(3), w.y + line_metrics(label_font)[0] + 2, label, label_font, w.ink)
                if rng.random() < 0.6:
                    value = rng.choice([t.person(), t.date(1), t.phone(), t.integer(), t.city_line(), t.street()])
                    if text_width(value_font, value) < x1 - x0 - 8:
                        w.canvas.text(x0 + w.px(6), w.y + cell_h - w.px(4), value, value_font, w.ink)
            w.y += cell_h
        w.skip(8)
    w.y = min(w.y, w.bottom - w.px(30))
    if w.room() >= w.px(26):
        y = w.y + w.px(18)
        for x0, x1, label in ((w.left, w.left + w.col_width * 6 // 10, "Signature"),
                              (w.left + w.col_width * 7 // 10, w.right, "Date")):
            w.canvas.hline(x0, x1, y, w.ink)
            w.canvas.text(x0, y + w.px(9), label, label_font, w.ink)
    return w.finish()


def invoice(rng, nrng, width, height):
    """Invoice: logo and company, INVOICE title, invoice data, bill-to, item table, totals."""
    w = Writer(rng, nrng, width, height, "business", margins=(0.07, 0.11))
    t = w.text
    company = t.company()
    start = w.y
    size = w.px(rng.uniform(30, 44))
    _logo(w, w.left, w.y, size, "".join(p[0] for p in company.split()[:2]))
    x_text = w.left + size + w.px(8)
    w.line(company, rng.uniform(11, 15), bold=True, x0=x_text, gap=1)
    for line in (t.street(), t.city_line(), "Tel. " + t.phone()):
        w.line(line, 8, x0=x_text, gap=0)
    left_end = w.y
    w.y = start
    w.line("INVOICE" if rng.random() < 0.8 else "Invoice", rng.uniform(20, 30), bold=True, align="right",
           color=w.accent if rng.random() < 0.5 else w.ink, gap=4)
    meta_x = w.left + round(w.col_width * 0.62)
    tab = w.px(70)
    x_keep = w.left
    w.left = meta_x
    for label, value in (("Invoice No.", str(rng.randint(1000, 999999))), ("Date", t.date(1)),
                         ("Due Date", t.date(1)), ("Customer ID", f"C{rng.randint(100, 99999)}")):
        w.field(label, value, 8.5, tab=tab, gap=1)
    w.left = x_keep
    w.y = max(w.y, left_end) + w.px(rng.uniform(14, 24))
    start = w.y
    half = w.left + w.col_width // 2
    for x0, title in ((w.left, "BILL TO"), (half, "SHIP TO")):
        w.y = start
        w.line(title, 9, bold=True, x0=x0, gap=2)
        for line in t.address_lines():
            w.line(line, 9, x0=x0, gap=0)
    w.skip(rng.uniform(14, 22))
    pt = rng.uniform(8, 10)
    header = ["Description", "Qty", "Unit Price", "Amount"]
    if rng.random() < 0.4:
        header.insert(0, "Item")
    rows, subtotal = [], 0.0
    for _ in range(rng.randint(3, 14)):
        qty = rng.randint(1, 40)
        price = rng.uniform(2, 900)
        subtotal += qty * price
        row = [t.product(), str(qty), f"{price:,.2f}", f"{qty * price:,.2f}"]
        if len(header) == 5:
            row.insert(0, f"{rng.randint(100, 9999)}")
        rows.append(row)
    table = Table(rng, t, w.col_width, w.room() * 0.7, w.font(pt), w.font(pt, bold=True), w.ink, w.s,
                  style=rng.choice(("grid", "header_fill", "striped", "booktabs")), cells=[header] + rows)
    w.place(table, gap=10)
    tax = subtotal * rng.uniform(0.04, 0.1)
    shipping = rng.uniform(0, 80)
    x_keep = w.left
    w.left = w.left + round(w.col_width * 0.58)
    for label, value, bold in (("Subtotal", subtotal, False), ("Tax", tax, False), ("Shipping", shipping, False),
                               ("TOTAL", subtotal + tax + shipping, True)):
        if w.room() < w.px(14):
            break
        w.pair(label, f"${value:,.2f}", pt + (1 if bold else 0), bold_left=bold, bold_right=bold, gap=3)
    w.left = x_keep
    w.skip(rng.uniform(16, 30))
    w.paragraph(f"Payment terms: Net {rng.choice([10, 15, 30, 45, 60])} days. {t.sentence()}".split(), 8, gap=8)
    w.line("Thank you for your business!", 10, italic=True, align="center")
    return w.finish()


def resume(rng, nrng, width, height):
    """Resume: name, contact line, and sections (experience, education, skills) with dated entries."""
    w = Writer(rng, nrng, width, height, "general", margins=(0.08, 0.13))
    t = w.text
    name = t.person()
    align = rng.choice(["center", "left"])
    w.line(name.upper() if rng.random() < 0.5 else name, rng.uniform(17, 26), bold=True, align=align, gap=3,
           color=w.accent if rng.random() < 0.3 else None)
    w.line(f"{t.street()}, {t.city_line()}", 8.5, align=align, gap=1)
    w.line(f"{t.phone()}   {t.email(name)}", 8.5, align=align, gap=4)
    w.rule(rng.uniform(0.6, 2), gap=8)
    pt = rng.uniform(9, 10.5)
    heading_rule = rng.random() < 0.5
    sections = ["EXPERIENCE", "EDUCATION", "SKILLS"]
    rng.shuffle(sections)
    if rng.random() < 0.7:
        sections.insert(0, rng.choice(["OBJECTIVE", "SUMMARY", "PROFILE"]))
    if rng.random() < 0.4:
        sections.append(rng.choice(["AWARDS", "PUBLICATIONS", "ACTIVITIES"]))
    bullet_font = load_font(SYMBOL_FONT, w.font(pt).size)
    for section in sections:
        if w.room() < w.px(40):
            break
        w.line(section if rng.random() < 0.7 else section.title(), pt + 1.5, bold=True, gap=2,
               color=w.accent if rng.random() < 0.3 else None)
        if heading_rule:
            w.rule(0.6, gap=5)
        if section in ("OBJECTIVE", "SUMMARY", "PROFILE"):
            w.paragraph(_sentence_words(w, 1, 2), pt, gap=10)
        elif section == "EXPERIENCE":
            year = rng.randint(1995, 2020)
            for _ in range(rng.randint(2, 4)):
                start = year - rng.randint(1, 6)
                w.pair(t.job_title(), f"{start} - {year}", pt, bold_left=True, gap=1)
                w.line(f"{t.company()}, {t.city_line().rsplit(' ', 1)[0]}", pt, italic=True, gap=3)
                for _ in range(rng.randint(2, 4)):
                    block = text_block(t.paragraph_words(8, 22), w.style(pt, spacing=1.2), w.col_width, None,
                                       indent=w.px(16), label="\u2022", label_font=bullet_font, label_indent=w.px(4))
                    w.place(block, gap=2)
                w.skip(6)
                year = start
        elif section == "EDUCATION":
            for _ in range(rng.randint(1, 3)):
                w.pair(t.degree(), str(t.year()), pt, bold_left=True, gap=1)
                w.line(f"University of {t.city_line().split(',')[0]}", pt, italic=True, gap=6)
        elif section == "SKILLS":
            skills = sorted({t.skill() for _ in range(rng.randint(5, 12))})
            w.paragraph(", ".join(skills).split(), pt, gap=10)
        else:
            for _ in range(rng.randint(2, 4)):
                w.paragraph(f"{t.phrase(2, 5)}, {t.year()}.".split(), pt, gap=3)
            w.skip(6)
    return w.finish()


def presentation(rng, nrng, width, height):
    """Presentation slide(s): a coloured title band, large bullets, maybe a chart; or a handout
    page with two or three framed slides."""
    w = Writer(rng, nrng, width, height, "business", family=rng.choice(("dejavu_sans", "dejavu_sans", "cm_sans",
                                                                         "dejavu_serif")))
    t = w.text
    slides = 1 if rng.random() < 0.55 else rng.choice((2, 3))
    if slides == 1:
        frames = [(0, 0, width, height)]
    else:
        slide_w = round(width * (0.8 if slides == 2 else 0.5))
        slide_h = round(slide_w * 0.75)
        gap = (height - slides * slide_h) // (slides + 1)
        x0 = (width - slide_w) // 2 if slides == 2 else round(width * 0.07)
        frames = [(x0, gap + i * (slide_h + gap), x0 + slide_w, gap + i * (slide_h + gap) + slide_h)
                  for i in range(slides)]
    band = rng.random() < 0.7
    number = rng.randint(2, 30)
    for x0, y0, x1, y1 in frames:
        if slides > 1:
            w.canvas.draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=w.ink, width=max(1, w.px(1)))
            if slides == 3:
                for k in range(5):
                    ly = y0 + (y1 - y0) * (k + 1) // 6
                    w.canvas.hline(x1 + w.px(20), width - round(width * 0.07), ly, w.ink)
        margin_x = round((x1 - x0) * 0.07)
        sw = w.region(x0 + margin_x, y0 + round((y1 - y0) * 0.05), x1 - margin_x, y1 - round((y1 - y0) * 0.08),
                      (x1 - x0) / width)
        title = t.phrase(2, 5)
        if band:
            band_h = round((y1 - y0) * rng.uniform(0.13, 0.2))
            w.canvas.draw.rectangle((x0 + 1, y0 + 1, x1 - 2, y0 + band_h), fill=w.accent)
            font = sw.font(rng.uniform(22, 30), bold=True)
            while text_width(font, title) > sw.col_width and font.size > MIN_FONT_PX:
                font = load_font(sw.family.bold, font.size - 2)
            asc, desc = line_metrics(font)
            w.canvas.text(sw.left, y0 + (band_h + asc - desc) // 2, title, font, (255, 255, 255))
            sw.y = y0 + band_h + round((y1 - y0) * 0.06)
        else:
            sw.line(title, rng.uniform(24, 32), bold=True, align=rng.choice(["left", "center"]), gap=6,
                    color=w.accent)
            sw.rule(2, gap=14, color=w.accent)
        with_chart = rng.random() < 0.4
        text_w = round(sw.col_width * (0.55 if with_chart else 1.0))
        top = sw.y
        pt = rng.uniform(15, 22)
        bullet = rng.choice(["\u2022", "\u25aa", "\u2013", "\u25b8"])
        bullet_font = load_font(SYMBOL_FONT, sw.font(pt).size)
        for _ in range(rng.randint(3, 6)):
            words = t.phrase(3, 8, title_case=False).capitalize().split()
            block = text_block(words, sw.style(pt, spacing=1.15), text_w, None, indent=sw.px(pt * 1.4),
                               label=bullet, label_font=bullet_font)
            sw.place(block, gap=pt * 0.6)
            if rng.random() < 0.3:
                sub = text_block(t.phrase(2, 6, title_case=False).split(), sw.style(pt * 0.8, spacing=1.15),
                                 text_w, None, indent=sw.px(pt * 3), label="\u2013", label_font=bullet_font,
                                 label_indent=sw.px(pt * 1.6))
                sw.place(sub, gap=pt * 0.5)
        if with_chart:
            cw = sw.col_width - text_w - sw.px(12)
            ch = min(round(cw * 0.8), sw.bottom - top)
            if ch > 20:
                Picture(rng, nrng, t, cw, ch, sw.s * 1.6, kind=rng.choice(("bar", "line", "pie"))).draw(
                    w.canvas, sw.right - cw, top)
        footer_font = sw.font(9)
        w.canvas.text(sw.left, y1 - round((y1 - y0) * 0.03), t.company(), footer_font, w.ink)
        label = str(number)
        w.canvas.text(sw.right - text_width(footer_font, label), y1 - round((y1 - y0) * 0.03), label, footer_font,
                      w.ink)
        number += 1
    return w.finish()


def scientific_publication(rng, nrng, width, height):
    """A journal or conference page (the layout generator, mostly two columns)."""
    image, _ = compose_layout_page(rng, nrng, width, height, n_cols=rng.choice((1, 2, 2, 2)),
                                   degrade_strength=SCAN_STRENGTH)
    return image.convert("L")


def budget(rng, nrng, width, height):
    """Budget: a title and a dense spreadsheet of line items, subtotals and totals."""
    w = Writer(rng, nrng, width, height, "business", margins=(0.05, 0.09))
    t = w.text
    year = t.year()
    w.line(t.company(), rng.uniform(11, 14), bold=True, align="center", gap=2)
    w.line(rng.choice([f"FY {year} BUDGET", f"Budget Summary {year}", f"PROPOSED BUDGET {year}-{year + 1}",
                       f"{year} Operating Budget"]), rng.uniform(12, 16), bold=True, align="center", gap=2)
    w.line(f"Department of {t.phrase(1, 2)}", 9, italic=True, align="center", gap=10)
    columns = ["Account"] + rng.sample([f"{year - 1} Actual", f"{year} Budget", f"{year} Estimate",
                                        f"{year + 1} Request", "Change", "Variance", "% Total", "Q1", "Q2"],
                                       rng.randint(3, 6))
    pt = rng.uniform(7, 9)
    font = w.font(pt)
    asc, desc = line_metrics(font)
    n_rows = max(3, int(w.room() * rng.uniform(0.6, 0.9) / (asc + desc + w.px(5))))

    def money():
        value = rng.randint(-20000, 900000) if rng.random() < 0.9 else 0
        return f"({-value:,})" if value < 0 else f"{value:,}"

    rows = []
    while len(rows) < n_rows - 1:
        for _ in range(rng.randint(2, 6)):
            rows.append([t.phrase(1, 3)] + [money() for _ in columns[1:]])
        rows.append(["Subtotal"] + [money() for _ in columns[1:]])
    rows = rows[:n_rows - 1] + [["Total"] + [money() for _ in columns[1:]]]
    table = Table(rng, t, w.col_width, w.room() - w.px(30), font, w.font(pt, bold=True), w.ink, w.s,
                  style=rng.choice(("grid", "minimal", "booktabs", "striped")), cells=[columns] + rows)
    w.place(table, gap=12)
    if w.room() > w.px(40):
        w.paragraph(["Note:"] + _sentence_words(w, 1, 2), 7.5, gap=12)
    if w.room() > w.px(30):
        y = w.y + w.px(18)
        small = w.font(7)
        for x0, x1, label in ((w.left, w.left + w.col_width * 4 // 10, "Prepared by"),
                              (w.left + w.col_width * 55 // 100, w.right, "Approved by")):
            w.canvas.hline(x0, x1, y, w.ink)
            w.canvas.text(x0, y + w.px(9), label, small, w.ink)
    return w.finish()


def news_article(rng, nrng, width, height):
    """Newspaper page: masthead, headline, byline and narrow justified columns with a photo."""
    w = Writer(rng, nrng, width, height, "general", family=rng.choice(("dejavu_serif", "stix", "cm_serif")),
               margins=(0.04, 0.07))
    t = w.text
    w.line(t.newspaper(), rng.uniform(28, 42), bold=True, align="center", family=rng.choice(("stix", "dejavu_serif")),
           gap=3)
    w.rule(2, gap=1)
    w.rule(0.5, gap=2)
    start = w.y
    w.line(f"VOL. {rng.randint(1, 150)}  NO. {rng.randint(1, 365)}", 7, gap=0)
    w.y = start
    w.line(t.date(0), 7, align="center", gap=0)
    w.y = start
    w.line(f"{rng.choice([25, 35, 50, 75])} CENTS", 7, align="right", gap=2)
    w.rule(0.5, gap=10)
    headline = t.title()
    style = w.style(rng.uniform(20, 30), align=rng.choice(["left", "center"]), spacing=1.1, bold=True)
    w.place(text_block(headline.split(), style, w.col_width, None), gap=5)
    if rng.random() < 0.6:
        w.paragraph(t.sentence().split(), rng.uniform(11, 14), italic=True, gap=6)
    w.line(f"By {t.person().upper()}", 7.5, bold=True, gap=1)
    w.line(rng.choice(["Staff Writer", "Associated Press", "Special Correspondent", "Business Editor"]), 7,
           italic=True, gap=8)
    pt = rng.uniform(7.5, 9)
    body = w.style(pt, align="justify" if rng.random() < 0.7 else "left", spacing=1.18)
    chars_per_line = rng.uniform(32, 45)
    n_cols = max(2, min(5, int(w.col_width / (0.5 * body.font.size * chars_per_line))))
    gutter = w.px(10)
    col_w = (w.col_width - gutter * (n_cols - 1)) // n_cols
    tops = [w.y] * n_cols
    photo_col = rng.randrange(n_cols) if rng.random() < 0.7 else None
    column_rules = rng.random() < 0.6
    for c in range(n_cols):
        x = w.left + c * (col_w + gutter)
        w.y = tops[c]
        if c > 0 and column_rules:
            w.canvas.vline(x - gutter // 2, tops[c], w.bottom, (120, 120, 120))
        if c == photo_col:
            span = 2 if c + 1 < n_cols and rng.random() < 0.5 else 1
            pw = col_w * span + gutter * (span - 1)
            picture = Picture(rng, nrng, t, pw, round(pw * rng.uniform(0.6, 0.85)), w.s, kind="photo")
            caption = text_block(t.sentence().split(), w.style(pt - 1, italic=True), pw, None)
            w.place(Stack([picture, caption], w.px(4), pw), x=x, gap=8)
            if span == 2:
                tops[c + 1] = w.y
        while w.room() > body.pitch * 2:
            block = text_block(t.paragraph_words(30, 90), body, col_w, None, first_indent=w.px(9))
            if not w.place(block, x=x, gap=0):
                break
    return w.finish()


def questionnaire(rng, nrng, width, height):
    """Questionnaire: title, instructions and numbered questions with check boxes, rating scales
    or answer lines."""
    w = Writer(rng, nrng, width, height, "general", margins=(0.07, 0.12))
    t = w.text
    w.line(rng.choice(["Customer Satisfaction Survey", "Employee Questionnaire", "Product Evaluation Form",
                       f"{t.phrase(1, 2)} Questionnaire", f"Survey of {t.phrase(1, 3)}"]),
           rng.uniform(14, 18), bold=True, align="center", gap=6)
    w.paragraph(["Instructions:"] + _sentence_words(w, 1, 2), 8.5, italic=True, gap=6)
    w.rule(0.8, gap=10)
    pt = rng.uniform(9, 10.5)
    box = w.px(pt * 0.8)
    scale_labels = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]
    round_boxes = rng.random() < 0.5
    number = 1
    while w.room() > w.px(40):
        question = t.sentence()[:-1] + "?"
        words = [f"{number}."] + question.split()
        if not w.place(text_block(words, w.style(pt, bold=rng.random() < 0.3), w.col_width, None), gap=4):
            break
        kind = rng.random()
        x0 = w.left + w.px(18)
        font = w.font(pt - 0.5)
        asc, desc = line_metrics(font)
        if kind < 0.35:
            options = [t.phrase(1, 3) for _ in range(rng.randint(3, 5))]
            for option in options:
                if w.room() < asc + desc:
                    break
                w.checkbox(x0, w.y + asc - box, box, checked=rng.random() < 0.2, round_box=round_boxes)
                w.canvas.text(x0 + box + w.px(6), w.y + asc, option, font, w.ink)
                w.y += asc + desc + w.px(4)
        elif kind < 0.65:
            small = w.font(6.5)
            slot = (w.col_width - w.px(18)) // 5
            labels = scale_labels
            if max(text_width(small, label) for label in labels) > slot * 0.95:
                labels = ["SD", "D", "N", "A", "SA"] if rng.random() < 0.5 else ["1", "2", "3", "4", "5"]
            if w.room() < asc + desc + w.px(14):
                break
            for i, label in enumerate(labels):
                cx = x0 + i * slot + slot // 2
                w.canvas.text(cx - text_width(small, label) / 2, w.y + line_metrics(small)[0], label, small, w.ink)
                w.checkbox(cx - box // 2, w.y + w.px(12), box, checked=rng.random() < 0.15, round_box=True)
            w.y += w.px(12) + box + w.px(4)
        elif kind < 0.85:
            for _ in range(rng.randint(2, 3)):
                if w.room() < w.px(16):
                    break
                w.y += w.px(16)
                w.canvas.hline(x0, w.right, w.y, (90, 90, 90))
            w.y += w.px(4)
        else:
            x = x0
            for option in ("Yes", "No"):
                w.checkbox(x, w.y + asc - box, box, checked=rng.random() < 0.3, round_box=round_boxes)
                w.canvas.text(x + box + w.px(5), w.y + asc, option, font, w.ink)
                x += box + text_width(font, option) + w.px(24)
            w.y += asc + desc + w.px(4)
        w.skip(rng.uniform(8, 14))
        number += 1
    return w.finish()


def advertisement(rng, nrng, width, height):
    """Advertisement: huge slogan, a large photo, a few centred lines, a call to action and fine print."""
    w = Writer(rng, nrng, width, height, "business", family=rng.choice(("dejavu_sans", "dejavu_serif", "stix")),
               margins=(0.06, 0.1))
    t = w.text
    inverted = rng.random() < 0.3
    if inverted:
        w.canvas.draw.rectangle((0, 0, width - 1, height - 1), fill=w.accent)
        w.ink = (255, 255, 255)
    slogan = " ".join(t.words(rng.randint(2, 5))).title() + rng.choice(["!", ".", ""])
    style = w.style(rng.uniform(30, 46), align="center", spacing=1.05, bold=True)
    w.place(text_block(slogan.split(), style, w.col_width, None), gap=10)
    ph = round(w.room() * rng.uniform(0.35, 0.55))
    pw = round(w.col_width * rng.uniform(0.7, 1.0))
    w.place(Picture(rng, nrng, t, pw, ph, w.s, kind="photo"), x=w.left + (w.col_width - pw) // 2, gap=12)
    product = t.company().split()[0] + " " + t.phrase(1, 2)
    w.line(product, rng.uniform(16, 24), bold=True, align="center", gap=6)
    w.paragraph(_sentence_words(w, 1, 2), rng.uniform(11, 14), align="center", gap=10)
    if w.room() > w.px(50):
        text = f"Call 1-800-{rng.randint(200, 999)}-{rng.randint(1000, 9999)} today"
        font = w.font(13, bold=True)
        tw, (asc, desc) = text_width(font, text), line_metrics(font)
        x0 = w.left + (w.col_width - tw) // 2 - w.px(10)
        w.canvas.draw.rectangle((x0, w.y, x0 + tw + w.px(20), w.y + asc + desc + w.px(12)), outline=w.ink,
                                width=w.px(2))
        w.canvas.text(x0 + w.px(10), w.y + w.px(6) + asc, text, font, w.ink)
        w.y += asc + desc + w.px(24)
    w.y = max(w.y, w.bottom - w.px(34))
    w.paragraph(_sentence_words(w, 2, 3), 6, align="justify", gap=0)
    return w.finish()


DOC_TYPES = {
    "letter": letter,
    "memo": memo,
    "email": email,
    "form": form,
    "invoice": invoice,
    "resume": resume,
    "presentation": presentation,
    "scientific_publication": scientific_publication,
    "budget": budget,
    "news_article": news_article,
    "questionnaire": questionnaire,
    "advertisement": advertisement,
}
