"""Zero-shot layout-aware DocVQA: layout tags from a layout source inserted into the OCR text of a
page, a causal language model answering greedily, ANLS per layout source and question type.

Opt-in (not imported by `distildoc_d2`): transformers is needed only to load a model. The
command is `tools/docvqa_eval.py`; the pieces:
- `questions`, `ocr`, `tesseract`, `pages`: questions (SP-DocVQA, InfographicVQA, DUE), OCR
  tokens (MS Read, Textract, Tesseract), page images;
- `layout_sources`: the `layout_fn(page_image) -> regions` protocol and the sources (none, JSON
  folder, COCO oracle, exported predictor, Python factory);
- `matching`, `tagging`: token spans of regions and the `<Label>`/`</Label>` tags;
- `text_layout`, `prompts`: plain or space-aware page text, prompt templates;
- `generation`: the language model and its greedy answers;
- `anls`, `records`, `results`, `runner`: scoring, the resumable JSONL records, the tables.
"""
from .anls import anls_score, summarize
from .layout_sources import PageLayout, Region, parse_layout_spec, predictor_layout_fn
from .ocr import OcrPage, OcrToken, read_ocr_file
from .prompts import PromptTemplate, load_prompt
from .questions import PageRef, Question, load_questions
from .tagging import find_tag_spans, tag_token_texts

__all__ = [
    "OcrPage",
    "OcrToken",
    "PageLayout",
    "PageRef",
    "PromptTemplate",
    "Question",
    "Region",
    "anls_score",
    "find_tag_spans",
    "load_prompt",
    "load_questions",
    "parse_layout_spec",
    "predictor_layout_fn",
    "read_ocr_file",
    "summarize",
    "tag_token_texts",
]
