"""Layout prediction on pages, PDFs and folders with an exported (or a run's) layout model.

Python API (stable; tools/predict.py and document pipelines use it):

    from distildoc_d2.inference import LayoutPredictor

    predictor = LayoutPredictor.from_export("export/student", backend="onnx")   # or "torchscript", "eager"
    pages = predictor.predict_pdf("paper.pdf", pages="1-3,5")                   # list of page dicts
    page = predictor.predict_image(pil_image_or_uint8_array)                    # one page dict (RGB input)

`LayoutPredictor.from_export(folder, backend="onnx", device="cpu", precision="fp32", *,
score_threshold=None, masks=False, max_pixels=50_000_000, batch_size=1, renderer="pdf2image")`
loads an export folder written by tools/export_model.py; precision "int8" runs its quantised ONNX
model (onnx backend only); renderer "pypdfium2" renders PDFs with PDFium instead of poppler;
masks=True with a box-only model (no mask head) is a ConfigError.
`LayoutPredictor.from_run(path, weights="", overrides=(), device="cpu", **same options)` runs a
run folder or config file eagerly without an export.

- `predict_image(image, channels="RGB") -> dict`: `image` is a PIL image or a uint8 array
  (H, W) grey or (H, W, 3) in `channels` order ("RGB" or "BGR", e.g. from cv2).
- `predict_images(images, channels="RGB") -> list[dict]`: several pages, `batch_size` at a time.
- `predict_pdf(path, dpi=None, pages=None) -> list[dict]`: pages rendered directly at the model's
  input size (dpi None; a huge page is rendered small) or at `dpi`; `pages` is None (all),
  "1-3,5,8-" (a range past the last page stops there) or a list of 1-based numbers.
- `class_names`, `metadata` (the export's metadata JSON), `score_threshold`.
- The three stages, for timing: `preprocess(rgb) -> model input`, `backend([inputs]) -> raw
  outputs`, `finish(outputs, model_input, (h, w)) -> page dict`.

Page dict: `width`, `height` (page pixels) and `regions`, sorted by reading order, each
`{"category": str, "category_id": int (index into class_names), "score": float,
"bbox": [x0, y0, x1, y1] (page pixels), "reading_order": int (0 = first)}`, plus
`"mask": {"size": [h, w], "counts": str}` (COCO RLE, pycocotools) when `masks=True`.
PDF pages add `page` (1-based), `num_pages`, `dpi` (the resolution the page was rendered at),
`page_size_pt` and per region `bbox_pt`
(points from the page's top-left corner, y downwards, page rotation applied).

Bad input raises `distildoc_d2.inference.InputError` (a DistilDocError) with a message meant for
the user: unreadable, encrypted, truncated or empty PDFs, files that are not images, pages
smaller than 32 px per side or larger than `max_pixels`.

All backends share pre-processing (Detectron2's ResizeShortestEdge to the export's min/max size),
post-processing (boxes scaled to the page, masks pasted as by `detector_postprocess`) and the
reading order (column-aware, see reading_order.py). Eager runs pages of equal size as one batch;
TorchScript and ONNX run one page at a time.
"""
from .inputs import InputError
from .predictor import LayoutPredictor

__all__ = ["InputError", "LayoutPredictor"]
