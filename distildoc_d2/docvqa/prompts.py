"""Prompt templates: Python format strings with the fields {document} and {question}, kept with
their page-text layout and tag formats in a YAML or JSON file (configs/docvqa/prompts.yaml)."""
import json
import string
from dataclasses import dataclass

from ..errors import ConfigError
from .text_layout import TEXT_LAYOUTS

TEMPLATE_FIELDS = {"document", "question"}


@dataclass(frozen=True)
class PromptTemplate:
    """A named template, the page-text layout it expects, the tag formats and the page separator."""

    name: str
    template: str
    text_layout: str = "plain"
    open_tag: str = "<{label}>"
    close_tag: str = "</{label}>"
    page_separator: str = "\n\n"

    def render(self, document, question):
        """The prompt for a document text and a question."""
        return self.template.format(document=document, question=question)

    def to_json(self):
        """The template's settings, as stored with a run."""
        return {"name": self.name, "template": self.template, "text_layout": self.text_layout,
                "open_tag": self.open_tag, "close_tag": self.close_tag, "page_separator": self.page_separator}


def check_format(text, fields, what):
    """Raise a ConfigError unless `text` is a valid format string using exactly `fields`."""
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as err:
        raise ConfigError(f"{what} is not a valid format string ({err}); write literal braces as {{{{ }}}}") from err
    if used != set(fields):
        raise ConfigError(f"{what} must use exactly the fields {sorted(fields)}, it uses {sorted(used)}")


def _read(path):
    try:
        with open(path, encoding="utf-8") as f:
            if path.endswith((".yaml", ".yml")):
                import yaml

                return yaml.safe_load(f)
            return json.load(f)
    except OSError as err:
        raise ConfigError(f"cannot read the prompt file {path}: {err.strerror}") from err
    except ValueError as err:
        raise ConfigError(f"{path} is not valid: {err}") from err


def load_prompt(path, name="plain", text_layout=None):
    """The template `name` of a prompt file; `text_layout` overrides the file's."""
    data = _read(path)
    if not isinstance(data, dict) or not isinstance(data.get("prompts"), dict):
        raise ConfigError(f"{path} must hold a `prompts` mapping of named templates")
    if name not in data["prompts"]:
        raise ConfigError(f"{path} has no prompt {name!r} (it has {', '.join(data['prompts'])})")
    entry = data["prompts"][name]
    if isinstance(entry, str):
        entry = {"template": entry}
    prompt = PromptTemplate(
        name=name, template=str(entry.get("template", "")),
        text_layout=text_layout or entry.get("text_layout", "plain"),
        open_tag=str(data.get("open_tag", "<{label}>")), close_tag=str(data.get("close_tag", "</{label}>")),
        page_separator=str(data.get("page_separator", "\n\n")))
    check_format(prompt.template, TEMPLATE_FIELDS, f"{path}: prompt {name!r}")
    check_format(prompt.open_tag, {"label"}, f"{path}: open_tag")
    check_format(prompt.close_tag, {"label"}, f"{path}: close_tag")
    if prompt.text_layout not in TEXT_LAYOUTS:
        raise ConfigError(f"{path}: prompt {name!r} has text_layout {prompt.text_layout!r} "
                          f"(one of {', '.join(TEXT_LAYOUTS)})")
    return prompt
