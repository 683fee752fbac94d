"""A page being drawn, and the layout boxes measured from the ink drawn on it."""
import functools

from PIL import Image, ImageDraw

from .fonts import char_advance

PAPER = (255, 255, 255)
# A pixel whose grey level is below this counts as ink when boxes are measured.
INK_LEVEL = 200
_INK_LUT = [255 if v < INK_LEVEL else 0 for v in range(256)]


@functools.lru_cache(maxsize=1 << 14)
def glyph_mask(font, char):
    """(mask, dx, dy) of one character: its "L" coverage mask and the offset of the mask's
    top-left corner from the pen position on the baseline; None for a blank glyph."""
    left, top, right, bottom = font.getbbox(char, anchor="ls")
    if right <= left or bottom <= top:
        return None
    mask = Image.new("L", (right - left, bottom - top), 0)
    ImageDraw.Draw(mask).text((-left, -top), char, font=font, fill=255, anchor="ls")
    return mask, left, top


@functools.lru_cache(maxsize=1 << 16)
def text_mask(font, text):
    """(mask, dx, dy) of a string, composed from cached glyph masks at the characters' advances
    (no kerning); None if nothing is visible.

    Rasterising each glyph once and pasting it is several times faster than letting FreeType
    render every word of every page.
    """
    if len(text) == 1:
        return glyph_mask(font, text)
    placed = []
    pen = 0.0
    for char in text:
        glyph = glyph_mask(font, char)
        if glyph is not None:
            placed.append((round(pen) + glyph[1], glyph[2], glyph[0]))
        pen += char_advance(font, char)
    if not placed:
        return None
    left = min(x for x, _, _ in placed)
    top = min(y for _, y, _ in placed)
    right = max(x + m.width for x, _, m in placed)
    bottom = max(y + m.height for _, y, m in placed)
    mask = Image.new("L", (right - left, bottom - top), 0)
    for x, y, glyph in placed:
        mask.paste(255, (x - left, y - top), glyph)
    return mask, left, top


class Canvas:
    """An RGB page on white paper. Element renderers draw on `draw` and call `annotate(category,
    rect)`, which records the tight box of the ink found inside `rect` (grown by `pad` pixels).

    Annotations are (category name, (x0, y0, x1, y1)) with exclusive x1, y1.
    """

    def __init__(self, width, height):
        self.width = int(width)
        self.height = int(height)
        self.image = Image.new("RGB", (self.width, self.height), PAPER)
        self.draw = ImageDraw.Draw(self.image)
        self.annotations = []

    def ink_bbox(self, rect, pad=2):
        """Tight (x0, y0, x1, y1) of the ink inside `rect` grown by `pad`, or None if it is blank."""
        x0 = max(0, int(rect[0]) - pad)
        y0 = max(0, int(rect[1]) - pad)
        x1 = min(self.width, int(rect[2]) + pad + 1)
        y1 = min(self.height, int(rect[3]) + pad + 1)
        if x1 <= x0 or y1 <= y0:
            return None
        mask = self.image.crop((x0, y0, x1, y1)).convert("L").point(_INK_LUT)
        box = mask.getbbox()
        if box is None:
            return None
        return (box[0] + x0, box[1] + y0, box[2] + x0, box[3] + y0)

    def annotate(self, category, rect, pad=2):
        """Record a `category` box around the ink in `rect` (nothing if `category` is None or
        `rect` is blank)."""
        if category is None:
            return
        box = self.ink_bbox(rect, pad)
        if box is not None:
            self.annotations.append((category, box))

    def text(self, x, baseline, text, font, fill):
        """Draw `text` starting at x with its baseline at `baseline` (both rounded to pixels)."""
        cached = text_mask(font, text)
        if cached is not None:
            mask, dx, dy = cached
            self.image.paste(fill, (int(round(x)) + dx, int(round(baseline)) + dy), mask)

    def hline(self, x0, x1, y, fill, width=1):
        """A horizontal line `width` pixels thick from x0 to x1 (exclusive) with its top at y."""
        self.draw.rectangle((int(x0), int(y), int(x1) - 1, int(y) + width - 1), fill=fill)

    def vline(self, x, y0, y1, fill, width=1):
        """A vertical line `width` pixels thick from y0 to y1 (exclusive) with its left at x."""
        self.draw.rectangle((int(x), int(y0), int(x) + width - 1, int(y1) - 1), fill=fill)
