"""The evaluation run: for every layout source, prompts for every question (page OCR, layout
tags, template), greedy answers in batches, ANLS, all recorded in `<output>/<source>.jsonl`.

A run is resumable: questions already in a source's JSONL are skipped (failed ones too, unless
`retry_failed`). `<output>/run.json` keeps the settings that shape the answers; resuming with other
settings, or with another spec under a source's name, is refused. Every failure (OCR, layout or
prompt, generation error, empty answer) is recorded with its message and scores 0.
"""
import json
import os
import sys

from tqdm import tqdm

from ..errors import ConfigError
from .anls import THRESHOLD, anls_score, summarize
from .generation import clean_answer
from .records import append_records, read_records
from .results import write_results
from .tagging import DROP_REASONS, find_tag_spans, tag_token_texts
from .text_layout import page_text


class PageError(Exception):
    """A page of a question's document could not be read, laid out or tagged."""


def _check_settings(output_dir, settings, sources):
    path = os.path.join(output_dir, "run.json")
    known = {}
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            previous = json.load(f)
        for key, value in settings.items():
            old = previous["settings"].get(key)
            if old != value:
                change = "" if isinstance(value, dict) else f" ({old!r}, now {value!r})"
                raise ConfigError(f"{output_dir} holds a run with another {key}{change}: give a new output folder "
                                  "to compare settings")
        known = previous["sources"]
    for source in sources:
        if known.get(source.name, source.spec) != source.spec:
            raise ConfigError(f"{output_dir}: layout source {source.name!r} was {known[source.name]!r}, now "
                              f"{source.spec!r}: give it another name")
        known[source.name] = source.spec
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump({"settings": settings, "sources": known}, f, indent=2)
    os.replace(path + ".tmp", path)


class _Documents:
    """Document texts (with tags) of one layout source, each page computed once."""

    def __init__(self, source, store, prompt, tag_options):
        self.source, self.store, self.prompt, self.tag_options = source, store, prompt, tag_options
        self.pages = {}

    def _page(self, page):
        if page.key not in self.pages:
            try:
                ocr = self.store.ocr(page)
                tagging = find_tag_spans(ocr, self.source.layout(page, self.store), **self.tag_options)
                texts = tag_token_texts([t.text for t in ocr.tokens], tagging.spans,
                                        self.prompt.open_tag, self.prompt.close_tag)
                self.pages[page.key] = (page_text(ocr.tokens, texts, self.prompt.text_layout), tagging, None)
            except Exception as err:  # noqa: BLE001  (a page that cannot be read fails its questions only)
                self.pages[page.key] = (None, None, f"{type(err).__name__}: {err}")
        return self.pages[page.key]

    def document(self, question):
        """(text, tag summary, drop counts) of a question's document; raises PageError for a failed page."""
        texts, tags, dropped = [], [], dict.fromkeys(DROP_REASONS, 0)
        for page in question.pages:
            text, tagging, error = self._page(page)
            if error:
                raise PageError(f"page {page.key}: {error}")
            texts.append(text)
            tags += [{"page": page.key, "label": s.label, "first": s.first, "last": s.last, "score": s.score,
                      "how": s.how} for s in tagging.spans]
            for reason, count in tagging.dropped.items():
                dropped[reason] += count
        return self.prompt.page_separator.join(texts), tags, dropped


def _base_record(question, source):
    return {"question_id": question.qid, "doc_id": question.doc_id, "pages": [p.key for p in question.pages],
            "layout_source": source.name, "question": question.question, "answers": question.answers,
            "question_types": question.types, "prompt": None, "prompt_tokens": None, "truncated": False,
            "tags": [], "dropped": {}, "output": None, "prediction": None, "failed": True, "error": None,
            "anls": 0.0}


def _prepare(question, source, documents, answerer, prompt):
    record = _base_record(question, source)
    try:
        document, record["tags"], record["dropped"] = documents.document(question)
        record["prompt"], record["prompt_tokens"], record["truncated"] = answerer.fit_prompt(
            prompt, document, question.question)
    except PageError as err:
        record["error"] = str(err)
    except Exception as err:  # noqa: BLE001  (recorded as a failed question)
        record["error"] = f"prompt: {type(err).__name__}: {err}"
    return record


def _finish(record, output, error):
    record["output"] = output
    record["prediction"] = clean_answer(output) if error is None else None
    if error is not None:
        record["error"] = f"generation: {error}"
    elif not record["prediction"]:
        record["error"] = "generation: empty answer"
    record["failed"] = record["error"] is not None
    record["anls"] = 0.0 if record["failed"] else anls_score(record["prediction"], record["answers"], THRESHOLD)
    return record


def _log(message):
    print(message, file=sys.stderr, flush=True)


def evaluate_source(source, questions, store, answerer, prompt, tag_options, output_dir, retry_failed=False,
                    progress=True):
    """Answer the questions still missing from `<output_dir>/<source>.jsonl`; returns the summary
    (see distildoc_d2.docvqa.anls.summarize) of all the questions."""
    path = os.path.join(output_dir, f"{source.name}.jsonl")
    done = read_records(path)
    pending = [q for q in questions if q.qid not in done or (retry_failed and done[q.qid]["failed"])]
    _log(f"[{source.name}] {len(questions) - len(pending)} question(s) already answered in {path}, "
         f"{len(pending)} to answer")
    documents = _Documents(source, store, prompt, tag_options)
    prepared = [_prepare(q, source, documents, answerer, prompt) for q in
                tqdm(pending, desc=f"{source.name} prompts", disable=not progress, unit="q", file=sys.stderr)]
    failed = [r for r in prepared if r["error"]]
    if failed:
        _log(f"[{source.name}] {len(failed)} question(s) failed before generation, e.g. {failed[0]['error']}")
        append_records(path, failed)
    ready = sorted((r for r in prepared if not r["error"]), key=lambda r: -r["prompt_tokens"])
    batches = [ready[i:i + answerer.batch_size] for i in range(0, len(ready), answerer.batch_size)]
    for batch in tqdm(batches, desc=f"{source.name} answers", disable=not progress, unit="batch", file=sys.stderr):
        results = answerer.answer([r["prompt"] for r in batch])
        append_records(path, [_finish(r, output, error) for r, (output, error) in zip(batch, results)])
    records = read_records(path)
    summary = summarize([records[q.qid] for q in questions])
    return dict(summary, name=source.name, spec=source.spec)


def run_evaluation(questions, sources, store, answerer, prompt, output_dir, model_name, tag_options,
                   retry_failed=False, progress=True):
    """Evaluate every layout source on the same questions, write the records, results.json and
    results.md into `output_dir`, and return the results ({"settings", "sources": [summary, ...]})."""
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise ConfigError(f"layout source names must differ: {names}")
    os.makedirs(output_dir, exist_ok=True)
    settings = {"model": model_name, "prompt": prompt.to_json(), **answerer.settings(),
                "skip_labels": sorted(tag_options["skip_labels"]), "score_threshold": tag_options["score_threshold"],
                "fallback_scale": tag_options["fallback_scale"]}
    pages = list({p.key: p for q in questions for p in q.pages}.values())
    store.check(pages, need_images=any(s.needs_images for s in sources))
    for source in sources:
        source.check(pages)
    _check_settings(output_dir, settings, sources)
    summaries = [evaluate_source(s, questions, store, answerer, prompt, tag_options, output_dir, retry_failed,
                                 progress) for s in sources]
    results = {"settings": settings, "sources": summaries}
    write_results(results, output_dir)
    return results
