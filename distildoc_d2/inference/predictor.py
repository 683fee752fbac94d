"""LayoutPredictor: pages in, layout regions out, with any backend of an export folder (or a
run's eager model). The API is documented in distildoc_d2/inference/__init__.py."""
import torch

from ..errors import ConfigError
from ..export.deploy_config import deployable_config
from ..export.metadata import build_metadata, export_file, load_metadata
from ..export.run import class_names, load_run, load_run_model
from .backends import EagerBackend, OnnxBackend, load_backend
from .inputs import (DEFAULT_MAX_PIXELS, InputError, as_rgb_array, check_page_size, missing_pages_message,
                     parse_page_ranges, select_pages)
from .pdf import page_sizes
from .postprocess import Postprocessor
from .preprocess import Preprocessor
from .reading_order import reading_order
from .render import build_renderer, effective_dpi, target_pixels

PRECISIONS = ("fp32", "int8")


def with_pdf_coordinates(page, number, num_pages, dpi, size_pt):
    """Add the PDF fields to a page dict: page number, page count, dpi, page size in points, and
    each region's `bbox_pt` (points from the displayed page's top-left corner, y downwards)."""
    scale_x, scale_y = size_pt[0] / page["width"], size_pt[1] / page["height"]
    page.update(page=number, num_pages=num_pages, dpi=dpi, page_size_pt=[float(size_pt[0]), float(size_pt[1])])
    for region in page["regions"]:
        x0, y0, x1, y1 = region["bbox"]
        region["bbox_pt"] = [x0 * scale_x, y0 * scale_y, x1 * scale_x, y1 * scale_y]
    return page


class LayoutPredictor:
    """Runs pre-processing, a backend and post-processing on pages; see the package docstring."""

    def __init__(self, backend, metadata, score_threshold=None, masks=False, max_pixels=DEFAULT_MAX_PIXELS,
                 batch_size=1, renderer="pdf2image"):
        if masks and not metadata.get("mask_on", True):
            raise ConfigError("masks were asked for (--masks) but the model is box-only (no mask head, "
                              "MODEL.MASK_ON False): it predicts boxes only")
        self.backend = backend
        self.metadata = metadata
        self.renderer = build_renderer(renderer)
        self.class_names = list(metadata["class_names"])
        threshold = metadata["score_threshold"] if score_threshold is None else score_threshold
        self.score_threshold = max(0.0, float(threshold))
        self.max_pixels = max_pixels
        self.batch_size = max(1, int(batch_size))
        self.preprocess = Preprocessor(metadata)
        self.postprocess = Postprocessor(self.class_names, self.score_threshold, masks, metadata["mask_threshold"])

    @classmethod
    def from_export(cls, folder, backend="onnx", device="cpu", precision="fp32", **options):
        """A predictor on an export folder (tools/export_model.py) with backend eager, torchscript or onnx;
        `precision` "int8" runs the export's quantised ONNX model (onnx backend only)."""
        metadata = load_metadata(folder)
        if precision not in PRECISIONS:
            raise ConfigError(f"unknown precision '{precision}'; choose one of {', '.join(PRECISIONS)}")
        if precision == "fp32":
            return cls(load_backend(folder, metadata, backend, device), metadata, **options)
        if backend != "onnx":
            raise ConfigError(f"int8 runs on the onnx backend only (ONNX Runtime); the {backend} backend has no "
                              "int8 model")
        if "onnx_int8" not in metadata["files"]:
            raise ConfigError(f"{folder} holds no int8 model: export it with tools/export_model.py "
                              "--int8 static --calibration PAGES (or --int8 dynamic)")
        path = export_file(folder, metadata, "onnx_int8")
        return cls(OnnxBackend(path, device, threads=torch.get_num_threads()), metadata, **options)

    @classmethod
    def from_run(cls, path, weights="", overrides=(), device="cpu", **options):
        """An eager predictor on a run folder or config file (weights as tools/export_model.py finds them)."""
        cfg, weights = load_run(path, weights, overrides)
        model = load_run_model(cfg, weights, device)
        deploy_cfg, stock = deployable_config(cfg)
        metadata = build_metadata(deploy_cfg, class_names(cfg), model.backbone.size_divisibility, stock, (),
                                  {"config": path, "weights": weights})
        return cls(EagerBackend(model, device), metadata, **options)

    def pdf_pixels(self, size_pt, dpi=None):
        """(width, height) in pixels at which a PDF page of `size_pt` points is rendered: the
        model's input size when `dpi` is None, else at `dpi`."""
        return target_pixels(size_pt, dpi, self.metadata["resize"])

    def finish(self, outputs, model_input, page_size):
        """The page dict for raw backend `outputs` of `model_input`, made from a page of `page_size` (h, w)."""
        regions = self.postprocess(outputs, model_input.shape[1:], page_size)
        ranks = reading_order([r["bbox"] for r in regions])
        for region, rank in zip(regions, ranks):
            region["reading_order"] = rank
        regions.sort(key=lambda r: r["reading_order"])
        return {"width": int(page_size[1]), "height": int(page_size[0]), "regions": regions}

    def predict_images(self, images, channels="RGB"):
        """Page dicts for a list of pages (PIL images or uint8 arrays, see `predict_image`), run in
        batches of `batch_size`."""
        pages = [as_rgb_array(image, channels) for image in images]
        for page in pages:
            check_page_size(page.shape[1], page.shape[0], self.max_pixels)
        inputs = [self.preprocess(page) for page in pages]
        outputs = []
        for start in range(0, len(inputs), self.batch_size):
            outputs += self.backend(inputs[start:start + self.batch_size])
        return [self.finish(out, x, page.shape[:2]) for out, x, page in zip(outputs, inputs, pages)]

    def predict_image(self, image, channels="RGB"):
        """The page dict of one page: a PIL image, or a uint8 array (H, W) grey or (H, W, 3) in
        `channels` order ("RGB" or "BGR")."""
        return self.predict_images([image], channels)[0]

    def predict_pdf(self, path, dpi=None, pages=None):
        """Page dicts (with PDF fields) of the pages of a PDF rendered at the model's input size
        (`dpi` None) or at `dpi`; `pages` is None (all), a selection such as "1-3,5" (ranges past
        the last page stop there) or a list of 1-based page numbers. InputError for an unreadable
        PDF or a page that does not exist or is too large."""
        sizes = page_sizes(path)
        ranges = parse_page_ranges(pages) if isinstance(pages, str) or pages is None else [(p, p) for p in pages]
        selected, missing = select_pages(ranges, len(sizes))
        if missing:
            raise InputError(f"{path}: {missing_pages_message(len(sizes), missing)}")
        results = []
        for start in range(0, len(selected), self.batch_size):
            numbers = selected[start:start + self.batch_size]
            size_pt = [sizes[number - 1] for number in numbers]
            pixels = [self.pdf_pixels(size, dpi) for size in size_pt]
            for size in pixels:
                check_page_size(*size, self.max_pixels)
            images = self.renderer.render(path, numbers, pixels, size_pt)
            for number, size, page in zip(numbers, size_pt, self.predict_images(images)):
                page_dpi = dpi or effective_dpi(size, page["width"])
                results.append(with_pdf_coordinates(page, number, len(sizes), page_dpi, size))
        return results
