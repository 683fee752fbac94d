"""The TrueType fonts bundled with matplotlib, grouped into families, loaded once per size.

Only these files are used so that rendering is identical on every machine with the same
Pillow and matplotlib versions. Text is laid out with Pillow's BASIC engine (no raqm), which
does not depend on system libraries either.
"""
import functools
import os
from dataclasses import dataclass

import matplotlib
from PIL import ImageFont

FONT_DIR = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")


@dataclass(frozen=True)
class FontFamily:
    """File names of one family's four styles; `unicode` tells whether it has glyphs beyond ASCII
    (bullets, dashes, Greek, math operators); the Computer Modern (cm*) files do not."""

    name: str
    regular: str
    bold: str
    italic: str
    bold_italic: str
    unicode: bool = True

    def file(self, bold=False, italic=False):
        """The file name of the requested style."""
        if bold and italic:
            return self.bold_italic
        if bold:
            return self.bold
        if italic:
            return self.italic
        return self.regular


FAMILIES = {
    "dejavu_serif": FontFamily("dejavu_serif", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf",
                               "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf"),
    "dejavu_sans": FontFamily("dejavu_sans", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf",
                              "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf"),
    "dejavu_mono": FontFamily("dejavu_mono", "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf",
                              "DejaVuSansMono-Oblique.ttf", "DejaVuSansMono-BoldOblique.ttf"),
    "stix": FontFamily("stix", "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf",
                       "STIXGeneralBolIta.ttf"),
    "cm_serif": FontFamily("cm_serif", "cmr10.ttf", "cmb10.ttf", "cmti10.ttf", "cmb10.ttf", unicode=False),
    "cm_sans": FontFamily("cm_sans", "cmss10.ttf", "DejaVuSans-Bold.ttf", "cmss10.ttf",
                          "DejaVuSans-BoldOblique.ttf", unicode=False),
    "cm_mono": FontFamily("cm_mono", "cmtt10.ttf", "cmtt10.ttf", "cmtt10.ttf", "cmtt10.ttf", unicode=False),
}

BODY_FAMILIES = ("dejavu_serif", "dejavu_sans", "stix", "stix", "cm_serif", "cm_serif", "cm_sans")
HEADING_FAMILIES = ("dejavu_serif", "dejavu_sans", "stix", "cm_serif")
MONO_FAMILIES = ("dejavu_mono", "cm_mono")

# Fonts for display formulas: variables in italic, operators and Greek from STIX.
MATH_ITALIC = "STIXGeneralItalic.ttf"
MATH_REGULAR = "STIXGeneral.ttf"
MATH_LARGE = "STIXSizOneSymReg.ttf"
# Symbols (bullets, check boxes) come from DejaVu Sans, which has all of them.
SYMBOL_FONT = "DejaVuSans.ttf"


def check_fonts():
    """Raise FileNotFoundError naming the first bundled font file that is missing."""
    names = {f for fam in FAMILIES.values() for f in (fam.regular, fam.bold, fam.italic, fam.bold_italic)}
    names |= {MATH_ITALIC, MATH_REGULAR, MATH_LARGE, SYMBOL_FONT}
    for name in sorted(names):
        path = os.path.join(FONT_DIR, name)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"matplotlib font {path} is missing; reinstall matplotlib")


@functools.lru_cache(maxsize=None)
def load_font(filename, size):
    """The font file `filename` (in matplotlib's font folder) at `size` pixels, cached."""
    return ImageFont.truetype(os.path.join(FONT_DIR, filename), max(4, int(size)),
                              layout_engine=ImageFont.Layout.BASIC)


def family_font(family, size, bold=False, italic=False):
    """A style of a family (a FontFamily or its name) at `size` pixels."""
    if isinstance(family, str):
        family = FAMILIES[family]
    return load_font(family.file(bold, italic), size)


@functools.lru_cache(maxsize=1 << 16)
def char_advance(font, char):
    """Advance width of one character in pixels."""
    return font.getlength(char)


@functools.lru_cache(maxsize=1 << 18)
def text_width(font, text):
    """Advance width of `text` in pixels: the sum of its characters' advances (text is drawn
    glyph by glyph from cached masks, without kerning, so this is exact for what is drawn)."""
    return sum(char_advance(font, c) for c in text)


@functools.lru_cache(maxsize=4096)
def line_metrics(font):
    """(ascent, descent) of `font` in pixels."""
    return font.getmetrics()
