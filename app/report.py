"""`flask content`: one row per piece and channel, with its cost, length and reading level."""

import sys
from dataclasses import dataclass

import click
from flask import Flask, current_app

from app import gsm, readability
from app.content import SMS_MAX_SEGMENTS, SMS_MAX_UNITS, Content


@dataclass(frozen=True)
class Row:
    """One piece on one channel, measured against its budgets."""

    piece: str
    channel: str
    chars: int
    encoding: str
    segments: int
    words: int
    seconds: float
    grade: float
    problems: tuple[str, ...]


def measure(content: Content) -> list[Row]:
    """Measure every SMS reply and every spoken piece and menu."""
    rows = []
    for name, parts in content.replies.items():
        for number, text in enumerate(parts, start=1):
            count = gsm.segments(text)
            body = text.removesuffix(content.sms.disclaimer)  # graded once, as its own row
            level = readability.grade(body)
            problems = []
            if count.encoding != "GSM-7":
                problems.append("not GSM-7")
            if count.units > SMS_MAX_UNITS or count.segments > SMS_MAX_SEGMENTS:
                problems.append(f"over {SMS_MAX_UNITS} characters")
            if level > readability.MAX_GRADE and readability.gradeable(body):
                problems.append(f"grade over {readability.MAX_GRADE:g}")
            piece = f"{name} {number}/{len(parts)}" if len(parts) > 1 else name
            rows.append(Row(piece, "sms", len(text), count.encoding, count.segments, 0, 0.0, level, tuple(problems)))
    for name, text in content.texts.items():  # "text me this" on a call: the whole piece as one message
        count = gsm.segments(text)
        level = readability.grade(text.removesuffix(content.sms.disclaimer))
        rows.append(Row(f"{name} (text me)", "sms", len(text), count.encoding, count.segments, 0, 0.0, level, ()))
    rows.append(spoken_row("disclaimer", (content.sms.disclaimer,), 0, channel="sms"))
    rows.append(spoken_row("disclaimer", (content.voice.disclaimer,), readability.MAX_SPOKEN_SECONDS))
    for name, topic in content.topics.items():
        if topic.voice:  # timed with the disclaimer that always follows, graded without it
            rows.append(
                spoken_row(name, topic.voice, readability.MAX_SPOKEN_SECONDS, said_after=(content.voice.disclaimer,))
            )
    for name in content.voice.menus:
        welcome = content.topics["menu"].voice if name == "main" else ()
        rows.append(spoken_row(f"menu {name}", welcome + content.menu_lines(name), readability.MAX_MENU_SECONDS))
    return rows


def spoken_row(
    name: str, said: tuple[str, ...], max_seconds: float, said_after: tuple[str, ...] = (), channel: str = "voice"
) -> Row:
    """Measure something said on the phone line (or, for the SMS disclaimer, only graded)."""
    text = "\n".join(said)
    seconds = readability.spoken_seconds(said + said_after) if channel == "voice" else 0.0
    level = readability.grade(text)
    problems = []
    if seconds > max_seconds:
        problems.append(f"over {max_seconds:g} seconds")
    if level > readability.MAX_GRADE and readability.gradeable(text):
        problems.append(f"grade over {readability.MAX_GRADE:g}")
    words = readability.word_count(text) if channel == "voice" else 0
    encoding, segments = ("-", 0) if channel == "voice" else (gsm.segments(text).encoding, gsm.segments(text).segments)
    return Row(name, channel, len(text), encoding, segments, words, seconds, level, tuple(problems))


@click.command("content")
def content_report() -> None:
    """Show each piece's SMS cost, spoken length and reading level; exit 1 if any budget is broken."""
    rows = measure(current_app.extensions["line_content"])
    header = ("piece", "channel", "chars", "encoding", "segs", "words", "secs", "grade")
    click.echo("{:<20} {:<7} {:>5} {:<8} {:>4} {:>5} {:>5} {:>5}  result".format(*header))
    for row in rows:
        segments = row.segments or "-"
        words = row.words or "-"
        seconds = f"{row.seconds:.0f}" if row.seconds else "-"
        result = "; ".join(row.problems) or "ok"
        click.echo(
            f"{row.piece:<20} {row.channel:<7} {row.chars:>5} {row.encoding:<8} {segments:>4} "
            f"{words:>5} {seconds:>5} {row.grade:>5.1f}  {result}"
        )
    broken = [row for row in rows if row.problems]
    click.echo(
        f"\n{len(rows)} pieces; budgets: SMS GSM-7 and at most {SMS_MAX_UNITS} characters "
        f"({SMS_MAX_SEGMENTS} segments) with the disclaimer; spoken pieces at most "
        f"{readability.MAX_SPOKEN_SECONDS:g} s and menus "
        f"{readability.MAX_MENU_SECONDS:g} s at {readability.WORDS_PER_MINUTE} words a minute; "
        f"Flesch-Kincaid grade at most {readability.MAX_GRADE:g}."
    )
    if broken:
        click.echo(f"{len(broken)} over budget: {', '.join(f'{r.piece} ({r.channel})' for r in broken)}", err=True)
        sys.exit(1)
    click.echo("All within budget.")


def init_app(app: Flask) -> None:
    """Register the report command."""
    app.cli.add_command(content_report)
