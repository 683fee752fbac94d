"""Compose one document page in the DocLayNet taxonomy: page header and footer, an optional
title block, one to three columns of flowing text, lists, tables, pictures with captions,
display formulas and footnotes.

Blocks are placed top to bottom in each column, never overlapping; paragraphs and list items
that do not fit continue in the next column (each part gets its own box, as in DocLayNet).
"""
import random
import zlib
from collections import deque
from dataclasses import dataclass

import numpy as np

from .blocks import Row, Stack
from .canvas import Canvas
from .degrade import degrade
from .fonts import BODY_FAMILIES, FAMILIES, HEADING_FAMILIES, SYMBOL_FONT, family_font, line_metrics, load_font
from .formulas import Formula
from .pictures import Picture
from .tables import Table
from .text_blocks import TextStyle, single_line, text_block
from .vocabulary import TextGenerator

ACCENTS = [(20, 40, 100), (120, 20, 30), (10, 80, 90), (60, 60, 60), (0, 70, 140)]
# Smallest font size (pixels) used for any text, so small test pages still show glyphs.
MIN_FONT_PX = 5


@dataclass
class PageStyle:
    """Typography and geometry drawn at random for one page."""

    scale: float
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    n_cols: int
    gutter: int
    body: TextStyle
    small: TextStyle
    heading_font: object
    heading_color: tuple
    ink: tuple
    family: object
    head_family: object
    block_gap: int
    item_gap: int
    float_gap: int
    first_indent: int
    numbered_sections: bool
    bullet: str
    domain: str

    def px(self, points, minimum=1):
        """`points` (at 72 dpi on a letter page) scaled to this page, at least `minimum` pixels."""
        return max(minimum, int(round(points * self.scale)))


def random_style(rng, width, height, n_cols=None, family=None):
    """Draw margins, columns, fonts, sizes, spacing and colours for a page of `width` x `height`."""
    s = min(width / 612.0, height / 792.0)
    family = FAMILIES[family or rng.choice(BODY_FAMILIES)]
    head_family = family if rng.random() < 0.6 and family.name in HEADING_FAMILIES else FAMILIES[
        rng.choice(HEADING_FAMILIES)]
    n_cols = n_cols or rng.choices((1, 2, 3), weights=(0.45, 0.47, 0.08))[0]
    size_pt = rng.uniform(8.5, 11.5) if n_cols == 1 else rng.uniform(8.0, 10.0)
    body_px = max(MIN_FONT_PX, round(size_pt * s))
    small_px = max(MIN_FONT_PX, round(size_pt * rng.uniform(0.78, 0.9) * s))
    ink_level = rng.randint(0, 40)
    ink = (ink_level, ink_level, ink_level)
    body_font = family_font(family, body_px)
    asc, desc = line_metrics(body_font)
    pitch = max(asc + desc + 1, round(body_px * rng.uniform(1.12, 1.55)))
    small_font = family_font(family, small_px)
    s_asc, s_desc = line_metrics(small_font)
    small_pitch = max(s_asc + s_desc + 1, round(small_px * rng.uniform(1.1, 1.35)))
    align = "justify" if rng.random() < 0.6 else "left"
    margin_x = rng.uniform(0.06, 0.13) * width
    heading_px = max(MIN_FONT_PX, round(size_pt * rng.uniform(1.0, 1.35) * s))
    min_gap = 5
    return PageStyle(
        scale=s, width=width, height=height,
        left=round(margin_x * rng.uniform(0.85, 1.15)), right=round(margin_x),
        top=round(rng.uniform(0.06, 0.1) * height), bottom=round(rng.uniform(0.05, 0.09) * height),
        n_cols=n_cols, gutter=max(8, round(rng.uniform(12, 26) * s)),
        body=TextStyle(body_font, pitch, ink, align),
        small=TextStyle(small_font, small_pitch, ink, align),
        heading_font=family_font(head_family, heading_px, bold=True, italic=rng.random() < 0.1),
        heading_color=rng.choice(ACCENTS) if rng.random() < 0.2 else ink,
        ink=ink, family=family, head_family=head_family,
        block_gap=max(min_gap, round(pitch * rng.uniform(0.3, 1.0))),
        item_gap=max(min_gap, round(pitch * rng.uniform(0.1, 0.5))),
        float_gap=max(min_gap + 1, round(pitch * rng.uniform(0.8, 1.6))),
        first_indent=round(body_px * rng.uniform(1.0, 2.0)) if rng.random() < 0.5 else 0,
        numbered_sections=rng.random() < 0.6,
        bullet=rng.choice(["\u2022", "\u2022", "\u2013", "-", "1.", "a)", "(i)", "\u25aa"]),
        domain=rng.choice(("science", "science", "business", "general")),
    )


class ContentStream:
    """Endless supply of body blocks (paragraphs, headings, lists, figures, tables, formulas)
    for a column of a given width, with the vertical gap that should precede each."""

    def __init__(self, rng, nrng, style, text):
        self.rng, self.nrng, self.st, self.text = rng, nrng, style, text
        self.section = [rng.randint(1, 6), 0]
        self.figure = rng.randint(1, 8)
        self.table = rng.randint(1, 6)
        self.equation = rng.randint(1, 20)
        self.previous = "text"

    def next_unit(self, width, max_height):
        """A list of (block, gap_before) that belong together, e.g. the items of one list."""
        r = self.rng
        if self.previous == "heading":
            kind = "paragraph" if r.random() < 0.85 else "list"
        else:
            kinds = ("paragraph", "heading", "list", "figure", "table", "formula")
            formula_w = 0.12 if self.st.domain == "science" else 0.04
            kind = r.choices(kinds, weights=(0.42, 0.13, 0.11, 0.1, 0.09, formula_w))[0]
        self.previous = kind
        unit = getattr(self, "unit_" + kind)(width, max_height)
        return [(b, g) for b, g in unit if b.height > 0]

    def paragraph_block(self, width, n_min=25, n_max=130):
        """A Text paragraph of whole sentences, `n_min` to about `n_max` words."""
        st = self.st
        words = self.text.paragraph_words(n_min, n_max)
        return text_block(words, st.body, width, "Text", first_indent=st.first_indent)

    def unit_paragraph(self, width, max_height):
        """One Text paragraph."""
        return [(self.paragraph_block(width), self.st.block_gap)]

    def unit_heading(self, width, max_height):
        """A (maybe numbered) Section-header."""
        st = self.st
        title = self.text.section_title()
        if self.rng.random() < 0.12:
            title = title.upper()
        prefix = ()
        if st.numbered_sections:
            if self.rng.random() < 0.4:
                self.section[1] += 1
                prefix = (f"{self.section[0]}.{self.section[1]}",)
            else:
                self.section = [self.section[0] + 1, 0]
                prefix = (f"{self.section[0]}" + ("." if self.rng.random() < 0.5 else ""),)
        font = st.heading_font
        style = TextStyle(font, round(font.size * 1.25) + 1, st.heading_color, "left")
        block = text_block(title.split(), style, width, "Section-header", prefix=prefix)
        return [(block, st.block_gap + st.px(self.rng.uniform(2, 10)))]

    def unit_list(self, width, max_height):
        """Two to six List-items with one bullet or numbering style."""
        st, r = self.st, self.rng
        marker = st.bullet
        if marker in ("\u2022", "\u2013", "\u25aa") and not st.family.unicode:
            marker = "-"
        label_font = load_font(SYMBOL_FONT, st.body.font.size) if marker in ("\u2022", "\u25aa") else st.body.font
        label_indent = round(st.body.font.size * r.choice((0, 0, 1, 1.5)))
        indent = label_indent + round(st.body.font.size * r.uniform(1.3, 2.2))
        unit = []
        for i in range(r.randint(2, 6)):
            label = {"1.": f"{i + 1}.", "a)": f"{'abcdefgh'[i]})", "(i)": f"({'i ii iii iv v vi'.split()[i]})"}.get(
                marker, marker)
            words = self.text.paragraph_words(6, 45) if r.random() < 0.7 else self.text.phrase(2, 6).split()
            block = text_block(words, st.body, width, "List-item", indent=indent, label=label,
                               label_font=label_font, label_indent=label_indent)
            unit.append((block, st.block_gap if i == 0 else st.item_gap))
        return unit

    def _caption(self, width, prefix):
        st = self.st
        words = self.text.sentence().split()
        if self.rng.random() < 0.5:
            words += self.text.sentence().split()
        bold = family_font(st.family, st.small.font.size, bold=self.rng.random() < 0.7)
        block = text_block(words, st.small, width, "Caption", prefix=prefix, prefix_font=bold)
        if len(block.lines) == 1 and self.rng.random() < 0.6:
            style = TextStyle(st.small.font, st.small.pitch, st.ink, "center")
            block = text_block(words, style, width, "Caption", prefix=prefix, prefix_font=bold)
        return block

    def picture(self, width, max_height, kind=None):
        """A Picture 55-100% as wide as `width`, at most 55% of `max_height` tall."""
        r = self.rng
        w = round(width * r.uniform(0.55, 1.0))
        h = min(round(w * r.uniform(0.45, 0.85)), round(max_height * 0.55))
        return Picture(r, self.nrng, self.text, w, max(h, 8), self.st.scale, kind=kind, color=self.st.ink)

    def unit_figure(self, width, max_height):
        """A picture (or two side by side) with its caption, as one float."""
        st, r = self.st, self.rng
        label = r.choice(["Figure", "Fig."])
        caption = self._caption(width, (f"{label} {self.figure}{r.choice([':', '.'])}",))
        self.figure += 1
        room = max_height - caption.height - st.float_gap
        if r.random() < 0.15 and width > 200 * st.scale:
            half = (width - st.gutter) // 2
            pics = [self.picture(half, room) for _ in range(2)]
            h = min(p.height for p in pics)
            for p in pics:
                p.width, p.height = min(p.width, half), h
            picture = Row(pics, st.gutter, width)
        else:
            picture = self.picture(width, room)
        gap = max(5, round(st.small.pitch * r.uniform(0.4, 1.0)))
        parts = [caption, picture] if r.random() < 0.1 else [picture, caption]
        return [(Stack(parts, gap, width), st.float_gap)]

    def unit_table(self, width, max_height):
        """A table with its caption (usually above), as one float."""
        st, r = self.st, self.rng
        caption = self._caption(width, (f"Table {self.table}{r.choice([':', '.'])}",))
        self.table += 1
        small = r.random() < 0.6
        size = st.small.font.size if small else st.body.font.size
        font = family_font(st.family, size)
        bold = family_font(st.family, size, bold=True)
        gap = max(5, round(st.small.pitch * r.uniform(0.4, 1.0)))
        room = max_height - caption.height - gap
        table = Table(r, self.text, width, min(room, max_height * 0.6), font, bold, st.ink, st.scale,
                      unicode_ok=st.family.unicode)
        if table.height == 0:
            return []
        parts = [caption, table] if r.random() < 0.75 else [table, caption]
        return [(Stack(parts, gap, width), st.float_gap)]

    def unit_formula(self, width, max_height):
        """A display formula, maybe numbered."""
        st = self.st
        number = None
        if self.rng.random() < 0.6:
            number = self.equation
            self.equation += 1
        size = max(MIN_FONT_PX + 1, round(st.body.font.size * self.rng.uniform(1.0, 1.25)))
        block = Formula(self.rng, width, size, st.ink, number, text_font=st.body.font)
        return [(block, max(st.block_gap, st.float_gap // 2))]


def _page_header(canvas, st, rng, text, page_number):
    """Draw the running header; returns the y where the body may start."""
    font = family_font(st.family, max(MIN_FONT_PX, round(st.body.font.size * rng.uniform(0.8, 0.95))),
                       italic=rng.random() < 0.5)
    asc, desc = line_metrics(font)
    y = max(2, round(st.top * rng.uniform(0.35, 0.55)) - asc)
    x0, x1 = st.left, st.width - st.right
    running = text.title() if rng.random() < 0.6 else text.company()
    words = running.split()
    pieces = []
    layout = rng.random()
    if layout < 0.7:
        number = single_line([str(page_number)], font, st.ink, "Page-header")
        while words and single_line(words, font, st.ink, None).width > (x1 - x0) * 0.7:
            words.pop()
        title = single_line(words, font, st.ink, "Page-header")
        if layout < 0.35:
            pieces = [(title, x0), (number, x1 - number.width)]
        else:
            pieces = [(number, x0), (title, x1 - title.width)]
    else:
        while words and single_line(words, font, st.ink, None).width > (x1 - x0) * 0.9:
            words.pop()
        title = single_line(words, font, st.ink, "Page-header")
        pieces = [(title, x0 + (x1 - x0 - title.width) // 2)]
    for block, x in pieces:
        if block.lines and block.lines[0]:
            block.draw(canvas, x, y)
    bottom = y + asc + desc
    if rng.random() < 0.4:
        bottom += st.px(3, 3)
        canvas.hline(x0, x1, bottom, st.ink)
    return max(st.top, bottom + st.px(rng.uniform(10, 20), 6))


def _page_footer(canvas, st, rng, text, page_number):
    """Draw the footer; returns the y above which the body must end."""
    font = family_font(st.family, max(MIN_FONT_PX, round(st.body.font.size * rng.uniform(0.8, 0.95))))
    asc, desc = line_metrics(font)
    y = min(st.height - asc - desc - 3, st.height - round(st.bottom * rng.uniform(0.45, 0.7)))
    x0, x1 = st.left, st.width - st.right
    layout = rng.random()
    if layout < 0.45:
        block = single_line([str(page_number)] if rng.random() < 0.6 else ["Page", str(page_number)],
                            font, st.ink, "Page-footer")
        pieces = [(block, x0 + (x1 - x0 - block.width) // 2)]
    elif layout < 0.7:
        total = page_number + rng.randint(0, 40)
        block = single_line(["Page", str(page_number), "of", str(total)], font, st.ink, "Page-footer")
        pieces = [(block, x1 - block.width)]
    else:
        words = (text.company() + " " + str(text.year())).split()
        left = single_line(words, font, st.ink, "Page-footer")
        number = single_line([str(page_number)], font, st.ink, "Page-footer")
        pieces = [(left, x0), (number, x1 - number.width)]
    for block, x in pieces:
        block.draw(canvas, x, y)
    top = y
    if rng.random() < 0.3:
        top -= st.px(4, 3)
        canvas.hline(x0, x1, top, st.ink)
    return min(st.height - st.bottom, top - st.px(rng.uniform(10, 18), 6))


def _footnotes(st, rng, text, width, start_number):
    blocks = []
    raise_px = max(1, round(st.small.font.size * 0.35))
    label_font = family_font(st.family, max(MIN_FONT_PX - 1, round(st.small.font.size * 0.75)))
    for i in range(rng.randint(1, 3)):
        words = text.sentence().split()
        if rng.random() < 0.3:
            words += text.sentence().split()
        indent = round(st.small.font.size * 0.9)
        blocks.append(text_block(words, st.small, width, "Footnote", indent=indent, label=str(start_number + i),
                                 label_font=label_font, label_raise=raise_px))
    return blocks


def _title_block(canvas, st, rng, text, x0, x1, y, bottom):
    """Title, authors, affiliation and abstract across the full width; returns the next free y."""
    width = x1 - x0
    family = st.head_family
    size = max(MIN_FONT_PX + 2, round(st.body.font.size * rng.uniform(1.5, 2.3)))
    font = family_font(family, size, bold=rng.random() < 0.85)
    align = "center" if rng.random() < 0.6 else "left"
    title_w = round(width * (rng.uniform(0.75, 0.95) if align == "center" else 1.0))
    style = TextStyle(font, round(size * rng.uniform(1.1, 1.3)) + 1, st.heading_color, align)
    title = text_block(text.title().split(), style, title_w, "Title")
    tx = x0 + (width - title_w) // 2
    blocks = [(title, tx, title_w)]
    if rng.random() < 0.75:
        n = rng.randint(1, 5)
        names = ", ".join(text.person(initial=rng.random() < 0.3) for _ in range(n)).split()
        astyle = TextStyle(family_font(st.family, round(st.body.font.size * 1.05)), st.body.pitch,
                           st.ink, align)
        blocks.append((text_block(names, astyle, title_w, "Text"), tx, title_w))
        if rng.random() < 0.6:
            aff = f"Department of {text.phrase(1, 2)}, {text.company()}, {text.city_line()}".split()
            afstyle = TextStyle(family_font(st.family, st.small.font.size, italic=True), st.small.pitch,
                                st.ink, align)
            blocks.append((text_block(aff, afstyle, title_w, "Text"), tx, title_w))
    if rng.random() < 0.55:
        inset = round(width * rng.uniform(0.0, 0.12)) if st.n_cols > 1 else 0
        aw = width - 2 * inset
        if rng.random() < 0.5:
            head_font = family_font(st.head_family, st.body.font.size, bold=True)
            head = single_line(["Abstract"], head_font, st.ink, "Section-header")
            blocks.append((head, x0 + inset + (aw - head.width) // 2 if rng.random() < 0.5 else x0 + inset, head.width))
            prefix = ()
        else:
            prefix = ("Abstract" + rng.choice(["\u2014", ".", ":"] if st.family.unicode else [".", ":"]),)
        abstract_style = TextStyle(st.small.font, st.small.pitch, st.ink, "justify")
        words = text.paragraph_words(50, 140)
        bold = family_font(st.family, st.small.font.size, bold=True)
        blocks.append((text_block(words, abstract_style, aw, "Text", prefix=prefix, prefix_font=bold),
                       x0 + inset, aw))
    gap = max(6, round(st.body.pitch * rng.uniform(0.6, 1.2)))
    for block, bx, _ in blocks:
        if y + block.height > bottom:
            break
        block.draw(canvas, bx, y)
        y += block.height + gap
    return y + round(st.block_gap * 0.5)


def _flow(canvas, st, stream, columns, top, bottom):
    """Fill `columns` [(x, width)] between `top` and `bottom` with blocks from `stream`."""
    queue = deque()
    col = 0
    y = top
    first_in_column = True
    filled_for = None
    guard = 0
    while col < len(columns) and guard < 400:
        guard += 1
        x, width = columns[col]
        if not queue:
            queue.extend(stream.next_unit(width, bottom - top))
            continue
        block, gap = queue.popleft()
        if block.width > width:
            continue
        y_block = y if first_in_column else y + gap
        room = bottom - y_block
        is_heading = getattr(block, "category", None) == "Section-header"
        need = block.height + (st.body.pitch * 3 if is_heading else 0)
        if need <= room:
            block.draw(canvas, x, y_block)
            y = y_block + block.height
            first_in_column = False
            continue
        parts = None if is_heading else block.split(room)
        if parts is not None:
            head, tail = parts
            head.draw(canvas, x, y_block)
            queue.appendleft((tail, gap))
        elif first_in_column:
            continue
        elif room > st.body.pitch * 4 and filled_for != (col, y) and getattr(block, "category", None) != "Text":
            filled_for = (col, y)
            queue.appendleft((block, gap))
            queue.appendleft((stream.paragraph_block(width, 40, 160), st.block_gap))
            continue
        else:
            queue.appendleft((block, gap))
        col += 1
        y = top
        first_in_column = True


def compose_layout_page(rng, nrng, width, height, page_number=None, degrade_strength=1.0, n_cols=None,
                        style_seed=None):
    """Draw one page; returns (PIL RGB image, [(DocLayNet category name, (x0, y0, x1, y1))]).

    `n_cols` fixes the number of text columns (default: 1, 2 or 3 at random). Pages given the same
    `style_seed` share margins, fonts and spacing (pages of one document); by default each page
    draws its own style from `rng`.
    """
    style_rng = rng if style_seed is None else random.Random(style_seed)
    st = random_style(style_rng, width, height, n_cols=n_cols)
    text = TextGenerator(rng, st.domain)
    canvas = Canvas(width, height)
    page_number = page_number if page_number is not None else rng.randint(1, 400)
    x0, x1 = st.left, width - st.right
    top = _page_header(canvas, st, rng, text, page_number) if rng.random() < 0.75 else st.top
    bottom = _page_footer(canvas, st, rng, text, page_number) if rng.random() < 0.75 else height - st.bottom
    col_w = (x1 - x0 - st.gutter * (st.n_cols - 1)) // st.n_cols
    columns = [(x0 + i * (col_w + st.gutter), col_w) for i in range(st.n_cols)]
    if rng.random() < 0.35:
        note_w = col_w if st.n_cols > 1 else x1 - x0
        notes = _footnotes(st, rng, text, note_w, rng.randint(1, 9))
        gap = max(5, st.item_gap // 2)
        notes_h = sum(n.height for n in notes) + gap * (len(notes) - 1)
        rule_gap = st.px(5, 4)
        y_notes = bottom - notes_h
        if y_notes - rule_gap - st.block_gap - top > (bottom - top) * 0.5:
            canvas.hline(x0, x0 + note_w // 3, y_notes - rule_gap, st.ink)
            y = y_notes
            for note in notes:
                note.draw(canvas, x0, y)
                y += note.height + gap
            bottom = y_notes - rule_gap - st.block_gap
    if rng.random() < 0.45:
        top = _title_block(canvas, st, rng, text, x0, x1, top, bottom)
    stream = ContentStream(rng, nrng, st, text)
    if st.n_cols > 1 and rng.random() < 0.2:
        unit = stream.unit_figure(x1 - x0, (bottom - top) * 0.5) if rng.random() < 0.6 else stream.unit_table(
            x1 - x0, (bottom - top) * 0.5)
        for block, _ in unit:
            if block.height < (bottom - top) * 0.6:
                block.draw(canvas, x0, top)
                top += block.height + st.float_gap
    _flow(canvas, st, stream, columns, top, bottom)
    image = degrade(canvas.image, rng, nrng, degrade_strength)
    return image, canvas.annotations


def page_rngs(seed, key, index):
    """(random.Random, numpy Generator) for page `index` of the stream named `key`, independent of
    every other page, so pages can be generated in any order with the same result."""
    tag = zlib.crc32(f"{key}".encode())
    return random.Random(f"{seed}/{key}/{index}"), np.random.default_rng([int(seed) & 0xFFFFFFFF, tag, index])
