#!/usr/bin/env python
"""Zero-shot layout-aware DocVQA: compare layout sources on the same questions with one causal LM
and print one ANLS table (overall and per question type, failed generations counted).

    python tools/docvqa_eval.py --questions spdocvqa_qas/val_v1.0_withQT.json \\
        --images spdocvqa_images --ocr spdocvqa_ocr --model /models/Llama-2-7b-chat-hf --load-in-4bit \\
        --layout none --layout teacher=json:layouts/teacher --layout student=predictor:export/student \\
        --output output/docvqa_sp

Layout sources (--layout [NAME=]SPEC, repeatable; default: none): `none`, `json:DIR` (one
`<page key>.json` per page, e.g. from tools/predict.py), `oracle:COCO.json` (ground-truth boxes),
`predictor:EXPORT_DIR` (tools/export_model.py's folder), `run:RUN_DIR` (a training run, eager),
`python:MODULE:FACTORY[:ARG]` (a layout_fn or a predictor made by FACTORY). A page's key is its
image's file stem (DUE: the document name, `_page<N>` added for multi-page documents).
Everything is written to --output: `<source>.jsonl` (every prompt and answer; rerunning skips the
questions already there), `run.json`, `results.json` and `results.md`. The model is read from a
local folder only, never downloaded.
"""
import argparse
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from distildoc_d2.docvqa.generation import DTYPES, Answerer, load_causal_lm  # noqa: E402
from distildoc_d2.docvqa.layout_sources import parse_layout_spec  # noqa: E402
from distildoc_d2.docvqa.pages import TESSERACT_MODES, PageStore  # noqa: E402
from distildoc_d2.docvqa.prompts import load_prompt  # noqa: E402
from distildoc_d2.docvqa.questions import load_questions  # noqa: E402
from distildoc_d2.docvqa.results import format_results  # noqa: E402
from distildoc_d2.docvqa.runner import run_evaluation  # noqa: E402
from distildoc_d2.docvqa.tagging import DEFAULT_SKIP_LABELS  # noqa: E402
from distildoc_d2.docvqa.text_layout import TEXT_LAYOUTS  # noqa: E402
from distildoc_d2.errors import DistilDocError  # noqa: E402

DEFAULT_PROMPTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs", "docvqa",
                               "prompts.yaml")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data = parser.add_argument_group("questions and pages")
    data.add_argument("--questions", required=True, help="SP-DocVQA/InfographicVQA JSON, or a DUE document.jsonl")
    data.add_argument("--format", default="auto", choices=("auto", "docvqa", "due"), help="question file format")
    data.add_argument("--images", help="folder of page images (DUE: <name>.pdf or <page key>.png); "
                      "default: the question file's folder")
    data.add_argument("--ocr", help="folder of per-page OCR JSON files (MS Read, Textract or this package's)")
    data.add_argument("--documents-content", help="DUE documents_content.jsonl (default: beside --questions)")
    data.add_argument("--due-ocr-tool", help="DUE OCR tool_name to use (default: the first per document)")
    data.add_argument("--tesseract", default="never", choices=TESSERACT_MODES,
                      help="OCR pages with Tesseract: never, for pages without an OCR file, or always")
    data.add_argument("--tesseract-lang", default="eng", help="Tesseract language(s), e.g. eng+deu")
    data.add_argument("--pdf-dpi", type=int, default=150, help="resolution of PDF pages given to layout models")
    data.add_argument("--type-field", help="question field holding the question types (default: question_types, "
                      "else answer_type; DUE: metadata.question_type)")
    data.add_argument("--limit", type=int, help="evaluate the first N questions only")
    layout = parser.add_argument_group("layout")
    layout.add_argument("--layout", action="append", metavar="[NAME=]SPEC", help="a layout source (repeatable)")
    layout.add_argument("--predictor-backend", default="onnx", choices=("onnx", "torchscript", "eager"),
                        help="backend of predictor: sources")
    layout.add_argument("--predictor-device", default="cpu", help="device of predictor: and run: sources")
    layout.add_argument("--skip-labels", default=",".join(DEFAULT_SKIP_LABELS),
                        help="comma-separated labels never tagged ('' tags every label)")
    layout.add_argument("--score-threshold", type=float, default=0.5, help="regions scoring lower are ignored")
    layout.add_argument("--fallback-distance", type=float, default=1.0,
                        help="reach of the nearest-corner fallback, in median token heights (0: off)")
    prompt = parser.add_argument_group("prompt")
    prompt.add_argument("--prompts", default=DEFAULT_PROMPTS, help="YAML/JSON file of prompt templates")
    prompt.add_argument("--prompt", default="plain", help="template name in --prompts")
    prompt.add_argument("--text-layout", choices=TEXT_LAYOUTS, help="override the template's page-text layout")
    model = parser.add_argument_group("language model")
    model.add_argument("--model", required=True, help="local folder of a causal LM (transformers format)")
    model.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    model.add_argument("--dtype", default="auto", choices=DTYPES, help="weights dtype (auto: bf16/fp16 on GPU)")
    model.add_argument("--load-in-4bit", action="store_true", help="4-bit weights (bitsandbytes, CUDA GPU)")
    model.add_argument("--max-new-tokens", type=int, default=32, help="answer length limit in tokens")
    model.add_argument("--max-length", type=int, help="context length (default: the model's)")
    model.add_argument("--batch-size", type=int, default=4, help="prompts per generate call")
    model.add_argument("--chat-template", action="store_true", help="wrap prompts in the tokenizer's chat template")
    out = parser.add_argument_group("output")
    out.add_argument("--output", required=True, help="folder of the records and result tables")
    out.add_argument("--retry-failed", action="store_true", help="answer again questions that failed before")
    out.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.no_progress:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
    try:
        predictor_options = {"backend": args.predictor_backend, "device": args.predictor_device}
        sources = [parse_layout_spec(spec, predictor_options) for spec in (args.layout or ["none"])]
        prompt = load_prompt(args.prompts, args.prompt, args.text_layout)
        questions = load_questions(args.questions, args.format, images_dir=args.images, ocr_dir=args.ocr,
                                   content_path=args.documents_content, ocr_tool=args.due_ocr_tool,
                                   type_field=args.type_field, limit=args.limit)
        store = PageStore(args.tesseract, args.tesseract_lang, args.pdf_dpi,
                          cache_dir=os.path.join(args.output, "tesseract"))
        model, tokenizer = load_causal_lm(args.model, args.device, args.dtype, args.load_in_4bit)
        answerer = Answerer(model, tokenizer, args.max_new_tokens, args.batch_size, args.max_length,
                            args.chat_template)
        tag_options = {"skip_labels": [s.strip() for s in args.skip_labels.split(",") if s.strip()],
                       "score_threshold": args.score_threshold, "fallback_scale": args.fallback_distance}
        results = run_evaluation(questions, sources, store, answerer, prompt, args.output,
                                 os.path.abspath(args.model), tag_options, args.retry_failed,
                                 progress=not args.no_progress)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"ANLS in % on {len(questions)} question(s) of {args.questions} ({args.model}, prompt {prompt.name}):\n")
    print(format_results(results))
    print(f"\n(records and tables in {args.output})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
