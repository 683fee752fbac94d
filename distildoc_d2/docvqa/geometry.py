"""Axis-aligned boxes (x0, y0, x1, y1) with x1 >= x0 and y1 >= y0, in one page frame."""


def box_area(box):
    """Area of a box; 0 for a degenerate one."""
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def intersection_area(a, b):
    """Area of the overlap of two boxes."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, width) * max(0.0, height)


def box_iou(a, b):
    """Intersection over union; 0 when the union is empty."""
    inter = intersection_area(a, b)
    union = box_area(a) + box_area(b) - inter
    return inter / union if union > 0 else 0.0


def polygon_to_box(points):
    """The bounding box of a flat polygon [x1, y1, x2, y2, ...] (e.g. an OCR 8-point quadrilateral)."""
    xs, ys = points[0::2], points[1::2]
    if not xs or len(xs) != len(ys):
        raise ValueError(f"not a flat list of x, y pairs: {points!r}")
    return (float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys)))


def clip_box(box, width, height):
    """The part of a box inside the page [0, width] x [0, height] (possibly of zero area)."""
    x0 = min(max(box[0], 0.0), width)
    y0 = min(max(box[1], 0.0), height)
    x1 = min(max(box[2], 0.0), width)
    y1 = min(max(box[3], 0.0), height)
    return (x0, y0, max(x0, x1), max(y0, y1))


def rescale_box(box, from_size, to_size):
    """Map a box from a (width, height) frame to another, scaling x and y separately."""
    sx = to_size[0] / from_size[0]
    sy = to_size[1] / from_size[1]
    return (box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy)


def point_strictly_inside(x, y, box):
    """Whether (x, y) lies in the open interior of a box (a point on its edge does not)."""
    return box[0] < x < box[2] and box[1] < y < box[3]


def point_inside(x, y, box):
    """Whether (x, y) lies in the closed box (its edges included)."""
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def corners(box):
    """The four corners of a box: top-left, top-right, bottom-left, bottom-right."""
    return ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3]))
