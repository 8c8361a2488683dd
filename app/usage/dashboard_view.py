"""What the dashboard shows: the range and locale asked for, and the report as rows, charts and tables."""

import re
from datetime import UTC, date, datetime, timedelta

from flask import current_app

from app.usage import charts, insights_report
from app.usage.insights_report import Price, Query, Report
from app.usage.insights_words import InsightsWords

DEFAULT_DAYS = 30
MOST_DAYS = 731  # two years: the counts are kept 24 months by default
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LOCALE = re.compile(r"^[a-z]{2,3}-[A-Z]{2}$")


def words() -> InsightsWords:
    """The dashboard's words."""
    return current_app.extensions["insights_words"]


def today() -> date:
    """Today in UTC: the counts' days are UTC days."""
    return datetime.now(UTC).date()


def parse_date(raw: str, label: str, errors: list[str]) -> date | None:
    """A YYYY-MM-DD date from the form, or None with a clear complaint added to `errors`."""
    value = None
    if ISO_DATE.match(raw):
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            value = None
    if value is None:
        errors.append(words().range.bad_date.format(field=label, example=today().isoformat()))
    return value


def parse_query(args, known_locales: list[str]) -> tuple[Query | None, dict, list[str]]:
    """The range and locale asked for (default: the last 30 days, all locales), what was typed, and any complaints."""
    said = words().range
    end_default = today()
    typed = {
        "start": args.get("from", "").strip() or (end_default - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        "end": args.get("to", "").strip() or end_default.isoformat(),
        "locale": args.get("locale", "all").strip() or "all",
    }
    errors: list[str] = []
    start = parse_date(typed["start"], said.start, errors)
    end = parse_date(typed["end"], said.end, errors)
    if start and end and start > end:
        errors.append(said.backwards)
    elif start and end and (end - start).days + 1 > MOST_DAYS:
        errors.append(said.too_long.format(days=MOST_DAYS))
    if typed["locale"] != "all" and not (LOCALE.match(typed["locale"]) and typed["locale"] in known_locales):
        errors.append(said.bad_locale)
    if errors:
        return None, typed, errors
    return Query(start, end, typed["locale"]), typed, []


def locale_name(code: str) -> str:
    """A locale as the dashboard names it."""
    return words().range.all_locales if code == "all" else words().locales.get(code, code)


def served_name(served: str) -> str:
    """What the line served: as insights.yaml names it, else by the piece's own title."""
    topics, named = current_app.extensions["line"].default.topics, words().served
    if served in named:
        return named[served]
    return topics[served].title if served in topics else served


def rate(count: int, total: int) -> str:
    """A count with its share of a total."""
    if not total:
        return charts.number(count)
    percent = f"{100 * count / total:.1f}%"
    return words().summary.rate.format(count=charts.number(count), percent=percent, total=charts.number(total))


def summary_rows(report: Report, price: Price | None) -> list[tuple[str, str]]:
    """The totals table: (what, how many)."""
    said, n = words().summary, charts.number
    texts_started = sum(report.started[c] for c in insights_report.TEXT_CHANNELS)
    rows = [
        (said.texts, n(report.texts)),
        (said.text_conversations, n(texts_started)),
        (said.calls, n(report.started["voice"])),
        (said.not_understood_texts, rate(report.outcome("not_understood", "text"), report.texts)),
        (said.not_understood_calls, rate(report.outcome("not_understood", "voice"), report.voice_steps)),
        (said.emergency, n(report.outcome("emergency"))),
        (said.cant_advise, n(report.outcome("cant_advise"))),
        (said.opt_outs, n(report.outcome("opt_out"))),
        (said.text_sent, n(report.outcome("text_sent"))),
        (said.text_failed, n(report.outcome("text_failed"))),
        (said.errors, n(report.outcome("error"))),
        (said.segments, n(report.segments)),
    ]
    if price:
        cost = said.cost_value.format(amount=report.cost(price), currency=price.currency, price=price.amount)
        rows.append((said.cost, cost))
    else:
        rows.append((said.cost, said.cost_unset))
    if report.dropped:
        rows.append((said.dropped, n(report.dropped)))
    return rows


def sections(report: Report) -> dict:
    """The charts and their tables' rows."""
    said = words()
    days = report.query.days()
    daily_rows = list(zip(days, report.texts_per_day, report.calls_per_day, strict=True))
    topics = list(current_app.extensions["line"].default.topics)
    pieces = [(served_name(p), texts, calls) for p, texts, calls in insights_report.by_piece(report, topics)]
    steps = [(served_name(s), count) for s, count in sorted(report.steps.items(), key=lambda i: (-i[1], i[0]))]
    return {
        "daily": daily_rows,
        "daily_chart": charts.columns(
            [d.isoformat() for d in days],
            [(said.daily.texts, list(report.texts_per_day)), (said.daily.calls, list(report.calls_per_day))],
            [f"{d.day} {said.months[d.month - 1]}" for d in days],
        ),
        "pieces": pieces,
        "pieces_chart": charts.rows(
            [p for p, _, _ in pieces],
            [(said.pieces.texts, [t for _, t, _ in pieces]), (said.pieces.calls, [c for _, _, c in pieces])],
        ),
        "steps": steps,
        "steps_chart": charts.rows([s for s, _ in steps], [(said.steps.requests, [c for _, c in steps])]),
        "lengths": list(report.lengths.items()),
    }


def range_args(query: Query) -> dict:
    """The query string that shows this range again."""
    return {"from": query.start.isoformat(), "to": query.end.isoformat(), "locale": query.locale}
