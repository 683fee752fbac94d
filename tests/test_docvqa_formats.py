"""Question and OCR formats, layout sources, prompt templates, Tesseract and the tool's errors."""
import importlib.util
import json
import os

import numpy as np
import pytest

from conftest import REPO
from distildoc_d2.docvqa.layout_sources import FunctionLayout, coco_page_layouts, parse_layout_spec, \
    predictor_layout_fn
from distildoc_d2.docvqa.ocr import infer_lines, parse_ocr
from distildoc_d2.docvqa.pages import PageStore
from distildoc_d2.docvqa.prompts import load_prompt
from distildoc_d2.docvqa.questions import PageRef, load_questions
from distildoc_d2.errors import ConfigError, DatasetError

MS_READ = {"status": "Succeeded", "recognitionResults": [{
    "page": 1, "width": 1000, "height": 800, "unit": "pixel", "lines": [
        {"boundingBox": [10, 10, 200, 10, 200, 40, 10, 40], "text": "Annual report",
         "words": [{"boundingBox": [10, 12, 90, 10, 90, 40, 10, 38], "text": "Annual"},
                   {"boundingBox": [100, 10, 200, 10, 200, 40, 100, 40], "text": "report"}]},
        {"boundingBox": [10, 50, 80, 50, 80, 70, 10, 70], "text": "2020",
         "words": [{"boundingBox": [10, 50, 80, 50, 80, 70, 10, 70], "text": "2020"}]}]}]}


def textract_word(word_id, text, left, top, width=0.1, height=0.05):
    return {"BlockType": "WORD", "Id": word_id, "Text": text,
            "Geometry": {"BoundingBox": {"Left": left, "Top": top, "Width": width, "Height": height}}}


TEXTRACT_WORDS = [textract_word("w2", "report", 0.3, 0.1), textract_word("w1", "Annual", 0.1, 0.1),
                  textract_word("w3", "2020", 0.1, 0.3)]
TEXTRACT_LINES = [{"BlockType": "LINE", "Id": "l1", "Text": "Annual report",
                   "Relationships": [{"Type": "CHILD", "Ids": ["w1", "w2"]}]},
                  {"BlockType": "LINE", "Id": "l2", "Text": "2020", "Relationships": [{"Type": "CHILD", "Ids": ["w3"]}]}]


def test_ms_read_words_become_tokens_with_lines_and_axis_aligned_boxes():
    page = parse_ocr(MS_READ)
    assert (page.width, page.height) == (1000, 800)
    assert [(t.text, t.box, t.line) for t in page.tokens] == [
        ("Annual", (10, 10, 90, 40), 0), ("report", (100, 10, 200, 40), 0), ("2020", (10, 50, 80, 70), 1)]
    v3 = {"analyzeResult": {"readResults": MS_READ["recognitionResults"]}}
    assert parse_ocr(v3) == page


def test_textract_words_follow_their_lines_and_scale_to_the_image():
    for data in ({"Blocks": TEXTRACT_LINES + TEXTRACT_WORDS}, {"LINE": TEXTRACT_LINES, "WORD": TEXTRACT_WORDS}):
        page = parse_ocr(data, image_size=lambda: (1000, 2000))
        assert [(t.text, t.line) for t in page.tokens] == [("Annual", 0), ("report", 0), ("2020", 1)]
        assert page.tokens[0].box == pytest.approx((100, 200, 200, 300))
    unscaled = parse_ocr({"WORD": TEXTRACT_WORDS})
    assert (unscaled.width, unscaled.height) == (1, 1) and [t.text for t in unscaled.tokens] == ["report", "Annual",
                                                                                                  "2020"]


def test_own_format_round_trips_and_lines_are_inferred():
    page = parse_ocr(MS_READ)
    assert parse_ocr(page.to_json()) == page
    assert infer_lines([(0, 0, 10, 10), (12, 1, 20, 9), (0, 20, 10, 30), (15, 21, 30, 29), (5, 20, 9, 30)]) == \
        [0, 0, 1, 1, 2]


def test_malformed_and_unknown_ocr_name_the_file():
    with pytest.raises(DatasetError, match="x.json: malformed OCR"):
        parse_ocr({"recognitionResults": [{"width": 10, "height": 10, "lines": [{"words": [{"text": "a"}]}]}]},
                  source="x.json")
    with pytest.raises(DatasetError, match="unknown OCR format"):
        parse_ocr({"pages": []})
    with pytest.raises(DatasetError, match="no page 2"):
        parse_ocr(MS_READ, page_index=1)


def test_docvqa_and_infographicvqa_questions(tmp_path):
    (tmp_path / "ocr").mkdir()
    data = {"data": [
        {"questionId": 7, "question": "Year?", "image": "documents/abc_1.png", "docId": 3, "answers": ["2020"],
         "question_types": ["layout", "form"]},
        {"questionId": 8, "question": "Title?", "image_local_name": "info_9.jpeg", "ocr_output_file": "info_9.json",
         "answers": ["Annual report"], "answer_type": ["single span"]}]}
    path = tmp_path / "val.json"
    path.write_text(json.dumps(data))
    first, second = load_questions(str(path), ocr_dir=str(tmp_path / "ocr"))
    assert (first.qid, first.doc_id, first.types, first.pages[0].key) == ("7", "3", ["layout", "form"], "abc_1")
    assert first.pages[0].image == str(tmp_path / "documents" / "abc_1.png")
    assert first.pages[0].ocr_file == str(tmp_path / "ocr" / "abc_1.json")
    assert (second.types, second.pages[0].key, second.doc_id) == (["single span"], "info_9", "info_9")
    assert load_questions(str(path), type_field="docId", limit=1)[0].types == ["3"]
    data["data"][1]["answers"] = []
    path.write_text(json.dumps(data))
    with pytest.raises(DatasetError, match="question 1 .id 8. has no `answers`"):
        load_questions(str(path))


def test_due_documents_with_several_pages(tmp_path):
    document = {"name": "doc1", "annotations": [
        {"id": "q1", "key": "What year?", "values": [{"value": "2020", "value_variants": ["2020", "year 2020"]}],
         "metadata": {"question_type": "numeric"}}]}
    layer = {"tokens": ["Annual", "report", "2020"], "positions": [[10, 10, 90, 40], [100, 10, 200, 40],
                                                                   [10, 1050, 80, 1070]],
             "structures": {"pages": {"structure_value": [[0, 2], [2, 3]],
                                      "positions": [[0, 0, 1000, 1000], [0, 1000, 1000, 2000]]},
                            "lines": {"structure_value": [[0, 2], [2, 3]]}}}
    content = {"name": "doc1", "contents": [{"tool_name": "tesseract", "tokens_layer": {"tokens": [], "positions": [],
                                             "structures": {}}},
                                            {"tool_name": "microsoft_cv", "common_format": layer}]}
    (tmp_path / "document.jsonl").write_text(json.dumps(document) + "\n")
    (tmp_path / "documents_content.jsonl").write_text(json.dumps(content) + "\n")
    (question,) = load_questions(str(tmp_path / "document.jsonl"), ocr_tool="microsoft_cv", images_dir=str(tmp_path))
    assert (question.qid, question.question, question.answers, question.types) == (
        "q1", "What year?", ["2020", "year 2020"], ["numeric"])
    assert [p.key for p in question.pages] == ["doc1_page1", "doc1_page2"]
    second = question.pages[1].ocr
    assert [(t.text, t.box, t.line) for t in second.tokens] == [("2020", (10, 50, 80, 70), 1)]
    assert question.pages[1].image == str(tmp_path / "doc1_page2.png")
    with pytest.raises(DatasetError, match="mismatched tokens"):
        load_questions(str(tmp_path / "document.jsonl"))  # the first tool's empty layer has no pages


def test_page_store_reports_missing_ocr_and_images(tmp_path):
    path = tmp_path / "q.json"
    path.write_text(json.dumps({"data": [{"questionId": 1, "question": "?", "image": "p.png", "answers": ["a"]}]}))
    pages = [load_questions(str(path), ocr_dir=str(tmp_path))[0].pages[0]]
    with pytest.raises(DatasetError, match="1 page.s. have no OCR file .first: .*p.json.*--tesseract missing"):
        PageStore().check(pages, need_images=False)
    with pytest.raises(DatasetError, match="1 page image.s. are missing"):
        PageStore(tesseract="missing").check(pages, need_images=False)


def test_tesseract_reads_a_generated_page(tmp_path):
    from distildoc_d2.data.synthetic import generate_layout_split

    coco_path = generate_layout_split(str(tmp_path), "val", 1, seed=3, page_size=(612, 792), progress=False)
    coco = json.loads(open(coco_path).read())
    image_path = tmp_path / "images" / coco["images"][0]["file_name"]
    questions = tmp_path / "q.json"
    questions.write_text(json.dumps({"data": [{"questionId": 1, "question": "?", "image": str(image_path),
                                               "answers": ["a"]}]}))
    page = load_questions(str(questions))[0].pages[0]
    store = PageStore(tesseract="missing", cache_dir=str(tmp_path / "cache"))
    store.check([page], need_images=True)
    ocr = store.ocr(page)
    assert (ocr.width, ocr.height) == (612, 792) and len(ocr.tokens) > 20
    assert sum(t.text.isalpha() for t in ocr.tokens) > 10
    assert len({t.line for t in ocr.tokens}) > 3
    assert os.path.isfile(tmp_path / "cache" / f"{page.key}.json")
    assert PageStore(tesseract="missing", cache_dir=str(tmp_path / "cache")).ocr(page) == ocr


def test_layout_spec_names_and_errors(tmp_path):
    assert parse_layout_spec("none").name == "none"
    (tmp_path / "student").mkdir()
    source = parse_layout_spec(f"json:{tmp_path / 'student'}/")
    assert (source.name, source.kind) == ("student", "json")
    assert parse_layout_spec(f"teacher=json:{tmp_path / 'student'}").name == "teacher"
    with pytest.raises(ConfigError, match="unknown kind 'magic'"):
        parse_layout_spec("magic:x")
    with pytest.raises(ConfigError, match="needs an argument"):
        parse_layout_spec("json")
    with pytest.raises(ConfigError, match="must be letters"):
        parse_layout_spec(f"a b=json:{tmp_path}")


def test_json_layout_files_and_their_frame(tmp_path):
    regions = [{"box": [1, 2, 30, 40], "label": "Title", "score": 0.8}, {"box": [50, 60, 5, 6], "class_name": "Table"}]
    (tmp_path / "p1.json").write_text(json.dumps({"width": 100, "height": 200, "regions": regions}))
    source = parse_layout_spec(f"json:{tmp_path}")
    page = load_page(tmp_path, "p1")
    layout = source.layout(page, PageStore())
    assert (layout.width, layout.height) == (100, 200)
    assert [(r.box, r.label, r.score) for r in layout.regions] == [((1, 2, 30, 40), "Title", 0.8),
                                                                   ((5, 6, 50, 60), "Table", 1.0)]
    with pytest.raises(DatasetError, match="have no layout file"):
        source.check([page, load_page(tmp_path, "p2")])


def test_json_layout_reads_predict_page_dicts_and_pdf_page_names(tmp_path):
    page_dict = {"width": 50, "height": 60, "source": "doc1.pdf", "page": 2, "regions": [
        {"category": "Table", "category_id": 8, "score": 0.7, "bbox": [1, 2, 3, 4], "reading_order": 0}]}
    (tmp_path / "doc1_p002.json").write_text(json.dumps(page_dict))
    page = PageRef(key="doc1_page2", image=str(tmp_path / "doc1.pdf"), pdf_page=1)
    source = parse_layout_spec(f"json:{tmp_path}")
    source.check([page])
    layout = source.layout(page, PageStore())
    assert (layout.width, layout.height) == (50, 60)
    assert [(r.box, r.label, r.score) for r in layout.regions] == [((1, 2, 3, 4), "Table", 0.7)]


def load_page(folder, key):
    path = folder / f"{key}_q.json"
    path.write_text(json.dumps({"data": [{"questionId": 1, "question": "?", "image": f"{key}.png", "answers": ["a"]}]}))
    return load_questions(str(path))[0].pages[0]


def test_coco_keys_by_file_stem_and_page():
    coco = {"images": [{"id": 1, "file_name": "doc.pdf", "page": 1, "width": 10, "height": 20},
                       {"id": 2, "file_name": "doc.pdf", "page": 2, "width": 10, "height": 20},
                       {"id": 3, "file_name": "val/page_000001.png", "width": 30, "height": 40}],
            "annotations": [{"image_id": 2, "category_id": 5, "bbox": [1, 2, 3, 4]}],
            "categories": [{"id": 5, "name": "Table"}]}
    layouts = coco_page_layouts(coco, "gt.json")
    assert sorted(layouts) == ["doc_page1", "doc_page2", "page_000001"]
    assert [(r.box, r.label, r.score) for r in layouts["doc_page2"].regions] == [((1, 2, 4, 6), "Table", 1.0)]
    assert (layouts["page_000001"].width, layouts["page_000001"].height) == (30, 40)


class FakePredictor:
    """Records the image it is given and returns one region in the page dict shape."""

    def predict_image(self, array):
        self.seen = array
        return {"width": array.shape[1], "height": array.shape[0],
                "regions": [{"box": [0, 0, 4, 2], "label": "Title", "score": 0.9, "order": 0}]}


def test_predictor_adapter_converts_channels_and_regions():
    predictor = FakePredictor()
    image = np.zeros((2, 4, 3), dtype=np.uint8)
    image[..., 0] = 255
    regions = predictor_layout_fn(predictor, channels="BGR")(image)
    assert predictor.seen[0, 0].tolist() == [0, 0, 255]
    assert regions == [{"box": [0, 0, 4, 2], "label": "Title", "score": 0.9}]
    with pytest.raises(ConfigError, match="no predict_image"):
        predictor_layout_fn(object())


def test_predictor_spec_loads_an_export_with_the_given_backend(monkeypatch, tmp_path):
    import distildoc_d2.inference as inference

    calls = []

    def from_export(folder, backend="onnx", device="cpu"):
        calls.append((folder, backend, device))
        return FakePredictor()

    monkeypatch.setattr(inference.LayoutPredictor, "from_export", staticmethod(from_export))
    source = parse_layout_spec(f"student=predictor:{tmp_path}", {"backend": "torchscript", "device": "cpu"})
    assert calls == [(str(tmp_path), "torchscript", "cpu")] and source.needs_images
    image = np.full((2, 4, 3), 9, dtype=np.uint8)
    store = type("Store", (), {"image_array": lambda self, page: image})()
    layout = source.layout(PageRef(key="p"), store)
    assert (layout.width, layout.height) == (4, 2) and layout.regions[0].label == "Title"
    with pytest.raises(ConfigError, match="does not exist"):
        parse_layout_spec(f"predictor:{tmp_path / 'missing'}")


def make_layout_fn(label="Figure"):
    """A factory for the python: layout source spec."""
    return lambda image: [{"box": [0, 0, image.shape[1], image.shape[0]], "label": label}]


def test_python_factory_layout_source():
    source = parse_layout_spec("fig=python:test_docvqa_formats:make_layout_fn:Picture")
    assert isinstance(source, FunctionLayout) and source.needs_images
    regions = source.layout_fn(np.zeros((3, 5, 3), dtype=np.uint8))
    assert regions == [{"box": [0, 0, 5, 3], "label": "Picture"}]


def test_prompt_files_are_validated(tmp_path):
    default = os.path.join(REPO, "configs", "docvqa", "prompts.yaml")
    for name in ("plain", "plain_no_instruction", "space", "space_no_instruction"):
        prompt = load_prompt(default, name)
        assert prompt.render("DOC", "Q?").endswith("Document:\nDOC\n\nQuestion: Q?\nAnswer:")
    assert load_prompt(default, "space").text_layout == "space"
    assert load_prompt(default, "plain", text_layout="space").text_layout == "space"
    bad = tmp_path / "p.json"
    bad.write_text(json.dumps({"prompts": {"x": {"template": "{document} {answer}"}}}))
    with pytest.raises(ConfigError, match="exactly the fields"):
        load_prompt(str(bad), "x")
    bad.write_text(json.dumps({"prompts": {"x": "{document} {question} {"}}))
    with pytest.raises(ConfigError, match="not a valid format string"):
        load_prompt(str(bad), "x")
    with pytest.raises(ConfigError, match="has no prompt 'y'"):
        load_prompt(str(bad), "y")


def test_tool_reports_errors_without_a_traceback(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("docvqa_eval", os.path.join(REPO, "tools", "docvqa_eval.py"))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    questions = tmp_path / "q.json"
    questions.write_text(json.dumps({"data": [{"questionId": 1, "question": "?", "image": "p.png", "answers": ["a"]}]}))
    assert tool.main(["--questions", str(questions), "--model", str(tmp_path / "nope"), "--output",
                      str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'nope'} is not a folder")
