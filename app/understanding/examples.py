"""Read and check a language's examples.yaml: `label: [texts as patients write them]`."""

from collections.abc import Mapping
from pathlib import Path

import yaml

LABELS = (
    "facts",
    "when",
    "ask",
    "bring",
    "faq",
    "faq1",
    "faq2",
    "faq3",
    "menu",
    "help",
    "thanks",
    "cant_advise",
    "emergency",
)
MIN_EXAMPLES = 5  # fewer, and the label's confidence means nothing


class ExamplesError(ValueError):
    """examples.yaml is malformed: the message names the file, the entry and the fix."""


def load(path: str | Path, shown: str | None = None) -> Mapping[str, tuple[str, ...]]:
    """The examples of one language, checked: known labels only, each with enough distinct texts."""
    shown = shown or str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ExamplesError(f"{shown}: cannot be read ({type(error).__name__})") from None
    return check(data, shown)


def check(data: object, shown: str) -> Mapping[str, tuple[str, ...]]:
    """Check parsed examples; return them as label -> texts."""
    if not isinstance(data, dict):
        raise ExamplesError(f"{shown}: must be a mapping of label to a list of texts")
    examples = {}
    for label, texts in data.items():
        if label not in LABELS:
            raise ExamplesError(f"{shown}: {label!r} is not a label (labels: {' '.join(LABELS)})")
        if not isinstance(texts, list) or not all(isinstance(text, str) and text.strip() for text in texts):
            raise ExamplesError(
                f"{shown}: {label}: must be a list of non-empty texts (quote a text YAML reads as a number or yes/no)"
            )
        if len(set(texts)) < MIN_EXAMPLES:
            raise ExamplesError(f"{shown}: {label}: has {len(set(texts))} distinct texts; give at least {MIN_EXAMPLES}")
        examples[label] = tuple(dict.fromkeys(texts))
    return examples
