"""Wrapped text: paragraphs, list items, headings, captions and footnotes."""
from dataclasses import dataclass

from .blocks import Block
from .fonts import line_metrics, text_width


@dataclass(frozen=True)
class TextStyle:
    """Font, baseline-to-baseline distance `pitch` (pixels), colour and alignment
    ("left", "justify", "center" or "right") of a text block."""

    font: object
    pitch: int
    color: tuple
    align: str = "left"


def wrap(items, widths):
    """Greedy line breaking of (word, font) items; `widths(i)` is the room on line i.

    A word wider than its line on its own is dropped, so nothing is drawn outside the block.
    """
    lines, line, used = [], [], 0.0
    for word, font in items:
        w = text_width(font, word)
        room = widths(len(lines))
        if not line:
            if w <= room:
                line, used = [(word, font)], w
            continue
        space = text_width(line[-1][1], " ")
        if used + space + w <= room:
            line.append((word, font))
            used += space + w
        else:
            lines.append(line)
            line, used = [], 0.0
            if w <= widths(len(lines)):
                line, used = [(word, font)], w
    if line:
        lines.append(line)
    return lines


def line_width(line):
    """Natural width of a wrapped line (words plus one space between each pair)."""
    total = sum(text_width(font, word) for word, font in line)
    return total + sum(text_width(line[i][1], " ") for i in range(len(line) - 1))


def draw_line(canvas, x, baseline, line, room, style, justify):
    """Draw one wrapped line word by word (cached word images), justified or aligned in `room`."""
    if justify and len(line) > 1:
        words_width = sum(text_width(font, word) for word, font in line)
        gap = (room - words_width) / (len(line) - 1)
        pos = float(x)
        for word, font in line:
            canvas.text(round(pos), baseline, word, font, style.color)
            pos += text_width(font, word) + gap
        return
    natural = line_width(line)
    if style.align == "center":
        x += (room - natural) / 2
    elif style.align == "right":
        x += room - natural
    pos = float(x)
    for word, font in line:
        canvas.text(round(pos), baseline, word, font, style.color)
        pos += text_width(font, word) + text_width(font, " ")


class TextBlock(Block):
    """Lines of words annotated as one `category` box (paragraph, list item, heading, ...).

    `indent` shifts every line (hanging indent of list items), `first_indent` the first line only;
    `label` (e.g. a bullet or footnote number) is drawn `label_indent` pixels right of the block's
    left edge, raised by `label_raise` pixels, in `label_font`.
    """

    def __init__(self, lines, style, width, category, indent=0, first_indent=0, label=None,
                 label_font=None, label_raise=0, justify_last=False, label_indent=0):
        self.lines = lines
        self.style = style
        self.width = int(width)
        self.category = category
        self.indent = indent
        self.first_indent = first_indent
        self.label = label
        self.label_font = label_font or style.font
        self.label_raise = label_raise
        self.justify_last = justify_last
        self.label_indent = label_indent
        fonts = {font for line in lines for _, font in line} | {style.font}
        self.ascent = max(line_metrics(f)[0] for f in fonts)
        if label:
            self.ascent = max(self.ascent, label_raise + line_metrics(self.label_font)[0])
        self.descent = max(line_metrics(f)[1] for f in fonts)
        self.height = (len(lines) - 1) * style.pitch + self.ascent + self.descent if lines else 0

    def line_room(self, i):
        """Width available to line `i`."""
        return self.width - self.indent - (self.first_indent if i == 0 else 0)

    def draw(self, canvas, x, y):
        if not self.lines:
            return
        last = len(self.lines) - 1
        for i, line in enumerate(self.lines):
            baseline = y + self.ascent + i * self.style.pitch
            lx = x + self.indent + (self.first_indent if i == 0 else 0)
            justify = self.style.align == "justify" and (i < last or self.justify_last)
            draw_line(canvas, lx, baseline, line, self.line_room(i), self.style, justify)
        if self.label:
            canvas.text(x + self.label_indent, y + self.ascent - self.label_raise, self.label, self.label_font,
                        self.style.color)
        canvas.annotate(self.category, (x, y, x + self.width, y + self.height))

    def split(self, max_height):
        fit = int((max_height - self.ascent - self.descent) // self.style.pitch) + 1
        if fit < 2 or len(self.lines) - fit < 2:
            return None
        head = TextBlock(self.lines[:fit], self.style, self.width, self.category, self.indent,
                         self.first_indent, self.label, self.label_font, self.label_raise, True, self.label_indent)
        tail = TextBlock(self.lines[fit:], self.style, self.width, self.category, self.indent, 0,
                         justify_last=self.justify_last)
        return head, tail


def text_block(words, style, width, category, indent=0, first_indent=0, prefix=(), prefix_font=None,
               label=None, label_font=None, label_raise=0, justify_last=False, label_indent=0):
    """Wrap `words` (optionally after `prefix` words drawn in `prefix_font`) into a TextBlock.

    Lines are wrapped a little narrower than the block so that glyph overhangs stay inside it.
    """
    slack = 1 + style.font.size * 0.12
    items = [(w, prefix_font or style.font) for w in prefix] + [(w, style.font) for w in words]
    lines = wrap(items, lambda i: width - indent - (first_indent if i == 0 else 0) - slack)
    return TextBlock(lines, style, width, category, indent, first_indent, label, label_font,
                     label_raise, justify_last, label_indent)


def single_line(words, font, color, category, prefix=(), prefix_font=None):
    """A one-line TextBlock exactly as wide as its text (plus a pixel of slack per side)."""
    line = [(w, prefix_font or font) for w in prefix] + [(w, font) for w in words]
    style = TextStyle(font, 0, color)
    return TextBlock([line], style, int(line_width(line)) + 3, category, indent=1)
