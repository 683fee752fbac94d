"""Page text for a prompt, from OCR tokens (with their layout tags attached).

- `plain`: tokens in reading order joined by spaces, one output line per OCR line;
- `space`: a whitespace-positioned page. Tokens are grouped into rows by their vertical centres
  (a token joins the current row while its centre is within half the taller of its and the row's
  first token's heights from that token's centre), rows top to bottom, tokens left to right,
  each token starting at the character column of its left edge (x / median character width,
  measured from the leftmost token), at least one space after the previous token.
"""
from statistics import median

TEXT_LAYOUTS = ("plain", "space")


def plain_text(tokens, texts):
    """Tokens' `texts` in reading order, joined by spaces within an OCR line and by newlines between lines."""
    lines, current, line_id = [], [], None
    for token, text in zip(tokens, texts):
        if current and token.line != line_id:
            lines.append(" ".join(current))
            current = []
        current.append(text)
        line_id = token.line
    if current:
        lines.append(" ".join(current))
    return "\n".join(lines)


def _rows(tokens):
    order = sorted(range(len(tokens)), key=lambda i: ((tokens[i].box[1] + tokens[i].box[3]) / 2, tokens[i].box[0], i))
    rows = []
    for i in order:
        box = tokens[i].box
        centre, height = (box[1] + box[3]) / 2, box[3] - box[1]
        if rows:
            anchor = tokens[rows[-1][0]].box
            anchor_centre, anchor_height = (anchor[1] + anchor[3]) / 2, anchor[3] - anchor[1]
            if centre - anchor_centre <= 0.5 * max(height, anchor_height):
                rows[-1].append(i)
                continue
        rows.append([i])
    return [sorted(row, key=lambda i: (tokens[i].box[0], i)) for row in rows]


def space_text(tokens, texts):
    """Tokens' `texts` placed on a character grid by their boxes (see the module docstring)."""
    if not tokens:
        return ""
    widths = [(t.box[2] - t.box[0]) / len(t.text) for t in tokens if t.text and t.box[2] > t.box[0]]
    char_width = median(widths) if widths else 1.0
    left = min(t.box[0] for t in tokens)
    lines = []
    for row in _rows(tokens):
        line = ""
        for i in row:
            column = round((tokens[i].box[0] - left) / char_width)
            start = max(column, len(line) + 1) if line else column
            line += " " * (start - len(line)) + texts[i]
        lines.append(line.rstrip())
    return "\n".join(lines)


def page_text(tokens, texts, text_layout):
    """The page text in the `text_layout` style ("plain" or "space")."""
    if text_layout == "plain":
        return plain_text(tokens, texts)
    if text_layout == "space":
        return space_text(tokens, texts)
    raise ValueError(f"unknown text layout {text_layout!r} (one of {', '.join(TEXT_LAYOUTS)})")
