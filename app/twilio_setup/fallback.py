"""`flask --app app twilio fallback-twiml`: the static apologies Twilio plays when the line is down."""

from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from app import gsm
from app.readability import PAUSE_SECONDS
from app.twilio_setup.addresses import FALLBACK_FILES
from app.twilio_setup.api import SetupError


@dataclass(frozen=True)
class FallbackWords:
    """One locale's words for the fallback documents."""

    locale: str
    sms: str  # the whole message, disclaimer included
    voice: tuple[str, ...]  # said one line per breath
    voice_name: str  # the Polly voice
    language: str


def fallback_words(app: Flask) -> list[FallbackWords]:
    """Each served locale's fallback words (content's `fallback`), the default locale first."""
    words = []
    for locale in app.extensions["line"].locales.values():
        fold = dict(locale.language.sms_fold)
        words.append(
            FallbackWords(
                locale=locale.tag,
                sms=gsm.fold(f"{locale.fallback.sms}\n{locale.sms.disclaimer}", fold),
                voice=locale.fallback.voice,
                voice_name=locale.region.voice,
                language=locale.region.language,
            )
        )
    return words


def fallback_documents(words: list[FallbackWords], rate: str) -> dict[str, str]:
    """The two static TwiML documents: every locale's apology in turn (a number serves all its locales)."""
    sms = MessagingResponse()
    sms.message("\n\n".join(locale.sms for locale in words))
    voice = VoiceResponse()
    pause = f"{round(PAUSE_SECONDS * 1000)}ms"
    for locale in words:
        prosody = voice.say(voice=locale.voice_name, language=locale.language).prosody(rate=rate)
        for line in locale.voice:
            prosody.s(line)
            prosody.break_(time=pause)
    voice.hangup()
    return {"sms": str(sms), "voice": str(voice)}


@click.command("fallback-twiml")
@with_appcontext
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write to."
)
def fallback_twiml_command(out: Path):
    """Write sms.xml and voice.xml: the apologies Twilio plays from the fallback URLs when the line is down."""
    words = fallback_words(current_app)
    documents = fallback_documents(words, current_app.config["VOICE_RATE"])
    try:
        out.mkdir(parents=True, exist_ok=True)
        for channel, name in FALLBACK_FILES.items():
            (out / name).write_text(documents[channel] + "\n", encoding="utf-8")
    except OSError as error:
        raise SetupError(f"could not write to {out}: {error.strerror}") from None
    locales = ", ".join(locale.locale for locale in words)
    for name in FALLBACK_FILES.values():
        click.echo(f"wrote {out / name} ({locales})")
    click.echo(
        "Host both files over https:// away from the line (object storage, or paste each into a TwiML Bin), "
        "then run connect with --fallback-url (or --sms-fallback-url and --voice-fallback-url)."
    )
