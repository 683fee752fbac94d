"""ANLS, the Average Normalized Levenshtein Similarity of DocVQA.

For a prediction p and a gold answer a, both lower-cased with whitespace runs collapsed to one
space and ends stripped, NL = levenshtein(a, p) / max(|a|, |p|) (0 when both are empty); the
score is 1 - NL when NL < 0.5 and 0 otherwise, maximised over the gold answers. A failed
generation scores 0. ANLS is the mean over all questions, failures included.
"""

THRESHOLD = 0.5


def normalize_answer(text):
    """Lower-cased, whitespace runs collapsed to one space, ends stripped."""
    return " ".join(str(text).lower().split())


def levenshtein(a, b):
    """Edit distance (insertions, deletions, substitutions of one character each cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def normalized_levenshtein(gold, prediction):
    """NL of two normalised strings, in [0, 1]."""
    longest = max(len(gold), len(prediction))
    return levenshtein(gold, prediction) / longest if longest else 0.0


def anls_score(prediction, answers, threshold=THRESHOLD):
    """ANLS of one prediction against its gold answers (0 for a None prediction or no answers)."""
    if prediction is None:
        return 0.0
    pred = normalize_answer(prediction)
    best = 0.0
    for answer in answers:
        nl = normalized_levenshtein(normalize_answer(answer), pred)
        best = max(best, 1.0 - nl if nl < threshold else 0.0)
    return best


def summarize(records):
    """Overall and per-question-type ANLS of scored records (dicts with `anls`, `failed`,
    `question_types`, `truncated`): {"questions", "failed", "truncated", "anls", "per_type":
    {type: {"questions", "anls"}}}. A question counts once in each of its types."""
    per_type = {}
    for record in records:
        for qtype in record.get("question_types") or []:
            per_type.setdefault(qtype, []).append(record["anls"])
    count = len(records)
    return {
        "questions": count,
        "failed": sum(1 for r in records if r["failed"]),
        "truncated": sum(1 for r in records if r.get("truncated")),
        "anls": sum(r["anls"] for r in records) / count if count else None,
        "per_type": {t: {"questions": len(v), "anls": sum(v) / len(v)} for t, v in sorted(per_type.items())},
    }
