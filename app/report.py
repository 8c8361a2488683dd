"""`flask content`: one row per piece, channel and locale, with its cost, length and reading level."""

import sys
from dataclasses import dataclass

import click
from flask import Flask, current_app

from app import gsm, readability
from app.content import Locale
from app.sms.render import SMS_MAX_SEGMENTS, SMS_MAX_UNITS, Replies

# Example prices per SMS segment, to show what a reply costs (set your own with SMS_SEGMENT_PRICE).
PRICE = {"GB": ("GBP", 0.04), "US": ("USD", 0.0083)}


@dataclass(frozen=True)
class Row:
    """One piece on one channel in one locale, measured against its budgets."""

    locale: str
    piece: str
    channel: str
    chars: int
    encoding: str
    segments: int
    cost: float
    seconds: float
    measure: str
    level: float
    problems: tuple[str, ...]


def sms_rows(locale: Locale, replies: Replies) -> list[Row]:
    """Every SMS reply (judged against 3 segments) and every "text me" message (against Twilio's 1,600)."""
    price = PRICE.get(locale.tag.split("-")[1], ("", 0.0))[1]
    disclaimer = gsm.fold(locale.sms.disclaimer, dict(locale.language.sms_fold))
    rows = [measured(locale, "disclaimer", "sms", disclaimer, SMS_MAX_UNITS, price, graded_alone=True)]
    for name, parts in replies.parts.items():
        for number, sent in enumerate(parts, start=1):
            piece = f"{name} {number}/{len(parts)}" if len(parts) > 1 else name
            rows.append(measured(locale, piece, "sms", sent.text, SMS_MAX_UNITS, price))
    for name, text in replies.texts.items():
        rows.append(measured(locale, f"{name} (text me)", "sms", text, gsm.MAX_MESSAGE_CHARS, price))
    return rows


def measured(locale: Locale, piece: str, channel: str, text: str, most: int, price: float, graded_alone=False) -> Row:
    """One SMS text against its budget: GSM-7, and at most `most` units (and 3 segments where most is 459)."""
    count = gsm.segments(text)
    disclaimer = gsm.fold(locale.sms.disclaimer, dict(locale.language.sms_fold))
    body = text if graded_alone else text.removesuffix(disclaimer)  # the disclaimer is graded on its own row
    measure, level, problem = readability.level(body, locale.language_code)
    problems = [problem] if problem else []
    if count.encoding != "GSM-7":
        problems.append("not GSM-7")
    if count.units > most or (most == SMS_MAX_UNITS and count.segments > SMS_MAX_SEGMENTS):
        problems.append(f"over {most} characters")
    cost = round(count.segments * price, 4)
    return Row(
        locale.tag,
        piece,
        channel,
        len(text),
        count.encoding,
        count.segments,
        cost,
        0.0,
        measure,
        level,
        tuple(problems),
    )


def whatsapp_rows(locale: Locale, replies: Replies) -> list[Row]:
    """Every WhatsApp message, against Twilio's 1,600 characters; no segments are billed."""
    rows = []
    for name, parts in replies.parts.items():
        text = parts[0].text
        measure, level, problem = readability.level(text.removesuffix(locale.sms.disclaimer), locale.language_code)
        over = [f"over {gsm.MAX_MESSAGE_CHARS} characters"] if len(text) > gsm.MAX_MESSAGE_CHARS else []
        rows.append(
            Row(
                locale.tag,
                name,
                "whatsapp",
                len(text),
                "-",
                0,
                0.0,
                0.0,
                measure,
                level,
                tuple(([problem] if problem else []) + over),
            )
        )
    return rows


def voice_rows(locale: Locale, script) -> list[Row]:
    """Every spoken piece (with the disclaimer after it) and every menu (the main one with the welcome)."""
    rows = [spoken(locale, "disclaimer", (locale.voice.disclaimer,), readability.MAX_SPOKEN_SECONDS)]
    for name, topic in locale.topics.items():
        if topic.voice:
            rows.append(spoken(locale, name, topic.voice, readability.MAX_SPOKEN_SECONDS, (locale.voice.disclaimer,)))
    for name in locale.voice.menus:
        welcome = locale.topics["menu"].voice if name == "main" else ()
        offers = (
            tuple(o.language.offer.voice.format(key=o.language.key) for o in script.others) if name == "main" else ()
        )
        rows.append(
            spoken(locale, f"menu {name}", welcome + script.menu_lines(name) + offers, readability.MAX_MENU_SECONDS)
        )
    return rows


def spoken(locale: Locale, name: str, said: tuple[str, ...], most: float, after: tuple[str, ...] = ()) -> Row:
    """Something said on the phone: timed at the line's pace (with what always follows), graded without it."""
    text = "\n".join(said)
    seconds = readability.spoken_seconds(said + after)
    measure, level, problem = readability.level(text, locale.language_code)
    problems = ([problem] if problem else []) + ([f"over {most:g} seconds"] if seconds > most else [])
    return Row(locale.tag, name, "voice", len(text), "-", 0, 0.0, seconds, measure, level, tuple(problems))


def measure() -> list[Row]:
    """Every row for every locale the line serves."""
    app = current_app
    rows = []
    for tag, locale in app.extensions["line"].locales.items():
        rows += sms_rows(locale, app.extensions["replies"]["sms"][tag])
        rows += whatsapp_rows(locale, app.extensions["replies"]["whatsapp"][tag])
        rows += voice_rows(locale, app.extensions["phone_line"].spoken_in(tag).script)
    return rows


@click.command("content")
def content_report() -> None:
    """Show each piece's cost, length and reading level in every served locale; exit 1 if any budget is broken."""
    rows = measure()
    header = ("locale", "piece", "channel", "chars", "encoding", "segs", "cost", "secs", "level", "")
    click.echo("{:<6} {:<24} {:<8} {:>5} {:<8} {:>4} {:>7} {:>5} {:>10} {:>5}  result".format(*header))
    for row in rows:
        click.echo(
            f"{row.locale:<6} {row.piece:<24} {row.channel:<8} {row.chars:>5} {row.encoding:<8} "
            f"{row.segments or '-':>4} {row.cost or '-':>7} {f'{row.seconds:.0f}' if row.seconds else '-':>5} "
            f"{row.measure:>10} {row.level:>5.1f}  {'; '.join(row.problems) or 'ok'}"
        )
    click.echo("")
    for tag, locale in current_app.extensions["line"].locales.items():
        sms = [
            row
            for row in rows
            if row.locale == tag and row.channel == "sms" and "(text me)" not in row.piece and row.piece != "disclaimer"
        ]
        mean = sum(row.segments for row in sms) / len(sms)
        currency = PRICE.get(tag.split("-")[1], ("", 0))[0]
        review = "reviewed" if locale.language.reviewed else "DRAFT: not yet reviewed by a qualified medical translator"
        click.echo(
            f"{tag}: {len(sms)} SMS replies, mean {mean:.2f} segments, at most {max(r.segments for r in sms)}; "
            f"about {currency} {sum(r.cost for r in sms) / len(sms):.4f} a reply at example prices; {review}."
        )
    click.echo(
        f"Budgets: SMS replies GSM-7 and at most {SMS_MAX_UNITS} characters ({SMS_MAX_SEGMENTS} segments) with the "
        f"disclaimer; 'text me' and WhatsApp messages at most {gsm.MAX_MESSAGE_CHARS} characters; spoken pieces at "
        f"most {readability.MAX_SPOKEN_SECONDS:g} s and menus {readability.MAX_MENU_SECONDS:g} s at "
        f"{readability.WORDS_PER_MINUTE} words a minute; English Flesch-Kincaid grade at most "
        f"{readability.MAX_GRADE:g}, Spanish Fernandez Huerta ease at least {readability.MIN_SPANISH_EASE:g} (both on "
        f"pieces of {readability.MIN_SENTENCES} sentences or more); at most {readability.MAX_SENTENCE_WORDS} words a "
        "sentence in every language."
    )
    broken = [row for row in rows if row.problems]
    if broken:
        click.echo(
            f"{len(broken)} over budget: " + ", ".join(f"{r.locale} {r.piece} ({r.channel})" for r in broken), err=True
        )
        sys.exit(1)
    click.echo("All within budget.")


def init_app(app: Flask) -> None:
    """Register the report command."""
    app.cli.add_command(content_report)
