"""The JSONL record file of one layout source: one JSON object per answered question, appended
as answers come in, so that a run can be audited and resumed."""
import json
import os
import sys


def read_records(path):
    """{question id: record} of a record file (the last record of a question wins); {} when the
    file does not exist. A malformed line (e.g. cut by a crash) is skipped with a warning."""
    records = {}
    if not os.path.isfile(path):
        return records
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                records[str(record["question_id"])] = record
            except (ValueError, KeyError, TypeError):
                print(f"warning: {path}:{number} is not a record; its question will be answered again",
                      file=sys.stderr)
    return records


def append_records(path, records):
    """Append records as JSON lines and flush them to disk (a missing final newline is repaired)."""
    needs_newline = False
    if os.path.isfile(path) and os.path.getsize(path):
        with open(path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            needs_newline = f.read(1) != b"\n"
    with open(path, "a", encoding="utf-8") as f:
        if needs_newline:
            f.write("\n")
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
