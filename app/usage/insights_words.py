"""The dashboard's words, from content/<language>/insights.yaml, loaded and checked once."""

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from app.content.loading import ContentError, build, is_dataclass, join, read_yaml
from app.content.placeholders import check_placeholders


@dataclass(frozen=True)
class LoginWords:
    """The login page."""

    heading: str
    intro: str
    password: str
    submit: str
    wrong: str
    limited: str
    limited_everyone: str
    not_set: str
    not_set_command: str
    expired: str
    logged_out: str
    unavailable: str


@dataclass(frozen=True)
class RangeWords:
    """The form choosing the dates and locale, and its complaints."""

    heading: str
    start: str
    end: str
    date_hint: str
    locale: str
    all_locales: str
    show: str
    utc: str
    bad_date: str
    backwards: str
    too_long: str
    bad_locale: str
    showing: str
    download: str


@dataclass(frozen=True)
class SummaryWords:
    """The table of totals."""

    heading: str
    measure: str
    count: str
    texts: str
    text_conversations: str
    calls: str
    not_understood_texts: str
    not_understood_calls: str
    rate: str
    emergency: str
    cant_advise: str
    opt_outs: str
    text_sent: str
    text_failed: str
    errors: str
    segments: str
    cost: str
    cost_value: str
    cost_unset: str
    dropped: str


@dataclass(frozen=True)
class DailyWords:
    """Texts and calls per day."""

    heading: str
    chart: str
    caption: str
    day: str
    texts: str
    calls: str


@dataclass(frozen=True)
class PieceWords:
    """The pieces asked for."""

    heading: str
    chart: str
    caption: str
    piece: str
    texts: str
    calls: str


@dataclass(frozen=True)
class StepWords:
    """The phone menu's steps."""

    heading: str
    intro: str
    chart: str
    caption: str
    step: str
    requests: str


@dataclass(frozen=True)
class LengthWords:
    """Calls by length."""

    heading: str
    caption: str
    length: str
    calls: str


@dataclass(frozen=True)
class UnmatchedWords:
    """The review list of texts not understood."""

    heading: str
    intro: str
    disabled: str
    empty: str
    caption: str
    day: str
    locale: str
    text: str
    action: str
    review: str
    reviewed: str


@dataclass(frozen=True)
class InsightsWords:
    """insights.yaml: every word of the dashboard."""

    title: str
    intro: str
    login: LoginWords
    logout: str
    range: RangeWords
    summary: SummaryWords
    daily: DailyWords
    pieces: PieceWords
    steps: StepWords
    lengths: LengthWords
    unmatched: UnmatchedWords
    empty: str
    months: tuple[str, ...]
    served: Mapping[str, str]
    channels: Mapping[str, str]
    locales: Mapping[str, str]


# The placeholders each text may use, filled when it is shown; every other text has none.
PLACEHOLDERS = {
    "login.limited": ("minutes",),
    "login.limited_everyone": ("minutes",),
    "range.date_hint": ("example",),
    "range.bad_date": ("field", "example"),
    "range.too_long": ("days",),
    "range.showing": ("start", "end", "locale"),
    "summary.rate": ("count", "percent", "total"),
    "summary.cost_value": ("amount", "currency", "price"),
}


def check_all(value, file: str, entry: str) -> None:
    """Refuse a placeholder a text may not use, anywhere in the words."""
    if isinstance(value, str):
        check_placeholders(value, PLACEHOLDERS.get(entry, ()), file, entry)
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            check_all(item, file, f"{entry}[{index + 1}]")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            check_all(item, file, join(entry, key))
    elif is_dataclass(type(value)):
        for spec in fields(value):
            check_all(getattr(value, spec.name), file, join(entry, spec.name))


def load_insights(content_dir: str | Path, language: str) -> InsightsWords:
    """Load and check insights.yaml for one language."""
    shown = f"content/{language}/insights.yaml"
    words = build(InsightsWords, read_yaml(Path(content_dir) / language / "insights.yaml", shown), shown, "")
    check_all(words, shown, "")
    if len(words.months) != 12:
        raise ContentError(shown, "months", f"must list 12 month names, not {len(words.months)}")
    return words
