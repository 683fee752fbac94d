"""Class taxonomies of the supported layout and classification data sets."""

# DocLayNet's 11 classes, in the order of its COCO category ids (1..11).
DOCLAYNET_CLASSES = (
    "Caption",
    "Footnote",
    "Formula",
    "List-item",
    "Page-footer",
    "Page-header",
    "Picture",
    "Section-header",
    "Table",
    "Text",
    "Title",
)

# PubLayNet's 5 classes, in the order of its COCO category ids (1..5).
PUBLAYNET_CLASSES = ("text", "title", "list", "table", "figure")

# PRImA Layout Analysis regions grouped into the 6 classes used in layout-analysis papers.
PRIMA_CLASSES = ("TextRegion", "ImageRegion", "TableRegion", "MathsRegion", "SeparatorRegion", "OtherRegion")

# The layout taxonomies a tool's --classes names.
LAYOUT_TAXONOMIES = {"doclaynet": DOCLAYNET_CLASSES, "publaynet": PUBLAYNET_CLASSES, "prima": PRIMA_CLASSES}

# DocLayNet -> PubLayNet. PubLayNet does not annotate page headers and footers (None: dropped);
# captions, footnotes and display formulas are part of its `text` class.
DOCLAYNET_TO_PUBLAYNET = {
    "Caption": "text",
    "Footnote": "text",
    "Formula": "text",
    "List-item": "list",
    "Page-footer": None,
    "Page-header": None,
    "Picture": "figure",
    "Section-header": "title",
    "Table": "table",
    "Text": "text",
    "Title": "title",
}

# RVL-CDIP's 16 document types; the index is the label id in its label files.
RVL_CDIP_CLASSES = (
    "letter",
    "form",
    "email",
    "handwritten",
    "advertisement",
    "scientific_report",
    "scientific_publication",
    "specification",
    "file_folder",
    "news_article",
    "budget",
    "invoice",
    "presentation",
    "questionnaire",
    "resume",
    "memo",
)

# Tobacco-3482's 10 document types (folder names of its distribution).
TOBACCO3482_CLASSES = ("ADVE", "Email", "Form", "Letter", "Memo", "News", "Note", "Report", "Resume", "Scientific")
