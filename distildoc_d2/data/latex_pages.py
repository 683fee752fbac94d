"""Real typeset pages with exact labels that no layout model made: LaTeX documents written here
(one or two columns, title, section headers, paragraphs, lists, tables, figures, captions,
formulas, footnotes, page headers and footers) are typeset with pdflatex, and every region is
set as one TeX box whose position pdfTeX records at shipout (\\pdfsavepos). The pages are
rendered with poppler (as tools/pseudo_label.py renders PDFs) and written as a COCO json in
DocLayNet's classes: a test set for real accuracy, independent of any teacher.

Needs pdflatex and Debian's texlive-latex-base, texlive-latex-recommended and
texlive-fonts-recommended.
"""
import json
import os
import random
import shutil
import subprocess

import numpy as np
from PIL import Image
from tqdm import tqdm

from ..errors import DatasetError
from .categories import DOCLAYNET_CLASSES

TEX_PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-fonts-recommended"
SP_PER_PT = 65536.0
PDF_POINTS_PER_TEX_POINT = 72.0 / 72.27  # TeX's pt is 1/72.27 inch; PDF's (and poppler's) point is 1/72 inch
WORDS = (
    "the of and to in a is that for it as was with be by on not he this are or his from at which but have an "
    "they you were her she there been one all we their has would when if so no will more can its who some into "
    "them time two may then do first any my now such like our over man me even most made after also did many "
    "before must through back years where much your way well down should because each just those people how too "
    "little state good very make world still own see men work long get here between both life being under never "
    "day same another know while last might great old year off come since against go came right used take three "
    "layout model region page table figure value system method result data analysis student teacher training "
    "document section measure sample paper report number series order function process example").split()
FONTS = ("", "\\usepackage{mathptmx}", "\\usepackage{mathpazo}", "\\usepackage[scaled]{helvet}\\renewcommand"
         "\\familydefault{\\sfdefault}")
FORMULAS = (r"E = \sum_{i=1}^{n} x_i^2 + \frac{1}{2}\int_0^1 f(t)\,dt",
            r"\mathcal{L}(\theta) = -\frac{1}{N}\sum_{k=1}^{N} \log p_\theta(y_k \mid x_k)",
            r"f(x) = \frac{a + b x}{1 + e^{-c x}}, \qquad x \in [0, \infty)",
            r"\hat{\beta} = (X^\top X)^{-1} X^\top y",
            r"\nabla \cdot \mathbf{u} = 0, \quad \rho\,\frac{\partial \mathbf{u}}{\partial t} = -\nabla p + \mu \Delta \mathbf{u}")
# Each region is one box placed at the current point; \pdfsavepos records that point (the box's
# left end on its baseline) at shipout, in scaled points (of TeX points) from the page's lower-left corner.
PREAMBLE = r"""
\usepackage{graphicx,fancyhdr,amsmath}
\makeatletter
\newwrite\regionout \immediate\openout\regionout=\jobname.regions
\newsavebox\regbox
\newcommand\putregion[1]{\edef\reg@write{\write\regionout{#1,\noexpand\thepage,\noexpand\the\pdflastxpos,%
  \noexpand\the\pdflastypos,\the\wd\regbox,\the\ht\regbox,\the\dp\regbox}}\pdfsavepos\reg@write\usebox\regbox}
\newcommand\blockregion[2]{\par\setbox\regbox\vbox{\hsize\linewidth\noindent #2\par}\noindent\putregion{#1}\par}
\newcommand\centredregion[2]{\par\sbox\regbox{#2}\ifdim\wd\regbox>\linewidth
  \setbox\regbox\vbox{\hsize\linewidth\centering #2\par}\fi{\centering\noindent\putregion{#1}\par}}
\newcommand\headerregion[2]{\sbox\regbox{#2}\putregion{#1}}
\newcommand\fitbox[2]{\sbox\regbox{#2}\ifdim\wd\regbox>#1\setbox\regbox\vbox{\hsize#1\noindent#2\par}\fi}
\newcommand\itemregion[2]{\par\fitbox{\dimexpr\linewidth-1.2em\relax}{\hangindent1em\hangafter1\makebox[1em][l]{#1}#2}%
  \noindent\hspace*{1.2em}\putregion{List-item}\par}
\renewcommand\@makefntext[1]{\noindent #1}
\newcommand\regionfootnotetext[1]{\footnotetext{\footnotesize\fitbox\columnwidth{$^{\thefootnote}$\,#1}%
  \putregion{Footnote}}}
\makeatother
\raggedbottom
\setlength\parindent{1em}
"""


def words(rng, count):
    return " ".join(rng.choice(WORDS) for _ in range(count))


def sentence(rng):
    text = words(rng, rng.randint(7, 18))
    return text[0].upper() + text[1:] + "."


def paragraph(rng, sentences=None):
    return " ".join(sentence(rng) for _ in range(sentences or rng.randint(3, 7)))


def heading(rng):
    return words(rng, rng.randint(1, 4)).title()


def _picture_png(path, rng):
    """A photo-like picture (smooth colour fields and noise) saved as PNG."""
    h, w = rng.randint(120, 220), rng.randint(200, 320)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    channels = [np.sin(xx * rng.uniform(2, 9) + rng.uniform(0, 6)) * np.cos(yy * rng.uniform(2, 9)) for _ in range(3)]
    image = (np.stack(channels, -1) * 90 + 128 + np.random.default_rng(rng.randint(0, 10**6)).normal(0, 12, (h, w, 3)))
    Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(path)


def _chart(rng):
    """A bar chart drawn with TeX rules (vector drawings, as real plots are)."""
    bars = rng.randint(4, 9)
    heights = [rng.randint(10, 90) for _ in range(bars)]
    body = "".join(f"\\put({12 + i * 18},0){{\\rule{{10pt}}{{{h}pt}}}}" for i, h in enumerate(heights))
    width = 20 + bars * 18
    return (f"\\setlength\\unitlength{{1pt}}\\begin{{picture}}({width},100)\\put(0,0){{\\line(1,0){{{width}}}}}"
            f"\\put(0,0){{\\line(0,1){{100}}}}{body}\\end{{picture}}")


def _table(rng):
    cols = rng.randint(3, 5)
    rows = rng.randint(3, 7)
    head = " & ".join(words(rng, 1).title() for _ in range(cols))
    lines = [" & ".join([words(rng, 1)] + [f"{rng.uniform(0, 100):.1f}" for _ in range(cols - 1)]) for _ in range(rows)]
    return (f"\\small\\begin{{tabular}}{{l{'r' * (cols - 1)}}}\\hline {head}\\\\\\hline "
            + "\\\\ ".join(lines) + "\\\\\\hline\\end{tabular}")


def document_source(rng, folder, index):
    """The LaTeX source of one document (pictures are written into `folder`)."""
    columns = rng.choice((1, 2))
    size = rng.choice(("10pt", "11pt", "12pt"))
    paper = rng.choice(("a4paper", "letterpaper"))
    options = ",".join([size, paper] + (["twocolumn"] if columns == 2 else []))
    out = [f"\\documentclass[{options}]{{article}}", rng.choice(FONTS),
           f"\\usepackage[margin={rng.choice(('2cm', '2.5cm', '3cm'))}]{{geometry}}", PREAMBLE,
           "\\pagestyle{fancy}\\fancyhf{}\\renewcommand\\headrulewidth{0pt}",
           f"\\fancyhead[L]{{\\headerregion{{Page-header}}{{\\small\\itshape {heading(rng)}}}}}",
           "\\fancyfoot[C]{\\headerregion{Page-footer}{\\small\\thepage}}",
           "\\begin{document}"]
    title = [f"\\centredregion{{Title}}{{\\LARGE\\bfseries {heading(rng)}}}\\medskip",
             f"\\centredregion{{Text}}{{{words(rng, 2).title()}, {words(rng, 2).title()}}}\\medskip",
             f"\\blockregion{{Text}}{{\\small\\textbf{{Abstract.}} {paragraph(rng, 4)}}}\\bigskip"]
    out += [f"\\twocolumn[{{{''.join(title)}}}]"] if columns == 2 else title
    figures = tables = footnotes = 0
    for section in range(1, rng.randint(4, 7)):
        out.append(f"\\bigskip\\par\\noindent\\sbox\\regbox{{\\large\\bfseries {section}\\quad {heading(rng)}}}"
                   "\\putregion{Section-header}\\par\\nobreak\\medskip")
        for _ in range(rng.randint(2, 5)):
            kind = rng.choices(("text", "list", "formula", "table", "figure", "footnote"), (6, 1, 1, 1, 1, 1))[0]
            if section == 1 and kind in ("table", "figure"):  # no float above the title
                kind = "text"
            if kind == "list":
                marks = ["$\\bullet$"] * 9 if rng.random() < 0.5 else [f"{i}." for i in range(1, 10)]
                out += [f"\\itemregion{{{marks[i]}}}{{{paragraph(rng, rng.randint(1, 2))}}}"
                        for i in range(rng.randint(2, 4))]
            elif kind == "formula":
                out.append(f"\\medskip\\centredregion{{Formula}}{{$\\displaystyle {rng.choice(FORMULAS)}$}}\\medskip")
            elif kind == "table":
                tables += 1
                out.append(f"\\begin{{table}}[!ht]\\centredregion{{Caption}}{{\\small Table {tables}: "
                           f"{sentence(rng)}}}\\smallskip\\centredregion{{Table}}{{{_table(rng)}}}\\end{{table}}")
            elif kind == "figure":
                figures += 1
                if rng.random() < 0.5:
                    name = f"doc{index:03d}_fig{figures}.png"
                    _picture_png(os.path.join(folder, name), rng)
                    body = f"\\includegraphics[width={rng.uniform(0.5, 0.9):.2f}\\linewidth]{{{name}}}"
                else:
                    body = _chart(rng)
                out.append(f"\\begin{{figure}}[!ht]\\centredregion{{Picture}}{{{body}}}\\smallskip"
                           f"\\centredregion{{Caption}}{{\\small Figure {figures}: {sentence(rng)}}}\\end{{figure}}")
            elif kind == "footnote" and footnotes < 2:
                footnotes += 1
                out.append(f"\\blockregion{{Text}}{{\\indent {paragraph(rng)}\\footnotemark}}"
                           f"\\regionfootnotetext{{{sentence(rng)}}}\\smallskip")
            else:
                out.append(f"\\blockregion{{Text}}{{\\indent {paragraph(rng)}}}\\smallskip")
    out.append("\\end{document}")
    return "\n".join(out)


def read_regions(path):
    """[(class, page, [x0, y0_from_bottom, x1, y1_from_bottom] in PDF points)] of a .regions file
    (positions in scaled points and box dimensions in TeX points, both converted to PDF points)."""
    regions = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            name, page, x, y, wd, ht, dp = line.strip().split(",")
            x, y = float(x) / SP_PER_PT, float(y) / SP_PER_PT
            wd, ht, dp = (float(v.replace("pt", "")) for v in (wd, ht, dp))
            box = [x, y - dp, x + wd, y + ht]
            regions.append((name, int(page), [v * PDF_POINTS_PER_TEX_POINT for v in box]))
    return regions


def typeset(source, folder, name):
    """Run pdflatex on `source` in `folder`; returns (pdf path, regions file)."""
    if not shutil.which("pdflatex"):
        raise DatasetError(f"pdflatex is not installed: apt-get install {TEX_PACKAGES}")
    tex = os.path.join(folder, f"{name}.tex")
    with open(tex, "w", encoding="utf-8") as f:
        f.write(source)
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"], cwd=folder,
                            capture_output=True, text=True)
    pdf = os.path.join(folder, f"{name}.pdf")
    if result.returncode != 0 or not os.path.isfile(pdf):
        errors = [line for line in result.stdout.splitlines() if line.startswith("!")]
        raise DatasetError(f"pdflatex failed on {tex}: {errors[0] if errors else 'see ' + name + '.log'} "
                           f"(needs {TEX_PACKAGES})")
    return pdf, os.path.join(folder, f"{name}.regions")


def ink_coverage(rgb, boxes, threshold=160):
    """The share of dark pixels of a page that lie inside one of `boxes` (pixels): a check that
    every printed thing is labelled."""
    ink = rgb.min(axis=2) < threshold
    covered = np.zeros_like(ink)
    for x0, y0, x1, y1 in boxes:
        covered[int(y0):int(np.ceil(y1)) + 1, int(x0):int(np.ceil(x1)) + 1] = True
    total = int(ink.sum())
    return float((ink & covered).sum()) / total if total else 1.0


def build_latex_pages(output_dir, documents=12, seed=0, dpi=72, progress=True):
    """Typeset `documents` documents and write OUTPUT/images/, OUTPUT/annotations.json (COCO,
    DocLayNet classes) and OUTPUT/pdf/ (sources, PDFs). Returns (json path, pages, mean ink
    coverage of the labels)."""
    from ..inference.pdf import page_sizes, render_page

    pdf_dir, image_dir = os.path.join(output_dir, "pdf"), os.path.join(output_dir, "images")
    os.makedirs(pdf_dir, exist_ok=True)
    os.makedirs(image_dir, exist_ok=True)
    classes = list(DOCLAYNET_CLASSES)
    images, annotations, coverage = [], [], []
    for index in tqdm(range(documents), desc="typesetting", unit="doc", disable=not progress):
        rng = random.Random(f"{seed}:{index}")
        name = f"doc{index:03d}"
        pdf, regions_file = typeset(document_source(rng, pdf_dir, index), pdf_dir, name)
        regions = read_regions(regions_file)
        scale = dpi / 72.0
        for number, (width, height) in enumerate(page_sizes(pdf), start=1):
            rgb = render_page(pdf, number, dpi)
            file_name = f"{name}_p{number:03d}.png"
            Image.fromarray(rgb).save(os.path.join(image_dir, file_name))
            image_id = len(images) + 1
            images.append({"id": image_id, "file_name": file_name, "width": rgb.shape[1], "height": rgb.shape[0],
                           "source": os.path.relpath(pdf, output_dir), "page": number, "dpi": dpi})
            boxes = []
            for cls, page, (x0, b0, x1, b1) in regions:
                if page != number:
                    continue
                box = [max(0.0, x0 * scale), max(0.0, (height - b1) * scale),
                       min(rgb.shape[1], x1 * scale), min(rgb.shape[0], (height - b0) * scale)]
                if box[2] - box[0] < 1 or box[3] - box[1] < 1:
                    continue
                boxes.append(box)
                w, h = box[2] - box[0], box[3] - box[1]
                annotations.append({"id": len(annotations) + 1, "image_id": image_id,
                                    "category_id": classes.index(cls) + 1, "bbox": [box[0], box[1], w, h],
                                    "area": w * h, "iscrowd": 0,
                                    "segmentation": [[box[0], box[1], box[2], box[1], box[2], box[3], box[0], box[3]]]})
            coverage.append(ink_coverage(rgb, boxes))
    data = {"info": {"description": "LaTeX pages typeset by distildoc_d2 (tools/typeset_pages.py); boxes recorded "
                                    "by pdfTeX's \\pdfsavepos", "seed": seed, "dpi": dpi},
            "images": images, "annotations": annotations,
            "categories": [{"id": i + 1, "name": n} for i, n in enumerate(classes)]}
    path = os.path.join(output_dir, "annotations.json")
    with open(path + ".tmp", "w") as f:
        json.dump(data, f)
    os.replace(path + ".tmp", path)
    return path, len(images), float(np.mean(coverage)) if coverage else 0.0
