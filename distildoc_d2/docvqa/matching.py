"""Matching layout regions to OCR tokens, one region at a time.

A token matches a region (both boxes in the OCR page frame) when any of these holds, tried in
this order:
1. `iou`: the IoU of token and region is above 0.3;
2. `corner`: a corner of the token lies strictly inside the region (not on its edge);
3. `area`: at least half of the token's area lies inside the region.
A token of zero area matches when its centre lies inside the region, edges included (`centre`).

A region's span is (first, last): the smallest and the largest index, in reading order, of the
tokens it matches. When it matches none, the nearest-corner fallback takes as first the token
whose top-left corner is nearest to the region's top-left corner, and as last the token whose
bottom-right corner is nearest to the region's bottom-right corner (ties: the earlier token),
provided both distances are at most `fallback_distance`; otherwise the region is empty.
"""
import math
from statistics import median

from .geometry import box_area, box_iou, corners, intersection_area, point_inside, point_strictly_inside

IOU_THRESHOLD = 0.3
AREA_FRACTION = 0.5


def match_rule(token_box, region_box):
    """The first rule by which the token matches the region ("iou", "corner", "area", "centre"),
    or None."""
    area = box_area(token_box)
    if area == 0:
        cx, cy = (token_box[0] + token_box[2]) / 2, (token_box[1] + token_box[3]) / 2
        return "centre" if point_inside(cx, cy, region_box) else None
    if box_iou(token_box, region_box) > IOU_THRESHOLD:
        return "iou"
    if any(point_strictly_inside(x, y, region_box) for x, y in corners(token_box)):
        return "corner"
    if intersection_area(token_box, region_box) >= AREA_FRACTION * area:
        return "area"
    return None


def median_token_height(token_boxes):
    """The median height of the tokens (0 without tokens): the unit of the fallback distance."""
    return median(b[3] - b[1] for b in token_boxes) if token_boxes else 0.0


def _nearest(token_boxes, x, y, corner):
    distances = [math.hypot(b[corner[0]] - x, b[corner[1]] - y) for b in token_boxes]
    best = min(range(len(distances)), key=lambda i: (distances[i], i))
    return best, distances[best]


def region_span(token_boxes, region_box, fallback_distance=0.0):
    """(first, last, how) of the region's token span, `how` being "match" or "nearest"; None for an
    empty region. `fallback_distance` <= 0 disables the nearest-corner fallback."""
    matched = [i for i, box in enumerate(token_boxes) if match_rule(box, region_box)]
    if matched:
        return matched[0], matched[-1], "match"
    if fallback_distance <= 0 or not token_boxes:
        return None
    first, d_first = _nearest(token_boxes, region_box[0], region_box[1], (0, 1))
    last, d_last = _nearest(token_boxes, region_box[2], region_box[3], (2, 3))
    if d_first > fallback_distance or d_last > fallback_distance:
        return None
    return min(first, last), max(first, last), "nearest"
