"""ANLS against hand-computed values, its aggregation over questions and types, and the table."""
import pytest

from distildoc_d2.docvqa.anls import anls_score, levenshtein, normalize_answer, summarize
from distildoc_d2.docvqa.generation import clean_answer
from distildoc_d2.docvqa.results import format_results


@pytest.mark.parametrize("a,b,distance", [("kitten", "sitting", 3), ("", "abc", 3), ("abc", "abc", 0),
                                          ("flaw", "lawn", 2), ("abc", "", 3)])
def test_levenshtein(a, b, distance):
    assert levenshtein(a, b) == distance == levenshtein(b, a)


def test_exact_match_scores_one():
    assert anls_score("1975", ["1975"]) == 1.0


def test_case_and_whitespace_are_ignored():
    assert normalize_answer("  The \t Annual\nReport ") == "the annual report"
    assert anls_score("  THE  annual report", ["The Annual Report"]) == 1.0


def test_near_miss_above_the_threshold_scores_one_minus_nl():
    # "hello word" vs "hello world": one deletion, NL = 1/11
    assert anls_score("hello word", ["hello world"]) == pytest.approx(1 - 1 / 11)
    # "abcx" vs "abcd": one substitution, NL = 1/4
    assert anls_score("abcx", ["abcd"]) == pytest.approx(0.75)


def test_near_miss_at_or_below_the_threshold_scores_zero():
    assert anls_score("abxy", ["abcd"]) == 0.0  # NL = 2/4 = 0.5 is not < 0.5
    assert anls_score("abcde", ["abcdefghijk"]) == 0.0  # NL = 6/11
    assert anls_score("abcdefgh", ["abcdefghijk"]) == pytest.approx(1 - 3 / 11)  # NL = 3/11


def test_max_over_gold_answers():
    answers = ["University of California", "UC San Diego", "san diego"]
    assert anls_score("San Diego", answers) == 1.0
    assert anls_score("san diega", answers) == pytest.approx(1 - 1 / 9)
    assert anls_score("uc san diego", ["x", "uc san diego."]) == pytest.approx(1 - 1 / 13)


def test_failed_or_empty_predictions_score_zero():
    assert anls_score(None, ["anything"]) == 0.0
    assert anls_score("", ["a"]) == 0.0
    assert anls_score("a", []) == 0.0


def test_answer_is_the_first_non_blank_line():
    assert clean_answer("\n  Paul Smith  \nQuestion: next") == "Paul Smith"
    assert clean_answer(" \n\t\n") == "" and clean_answer(None) == ""


def record(anls, types, failed=False, truncated=False):
    return {"anls": anls, "question_types": types, "failed": failed, "truncated": truncated}


def test_summary_counts_failures_as_zero_and_per_type():
    records = [record(1.0, ["form"]), record(0.5, ["form", "table/list"], truncated=True),
               record(0.0, ["table/list"], failed=True), record(0.9, [])]
    summary = summarize(records)
    assert summary["questions"] == 4 and summary["failed"] == 1 and summary["truncated"] == 1
    assert summary["anls"] == pytest.approx((1.0 + 0.5 + 0.0 + 0.9) / 4)
    assert summary["per_type"] == {"form": {"questions": 2, "anls": pytest.approx(0.75)},
                                   "table/list": {"questions": 2, "anls": pytest.approx(0.25)}}


def test_results_table_lists_every_source_and_type():
    sources = [dict(summarize([record(1.0, ["form"]), record(0.0, ["figure"], failed=True)]), name="none",
                    spec="none"),
               dict(summarize([record(0.5, ["form"]), record(0.25, ["figure"])]), name="teacher",
                    spec="json:layouts/teacher")]
    table = format_results({"settings": {}, "sources": sources}).splitlines()
    assert [c.strip() for c in table[0].split("|")[1:-1]] == ["layout source", "spec", "questions", "failed",
                                                              "truncated", "ANLS"]
    assert [c.strip() for c in table[2].split("|")[1:-1]] == ["none", "none", "2", "1", "0", "50.00"]
    assert [c.strip() for c in table[3].split("|")[1:-1]] == ["teacher", "json:layouts/teacher", "2", "0", "0",
                                                              "37.50"]
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]] for line in table[7:]}
    assert rows == {"figure": ["1", "0.00", "25.00"], "form": ["1", "100.00", "50.00"]}
