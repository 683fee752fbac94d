"""Teacher classes mapped to the student's, and the score each class needs to become a label."""
import json
import re

from ..errors import ConfigError


def normalise_name(name):
    """A class name compared loosely: case, spaces, dashes and underscores ignored
    ("Section-header" = "section_header" = "section header")."""
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


class ClassMap:
    """Maps a teacher's class names to the student's: by (loose) name, or as a class-map file
    says. A class-map file is a JSON object {"teacher class": "student class" or null}; null
    drops the teacher's class. Every teacher class must end up mapped or dropped."""

    def __init__(self, teacher_classes, student_classes, mapping=None, source="--class-map"):
        self.student_classes = list(student_classes)
        by_name = {normalise_name(c): c for c in self.student_classes}
        mapping = dict(mapping or {})
        unknown_targets = [t for t in mapping.values() if t is not None and t not in self.student_classes]
        if unknown_targets:
            raise ConfigError(f"{source}: {unknown_targets} are not student classes; expected names from "
                              f"{self.student_classes} (or null to drop a class)")
        self.table, unmatched = {}, []
        for name in teacher_classes:
            if name in mapping:
                self.table[name] = mapping[name]
            elif normalise_name(name) in by_name:
                self.table[name] = by_name[normalise_name(name)]
            else:
                unmatched.append(name)
        if unmatched:
            raise ConfigError(
                f"the teacher's classes {unmatched} match none of the student's classes {self.student_classes}; "
                f"give a class map ({source} FILE.json: {{\"teacher class\": \"student class\" or null}})")

    @classmethod
    def from_file(cls, path, teacher_classes, student_classes):
        """A ClassMap from a class-map JSON file (None: match by name)."""
        if not path:
            return cls(teacher_classes, student_classes)
        try:
            with open(path, encoding="utf-8") as f:
                mapping = json.load(f)
        except (OSError, ValueError) as err:
            raise ConfigError(f"class map {path} cannot be read as JSON: {err}") from None
        if not isinstance(mapping, dict) or not all(isinstance(v, (str, type(None))) for v in mapping.values()):
            raise ConfigError(f"class map {path}: expected a JSON object {{\"teacher class\": \"student class\" or null}}")
        return cls(teacher_classes, student_classes, mapping, source=path)

    def __call__(self, teacher_class):
        """The student's class for a teacher class, or None when it is dropped."""
        return self.table.get(teacher_class)

    def describe(self):
        """{teacher class: student class or None} for the data set's provenance."""
        return dict(self.table)


class ScoreThresholds:
    """The score a teacher's box needs to become a label: one default and per-class overrides
    (student class names). Boxes without a score (teachers that give none) are always kept."""

    def __init__(self, default, per_class=None, class_names=()):
        if not 0.0 <= default <= 1.0:
            raise ConfigError(f"--score-threshold is {default}; expected a value in [0, 1]")
        self.default = float(default)
        self.per_class = {}
        for name, value in (per_class or {}).items():
            if class_names and name not in class_names:
                raise ConfigError(f"--class-threshold names '{name}', which is not a student class ({list(class_names)})")
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"--class-threshold {name}={value}: expected a value in [0, 1]")
            self.per_class[name] = float(value)

    @staticmethod
    def parse(items):
        """{class: threshold} from CLASS=VALUE strings."""
        result = {}
        for item in items or ():
            name, sep, value = item.rpartition("=")
            try:
                result[name] = float(value)
            except ValueError:
                name = ""
            if not sep or not name:
                raise ConfigError(f"--class-threshold '{item}': expected CLASS=VALUE, e.g. Table=0.7")
        return result

    def __getitem__(self, class_name):
        return self.per_class.get(class_name, self.default)

    def keeps(self, class_name, score):
        """Whether a box of `class_name` with `score` (None: no score) becomes a label."""
        return score is None or score >= self[class_name]

    def describe(self):
        return {"default": self.default, "per_class": dict(self.per_class)}
