"""The comparison table of a DocVQA evaluation: one row per layout source, then ANLS per question
type with one column per source; printed as Markdown and written as results.md / results.json."""
import json
import os

from tabulate import tabulate


def _pct(value):
    return "-" if value is None else f"{100 * value:.2f}"


def format_results(results):
    """Markdown tables (overall, then per question type) of the results of `run_evaluation`."""
    sources = results["sources"]
    overall = [[s["name"], s["spec"], s["questions"], s["failed"], s["truncated"], _pct(s["anls"])] for s in sources]
    text = tabulate(overall, headers=["layout source", "spec", "questions", "failed", "truncated", "ANLS"],
                    tablefmt="github", disable_numparse=True)
    types = sorted({t for s in sources for t in s["per_type"]})
    if types:
        rows = []
        for qtype in types:
            counts = {s["per_type"][qtype]["questions"] for s in sources if qtype in s["per_type"]}
            rows.append([qtype, "/".join(str(c) for c in sorted(counts))]
                        + [_pct(s["per_type"].get(qtype, {}).get("anls")) for s in sources])
        text += "\n\n" + tabulate(rows, headers=["question type", "questions"] + [s["name"] for s in sources],
                                  tablefmt="github", disable_numparse=True)
    return text


def write_results(results, output_dir):
    """Write results.json and results.md (the tables) into `output_dir`; returns their paths."""
    json_path, md_path = os.path.join(output_dir, "results.json"), os.path.join(output_dir, "results.md")
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
    with open(md_path, "w", encoding="utf-8") as f:
        f.write("ANLS in % (failed generations score 0 and are counted)\n\n" + format_results(results) + "\n")
    return json_path, md_path
