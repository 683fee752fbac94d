"""distildoc_d2: knowledge distillation for document layout analysis and classification on Detectron2."""
from setuptools import find_packages, setup

setup(
    name="distildoc_d2",
    version="0.1.0",
    description="Knowledge distillation for document AI (layout analysis, page classification) as a Detectron2 plugin",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(exclude=("tests", "tests.*", "tools", "configs", "datasets")),
    python_requires=">=3.10",
    # detectron2 is not on PyPI under its own name: tools/install.sh installs it (sha256-pinned),
    # or users run `pip install 'git+https://github.com/facebookresearch/detectron2.git'`.
    install_requires=[
        "torch>=2.1",
        "torchvision",
        "fvcore",
        "iopath",
        "timm>=1.0",
        "pycocotools",
        "opencv-python-headless",
        "pdf2image",
        "numpy",
        "pillow",
        "matplotlib",
        "tqdm",
        "tensorboard",
    ],
    extras_require={
        "export": ["onnx", "onnxruntime"],
        "pdfium": ["pypdfium2"],
        "docvqa": ["transformers", "pytesseract"],
        "dev": ["pytest"],
        # The pdf:pymupdf teacher of tools/pseudo_label.py (PyMuPDF's layout analyser). PyMuPDF is
        # AGPL-3.0: an opt-in tool the user installs, never imported by distildoc_d2 itself.
        "born-digital": ["pymupdf>=2"],
    },
)
