"""Class-name mappings between document classification sets, for evaluation under covariate shift.

A folder-per-class set is read into a model's class space by mapping each folder name to one of
the model's class names. Names are compared after `normalize_class_name` (lower case, spaces and
hyphens as underscores), so "Scientific Report", "scientific-report" and "scientific_report" are
one name; a mapping lists only what normalisation does not already cover.
"""


def normalize_class_name(name):
    """Lower case, with spaces and hyphens turned into underscores."""
    return "_".join(name.strip().lower().replace("-", " ").split())


# RVL-CDIP-N (Larson et al. 2022) folder names -> RVL-CDIP class names. Its folders use RVL-CDIP's
# names with spaces ("scientific report", "news article", "file folder", ...), which normalisation
# maps already; the entries below accept plural and abbreviated spellings that re-packaged copies use.
RVLCDIPN_TO_RVLCDIP = {
    "ad": "advertisement",
    "ads": "advertisement",
    "advertisements": "advertisement",
    "budgets": "budget",
    "emails": "email",
    "file_folders": "file_folder",
    "folder": "file_folder",
    "forms": "form",
    "invoices": "invoice",
    "letters": "letter",
    "memos": "memo",
    "news": "news_article",
    "news_articles": "news_article",
    "presentations": "presentation",
    "questionnaires": "questionnaire",
    "resumes": "resume",
    "sci_publication": "scientific_publication",
    "sci_report": "scientific_report",
    "scientific_publications": "scientific_publication",
    "scientific_reports": "scientific_report",
    "specifications": "specification",
}

# Tobacco-3482 folder names -> RVL-CDIP class names, to evaluate an RVL-CDIP model on Tobacco-3482
# (whose pages come from the same collection). `Note` has no RVL-CDIP counterpart: None drops it.
TOBACCO3482_TO_RVLCDIP = {
    "ADVE": "advertisement",
    "Email": "email",
    "Form": "form",
    "Letter": "letter",
    "Memo": "memo",
    "News": "news_article",
    "Note": None,
    "Report": "scientific_report",
    "Resume": "resume",
    "Scientific": "scientific_publication",
}


def map_class_name(name, class_names, name_map=None):
    """The index in `class_names` of the folder name `name`, through `name_map` (keys and values
    compared normalised); None when the map sends it to None; KeyError when it has no match."""
    normalized = {normalize_class_name(c): i for i, c in enumerate(class_names)}
    key = normalize_class_name(name)
    mapping = {normalize_class_name(k): v for k, v in (name_map or {}).items()}
    if key in mapping:
        target = mapping[key]
        if target is None:
            return None
        key = normalize_class_name(target)
    if key not in normalized:
        raise KeyError(name)
    return normalized[key]
