"""Real pages from a born-digital teacher: the pdf: teacher (box mapping with a stub analyser;
PyMuPDF's analyser on a generated PDF when PyMuPDF is installed), page lists, the Debian corpus
step on a fake package folder, typeset LaTeX pages with exact boxes, and label agreement."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw

from distildoc_d2.data import DOCLAYNET_CLASSES, debian_corpus
from distildoc_d2.data.debian_corpus import (choose_pages, find_documents, genre_of, load_corpus_config,
                                             select_documents)
from distildoc_d2.errors import ConfigError
from distildoc_d2.inference.inputs import InputError
from distildoc_d2.pseudo_labels import build_teacher, pages_from_inputs, pseudo_label
from distildoc_d2.pseudo_labels.born_digital import (BornDigitalTeacher, PageFrame, box_to_pixels, register_analyser,
                                                     rotate_box)
from distildoc_d2.pseudo_labels.classes import ClassMap

from conftest import REPO, run_tool

needs_poppler = pytest.mark.skipif(not shutil.which("pdfinfo"), reason="poppler-utils (pdfinfo) is not installed")


def _pdf(path, pages):
    """A PDF of solid-background pages [(width_pt, height_pt, [(x0, y0, x1, y1) black boxes in points])], by Pillow."""
    images = []
    for width, height, boxes in pages:
        image = Image.new("RGB", (int(width), int(height)), "white")
        draw = ImageDraw.Draw(image)
        for box in boxes:
            draw.rectangle(box, fill="black")
        images.append(image)
    images[0].save(path, save_all=True, append_images=images[1:], resolution=72.0)
    return str(path)


# --- the box mapping, with a stub analyser (no PyMuPDF) -------------------------------------

def test_rotate_box_follows_the_displayed_page():
    frame = PageFrame(600, 800, 0)
    box = [10, 20, 110, 70]
    assert rotate_box(box, frame) == box
    # 90 degrees clockwise: the top-left of the unrotated page becomes the top-right
    assert rotate_box(box, PageFrame(600, 800, 90)) == [730, 10, 780, 110]
    assert rotate_box(box, PageFrame(600, 800, 180)) == [490, 730, 590, 780]
    assert rotate_box(box, PageFrame(600, 800, 270)) == [20, 490, 70, 590]
    assert box_to_pixels(box, frame, 144) == [20, 40, 220, 140]
    with pytest.raises(InputError, match="multiple of 90"):
        rotate_box(box, PageFrame(600, 800, 45))


@register_analyser("stub-test")
class StubAnalyser:
    """Says every page holds one title at a fixed place of the unrotated page."""

    class_names = ("title", "text")
    description = {"stub": True}

    def analyse(self, path, number):
        return PageFrame(200, 100, 90 if number == 2 else 0), [("title", [10, 20, 60, 40])]


@needs_poppler
def test_stub_teacher_maps_boxes_and_refuses_images(tmp_path):
    pdf = _pdf(tmp_path / "doc.pdf", [(200, 100, []), (100, 200, [])])
    png = tmp_path / "page.png"
    Image.new("RGB", (64, 64), "white").save(png)
    teacher = build_teacher("pdf:stub-test")
    assert isinstance(teacher, BornDigitalTeacher) and teacher.description["analyser"] == "stub-test"
    pages, errors = pages_from_inputs([pdf, str(png)], dpi=144)
    assert not errors and [p.page for p in pages] == [1, 2, None]
    assert teacher(pages[0]) == [{"category": "title", "bbox": [20.0, 40.0, 120.0, 80.0], "score": None}]
    assert teacher(pages[1])[0]["bbox"] == [120.0, 20.0, 160.0, 120.0]  # rotated page: (h - y1, x0, h - y0, x1)
    with pytest.raises(InputError, match="not a PDF page"):
        teacher(pages[2])
    with pytest.raises(ConfigError, match="none of the 1 pages is a PDF page"):
        teacher.check_pages(pages[2:])
    with pytest.raises(ConfigError, match="no such PDF analyser.*pdf:pymupdf"):
        build_teacher("pdf:nothing")
    path, report, failed, _ = pseudo_label(pages, teacher, str(tmp_path / "out"), ["Text", "Title"],
                                           ClassMap(teacher.class_names, ["Text", "Title"]), progress=False)
    data = json.load(open(path))
    assert [im["width"] for im in data["images"]] == [400, 200] and len(failed) == 1
    assert data["annotations"][0]["bbox"] == [20.0, 40.0, 100.0, 40.0] and data["annotations"][0]["score"] is None
    assert data["info"]["pseudo_labels"]["teacher"]["kind"] == "pdf"


def test_package_imports_without_pymupdf():
    code = ("import sys; sys.modules['pymupdf'] = None; import distildoc_d2, distildoc_d2.pseudo_labels.born_digital;"
            "from distildoc_d2.pseudo_labels import build_teacher\n"
            "try:\n build_teacher('pdf:pymupdf')\nexcept Exception as e: print(type(e).__name__, e)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "ConfigError" in result.stdout and "AGPL" in result.stdout and "pip install" in result.stdout
    assert "pymupdf" not in open(os.path.join(REPO, "tools", "install.sh")).read().lower()


# --- page lists ------------------------------------------------------------------------------

@needs_poppler
def test_page_list_selects_pdf_pages_and_reports_bad_lines(tmp_path):
    _pdf(tmp_path / "a.pdf", [(100, 100, [])] * 4)
    Image.new("RGB", (64, 64), "white").save(tmp_path / "b.png")
    listing = tmp_path / "list.txt"
    listing.write_text("# pages\na.pdf 1,3-4\nb.png\n\nmissing.pdf 1\na.pdf 7\n")
    pages, errors = pages_from_inputs([f"@{listing}"], dpi=72)
    assert [(os.path.basename(p.source), p.page) for p in pages] == [("a.pdf", 1), ("a.pdf", 3), ("a.pdf", 4),
                                                                       ("b.png", None)]
    assert [e[0].split(":")[1] for e in errors] == ["5", "6"]
    assert "no such file" in errors[0][1] and "page(s) 7 do not exist" in errors[1][1]
    assert pages_from_inputs(["@nowhere.txt"], 72)[1][0][1].startswith("the list file cannot be read")


# --- PyMuPDF's analyser on a generated PDF with known regions --------------------------------

def _known_regions_pdf(path):
    """A PDF with a heading, two paragraphs and a rotated, cropped copy, drawn with PyMuPDF."""
    pymupdf = pytest.importorskip("pymupdf", reason="PyMuPDF is an optional tool (pip install 'pymupdf>=2')")
    doc = pymupdf.open()
    words = ("layout analysis finds the regions of a page such as paragraphs headers and tables in a "
             "document ").split()
    for rotation, crop in ((0, None), (90, None), (0, (40, 50, 572, 742))):
        page = doc.new_page(width=612, height=792)
        page.insert_text((72, 100), "1 Introduction", fontsize=18, fontname="hebo")
        for top in (140, 330):
            text = " ".join(words[i % len(words)] for i in range(160))
            page.insert_textbox(pymupdf.Rect(72, top, 540, top + 150), text, fontsize=10, fontname="helv")
        if crop:
            page.set_cropbox(pymupdf.Rect(*crop))
        page.set_rotation(rotation)
    doc.save(str(path))
    return str(path)


@needs_poppler
def test_pymupdf_teacher_finds_known_regions_in_rendered_pixels(tmp_path):
    pytest.importorskip("pymupdf.layout", reason="PyMuPDF >= 2 with its layout analyser is not installed")
    from distildoc_d2.inference.pdf import render_page

    pdf = _known_regions_pdf(tmp_path / "known.pdf")
    teacher = build_teacher("pdf:pymupdf")
    assert set(ClassMap(teacher.class_names, DOCLAYNET_CLASSES).table.values()) == set(DOCLAYNET_CLASSES)
    pages, errors = pages_from_inputs([pdf], dpi=100)
    assert not errors and len(pages) == 3
    for page in pages:
        regions = teacher(page)
        assert {r["category"] for r in regions} <= set(teacher.class_names) and regions
        text = [r for r in regions if r["category"] == "text"]
        assert len(text) >= 2, regions
        rgb = render_page(pdf, page.page, 100)
        dark = rgb.min(axis=2) < 128
        ys, xs = np.nonzero(dark)
        ink = [xs.min(), ys.min(), xs.max(), ys.max()]
        for region in regions:  # every box lies on the page's ink, in the rendered page's pixels
            x0, y0, x1, y1 = region["bbox"]
            assert x0 >= ink[0] - 8 and y0 >= ink[1] - 8 and x1 <= ink[2] + 8 and y1 <= ink[3] + 8, (page.page, region)
            assert dark[int(y0):int(y1) + 1, int(x0):int(x1) + 1].mean() > 0.03
        union = np.zeros_like(dark)
        for x0, y0, x1, y1 in (r["bbox"] for r in regions):
            union[int(y0):int(y1) + 1, int(x0):int(x1) + 1] = True
        assert (dark & union).sum() / dark.sum() > 0.9  # the boxes cover the printed text


# --- the Debian corpus, on a fake package folder ---------------------------------------------

def _fake_packages(root):
    """Unpacked packages (as dpkg -x leaves them) with PDFs of several genres."""
    docs = {
        "texlive-latex-extra-doc": {"usr/share/doc/texlive-doc/latex/foo/foo.pdf": [(612, 792, [])] * 9,
                                    "usr/share/doc/texlive-doc/latex/bar/bar-doc.pdf": [(595, 842, [])] * 3,
                                    "usr/share/doc/texlive-doc/latex/moderncv/example/letter.pdf": [(595, 842, [])],
                                    "usr/share/doc/texlive-doc/latex/talks/demo.pdf": [(364, 273, [])] * 5,
                                    "usr/share/doc/texlive-doc/latex/baposter/big.pdf": [(2384, 3370, [])],
                                    "usr/share/doc/texlive-doc/latex/copy/foo-again.pdf": [(612, 792, [])] * 9,
                                    "usr/share/doc/texlive-doc/latex/broken/broken.pdf": None},
        "texlive-publishers-doc": {"usr/share/doc/texlive-doc/latex/jcls/jcls.pdf": [(612, 792, [])] * 4,
                                   "usr/share/doc/texlive-doc/latex/jcls/guide.pdf": [(612, 792, [])] * 2},
    }
    for package, files in docs.items():
        for rel, pages in files.items():
            path = root / package / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if pages is None:
                path.write_bytes(b"%PDF-1.4 broken\n%%EOF\n")
            else:
                _pdf(path, [(w, h, [(5, 5, 20, 20)] if i % 2 else []) for i, (w, h, _) in enumerate(pages)])
        (root / package / debian_corpus.UNPACKED_MARKER).touch()
    shutil.copyfile(root / "texlive-latex-extra-doc/usr/share/doc/texlive-doc/latex/foo/foo.pdf",
                    root / "texlive-latex-extra-doc/usr/share/doc/texlive-doc/latex/copy/foo-again.pdf")


def _config(tmp_path, **changes):
    config = {"packages": ["texlive-latex-extra-doc", "texlive-publishers-doc"], "seed": 3,
              "max_pages_per_document": 4,
              "genre_pages": {"manual": 20, "paper": 20, "slides": 20, "letter": 20, "poster": 20},
              "heldout_fraction": 0.5}
    config.update(changes)
    path = tmp_path / "corpus.yaml"
    import yaml
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_genres_and_page_choice():
    assert genre_of("texlive-latex-extra-doc", "usr/share/doc/x/beamer/talk.pdf") == "slides"
    assert genre_of("texlive-latex-extra-doc", "usr/share/doc/x/y/y.pdf", (364, 273)) == "slides"
    assert genre_of("texlive-latex-extra-doc", "usr/share/doc/x/y/y.pdf", (2384, 3370)) == "poster"
    assert genre_of("texlive-publishers-doc", "usr/share/doc/x/jcls/jcls.pdf") == "paper"
    assert genre_of("r-doc-pdf", "usr/share/R/doc/manual/R-intro.pdf") == "manual"
    assert genre_of("texlive-latex-extra-doc", "usr/share/doc/x/scrlttr2/letter.pdf") == "letter"
    import random
    assert choose_pages(3, 5, random.Random(0)) == [1, 2, 3]
    chosen = choose_pages(50, 4, random.Random(0))
    assert chosen[0] == 1 and len(chosen) == 4 and chosen == sorted(chosen)


def test_corpus_config_errors_name_the_key(tmp_path):
    with pytest.raises(ConfigError, match="genre_pages names \\['novel'\\]"):
        load_corpus_config(_config(tmp_path, genre_pages={"novel": 3}))
    with pytest.raises(ConfigError, match="unknown key\\(s\\) \\['colour'\\]"):
        load_corpus_config(_config(tmp_path, colour=1))
    with pytest.raises(ConfigError, match="'seed' is 'x'"):
        load_corpus_config(_config(tmp_path, seed="x"))


@needs_poppler
def test_corpus_from_fake_packages_is_deterministic_and_split_by_document(tmp_path):
    cache = tmp_path / "cache"
    _fake_packages(cache / "root")
    config = load_corpus_config(_config(tmp_path))
    runs = []
    for output in ("out1", "out2"):
        result = run_tool("build_corpus.py", "--config", _config(tmp_path), "--cache", str(cache),
                          "--output", str(tmp_path / output), "--no-download", "--quiet")
        assert result.returncode == 0, result.stderr
        runs.append([(tmp_path / output / f"{s}.txt").read_text() for s in ("train", "heldout")])
    assert runs[0] == runs[1]  # deterministic
    assert "| genre | PDFs read |" in result.stdout and "| slides |" in result.stdout and "poppler cannot read" in \
        result.stdout
    record = json.load(open(tmp_path / "out1" / "corpus.json"))
    documents = record["documents"]
    assert sum(os.path.basename(d["path"]) in ("foo.pdf", "foo-again.pdf") for d in documents) == 1  # one content
    assert {d["genre"] for d in documents} == {"manual", "paper", "slides", "letter", "poster"}
    assert all(len(d["pages"]) <= 4 and d["pages"][0] == 1 for d in documents)
    train = {d["path"] for d in documents if d["split"] == "train"}
    heldout = {d["path"] for d in documents if d["split"] == "heldout"}
    assert train and heldout and not train & heldout
    pages, errors = pages_from_inputs([f"@{tmp_path / 'out1' / 'train.txt'}"], dpi=36)
    assert not errors and len(pages) == sum(len(d["pages"]) for d in documents if d["split"] == "train")
    # the same selection in process, and a genre budget that is met stops taking its documents
    chosen, seen, unreadable = select_documents(find_documents(debian_corpus.fetch_packages(
        config["packages"], str(cache), download=False)), dict(config, genre_pages={"manual": 4}), progress=False)
    assert sum(len(d.pages) for d in chosen) == 4 and len(unreadable) <= 1


def test_download_and_unpack_with_a_fake_apt(tmp_path, monkeypatch):
    if not shutil.which("dpkg-deb"):
        pytest.skip("dpkg-deb is not installed (not a Debian system)")
    tree = tmp_path / "pkg"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text("Package: fake-doc\nVersion: 1.0\nArchitecture: all\n"
                                             "Maintainer: t <t@t>\nDescription: fake\n")
    (tree / "usr/share/doc/fake-doc").mkdir(parents=True)
    (tree / "usr/share/doc/fake-doc/manual.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    deb = tmp_path / "built.deb"
    subprocess.run(["dpkg-deb", "--build", str(tree), str(deb)], check=True, capture_output=True)
    calls = []
    real_run = debian_corpus._run

    def fake_run(command, cwd=None):
        calls.append(command[:2])
        if command[:2] == ["apt-get", "download"]:
            shutil.copyfile(deb, os.path.join(cwd, "fake-doc_1.0_all.deb"))
            return subprocess.CompletedProcess(command, 0, "", "")
        return real_run(command, cwd)

    monkeypatch.setattr(debian_corpus, "_run", fake_run)
    folders = debian_corpus.fetch_packages(["fake-doc"], str(tmp_path / "cache"))
    assert os.path.isfile(os.path.join(folders["fake-doc"], "usr/share/doc/fake-doc/manual.pdf"))
    debian_corpus.fetch_packages(["fake-doc"], str(tmp_path / "cache"))  # unpacked once, downloaded once
    assert calls == [["apt-get", "download"], ["dpkg", "-x"]]
    monkeypatch.setattr(debian_corpus, "_run", lambda command, cwd=None: subprocess.CompletedProcess(
        command, 100, "", "E: Unable to locate package nothing-doc"))
    with pytest.raises(debian_corpus.CorpusError, match="apt-get download nothing-doc failed: E: Unable to locate"):
        debian_corpus.download_package("nothing-doc", str(tmp_path / "cache" / "debs"))


# --- typeset LaTeX pages with exact boxes; label agreement -----------------------------------

def _ink_beyond(ink, box):
    """How many pixels the ink that touches a box's edges continues outside it (the largest of its four sides)."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    rows, cols = ink[:, x0:x1].any(axis=1), ink[y0:y1, :].any(axis=0)

    def run(flags, start, step):
        n = 0
        while 0 <= start + step * n < len(flags) and flags[start + step * n]:
            n += 1
        return n

    return max(run(rows, y0 - 1, -1), run(rows, y1, 1), run(cols, x0 - 1, -1), run(cols, x1, 1))


@needs_poppler
@pytest.mark.skipif(not shutil.which("pdflatex"), reason="pdflatex is not installed (apt-get install "
                    "texlive-latex-base texlive-latex-recommended texlive-fonts-recommended)")
def test_latex_pages_have_exact_boxes_and_agreement_scores_them(tmp_path):
    from distildoc_d2.evaluation.label_agreement import labels_map

    result = run_tool("typeset_pages.py", "--output", str(tmp_path / "latex"), "--documents", "2", "--dpi", "144",
                      "--quiet")
    assert result.returncode == 0, result.stderr
    path = tmp_path / "latex" / "annotations.json"
    data = json.load(open(path))
    names = {c["id"]: c["name"] for c in data["categories"]}
    found = {names[a["category_id"]] for a in data["annotations"]}
    assert {"Title", "Section-header", "Text", "List-item", "Page-header", "Page-footer"} <= found
    coverage = float(result.stdout.split("%")[0].rsplit(" ", 1)[-1])
    assert coverage > 99, result.stdout  # everything printed is inside a labelled box (no text runs off its box)
    for image in data["images"]:
        ink = np.asarray(Image.open(tmp_path / "latex" / "images" / image["file_name"]).convert("L")) < 128
        for a in (a for a in data["annotations"] if a["image_id"] == image["id"]):
            x, y, w, h = a["bbox"]
            assert ink[int(y):int(y + h) + 1, int(x):int(x + w) + 1].any()  # ink inside every box
            # and the box is tight: ink touching its edges stops within 1.5 pt (3 px at 144 dpi) outside it;
            # boxes in TeX points taken for PDF points sit up to 3 pt off near the top of a page
            assert _ink_beyond(ink, (x, y, x + w, y + h)) < 3, (image["file_name"], names[a["category_id"]], a["bbox"])
    assert labels_map(str(path), str(path))["AP"] == pytest.approx(100.0)
    shifted = dict(data, annotations=[dict(a, bbox=[a["bbox"][0] + 30, a["bbox"][1] + 30] + a["bbox"][2:])
                                      for a in data["annotations"]])
    (tmp_path / "shifted.json").write_text(json.dumps(shifted))
    assert labels_map(str(path), str(tmp_path / "shifted.json"))["AP"] < 60


# --- scanned-looking copies (tools/scan_pages.py) ---------------------------------------------

@needs_poppler
def test_scanned_copies_keep_labels_and_lose_the_text_layer(tmp_path):
    from distildoc_d2.inference.pdf import page_sizes

    root = tmp_path / "pages"
    root.mkdir()
    image = Image.new("RGB", (144, 200), "white")
    ImageDraw.Draw(image).rectangle((20, 30, 120, 60), fill="black")
    image.save(root / "a.png")
    annotations = [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [20, 30, 100, 30], "area": 3000, "iscrowd": 0}]
    data = {"images": [{"id": 1, "file_name": "a.png", "width": 144, "height": 200, "dpi": 144}],
            "annotations": annotations, "categories": [{"id": 1, "name": "Title"}]}
    (tmp_path / "set.json").write_text(json.dumps(data))
    out = tmp_path / "scanned"
    result = run_tool("scan_pages.py", f"coco:{tmp_path / 'set.json'}:{root}", "--output", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    written = json.loads((out / "annotations.json").read_text())
    assert written["annotations"] == annotations
    assert written["images"][0]["file_name"] == "a.png" and written["images"][0]["source"] == "pdf/a.pdf"
    scanned = np.asarray(Image.open(out / "images" / "a.png").convert("RGB"), dtype=np.int16)
    original = np.asarray(image, dtype=np.int16)
    assert scanned.shape == original.shape
    assert np.abs(scanned - original).mean() > 2, "the copy should be degraded"
    # the ink stays where its label is: the box is still the darkest part of the page
    assert scanned[35:55, 25:115].mean() < 100 < scanned[100:190].mean()
    # an image-only PDF of the page's size in points (144 px at 144 dpi -> 72 pt), without text
    assert page_sizes(str(out / "pdf" / "a.pdf")) == [(72.0, 100.0)]
    text = subprocess.run(["pdftotext", str(out / "pdf" / "a.pdf"), "-"], capture_output=True, text=True)
    assert text.returncode == 0 and text.stdout.strip() == ""
    # the same page, degraded the same way, every time
    again = tmp_path / "again"
    assert run_tool("scan_pages.py", f"coco:{tmp_path / 'set.json'}:{root}", "--output", str(again),
                    "--quiet").returncode == 0
    assert (again / "images" / "a.png").read_bytes() == (out / "images" / "a.png").read_bytes()

    refused = run_tool("scan_pages.py", f"coco:{tmp_path / 'set.json'}:{root}", "--output", str(out), "--quiet")
    assert refused.returncode == 2 and "exists" in refused.stderr
    (root / "a.png").write_text("not an image")
    broken = run_tool("scan_pages.py", f"coco:{tmp_path / 'set.json'}:{root}", "--output", str(tmp_path / "b"),
                      "--quiet")
    assert broken.returncode == 2 and "a.png" in broken.stderr and "cannot be read" in broken.stderr
    assert not any(p.name.startswith("b") for p in tmp_path.iterdir()), "nothing half-written"


def test_label_agreement_matches_pages_by_pdf_page_then_file_name(tmp_path):
    from distildoc_d2.evaluation.label_agreement import labels_map

    box = {"bbox": [10, 10, 50, 20], "category_id": 1, "iscrowd": 0, "area": 1000}
    truth = {"images": [{"id": 1, "file_name": "scan_a.png", "source": "pdf/a.pdf", "page": 1, "width": 100, "height": 100},
                        {"id": 2, "file_name": "b.png", "width": 100, "height": 100}],
             "annotations": [dict(box, id=1, image_id=1), dict(box, id=2, image_id=2)],
             "categories": [{"id": 1, "name": "Text"}]}
    # pseudo-labels of the PDF page (another image name), and of b.png by its name; class ids differ
    labels = {"images": [{"id": 7, "file_name": "images/a_p001.png", "source": "/elsewhere/a.pdf", "page": 1},
                         {"id": 8, "file_name": "images/b.png"}],
              "annotations": [dict(box, id=1, image_id=7, category_id=3), dict(box, id=2, image_id=8, category_id=3)],
              "categories": [{"id": 3, "name": "text"}]}
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    (tmp_path / "labels.json").write_text(json.dumps(labels))
    result = labels_map(str(tmp_path / "truth.json"), str(tmp_path / "labels.json"))
    assert result["pages"] == 2 and result["AP"] == pytest.approx(100.0)
    # the same PDF file at another page is another page
    labels["images"][0]["page"] = 2
    (tmp_path / "labels.json").write_text(json.dumps(labels))
    assert labels_map(str(tmp_path / "truth.json"), str(tmp_path / "labels.json"))["pages"] == 1


# --- the distiller's table: teacher and students on the same pages (tools/compare_labellers.py) ---

@register_analyser("exact-test")
class ExactAnalyser:
    """Finds the one title every page of _two_page_pdf holds, where it is, in points."""

    class_names = ("title",)
    description = {"stub": "exact"}

    def analyse(self, path, number):
        return PageFrame(200, 100, 0), [("title", [20, 10, 120, 40])]


@register_analyser("shifted-test")
class ShiftedAnalyser(ExactAnalyser):
    """Finds the title 60 points to the right of where it is (IoU 0.25 with the truth)."""

    def analyse(self, path, number):
        return PageFrame(200, 100, 0), [("title", [80, 10, 180, 40])]


class ImageLabeller:
    """An image model stand-in: renders the page, finds the title on page 1, cannot read page 2."""

    class_names = ["Title"]

    def __call__(self, page):
        rgb = page.load()
        if page.page == 2:
            raise InputError("unreadable")
        assert rgb.shape[:2] == (100, 200)  # rendered at 72 dpi
        return [{"category": "Title", "bbox": [20, 10, 120, 40], "score": 0.9}]


def _two_page_set(tmp_path, dpi=72):
    """A 2-page PDF (200 x 100 pt) with a title at (20, 10)-(120, 40) pt, and its exact labels at `dpi`."""
    pdf = _pdf(tmp_path / "doc.pdf", [(200, 100, [(20, 10, 120, 40)])] * 2)
    scale = dpi / 72
    truth = {"images": [{"id": n, "file_name": f"doc_{n}.png", "source": "pdf/doc.pdf", "page": n,
                         "width": round(200 * scale), "height": round(100 * scale)} for n in (1, 2)],
             "annotations": [{"id": n, "image_id": n, "category_id": 1, "bbox": [20 * scale, 10 * scale, 100 * scale,
                                                                                 30 * scale], "area": 1, "iscrowd": 0}
                             for n in (1, 2)],
             "categories": [{"id": 1, "name": "Title"}]}
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    return pdf, str(tmp_path / "truth.json")


@needs_poppler
def test_labellers_are_scored_and_timed_on_the_same_pages(tmp_path):
    from distildoc_d2.errors import DatasetError
    from distildoc_d2.evaluation.labeller_comparison import PageSet, compare_labellers, labeller_table

    pdf, truth = _two_page_set(tmp_path)
    pages, errors = pages_from_inputs([pdf], dpi=72)
    assert not errors
    labellers = [("teacher", build_teacher("pdf:exact-test")), ("shifted", build_teacher("pdf:shifted-test")),
                 ("image", ImageLabeller())]
    sets = [PageSet("typeset", pages, truth), PageSet("timed only", pages[:1])]
    results = compare_labellers(labellers, sets, ["Text", "Title"], progress=False)
    teacher, shifted, image = results
    assert teacher.scores["typeset"]["AP"] == pytest.approx(100.0)
    assert shifted.scores["typeset"]["AP"] == pytest.approx(0.0)
    # page 1 found, page 2 unreadable: recall 1/2 at every IoU threshold -> AP 50.5 (101-point interpolation)
    assert image.scores["typeset"]["AP"] == pytest.approx(50.5, abs=0.1)
    assert [r.failed_pages for r in results] == [0, 0, 1]
    assert all(len(r.seconds) == 3 and min(r.seconds) > 0 for r in results)
    assert "timed only" not in teacher.scores
    table = labeller_table(results, sets).splitlines()
    assert table[0].startswith("| labeller | typeset: bbox mAP (AP50) | of teacher | ms per page from the PDF (3 pages)")
    assert table[2].startswith("| teacher | 100.0 (100.0) | 100% |") and "| 1.00x | 0 |" in table[2]
    assert table[3].startswith("| shifted | 0.0 (0.0) | 0% |")
    assert table[4].startswith("| image | 50.5 (") and table[4].endswith("| 1 |")

    pages_144, _ = pages_from_inputs([pdf], dpi=144)
    with pytest.raises(DatasetError, match="400x200 px.*200x100 px; render the pages at the dpi"):
        compare_labellers(labellers[:1], [PageSet("typeset", pages_144, truth)], ["Title"], progress=False)


@needs_poppler
def test_compare_labellers_tool_runs_a_born_digital_teacher_and_an_image_model(tmp_path, capsys):
    import importlib.util

    from detectron2.modeling import build_model

    from distildoc_d2 import load_config

    from conftest import TINY_MODEL

    pdf, truth = _two_page_set(tmp_path)
    run = tmp_path / "run"
    run.mkdir()
    cfg = load_config(os.path.join(REPO, "configs/demo/teacher_R50_FPN.yaml"),
                      TINY_MODEL + ["MODEL.ROI_HEADS.SCORE_THRESH_TEST", "0.0"])
    (run / "config.yaml").write_text(cfg.dump())
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    torch.save({"model": build_model(cfg).state_dict()}, run / "model_final.pth")
    spec = importlib.util.spec_from_file_location("compare_labellers",
                                                  os.path.join(REPO, "tools", "compare_labellers.py"))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    output = tmp_path / "table.json"
    common = ["--dpi", "72", "--quiet", "--labeller", "teacher=pdf:exact-test", "--labeller", f"student=run:{run}"]
    assert tool.main(common + ["--set", "typeset", truth, pdf, "--set", "timed", "-", pdf,
                               "--output", str(output)]) == 0
    record = json.loads(output.read_text())
    assert [r["name"] for r in record["labellers"]] == ["teacher", "student"]
    assert record["labellers"][0]["scores"]["typeset"]["AP"] == pytest.approx(100.0)
    assert 0.0 <= record["labellers"][1]["scores"]["typeset"]["AP"] < 100.0  # random weights
    assert record["sets"] == {"typeset": {"pages": 2, "truth": truth}, "timed": {"pages": 2, "truth": None}}
    assert all(r["ms_per_page"] > 0 for r in record["labellers"]) and record["render_ms"] > 0
    printed = capsys.readouterr().out
    assert "| teacher | 100.0 (100.0) | 100% |" in printed and "| student |" in printed and "Rendering a page" in printed
    assert tool.main(common + ["--set", "typeset", str(tmp_path / "missing.json"), pdf]) == 2
    assert "--set typeset: the exact labels" in capsys.readouterr().err
    assert tool.main(common + ["--set", "typeset", truth, str(tmp_path / "none.pdf")]) == 2
    assert "none.pdf" in capsys.readouterr().err
