"""End-to-end DocVQA evaluation with a tiny randomly initialised causal LM on generated pages:
tools/docvqa_eval.py comparing no layout with the ground-truth ("oracle") layout, resuming, and
failed generations scored 0 and counted."""
import json
import os

import pytest

from conftest import run_tool

pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

WORDS = ("annual", "report", "budget", "grant", "total", "review", "summary", "office", "market", "sales",
         "income", "figure", "table", "notes", "plan", "staff", "health", "county", "march", "value")
TEXT_CLASSES = {"Caption", "Footnote", "List-item", "Page-footer", "Page-header", "Section-header", "Table", "Text",
                "Title", "Formula"}
ROW_HEIGHT, CHAR_WIDTH = 9, 5
TEMPLATE_TEXT = ("You answer questions about a document. Its text, read by OCR, is given below line by line. "
                 "Document: Question: Answer: What is the title of the page? Which word comes first?")


def synthetic_tokens(box, rng_offset):
    """Rows of words filling a ground-truth box: (text, (x0, y0, x1, y1)) per word, row by row."""
    x0, y0, x1, y1 = box
    height = min(ROW_HEIGHT, y1 - y0)
    rows, y, k = [], y0, rng_offset
    while y + height <= y1 + 1e-6:
        x, row = x0, []
        while True:
            word = WORDS[k % len(WORDS)]
            width = min(CHAR_WIDTH * len(word), x1 - x)
            if width < CHAR_WIDTH or (row and x + width > x1):
                break
            row.append((word, (x, y, x + width, y + height)))
            x += width + CHAR_WIDTH
            k += 1
        if row:
            rows.append(row)
        y += height + 2
    return rows


def ms_read_page(width, height, rows):
    """A page in the Microsoft Read format of SP-DocVQA's OCR."""
    def polygon(b):
        return [b[0], b[1], b[2], b[1], b[2], b[3], b[0], b[3]]

    lines = [{"boundingBox": polygon((row[0][1][0], row[0][1][1], row[-1][1][2], row[-1][1][3])),
              "text": " ".join(w for w, _ in row),
              "words": [{"boundingBox": polygon(b), "text": w} for w, b in row]} for row in rows]
    return {"status": "Succeeded", "recognitionResults": [
        {"page": 1, "clockwiseOrientation": 0, "width": width, "height": height, "unit": "pixel", "lines": lines}]}


@pytest.fixture(scope="module")
def docvqa_set(module_tmp):
    """Three generated pages with OCR derived from their ground-truth boxes, and six questions in the
    SP-DocVQA format (one about the first and one about the last text region of each page)."""
    from distildoc_d2.data.synthetic import generate_layout_split

    root = module_tmp("docvqa")
    coco_path = generate_layout_split(str(root), "val", 3, seed=0, page_size=(400, 518), progress=False)
    with open(coco_path) as f:
        coco = json.load(f)
    names = {c["id"]: c["name"] for c in coco["categories"]}
    os.makedirs(root / "ocr")
    questions = []
    for image in coco["images"]:
        rows, regions = [], []
        for ann in coco["annotations"]:
            if ann["image_id"] != image["id"] or names[ann["category_id"]] not in TEXT_CLASSES:
                continue
            x, y, w, h = ann["bbox"]
            box_rows = synthetic_tokens((x, y, x + w, y + h), len(rows) + ann["id"])
            if box_rows:
                rows += box_rows
                regions.append((names[ann["category_id"]], box_rows))
        stem = os.path.splitext(os.path.basename(image["file_name"]))[0]
        with open(root / "ocr" / f"{stem}.json", "w") as f:
            json.dump(ms_read_page(image["width"], image["height"], rows), f)
        for n, (label, box_rows) in enumerate((regions[0], regions[-1])):
            answer = " ".join(w for w, _ in box_rows[0][:2])
            questions.append({"questionId": image["id"] * 10 + n,
                              "question": f"Which words start the {label} of page {image['id']}?",
                              "image": f"documents/{os.path.basename(image['file_name'])}",
                              "docId": image["id"], "answers": [answer, answer.upper()],
                              "question_types": ["layout", "title" if label == "Title" else "other"]})
    with open(root / "questions.json", "w") as f:
        json.dump({"dataset_name": "synthetic", "dataset_split": "val", "data": questions}, f)
    return {"root": root, "coco": coco_path, "questions": str(root / "questions.json"),
            "images": str(root / "images" / "val"), "ocr": str(root / "ocr"), "count": len(questions)}


@pytest.fixture(scope="module")
def tiny_lm(module_tmp):
    """A 2-layer Llama with hidden size 32 and a byte-level BPE tokenizer, randomly initialised and
    saved to a temporary folder; its context (320 tokens) is shorter than some prompts."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = str(module_tmp("tiny_lm"))
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=320, special_tokens=["<pad>", "<s>", "</s>"], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator([TEMPLATE_TEXT, " ".join(WORDS), " ".join(f"<{c}> </{c}>" for c in TEXT_CLASSES)],
                                  trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    fast.save_pretrained(folder)
    config = LlamaConfig(vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=320,
                         bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id,
                         pad_token_id=fast.pad_token_id)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_eval_tool_compares_no_layout_with_the_oracle_and_resumes(docvqa_set, tiny_lm, tmp_path):
    out = tmp_path / "run"
    args = ["--questions", docvqa_set["questions"], "--images", docvqa_set["images"], "--ocr", docvqa_set["ocr"],
            "--model", tiny_lm, "--layout", "none", "--layout", f"oracle=oracle:{docvqa_set['coco']}",
            "--skip-labels", "", "--max-new-tokens", "4", "--batch-size", "4", "--output", out, "--no-progress"]
    result = run_tool("docvqa_eval.py", *args, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "| none" in result.stdout and "| oracle" in result.stdout and "question type" in result.stdout

    results = json.loads((out / "results.json").read_text())
    assert [s["name"] for s in results["sources"]] == ["none", "oracle"]
    for summary in results["sources"]:
        records = read_jsonl(out / f"{summary['name']}.jsonl")
        ids = sorted(r["question_id"] for r in records)
        assert len(ids) == len(set(ids)) == docvqa_set["count"] == summary["questions"]
        assert summary["failed"] == sum(r["failed"] for r in records)
        assert summary["anls"] == pytest.approx(sum(r["anls"] for r in records) / len(records))
        for record in records:
            assert record["prompt"].rstrip().endswith(f"Question: {record['question']}\nAnswer:")
            assert record["failed"] == (record["error"] is not None)
            if record["failed"]:
                assert record["anls"] == 0.0
        assert set(summary["per_type"]) == {"layout", "title", "other"}
    none_records = read_jsonl(out / "none.jsonl")
    oracle_records = read_jsonl(out / "oracle.jsonl")
    def document(record):
        return record["prompt"].split("Document:\n", 1)[1]

    assert all(not r["tags"] and "<" not in document(r) for r in none_records)
    assert all(r["tags"] and document(r).startswith(f"<{r['tags'][0]['label']}>") for r in oracle_records)
    assert any(r["truncated"] for r in oracle_records)
    rows = [line.split("|")[1].strip() for line in (out / "results.md").read_text().splitlines() if "| oracle:" in line]
    assert rows == ["oracle"]

    lines = (out / "oracle.jsonl").read_text().splitlines(keepends=True)
    (out / "oracle.jsonl").write_text("".join(lines[:4]))
    result = run_tool("docvqa_eval.py", *args, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"[none] {docvqa_set['count']} question(s) already answered" in result.stderr
    assert f"[oracle] 4 question(s) already answered in {out / 'oracle.jsonl'}, 2 to answer" in result.stderr
    resumed = (out / "oracle.jsonl").read_text().splitlines(keepends=True)
    assert resumed[:4] == lines[:4] and len(resumed) == docvqa_set["count"]
    assert sorted(json.loads(x)["question_id"] for x in resumed) == sorted(r["question_id"] for r in oracle_records)


def test_failed_and_empty_generations_score_zero_and_are_counted(docvqa_set, tiny_lm, tmp_path):
    from distildoc_d2.docvqa.generation import Answerer, load_causal_lm
    from distildoc_d2.docvqa.layout_sources import parse_layout_spec
    from distildoc_d2.docvqa.pages import PageStore
    from distildoc_d2.docvqa.prompts import PromptTemplate
    from distildoc_d2.docvqa.questions import load_questions
    from distildoc_d2.docvqa.runner import evaluate_source

    questions = load_questions(docvqa_set["questions"], images_dir=docvqa_set["images"], ocr_dir=docvqa_set["ocr"])
    first, second = questions[0], questions[1]
    model, tokenizer = load_causal_lm(tiny_lm)

    class Scripted(Answerer):
        """Raises for the first question, answers nothing to the second and the gold answer otherwise."""

        def generate(self, texts):
            if any(first.question in t for t in texts):
                raise RuntimeError("simulated out of memory")
            gold = {q.question: q.answers[0] for q in questions}
            return ["\n \n" if second.question in t else next(a for q, a in gold.items() if q in t) for t in texts]

    answerer = Scripted(model, tokenizer, max_new_tokens=4, batch_size=3)
    prompt = PromptTemplate("bare", "{document}\nQuestion: {question}\nAnswer:")
    tag_options = {"skip_labels": ["Text"], "score_threshold": 0.5, "fallback_scale": 1.0}
    summary = evaluate_source(parse_layout_spec("none"), questions, PageStore(), answerer, prompt, tag_options,
                              str(tmp_path), progress=False)
    records = {r["question_id"]: r for r in read_jsonl(tmp_path / "none.jsonl")}
    assert len(records) == len(questions) == summary["questions"]
    assert records[first.qid]["failed"] and "simulated out of memory" in records[first.qid]["error"]
    assert records[second.qid]["failed"] and records[second.qid]["error"] == "generation: empty answer"
    assert records[first.qid]["anls"] == records[second.qid]["anls"] == 0.0
    assert summary["failed"] == 2
    assert summary["anls"] == pytest.approx((len(questions) - 2) / len(questions))

    again = evaluate_source(parse_layout_spec("none"), questions, PageStore(), answerer, prompt, tag_options,
                            str(tmp_path), progress=False)
    assert again == summary and len(read_jsonl(tmp_path / "none.jsonl")) == len(questions)


def test_truncation_keeps_the_question_and_the_answer_cue(tiny_lm):
    from distildoc_d2.docvqa.generation import Answerer, load_causal_lm
    from distildoc_d2.docvqa.prompts import PromptTemplate

    model, tokenizer = load_causal_lm(tiny_lm)
    answerer = Answerer(model, tokenizer, max_new_tokens=8, max_length=120)
    template = PromptTemplate("t", "Document:\n{document}\nQuestion: {question}\nAnswer:")
    document = " ".join(WORDS * 20)
    text, count, truncated = answerer.fit_prompt(template, document, "Which word comes first?")
    assert truncated and count <= 112 and count == answerer.count_tokens(text)
    assert text.startswith("Document:\nannual report") and text.endswith("\nQuestion: Which word comes first?\nAnswer:")
    short, _, cut = answerer.fit_prompt(template, "annual report", "Which word comes first?")
    assert not cut and short == "Document:\nannual report\nQuestion: Which word comes first?\nAnswer:"


def test_space_prompt_run_and_resume_with_other_settings_is_refused(docvqa_set, tiny_lm, tmp_path):
    from distildoc_d2.docvqa.generation import Answerer, load_causal_lm
    from distildoc_d2.docvqa.layout_sources import parse_layout_spec
    from distildoc_d2.docvqa.pages import PageStore
    from distildoc_d2.docvqa.prompts import load_prompt
    from distildoc_d2.docvqa.questions import load_questions
    from distildoc_d2.docvqa.runner import run_evaluation
    from distildoc_d2.errors import ConfigError

    questions = load_questions(docvqa_set["questions"], images_dir=docvqa_set["images"], ocr_dir=docvqa_set["ocr"],
                               limit=2)
    model, tokenizer = load_causal_lm(tiny_lm)
    prompt = load_prompt(os.path.join(os.path.dirname(os.path.dirname(__file__)), "configs", "docvqa",
                                      "prompts.yaml"), "space_no_instruction")
    tag_options = {"skip_labels": [], "score_threshold": 0.5, "fallback_scale": 1.0}
    oracle = parse_layout_spec(f"gt=oracle:{docvqa_set['coco']}")

    def run(max_new_tokens, source):
        answerer = Answerer(model, tokenizer, max_new_tokens=max_new_tokens, batch_size=2, max_length=2048)
        return run_evaluation(questions, [source], PageStore(), answerer, prompt, str(tmp_path), tiny_lm, tag_options,
                              progress=False)

    results = run(2, oracle)
    assert results["sources"][0]["questions"] == 2 and results["sources"][0]["truncated"] == 0
    records = read_jsonl(tmp_path / "gt.jsonl")
    assert all("  " in r["prompt"] and "</" in r["prompt"] for r in records)
    with pytest.raises(ConfigError, match="another max_new_tokens"):
        run(3, oracle)
    with pytest.raises(ConfigError, match="layout source 'gt' was"):
        run(2, parse_layout_spec("gt=none"))


def test_chat_template_wraps_the_prompt_and_counts_its_tokens(tiny_lm):
    from distildoc_d2.docvqa.generation import Answerer, load_causal_lm
    from distildoc_d2.docvqa.prompts import PromptTemplate

    model, tokenizer = load_causal_lm(tiny_lm)
    tokenizer.chat_template = "{% for m in messages %}[INST] {{ m['content'] }} [/INST]{% endfor %}"
    answerer = Answerer(model, tokenizer, max_new_tokens=4, max_length=64, chat_template=True)
    template = PromptTemplate("t", "{document}\nQuestion: {question}\nAnswer:")
    text, count, truncated = answerer.fit_prompt(template, " ".join(WORDS * 5), "Which?")
    assert truncated and text.startswith("[INST] annual") and text.endswith("Question: Which?\nAnswer: [/INST]")
    assert count <= 60
    outputs = answerer.answer([text, text])
    assert [error for _, error in outputs] == [None, None] and outputs[0] == outputs[1]


def test_4bit_loading_explains_what_is_missing(tiny_lm):
    import importlib.util

    import torch

    from distildoc_d2.docvqa.generation import load_causal_lm
    from distildoc_d2.errors import ConfigError

    if importlib.util.find_spec("bitsandbytes") and torch.cuda.is_available():
        pytest.skip("4-bit loading is possible here")
    with pytest.raises(ConfigError, match="4-bit loading needs bitsandbytes, accelerate and a CUDA GPU"):
        load_causal_lm(tiny_lm, load_in_4bit=True)


def test_batched_left_padded_answers_equal_one_by_one_answers(tiny_lm):
    from distildoc_d2.docvqa.generation import Answerer, load_causal_lm

    model, tokenizer = load_causal_lm(tiny_lm)
    answerer = Answerer(model, tokenizer, max_new_tokens=6, batch_size=3)
    prompts = ["Document: annual report\nQuestion: Which?\nAnswer:", "Question: total?\nAnswer:",
               "Document: " + " ".join(WORDS) + "\nQuestion: first?\nAnswer:"]
    assert tokenizer.padding_side == "left"
    assert answerer.answer(prompts) == [answerer.answer([p])[0] for p in prompts]
