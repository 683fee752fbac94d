"""Reading order of the regions of a page, column-aware, from their boxes alone.

1. Regions at least `WIDE_FRACTION` of the width spanned by all regions (titles, full-width
   figures and tables, single-column text) break the flow, and so do lone narrow regions that
   fit no column (a centred page number, a small item straddling the gutter).
2. The flow breaks, taken top to bottom, cut the page into horizontal bands. In each band the
   other regions are grouped into columns (a region joins the column it overlaps horizontally by
   at least half of the narrower of the two); columns are read left to right, each top to bottom.
3. The order is: band 0, break 0, band 1, break 1, ... .

The order is a heuristic: it knows nothing of region classes or text, so e.g. a page header
sitting in the right column of a page without a full-width title is read with that column.
"""
WIDE_FRACTION = 0.6
# A column made of a single region narrower than this fraction of the span is not a column.
LONE_FRACTION = 0.3


def _width(box):
    return box[2] - box[0]


def _center_y(box):
    return (box[1] + box[3]) / 2


def _columns(boxes, indices):
    """Groups of `indices` by horizontal overlap, as [x0, x1, members], left to right."""
    columns = []
    for i in sorted(indices, key=lambda i: boxes[i][0]):
        x0, x1 = boxes[i][0], boxes[i][2]
        best, best_overlap = None, 0.0
        for column in columns:
            overlap = min(x1, column[1]) - max(x0, column[0])
            if overlap > best_overlap:
                best, best_overlap = column, overlap
        if best is not None and best_overlap >= 0.5 * min(x1 - x0, best[1] - best[0]):
            best[0], best[1] = min(best[0], x0), max(best[1], x1)
            best[2].append(i)
        else:
            columns.append([x0, x1, [i]])
    return sorted(columns, key=lambda c: c[0])


def reading_order(boxes):
    """Rank (0 = read first) of each (x0, y0, x1, y1) box in reading order."""
    boxes = [tuple(float(v) for v in box[:4]) for box in boxes]
    if not boxes:
        return []
    span = max(max(b[2] for b in boxes) - min(b[0] for b in boxes), 1e-6)
    narrow = [i for i, b in enumerate(boxes) if _width(b) < WIDE_FRACTION * span]
    breaks = set(range(len(boxes))) - set(narrow)
    for x0, x1, members in _columns(boxes, narrow):
        if len(members) == 1 and x1 - x0 < LONE_FRACTION * span:
            breaks.update(members)
    breaks = sorted(breaks, key=lambda i: (_center_y(boxes[i]), boxes[i][0]))
    bands = [[] for _ in range(len(breaks) + 1)]
    for i in set(narrow) - set(breaks):
            band = sum(1 for b in breaks if _center_y(boxes[b]) <= _center_y(boxes[i]))
            bands[band].append(i)
    order = []
    for band, members in enumerate(bands):
        for _, _, column in _columns(boxes, members):
            order += sorted(column, key=lambda i: (boxes[i][1], boxes[i][0]))
        if band < len(breaks):
            order.append(breaks[band])
    ranks = [0] * len(boxes)
    for rank, i in enumerate(order):
        ranks[i] = rank
    return ranks
