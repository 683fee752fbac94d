"""Synthetic documents with exact layout labels: the project's built-in demo and test data.

Pages are drawn with Pillow in the TrueType fonts bundled with matplotlib (DejaVu, STIX,
Computer Modern), with English text from a built-in vocabulary, so the output for a seed is the
same on every machine. Nothing here needs torch or detectron2.

- `generate_layout_split`: COCO layout pages in DocLayNet's 11 classes (ids 1..11 in the order
  of DOCLAYNET_CLASSES), one tight box per paragraph, list item, table, picture, caption,
  formula, section header, title, page header, page footer and footnote.
- `generate_classification_set`: grey-scale pages of 12 document types with an RVL-CDIP-style
  label file (ids index RVL_CDIP_CLASSES).
- `generate_pdfs`: multi-page PDFs with COCO ground truth.
- `generate_demo_data`: the whole demo tree (layout, classification, PDFs), skipped when present.
- `to_publaynet`: convert a generated COCO dict to PubLayNet's 5 classes with
  DOCLAYNET_TO_PUBLAYNET: Text, Caption, Footnote, Formula -> text; Title, Section-header ->
  title; List-item -> list; Table -> table; Picture -> figure; Page-header and Page-footer are
  dropped (PubLayNet does not label them).
"""
from .classification_dataset import CLASSIFICATION_TYPES, generate_classification_set
from .demo import generate_demo_data
from .layout_dataset import GENERATOR_VERSION, generate_layout_split, to_publaynet
from .pdfs import generate_pdfs

__all__ = [
    "CLASSIFICATION_TYPES",
    "GENERATOR_VERSION",
    "generate_classification_set",
    "generate_demo_data",
    "generate_layout_split",
    "generate_pdfs",
    "to_publaynet",
]
