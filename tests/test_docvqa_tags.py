"""Token-region matching rules, layout tag insertion and page-text builders on hand-made pages."""
import random

import pytest

from distildoc_d2.docvqa.layout_sources import PageLayout, Region
from distildoc_d2.docvqa.matching import match_rule, region_span
from distildoc_d2.docvqa.ocr import OcrPage, OcrToken
from distildoc_d2.docvqa.tagging import find_tag_spans, resolve_spans, tag_token_texts, TagSpan
from distildoc_d2.docvqa.text_layout import plain_text, space_text


def page(*rows, width=200, height=200):
    """A page of 10-unit-high words in rows: each row (y, [(text, x0, x1), ...]) is one OCR line."""
    tokens = []
    for line, (y, words) in enumerate(rows):
        tokens += [OcrToken(text, (x0, y, x1, y + 10), line) for text, x0, x1 in words]
    return OcrPage(width, height, tuple(tokens))


# Two lines of three words and a third line of two, far below.
PAGE = page((10, [("Annual", 10, 50), ("report", 60, 100), ("2020", 110, 130)]),
            (30, [("Total", 10, 40), ("income", 50, 90), ("rose", 100, 125)]),
            (100, [("Page", 10, 40), ("7", 50, 55)]))


def tagged(ocr_page, regions, frame=None, **options):
    """The plain page text with the tags of `regions` ((label, box, score) triples)."""
    width, height = frame or (ocr_page.width, ocr_page.height)
    layout = PageLayout(tuple(Region(box, label, score) for label, box, score in regions), width, height)
    tagging = find_tag_spans(ocr_page, layout, **options)
    texts = tag_token_texts([t.text for t in ocr_page.tokens], tagging.spans)
    return plain_text(ocr_page.tokens, texts), tagging


# --- matching rules, one by one ---

def test_iou_rule_matches_above_0_3_only():
    token = (0, 0, 10, 10)
    assert match_rule(token, (0, 0, 10, 10)) == "iou"
    assert match_rule(token, (0, 0, 3.1, 10)) == "iou"  # IoU 0.31, no corner strictly inside
    assert match_rule(token, (0, 0, 3, 10)) is None  # IoU exactly 0.3, 30% of the token inside


def test_corner_rule_needs_a_corner_strictly_inside():
    assert match_rule((0, 0, 10, 10), (5, 5, 100, 100)) == "corner"  # IoU 25/9100, corner (10, 10) inside
    assert match_rule((10, 0, 20, 10), (20, 0, 50, 10)) is None  # touching edges only


def test_area_rule_matches_a_token_inside_but_on_the_region_edges():
    # IoU 0.1 and every corner on the region's left/right edges, yet the whole token is inside
    assert match_rule((0, 10, 10, 20), (0, 0, 10, 100)) == "area"
    # exactly half inside, IoU 0.125, the corners inside lie on the region's top and bottom edges
    assert match_rule((0, 0, 10, 10), (5, 0, 40, 10)) == "area"
    assert match_rule((0, 0, 10, 10), (5.1, 0, 40, 10)) is None


def test_zero_area_token_matches_by_its_centre():
    assert match_rule((5, 5, 5, 15), (0, 0, 10, 10)) == "centre"
    assert match_rule((15, 5, 15, 15), (0, 0, 10, 10)) is None


def test_span_runs_from_first_to_last_matched_token_in_reading_order():
    boxes = [t.box for t in PAGE.tokens]
    assert region_span(boxes, (55, 8, 135, 42)) == (1, 5, "match")  # report 2020 / income rose
    assert region_span(boxes, (0, 95, 60, 115)) == (6, 7, "match")


def test_nearest_corner_fallback_within_reach_only():
    boxes = [t.box for t in PAGE.tokens]
    beside = (132, 10, 150, 20)  # in the margin right of "2020", overlapping no token
    assert region_span(boxes, beside) is None
    # nearest top-left corner: 2020's (distance 22); nearest bottom-right corner: 2020's (distance 20)
    assert region_span(boxes, beside, fallback_distance=25) == (2, 2, "nearest")
    assert region_span(boxes, beside, fallback_distance=21) is None
    between = (12, 21, 98, 29)  # between the first two lines: Total's top-left, report's bottom-right
    assert region_span(boxes, between, fallback_distance=10) == (1, 3, "nearest")


# --- tagging ---

def test_tags_wrap_the_span_and_text_is_skipped_by_default():
    text, tagging = tagged(PAGE, [("Title", (5, 5, 135, 22), 0.9), ("Text", (5, 25, 130, 45), 0.9)])
    assert text == "<Title>Annual report 2020</Title>\nTotal income rose\nPage 7"
    assert tagging.dropped["skipped_label"] == 1
    text, _ = tagged(PAGE, [("Text", (5, 25, 130, 45), 0.9)], skip_labels=())
    assert text == "Annual report 2020\n<Text>Total income rose</Text>\nPage 7"


def test_configured_skip_labels_and_score_threshold():
    regions = [("Title", (5, 5, 135, 22), 0.9), ("Page-footer", (5, 95, 60, 115), 0.3)]
    text, tagging = tagged(PAGE, regions, skip_labels=("Title",))
    assert text == "Annual report 2020\nTotal income rose\nPage 7"
    assert tagging.dropped["skipped_label"] == 1 and tagging.dropped["below_threshold"] == 1
    text, _ = tagged(PAGE, regions, skip_labels=(), score_threshold=0.2)
    assert text == "<Title>Annual report 2020</Title>\nTotal income rose\n<Page-footer>Page 7</Page-footer>"


def test_nested_regions_open_outer_first_and_close_inner_first():
    regions = [("Caption", (55, 5, 135, 22), 0.8), ("Table", (5, 5, 135, 45), 0.9),
               ("Formula", (95, 25, 130, 45), 0.7)]
    text, tagging = tagged(PAGE, regions)
    assert text == ("<Table>Annual <Caption>report 2020</Caption>\n"
                    "Total income <Formula>rose</Formula></Table>\nPage 7")
    assert [(s.label, s.first, s.last) for s in tagging.spans] == [("Table", 0, 5), ("Caption", 1, 2),
                                                                    ("Formula", 5, 5)]


def test_regions_sharing_a_first_token_nest_by_span_length():
    regions = [("Caption", (5, 5, 55, 22), 0.99), ("Table", (5, 5, 135, 22), 0.5)]
    text, _ = tagged(PAGE, regions)
    assert text.startswith("<Table><Caption>Annual</Caption> report 2020</Table>")


def test_crossing_regions_keep_the_higher_score_then_the_longer_span():
    first = ("Table", (5, 5, 135, 22), 0.9)  # tokens 0..2
    crossing = ("List-item", (55, 5, 95, 45), 0.8)  # report 2020 / Total income: tokens 1..4
    text, tagging = tagged(PAGE, [first, crossing])
    assert text.startswith("<Table>Annual report 2020</Table>\nTotal") and tagging.dropped["crossing"] == 1
    text, _ = tagged(PAGE, [first, ("List-item", crossing[1], 0.95)])
    assert text.startswith("Annual <List-item>report 2020\nTotal income</List-item>")
    text, _ = tagged(PAGE, [first, ("List-item", crossing[1], 0.9)])  # same score: longer span (4 tokens) wins
    assert text.startswith("Annual <List-item>report")


def test_identical_spans_keep_one_region_by_score_then_list_order():
    box = (5, 5, 135, 22)
    text, tagging = tagged(PAGE, [("Title", box, 0.6), ("Section-header", box, 0.7)])
    assert text.startswith("<Section-header>Annual") and tagging.dropped["duplicate"] == 1
    text, _ = tagged(PAGE, [("Title", box, 0.7), ("Section-header", box, 0.7)])
    assert text.startswith("<Title>Annual")


def test_empty_regions_are_skipped():
    text, tagging = tagged(PAGE, [("Picture", (140, 140, 190, 190), 0.9), ("Title", (5, 5, 135, 22), 0.9)])
    assert text.startswith("<Title>Annual") and "Picture" not in text
    assert tagging.dropped["empty"] == 1


def test_boxes_outside_the_page_are_clipped_or_dropped():
    text, tagging = tagged(PAGE, [("Page-footer", (-50, 95, 60, 400), 0.9), ("Picture", (300, 300, 400, 400), 0.9)])
    assert text.endswith("<Page-footer>Page 7</Page-footer>")
    assert tagging.dropped["no_area"] == 1


def test_boxes_are_rescaled_from_the_layout_frame_to_the_ocr_frame():
    text, _ = tagged(PAGE, [("Title", (10, 10, 270, 44), 0.9)], frame=(400, 400))  # = (5, 5, 135, 22)
    assert text.startswith("<Title>Annual report 2020</Title>\nTotal")


def test_no_layout_means_no_tags():
    tagging = find_tag_spans(PAGE, None)
    assert tagging.spans == [] and not any(tagging.dropped.values())


@pytest.mark.parametrize("seed", range(5))
def test_random_layouts_give_well_formed_tags(seed):
    rng = random.Random(seed)
    candidates = []
    for index in range(12):
        first = rng.randrange(20)
        candidates.append(TagSpan(f"L{index}", first, rng.randrange(first, 20), rng.choice([0.5, 0.7, 0.9]), index,
                                  "match"))
    spans, dropped = resolve_spans(candidates)
    assert len(spans) + dropped["crossing"] + dropped["duplicate"] == 12
    texts = tag_token_texts([f"t{i}" for i in range(20)], spans, "(", ")")
    depth = 0
    for char in "".join(texts):
        depth += {"(": 1, ")": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0
    assert spans == resolve_spans(list(reversed(candidates)))[0]  # independent of the input order


# --- page text ---

def test_plain_text_breaks_lines_where_the_ocr_does():
    assert plain_text(PAGE.tokens, [t.text for t in PAGE.tokens]) == "Annual report 2020\nTotal income rose\nPage 7"


def test_space_text_places_tokens_by_position():
    two_columns = page((10, [("Name", 0, 20), ("Value", 100, 125)]),
                       (30, [("width", 0, 25), ("7", 100, 105)]),
                       (31, [("cm", 120, 130)]))
    text = space_text(two_columns.tokens, [t.text for t in two_columns.tokens])
    # one character per 5 units: "Value" at column 20, "cm" (same row as "7") at column 24
    assert text.splitlines() == ["Name" + " " * 16 + "Value", "width" + " " * 15 + "7   cm"]


def test_space_text_keeps_a_space_between_long_tagged_tokens():
    tokens = page((10, [("ab", 0, 10), ("cd", 12, 22)])).tokens
    assert space_text(tokens, ["<Title>ab", "cd</Title>"]) == "<Title>ab cd</Title>"
