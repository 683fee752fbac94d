"""An unlabelled corpus of real born-digital PDFs from Debian's documentation packages
(texlive-*-doc, r-doc-pdf): packages downloaded with `apt-get download` and unpacked with
`dpkg -x` (nothing is installed), PDFs found and sorted into genres by package, path and page
shape, then a deterministic, seeded choice of whole documents and of pages within each one,
split by document into training and held-out pages.

The result is two page lists (`train.txt`, `heldout.txt`: `PATH PAGES` a line) that
tools/pseudo_label.py reads as `@LIST.txt`, and `corpus.json` (every chosen document, its
package, genre, pages and split).
"""
import glob
import hashlib
import json
import os
import random
import subprocess
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import List, Optional

from tqdm import tqdm

from ..errors import ConfigError, DatasetError

GENRES = ("manual", "paper", "slides", "letter", "poster", "thesis")
UNPACKED_MARKER = ".unpacked"
CONFIG_KEYS = {"packages": list, "seed": int, "max_pages_per_document": int, "genre_pages": dict,
               "heldout_fraction": float}
# Path words that name a genre, checked in this order (the first that matches wins).
GENRE_WORDS = (
    ("poster", ("poster",)),
    ("slides", ("beamer", "slides", "slide", "presentation", "talk", "powerdot", "prosper", "lecture")),
    ("letter", ("letter", "lettre", "brief", "invoice", "rechnung", "moderncv", "europecv", "europasscv",
                "resume", "curriculum", "/cv", "_cv", "-cv", "scrlttr")),
    ("thesis", ("thesis", "dissertation", "diplom", "these")),
    ("paper", ("sample", "template", "article", "journal", "paper", "proceedings", "conference", "acmart",
               "revtex", "ieeetran", "elsarticle", "llncs")),
)
PAPER_PACKAGES = ("texlive-publishers-doc",)


class CorpusError(DatasetError):
    """A package cannot be downloaded or unpacked, or the corpus config is wrong."""


@dataclass
class Document:
    """One PDF of an unpacked package: where it is and, once read, its pages and genre."""

    path: str
    package: str
    relpath: str
    num_pages: int = 0
    genre: str = ""
    pages: List[int] = field(default_factory=list)
    split: Optional[str] = None


def load_corpus_config(path):
    """The corpus recipe of a YAML file: packages, seed, max_pages_per_document, genre_pages
    ({genre: pages, training and held-out together}) and heldout_fraction."""
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            config = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"corpus config {path} cannot be read: {err}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"corpus config {path}: expected a mapping with keys {sorted(CONFIG_KEYS)}")
    for key, kind in CONFIG_KEYS.items():
        if key not in config:
            raise ConfigError(f"corpus config {path}: key '{key}' is missing")
        value = config[key]
        if kind is float and isinstance(value, int):
            value = config[key] = float(value)
        if not isinstance(value, kind):
            raise ConfigError(f"corpus config {path}: '{key}' is {value!r}; expected a {kind.__name__}")
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise ConfigError(f"corpus config {path}: unknown key(s) {unknown}; expected {sorted(CONFIG_KEYS)}")
    bad = sorted(set(config["genre_pages"]) - set(GENRES))
    if bad:
        raise ConfigError(f"corpus config {path}: genre_pages names {bad}; genres are {list(GENRES)}")
    if not 0.0 <= config["heldout_fraction"] < 1.0:
        raise ConfigError(f"corpus config {path}: heldout_fraction is {config['heldout_fraction']}; expected [0, 1)")
    if not config["packages"] or config["max_pages_per_document"] < 1:
        raise ConfigError(f"corpus config {path}: expected at least one package and max_pages_per_document >= 1")
    return config


def _run(command, cwd=None):
    try:
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise CorpusError(f"{command[0]} is not available: the corpus step needs Debian's apt-get and dpkg") from None


def download_package(package, debs_dir):
    """The .deb of `package` in `debs_dir`, downloaded with `apt-get download` unless there."""
    os.makedirs(debs_dir, exist_ok=True)
    found = sorted(glob.glob(os.path.join(debs_dir, f"{package}_*.deb")))
    if found:
        return found[-1]
    result = _run(["apt-get", "download", "-q", package], cwd=debs_dir)
    found = sorted(glob.glob(os.path.join(debs_dir, f"{package}_*.deb")))
    if result.returncode != 0 or not found:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no .deb was written"]
        raise CorpusError(f"apt-get download {package} failed: {detail[0]} (run apt-get update first, and check "
                          "that the package exists: apt-cache show " + package + ")")
    return found[-1]


def unpack_package(deb, root, package):
    """`dpkg -x` of a .deb into ROOT/<package>/ (once: a marker file records a finished unpack)."""
    target = os.path.join(root, package)
    if os.path.isfile(os.path.join(target, UNPACKED_MARKER)):
        return target
    os.makedirs(target, exist_ok=True)
    result = _run(["dpkg", "-x", deb, target])
    if result.returncode != 0:
        raise CorpusError(f"dpkg -x {deb} failed: {result.stderr.strip()}")
    open(os.path.join(target, UNPACKED_MARKER), "w").close()
    return target


def fetch_packages(packages, cache_dir, download=True):
    """{package: unpacked folder} for every package (downloaded and unpacked into `cache_dir` as
    needed; with download=False, only packages already unpacked there)."""
    root = os.path.join(cache_dir, "root")
    folders = OrderedDict()
    for package in tqdm(packages, desc="packages", unit="package"):
        target = os.path.join(root, package)
        if os.path.isfile(os.path.join(target, UNPACKED_MARKER)):
            folders[package] = target
        elif download:
            folders[package] = unpack_package(download_package(package, os.path.join(cache_dir, "debs")), root, package)
        else:
            raise CorpusError(f"package {package} is not unpacked under {root} and downloads are off")
    return folders


def _digest(path):
    sha = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def find_documents(folders):
    """Every PDF of the unpacked packages ({package: folder}), sorted by package and path, each
    file once (copies in several places or packages are dropped by content)."""
    documents, seen = [], set()
    for package, folder in folders.items():
        paths = []
        for dirpath, _, files in os.walk(folder):
            paths += [os.path.join(dirpath, f) for f in files if f.lower().endswith(".pdf")]
        for path in sorted(paths):
            if not os.path.isfile(path) or os.path.getsize(path) == 0:
                continue
            digest = _digest(path)
            if digest in seen:
                continue
            seen.add(digest)
            documents.append(Document(path=path, package=package, relpath=os.path.relpath(path, folder)))
    return documents


def genre_of(package, relpath, page_size=None):
    """The genre of a PDF: from its page shape (posters are large, slides small and landscape),
    then from words in its path, then its package (journal classes: paper); else a manual."""
    if page_size:
        width, height = page_size
        if max(width, height) > 1300:  # A2 and larger
            return "poster"
        if width > height and width < 800:
            return "slides"
    path = "/" + relpath.lower()
    for genre, words in GENRE_WORDS:
        if any(word in path for word in words):
            return genre
    return "paper" if package in PAPER_PACKAGES else "manual"


def choose_pages(num_pages, limit, rng):
    """At most `limit` pages of a document: the first page and a seeded sample of the rest."""
    if num_pages <= limit:
        return list(range(1, num_pages + 1))
    return [1] + sorted(rng.sample(range(2, num_pages + 1), limit - 1))


def _first_page(path):
    """(number of pages, size of page 1 in points) from pdfinfo; None for a PDF poppler cannot read."""
    from ..inference.inputs import InputError
    from ..inference.pdf import page_sizes

    try:
        sizes = page_sizes(path)
    except InputError:
        return None
    return len(sizes), sizes[0]


def select_documents(documents, config, page_info=_first_page, progress=True):
    """Choose whole documents in a seeded order until every genre has its pages
    (config["genre_pages"]). A document is held out when that keeps its genre's held-out pages
    within heldout_fraction of the genre's chosen pages (so the first one trains). Returns
    (chosen documents, {genre: documents seen}, unreadable PDFs)."""
    order = list(documents)
    random.Random(config["seed"]).shuffle(order)
    budget = {g: int(config["genre_pages"].get(g, 0)) for g in GENRES}
    taken = {g: {"train": 0, "heldout": 0} for g in GENRES}
    seen = {g: 0 for g in GENRES}
    chosen, unreadable = [], []
    for document in tqdm(order, desc="reading PDFs", unit="pdf", disable=not progress):
        if all(sum(taken[g].values()) >= budget[g] for g in GENRES):
            break
        info = page_info(document.path)
        if info is None:
            unreadable.append(document.path)
            continue
        document.num_pages, first_size = info
        document.genre = genre_of(document.package, document.relpath, first_size)
        seen[document.genre] += 1
        genre = document.genre
        left = budget[genre] - sum(taken[genre].values())
        if left <= 0:
            continue
        rng = random.Random(f"{config['seed']}:{document.relpath}")
        document.pages = choose_pages(document.num_pages, min(config["max_pages_per_document"], left), rng)
        pages, total = len(document.pages), sum(taken[genre].values())
        keeps_share = taken[genre]["heldout"] + pages <= config["heldout_fraction"] * (total + pages)
        document.split = "heldout" if keeps_share else "train"
        taken[genre][document.split] += len(document.pages)
        chosen.append(document)
    return chosen, seen, unreadable


def _ranges(pages):
    """1,2,3,7 -> "1-3,7"."""
    parts, start = [], None
    for i, page in enumerate(pages):
        if start is None:
            start = page
        if i + 1 == len(pages) or pages[i + 1] != page + 1:
            parts.append(str(start) if start == page else f"{start}-{page}")
            start = None
    return ",".join(parts)


def write_corpus(chosen, output_dir, config):
    """OUTPUT/train.txt and OUTPUT/heldout.txt (`PATH PAGES` lines, paths relative to OUTPUT) and
    OUTPUT/corpus.json. Returns {split: list file}."""
    os.makedirs(output_dir, exist_ok=True)
    lists = {}
    for split in ("train", "heldout"):
        path = os.path.join(output_dir, f"{split}.txt")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            for d in sorted((d for d in chosen if d.split == split), key=lambda d: (d.package, d.relpath)):
                if " " in d.path or "#" in d.path:
                    raise CorpusError(f"{d.path}: a path with a space or # cannot go into a page list")
                f.write(f"{os.path.relpath(d.path, output_dir)} {_ranges(d.pages)}\n")
        os.replace(path + ".tmp", path)
        lists[split] = path
    record = {"config": config,
              "documents": [{"path": d.path, "package": d.package, "genre": d.genre, "num_pages": d.num_pages,
                             "pages": d.pages, "split": d.split} for d in chosen]}
    with open(os.path.join(output_dir, "corpus.json"), "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1)
    return lists


def summary_table(chosen, seen):
    """Pages and documents per genre and split, as a Markdown table."""
    lines = ["| genre | PDFs read | train docs | train pages | held-out docs | held-out pages |",
             "|---|---|---|---|---|---|"]
    totals = [0, 0, 0, 0, 0]
    for genre in GENRES:
        row = [seen.get(genre, 0)]
        for split in ("train", "heldout"):
            docs = [d for d in chosen if d.genre == genre and d.split == split]
            row += [len(docs), sum(len(d.pages) for d in docs)]
        totals = [a + b for a, b in zip(totals, row)]
        lines.append(f"| {genre} | " + " | ".join(map(str, row)) + " |")
    lines.append("| all | " + " | ".join(map(str, totals)) + " |")
    return "\n".join(lines)


def build_corpus(config, cache_dir, output_dir, download=True, progress=True):
    """The whole corpus step. Returns ({split: list file}, summary table, unreadable PDFs)."""
    folders = fetch_packages(config["packages"], cache_dir, download)
    documents = find_documents(folders)
    if not documents:
        raise CorpusError(f"the packages {list(folders)} hold no PDF files")
    chosen, seen, unreadable = select_documents(documents, config, progress=progress)
    if not any(d.split == "train" for d in chosen):
        raise CorpusError("no training document was chosen: raise genre_pages or lower heldout_fraction")
    return write_corpus(chosen, output_dir, config), summary_table(chosen, seen), unreadable
