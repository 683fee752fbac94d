"""Write a document-classification set in RVL-CDIP's format: grey-scale page images and a label
file whose ids index RVL_CDIP_CLASSES, so a classifier trained on RVL-CDIP's 16 classes can be
evaluated on it directly."""
import os

from tqdm import tqdm

from ..categories import RVL_CDIP_CLASSES
from .doc_types import DOC_TYPES
from .fonts import check_fonts
from .layout_dataset import PNG_COMPRESS_LEVEL
from .page_layout import page_rngs

# The document types generated, all of them names in RVL_CDIP_CLASSES.
CLASSIFICATION_TYPES = tuple(DOC_TYPES)


def write_lines(path, lines):
    """Write text lines atomically."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
    os.replace(tmp, path)


def generate_classification_set(out_root, num_per_class, seed, split, image_size=(612, 792), progress=True):
    """Render `num_per_class` pages of each type in CLASSIFICATION_TYPES to
    `out_root/images/<split>/<type>_XXXXX.png` (grey-scale, like RVL-CDIP's scans).

    Writes `out_root/labels/<split>.txt` with lines `images/<split>/<name>.png <label_id>`, the id
    being the index of the type in RVL_CDIP_CLASSES, and `out_root/classes.txt` (RVL-CDIP's 16
    class names, one per line, in id order). Deterministic for the same arguments. Returns the
    label file path.
    """
    check_fonts()
    width, height = (int(v) for v in image_size)
    os.makedirs(os.path.join(out_root, "images", split), exist_ok=True)
    jobs = [(name, i) for i in range(num_per_class) for name in CLASSIFICATION_TYPES]
    lines = []
    for name, index in tqdm(jobs, desc=f"classification {split}", disable=not progress, unit="page"):
        rng, nrng = page_rngs(seed, f"classification/{split}/{name}", index)
        image = DOC_TYPES[name](rng, nrng, width, height)
        relative = f"images/{split}/{name}_{index:05d}.png"
        image.save(os.path.join(out_root, relative), format="PNG", compress_level=PNG_COMPRESS_LEVEL)
        lines.append(f"{relative} {RVL_CDIP_CLASSES.index(name)}")
    write_lines(os.path.join(out_root, "classes.txt"), RVL_CDIP_CLASSES)
    label_path = os.path.join(out_root, "labels", f"{split}.txt")
    write_lines(label_path, lines)
    return label_path
