"""Layout tags around OCR token spans: `<Label>` before a region's first token, `</Label>` after
its last one.

Per page, regions go through these steps (each drop is counted by its reason):
1. labels in `skip_labels` are dropped (`skipped_label`; the paper skips `Text`), and so are
   regions scoring below `score_threshold` (`below_threshold`);
2. boxes are rescaled from the layout's frame to the OCR page frame and clipped to the page;
   a box with no area left is dropped (`no_area`);
3. each region gets its token span (distildoc_d2.docvqa.matching); a region without one is
   dropped (`empty`);
4. conflicts are resolved greedily in priority order: higher score first, then the longer span,
   then the earlier region in the layout's list. A region is accepted when its span is, with every
   span accepted before it, either disjoint or nested (inside or around it, sharing ends allowed);
   a region whose span equals an accepted one is dropped (`duplicate`), one whose span crosses an
   accepted one (starts inside it and ends after it, or the reverse) is dropped (`crossing`).
The accepted spans thus nest like brackets and the tags are well formed: at one token, opening
tags go outermost first and closing tags innermost first.
"""
from dataclasses import dataclass, field

from .geometry import box_area, clip_box, rescale_box
from .matching import median_token_height, region_span

DEFAULT_SKIP_LABELS = ("Text",)
DROP_REASONS = ("skipped_label", "below_threshold", "no_area", "empty", "duplicate", "crossing")


@dataclass(frozen=True)
class TagSpan:
    """An accepted region: its label, token span [first, last], score, index in the layout and how
    its span was found ("match" or "nearest")."""

    label: str
    first: int
    last: int
    score: float
    region: int
    how: str


@dataclass
class Tagging:
    """The accepted spans of a page (sorted by first token, outer spans first) and the drop counts."""

    spans: list
    dropped: dict = field(default_factory=lambda: dict.fromkeys(DROP_REASONS, 0))


def _crosses(a, b):
    return (a.first < b.first <= a.last < b.last) or (b.first < a.first <= b.last < a.last)


def resolve_spans(candidates):
    """Accepted spans and drop counts (`duplicate`, `crossing`) for candidate TagSpans, by the
    priority rule of this module."""
    order = sorted(candidates, key=lambda s: (-s.score, -(s.last - s.first), s.region))
    accepted, dropped = [], {"duplicate": 0, "crossing": 0}
    for span in order:
        if any((a.first, a.last) == (span.first, span.last) for a in accepted):
            dropped["duplicate"] += 1
        elif any(_crosses(a, span) for a in accepted):
            dropped["crossing"] += 1
        else:
            accepted.append(span)
    accepted.sort(key=lambda s: (s.first, -s.last))
    return accepted, dropped


def find_tag_spans(ocr_page, layout, skip_labels=DEFAULT_SKIP_LABELS, score_threshold=0.5, fallback_scale=1.0):
    """The Tagging of an OcrPage by a PageLayout (None: no layout). The nearest-corner fallback
    reaches `fallback_scale` median token heights (0 disables it)."""
    tagging = Tagging(spans=[])
    if layout is None:
        return tagging
    boxes = [t.box for t in ocr_page.tokens]
    reach = fallback_scale * median_token_height(boxes)
    skip = set(skip_labels)
    candidates = []
    for index, region in enumerate(layout.regions):
        if region.label in skip:
            tagging.dropped["skipped_label"] += 1
            continue
        if region.score < score_threshold:
            tagging.dropped["below_threshold"] += 1
            continue
        box = rescale_box(region.box, (layout.width, layout.height), (ocr_page.width, ocr_page.height))
        box = clip_box(box, ocr_page.width, ocr_page.height)
        if box_area(box) == 0:
            tagging.dropped["no_area"] += 1
            continue
        span = region_span(boxes, box, reach)
        if span is None:
            tagging.dropped["empty"] += 1
            continue
        candidates.append(TagSpan(region.label, span[0], span[1], region.score, index, span[2]))
    tagging.spans, conflicts = resolve_spans(candidates)
    tagging.dropped.update(conflicts)
    return tagging


def tag_token_texts(texts, spans, open_tag="<{label}>", close_tag="</{label}>"):
    """Token texts with the tags of `spans` attached: opening tags before the first token of a span,
    closing tags after its last token."""
    prefixes, suffixes = [""] * len(texts), [""] * len(texts)
    for span in sorted(spans, key=lambda s: (s.first, -s.last), reverse=True):
        prefixes[span.first] = open_tag.format(label=span.label) + prefixes[span.first]
    for span in sorted(spans, key=lambda s: (s.last, -s.first)):
        suffixes[span.last] += close_tag.format(label=span.label)
    return [p + t + s for p, t, s in zip(prefixes, texts, suffixes)]
