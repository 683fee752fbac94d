"""Display formulas typeset with a tiny box model: glyph runs, scripts, fractions, big operators
(sum, integral with limits), radicals and parentheses, in STIX fonts."""
from .blocks import Block
from .fonts import MATH_ITALIC, MATH_REGULAR, load_font, text_width

LATIN = "abcdfghknpqrstuvwxyzABCDEFGHKLMNPRSTUVWXYZ"
GREEK = "\u03b1\u03b2\u03b3\u03b4\u03b5\u03b8\u03bb\u03bc\u03c0\u03c3\u03c6\u03c9\u03c4\u03be"
GREEK_UPPER = "\u0394\u03a3\u03a9\u03a6\u0393\u039b"
RELATIONS = ["=", "=", "=", "\u2264", "\u2248", "\u2261", "\u221d"]
FUNCTIONS = ["exp", "log", "sin", "cos", "tanh", "max", "min", "det", "tr"]
MINUS = "\u2212"


class Node:
    """A box with width `w`, height above the baseline `asc` and depth below it `desc`."""

    w = asc = desc = 0

    def draw(self, canvas, x, baseline, color):
        """Draw with the left edge at x and the baseline at `baseline`."""
        raise NotImplementedError


class Glyphs(Node):
    """A string in one font, measured by its ink, with `space` pixels of margin on each side."""

    def __init__(self, text, font, space=0):
        self.text, self.font = text, font
        left, top, right, bottom = font.getbbox(text, anchor="ls")
        self.left = min(0, left)
        self.space = space
        self.w = max(text_width(font, text), right) - self.left + 2 * space
        self.asc, self.desc = max(0, -top), max(0, bottom)

    def draw(self, canvas, x, baseline, color):
        canvas.text(x + self.space - self.left, baseline, self.text, self.font, color)


class HBox(Node):
    """Nodes side by side on a common baseline."""

    def __init__(self, children, gap=0):
        self.children, self.gap = children, gap
        self.w = sum(c.w for c in children) + gap * max(0, len(children) - 1)
        self.asc = max(c.asc for c in children)
        self.desc = max(c.desc for c in children)

    def draw(self, canvas, x, baseline, color):
        for child in self.children:
            child.draw(canvas, x, baseline, color)
            x += child.w + self.gap


class Scripts(Node):
    """`base` with an optional superscript and subscript."""

    def __init__(self, base, sup=None, sub=None, size=12):
        self.base, self.sup, self.sub = base, sup, sub
        self.up = round(max(base.asc * 0.55, size * 0.35))
        self.down = round(size * 0.22)
        self.w = base.w + max(sup.w if sup else 0, sub.w if sub else 0) + 1
        self.asc = max(base.asc, (self.up + sup.asc) if sup else 0)
        self.desc = max(base.desc, (self.down + sub.desc) if sub else 0)

    def draw(self, canvas, x, baseline, color):
        self.base.draw(canvas, x, baseline, color)
        sx = x + self.base.w + 1
        if self.sup:
            self.sup.draw(canvas, sx, baseline - self.up, color)
        if self.sub:
            self.sub.draw(canvas, sx, baseline + self.down, color)


class Fraction(Node):
    """Numerator over denominator, centred on a bar at the math axis."""

    def __init__(self, num, den, size):
        self.num, self.den = num, den
        self.axis = round(size * 0.27)
        self.gap = max(1, round(size * 0.15))
        self.thick = max(1, round(size * 0.06))
        self.pad = max(1, round(size * 0.12))
        self.w = max(num.w, den.w) + 2 * self.pad
        self.asc = self.axis + self.gap + num.desc + num.asc + self.thick
        self.desc = max(0, self.thick + self.gap + den.asc + den.desc - self.axis)

    def draw(self, canvas, x, baseline, color):
        bar = baseline - self.axis
        canvas.hline(x, x + self.w, bar, color, self.thick)
        self.num.draw(canvas, x + (self.w - self.num.w) // 2, bar - self.gap - self.num.desc, color)
        self.den.draw(canvas, x + (self.w - self.den.w) // 2, bar + self.thick + self.gap + self.den.asc, color)


class BigOperator(Node):
    """A large sum/product/integral sign with limits stacked above and below."""

    def __init__(self, symbol, lower, upper, size):
        self.op = Glyphs(symbol, load_font(MATH_REGULAR, round(size * 1.6)))
        self.lower, self.upper = lower, upper
        self.gap = max(1, round(size * 0.1))
        self.w = max(self.op.w, lower.w if lower else 0, upper.w if upper else 0) + 2
        self.asc = self.op.asc + ((self.gap + upper.asc + upper.desc) if upper else 0)
        self.desc = self.op.desc + ((self.gap + lower.asc + lower.desc) if lower else 0)

    def draw(self, canvas, x, baseline, color):
        self.op.draw(canvas, x + (self.w - self.op.w) // 2, baseline, color)
        if self.upper:
            self.upper.draw(canvas, x + (self.w - self.upper.w) // 2,
                            baseline - self.op.asc - self.gap - self.upper.desc, color)
        if self.lower:
            self.lower.draw(canvas, x + (self.w - self.lower.w) // 2,
                            baseline + self.op.desc + self.gap + self.lower.asc, color)


class Radical(Node):
    """A square root drawn with lines over `child`."""

    def __init__(self, child, size):
        self.child = child
        self.thick = max(1, round(size * 0.06))
        self.hook = max(3, round(size * 0.45))
        self.top_gap = max(1, round(size * 0.12))
        self.w = child.w + self.hook + 2
        self.asc = child.asc + self.top_gap + self.thick
        self.desc = child.desc + 1

    def draw(self, canvas, x, baseline, color):
        top = baseline - self.asc
        bottom = baseline + self.desc
        mid = baseline - self.child.asc // 3
        h = self.hook
        points = [(x, mid), (x + h * 0.3, mid - 1), (x + h * 0.6, bottom - 1), (x + h, top), (x + self.w - 1, top)]
        canvas.draw.line(points, fill=color, width=self.thick)
        self.child.draw(canvas, x + h + 1, baseline, color)


class Parens(Node):
    """`child` between parentheses sized to its height."""

    def __init__(self, child, size, brackets="()"):
        height = child.asc + child.desc
        font = load_font(MATH_REGULAR, max(size, round(height * 0.95)))
        self.left, self.right = Glyphs(brackets[0], font, 1), Glyphs(brackets[1], font, 1)
        self.child = child
        self.shift = round((child.desc - child.asc) / 2 + (self.left.asc - self.left.desc) / 2)
        self.w = self.left.w + child.w + self.right.w
        self.asc = max(child.asc, self.left.asc - self.shift)
        self.desc = max(child.desc, self.left.desc + self.shift)

    def draw(self, canvas, x, baseline, color):
        self.left.draw(canvas, x, baseline + self.shift, color)
        self.child.draw(canvas, x + self.left.w, baseline, color)
        self.right.draw(canvas, x + self.left.w + self.child.w, baseline + self.shift, color)


class FormulaBuilder:
    """Random display formulas at a given font size."""

    def __init__(self, rng, size):
        self.rng = rng
        self.size = size
        self.small = max(4, round(size * 0.7))

    def _font(self, italic, small):
        return load_font(MATH_ITALIC if italic else MATH_REGULAR, self.small if small else self.size)

    def symbol(self, small=False):
        """A Latin or Greek letter."""
        r = self.rng
        if r.random() < 0.65:
            return Glyphs(r.choice(LATIN), self._font(True, small), 0)
        if r.random() < 0.75:
            return Glyphs(r.choice(GREEK), self._font(True, small), 0)
        return Glyphs(r.choice(GREEK_UPPER), self._font(False, small), 0)

    def op(self, text, small=False):
        """An operator or relation with a little space on each side."""
        return Glyphs(text, self._font(False, small), max(1, round((self.small if small else self.size) * 0.18)))

    def number(self, small=False):
        """A small integer or decimal."""
        r = self.rng
        text = str(r.randint(2, 9)) if r.random() < 0.7 else f"{r.uniform(0, 10):.{r.randint(1, 2)}f}"
        return Glyphs(text, self._font(False, small), 0)

    def variable(self, small=False):
        """A letter, maybe with a superscript and/or subscript."""
        r = self.rng
        base = self.symbol(small)
        if small:
            return base
        pick = r.random()
        if pick < 0.25:
            return Scripts(base, sup=Glyphs(r.choice("2nk3T"), self._font(pick < 0.12, True)), size=self.size)
        if pick < 0.5:
            return Scripts(base, sub=Glyphs(r.choice("ijkt0n"), self._font(True, True)), size=self.size)
        if pick < 0.6:
            return Scripts(base, sup=Glyphs("2", self._font(False, True)),
                           sub=Glyphs(r.choice("ijk"), self._font(True, True)), size=self.size)
        return base

    def term(self, depth):
        """One term: variable, product, fraction, sum, integral, root, function or square."""
        r = self.rng
        pick = r.random() if depth < 2 else r.random() * 0.45
        if pick < 0.25:
            return self.variable()
        if pick < 0.45:
            return HBox([self.number(), self.variable()], 1)
        if pick < 0.6:
            return Fraction(self.expression(depth + 1, 2), self.expression(depth + 1, 2), self.size)
        if pick < 0.7:
            index = Glyphs(r.choice("ijkn"), self._font(True, True))
            lower = HBox([index, self.op("=", True), Glyphs(r.choice("01"), self._font(False, True))])
            upper = Glyphs(r.choice("nNKT"), self._font(True, True))
            symbol = r.choice(["\u2211", "\u2211", "\u220f"])
            return HBox([BigOperator(symbol, lower, upper, self.size), self.term(depth + 1)], 2)
        if pick < 0.78:
            lower = Glyphs(r.choice("0a"), self._font(r.random() < 0.5, True))
            upper = Glyphs(r.choice(["\u221e", "1", "T", "b"]), self._font(False, True))
            integral = Scripts(Glyphs("\u222b", load_font(MATH_REGULAR, round(self.size * 1.5))), upper, lower,
                               self.size)
            dvar = HBox([Glyphs("d", self._font(False, False)), self.symbol()])
            return HBox([integral, self.term(depth + 1), dvar], 2)
        if pick < 0.86:
            return Radical(self.expression(depth + 1, 2), self.size)
        if pick < 0.94:
            name = Glyphs(r.choice(FUNCTIONS), self._font(False, False), 1)
            return HBox([name, Parens(self.expression(depth + 1, 2), self.size)])
        squared = Parens(self.expression(depth + 1, 2), self.size)
        return Scripts(squared, sup=Glyphs("2", self._font(False, True)), size=self.size)

    def expression(self, depth, max_terms=3):
        """Terms joined by +, - or a dot."""
        parts = [self.term(depth)]
        for _ in range(self.rng.randint(0, max_terms - 1)):
            parts.append(self.op(self.rng.choice(["+", MINUS, "+", "\u00b7"])))
            parts.append(self.term(depth))
        return HBox(parts)

    def formula(self):
        """`lhs = rhs` (or another relation) with a random expression on the right."""
        lhs = self.variable()
        if self.rng.random() < 0.3:
            lhs = HBox([lhs, Parens(self.symbol(), self.size)])
        return HBox([lhs, self.op(self.rng.choice(RELATIONS)), self.expression(0)])


class Formula(Block):
    """A display formula centred (or indented) in `width`, with an optional equation number
    at the right margin; both are inside the one Formula box."""

    def __init__(self, rng, width, size, color, number=None, text_font=None):
        self.width = int(width)
        self.color = color
        builder = FormulaBuilder(rng, size)
        self.number = Glyphs(f"({number})", text_font or load_font(MATH_REGULAR, size)) if number else None
        room = self.width - (2 * self.number.w + 8 if self.number else 4)
        node = None
        for _ in range(6):
            candidate = builder.formula()
            if candidate.w <= room:
                node = candidate
                break
        if node is None:
            node = HBox([builder.symbol(), builder.op("="), builder.symbol()])
        self.node = node
        self.centered = rng.random() < 0.8
        self.asc = max(node.asc, self.number.asc if self.number else 0)
        self.desc = max(node.desc, self.number.desc if self.number else 0)
        self.height = self.asc + self.desc + 1 if node.w <= room else 0

    def draw(self, canvas, x, y):
        baseline = y + self.asc
        fx = x + (self.width - self.node.w) // 2 if self.centered else x + self.width // 12
        self.node.draw(canvas, fx, baseline, self.color)
        if self.number:
            self.number.draw(canvas, x + self.width - self.number.w - 1, baseline, self.color)
        canvas.annotate("Formula", (x, y, x + self.width, y + self.height))
