"""Multi-page PDFs of synthetic layout pages, each with a COCO ground-truth file beside it."""
import os
import time

from tqdm import tqdm

from ..categories import DOCLAYNET_CLASSES
from .fonts import check_fonts
from .layout_dataset import GENERATOR_VERSION, coco_annotation, coco_categories, write_json
from .page_layout import compose_layout_page, page_rngs

# A fixed creation date keeps the PDF bytes identical from run to run.
_PDF_DATE = time.gmtime(1704067200)


def generate_pdfs(out_dir, num_pdfs, pages_per_pdf, seed, page_size=(612, 792), progress=True, dpi=72):
    """Write `num_pdfs` PDFs `out_dir/doc_XXX.pdf` of `pages_per_pdf` raster pages each, and
    `out_dir/doc_XXX.json` with their DocLayNet-class boxes.

    Pages are `page_size` pixels embedded at `dpi`, so a PDF page measures page_size * 72 / dpi
    points and rendering it at `dpi` (e.g. `pdf2image.convert_from_path(path, dpi=dpi)`) gives back
    `page_size` pixels, the frame of the boxes. In the json, image `id` and `page` are the 1-based
    page number, `file_name` is the PDF's name and `info.dpi` the resolution. Pages of one PDF
    share a style (fonts, margins, columns), like the pages of a real document. Returns the PDF paths.
    """
    check_fonts()
    width, height = (int(v) for v in page_size)
    os.makedirs(out_dir, exist_ok=True)
    class_ids = {name: i + 1 for i, name in enumerate(DOCLAYNET_CLASSES)}
    paths = []
    for doc in tqdm(range(num_pdfs), desc="pdfs", disable=not progress, unit="pdf"):
        name = f"doc_{doc:03d}"
        pages, images, annotations = [], [], []
        first_page = 1 + doc * 7 % 40
        for p in range(pages_per_pdf):
            rng, nrng = page_rngs(seed, f"pdf/{doc}", p)
            image, boxes = compose_layout_page(rng, nrng, width, height, page_number=first_page + p,
                                               degrade_strength=0.3, style_seed=f"{seed}/pdf/{doc}")
            pages.append(image)
            images.append({"id": p + 1, "file_name": f"{name}.pdf", "page": p + 1, "width": width, "height": height})
            for category, box in boxes:
                annotations.append(coco_annotation(len(annotations) + 1, p + 1, class_ids[category], box))
        pdf_path = os.path.join(out_dir, f"{name}.pdf")
        pages[0].save(pdf_path, format="PDF", save_all=True, append_images=pages[1:], resolution=float(dpi),
                      title=name, producer="distildoc_d2", creationDate=_PDF_DATE, modDate=_PDF_DATE)
        write_json(os.path.join(out_dir, f"{name}.json"), {
            "info": {
                "description": "distildoc_d2 synthetic PDF ground truth (DocLayNet classes)",
                "generator": "distildoc_d2.data.synthetic",
                "version": GENERATOR_VERSION,
                "seed": seed,
                "pdf": f"{name}.pdf",
                "dpi": dpi,
                "page_size": [width, height],
                "num_pages": pages_per_pdf,
            },
            "licenses": [],
            "images": images,
            "annotations": annotations,
            "categories": coco_categories(DOCLAYNET_CLASSES),
        })
        paths.append(pdf_path)
    return paths
