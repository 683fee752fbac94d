"""Tables: a header row and body rows of words and numbers, drawn with rules in one of a few styles."""
import re

from .blocks import Block
from .fonts import line_metrics, text_width

TABLE_STYLES = ("booktabs", "grid", "striped", "minimal", "header_fill")
FIRST_HEADERS = ["Method", "Model", "Item", "Region", "Parameter", "Category", "Variable", "Product",
                 "Segment", "Description", "Country", "Group", "Sample", "Component", "Source"]
METRIC_HEADERS = ["Acc.", "F1", "Precision", "Recall", "mAP", "AP50", "Total", "Mean", "Std.", "Min", "Max",
                  "Q1", "Q2", "Q3", "Q4", "Count", "Share", "Change", "Cost", "Price", "Units", "Rate",
                  "Score", "Error", "Time (s)", "Size", "Value", "Budget", "Actual", "Target", "Weight"]
NUMBER = re.compile(r"[-+($]*[\d,.]+%?\)?( (\u00b1|\+/-) [\d.]+)?")
WORD_CELLS = ["Yes", "No", "High", "Low", "Medium", "N/A", "None", "Pass", "Fail", "Open", "Closed", "Active"]


def _number(rng, kind, unicode_ok):
    if kind == "dec":
        return f"{rng.uniform(0, 100):.{rng.choice((1, 2))}f}"
    if kind == "int":
        return f"{rng.randint(0, 99999):,}"
    if kind == "pct":
        return f"{rng.uniform(-30, 100):.1f}%"
    if kind == "money":
        return f"${rng.uniform(0, 50000):,.0f}"
    if kind == "pm":
        sep = " \u00b1 " if unicode_ok else " +/- "
        return f"{rng.uniform(10, 99):.1f}{sep}{rng.uniform(0.1, 3):.1f}"
    if kind == "year":
        return str(rng.randint(1970, 2024))
    return rng.choice(WORD_CELLS)


class Table(Block):
    """A table filling (or centred in) `width`; `cells[0]` is the header row.

    Without `cells`, a random header and body of words and numbers is made. Columns whose content
    does not fit are dropped; rows are limited to `max_height`. Rows whose first cell starts with
    "Total" or "Subtotal" are bold.
    """

    def __init__(self, rng, text, width, max_height, font, bold_font, color, scale, unicode_ok=True,
                 style=None, n_rows=None, n_cols=None, cells=None):
        self.width = int(width)
        self.font, self.bold_font, self.color = font, bold_font, color
        self.style = style or rng.choice(TABLE_STYLES)
        self.accent = rng.choice([(40, 60, 110), (70, 70, 70), (120, 30, 30), (20, 90, 80)])
        self.pad_x = max(2, round(rng.uniform(4, 8) * scale))
        self.pad_y = max(1, round(rng.uniform(1.5, 4) * scale))
        self.thick = max(1, round(1.5 * scale)) if rng.random() < 0.7 else 1
        ascent, descent = max(line_metrics(font), line_metrics(bold_font))
        self.ascent = ascent
        self.row_h = ascent + descent + 2 * self.pad_y
        rows_room = max(0, int((max_height - self.row_h - 4 * self.thick) // self.row_h))
        if cells is None:
            cells = self._random_cells(rng, text, min(n_rows or rng.randint(3, 14), rows_room),
                                       n_cols or rng.randint(3, 7), unicode_ok)
        self.cells = [list(row) for row in cells[:rows_room + 1]]
        self._fit_columns()
        self.numeric = [c > 0 and all(NUMBER.fullmatch(row[c]) for row in self.cells[1:])
                        for c in range(len(self.cells[0]))]
        self.height = self.row_h * len(self.cells) + 2 * self.thick + 1 if len(self.cells) > 1 else 0

    @staticmethod
    def _random_cells(rng, text, n_rows, n_cols, unicode_ok):
        kinds = [rng.choice(("dec", "dec", "int", "pct", "money", "pm", "year", "word")) for _ in range(n_cols - 1)]
        header = [rng.choice(FIRST_HEADERS)]
        if rng.random() < 0.3:
            start = rng.randint(1995, 2020)
            header += [str(start + i) for i in range(n_cols - 1)]
        else:
            header += [rng.choice(METRIC_HEADERS) if rng.random() < 0.7 else text.phrase(1, 2)
                       for _ in range(n_cols - 1)]
        body = [[text.phrase(1, 3, title_case=rng.random() < 0.5)] + [_number(rng, kind, unicode_ok) for kind in kinds]
                for _ in range(n_rows)]
        if body and rng.random() < 0.25:
            body[-1][0] = "Total"
        return [header] + body

    def _cell_width(self, r, c):
        font = self.bold_font if r == 0 else self.font
        return text_width(font, self.cells[r][c]) + 2 * self.pad_x

    def _fit_columns(self):
        while True:
            n_cols = len(self.cells[0])
            widths = [max(self._cell_width(r, c) for r in range(len(self.cells))) for c in range(n_cols)]
            if sum(widths) + 2 <= self.width or n_cols <= 2:
                break
            for row in self.cells:
                row.pop()
        if sum(widths) + 2 > self.width:
            self.cells = [self.cells[0]]
        elif self.style in ("grid", "striped", "header_fill") or sum(widths) > 0.75 * self.width:
            extra = (self.width - 2 - sum(widths)) / n_cols
            widths = [w + extra for w in widths]
        self.col_widths = [int(w) for w in widths]
        self.table_width = sum(self.col_widths)

    def draw(self, canvas, x, y):
        if len(self.cells) < 2:
            return
        x0 = x + (self.width - self.table_width) // 2
        x1 = x0 + self.table_width
        top = y + self.thick
        bottom = top + self.row_h * len(self.cells)
        light = (226, 230, 236)
        if self.style == "header_fill":
            canvas.draw.rectangle((x0, top, x1 - 1, top + self.row_h - 1), fill=self.accent)
        if self.style == "striped":
            canvas.draw.rectangle((x0, top, x1 - 1, top + self.row_h - 1), fill=(200, 205, 212))
            for r in range(2, len(self.cells), 2):
                ry = top + r * self.row_h
                canvas.draw.rectangle((x0, ry, x1 - 1, ry + self.row_h - 1), fill=light)
        for r, row in enumerate(self.cells):
            baseline = top + r * self.row_h + self.pad_y + self.ascent
            font = self.bold_font if r == 0 or row[0].startswith(("Total", "Subtotal")) else self.font
            fill = (255, 255, 255) if r == 0 and self.style == "header_fill" else self.color
            cx = x0
            for c, cell in enumerate(row):
                w = self.col_widths[c]
                tw = text_width(font, cell)
                if r == 0 and c > 0:
                    tx = cx + (w - tw) / 2
                elif self.numeric[c]:
                    tx = cx + w - self.pad_x - tw
                else:
                    tx = cx + self.pad_x
                canvas.text(round(tx), baseline, cell, font, fill)
                cx += w
        self._draw_rules(canvas, x0, x1, y, top, bottom)
        canvas.annotate("Table", (x0, y, x1, y + self.height))

    def _draw_rules(self, canvas, x0, x1, y, top, bottom):
        color = self.color
        header_bottom = top + self.row_h
        if self.style == "booktabs":
            canvas.hline(x0, x1, y, color, self.thick)
            canvas.hline(x0, x1, header_bottom, color, 1)
            canvas.hline(x0, x1, bottom, color, self.thick)
        elif self.style == "grid":
            for r in range(len(self.cells) + 1):
                canvas.hline(x0, x1, top + r * self.row_h, color, 1)
            cx = x0
            for w in self.col_widths:
                canvas.vline(cx, top, bottom + 1, color, 1)
                cx += w
            canvas.vline(x1 - 1, top, bottom + 1, color, 1)
        elif self.style == "minimal":
            canvas.hline(x0, x1, header_bottom, color, 1)
        elif self.style == "striped":
            canvas.hline(x0, x1, bottom, color, 1)
        else:
            canvas.hline(x0, x1, bottom, self.accent, self.thick)
