"""Each messaging channel's replies, composed once at start-up from a locale: SMS parts and WhatsApp messages."""

import types
from collections.abc import Mapping
from dataclasses import dataclass

from twilio.twiml.messaging_response import MessagingResponse

from app import gsm
from app.content import EMERGENCY, ContentError, Line, Locale

SMS_MAX_SEGMENTS = 3
SMS_MAX_UNITS = 459  # 3 x 153 septets: the most one reply may cost
# The line's own replies that are not topics: each composed from line.yaml's sms words (and the menu).
WITH_MENU = ("not_understood", "nothing_more")
ALONE = ("stop_hint", "error", "languages")


@dataclass(frozen=True)
class Prepared:
    """One reply as sent: its text, its TwiML and the SMS segments it is billed as (0 on WhatsApp)."""

    text: str
    twiml: str
    segments: int


@dataclass(frozen=True)
class Replies:
    """One locale's replies on one channel, composed and checked at start-up."""

    tag: str
    parts: Mapping[str, tuple[Prepared, ...]]  # reply id -> its parts, each one whole message
    also: Mapping[tuple[str, str], Prepared]  # (answer, other topic) -> the answer pointing to the other
    texts: Mapping[str, str]  # topic id -> the whole piece as one message ("text me this" on a call)


def render_all(line: Line) -> dict[str, dict[str, Replies]]:
    """Every served locale's replies on each messaging channel, each telling of the other served languages."""
    return {
        channel: {
            tag: render(locale, tuple(other for other in line.locales.values() if other is not locale))
            for tag, locale in line.locales.items()
        }
        for channel, render in (("sms", sms_replies), ("whatsapp", whatsapp_replies))
    }


def message_twiml(text: str) -> str:
    """One <Message> as TwiML."""
    response = MessagingResponse()
    response.message(text)
    return str(response)


def menu_list(locale: Locale, whatsapp: bool) -> str:
    """The keyword list, as the menu's {menu} placeholder stands for it."""
    item = locale.whatsapp.menu_item if whatsapp else locale.sms.menu_item
    return "\n".join(
        item.format(keyword=locale.topics[t].keyword, title=locale.topics[t].title) for t in locale.sms_menu
    )


def offers(others: tuple[Locale, ...], whatsapp: bool) -> str:
    """How to switch to each other served language, in that language's words, after the menu.

    On SMS each offer is folded as its own language folds (the menu's language may fold nothing).
    """
    said = [other.language.offer.sms for other in others]
    if not whatsapp:
        said = [gsm.fold(text, dict(other.language.sms_fold)) for text, other in zip(said, others, strict=True)]
    return "".join(f"\n{text}" for text in said)


def bodies(locale: Locale, others: tuple[Locale, ...], whatsapp: bool) -> dict[str, tuple[tuple[str, ...], str, str]]:
    """Every reply's parts before composing, with the file and entry that wrote them."""
    items = menu_list(locale, whatsapp)
    words, line_file = locale.sms, locale.file("line")
    found = {}
    for topic_id, topic in locale.topics.items():
        parts = ((topic.whatsapp or "\n\n".join(topic.sms)),) if whatsapp and topic.sms else topic.sms
        form = "whatsapp" if whatsapp and topic.whatsapp else "sms"
        entry = f"{locale.tag.split('-')[1]}.emergency.sms" if topic_id == EMERGENCY else f"topics.{topic_id}.{form}"
        if parts:
            found[topic_id] = (tuple(part.replace("{menu}", items) for part in parts), locale.sources[topic_id], entry)
    menu, file, entry = found["menu"]
    menu = (menu[0] + offers(others, whatsapp),)  # the whole menu, then the other languages
    found["menu"] = (menu, file, entry)
    names = ", ".join(f"{other.language.name} ({other.language.switch[0]})" for other in (locale, *others))
    for name in WITH_MENU:
        found[name] = ((f"{getattr(words, name)}\n{menu[0]}",), line_file, f"sms.{name}")
    for name in ALONE:
        text = words.languages.format(languages=names) if name == "languages" else getattr(words, name)
        found[name] = ((text,), line_file, f"sms.{name}")
    if whatsapp:
        found["opt_out"] = ((locale.whatsapp.opt_out,), line_file, "whatsapp.opt_out")
    return found


def sms_replies(locale: Locale, others: tuple[Locale, ...]) -> Replies:
    """A locale's SMS replies: GSM-7 (after the language's folds), within 3 segments each with the disclaimer."""
    fold = dict(locale.language.sms_fold)
    disclaimer = checked_gsm(gsm.fold(locale.sms.disclaimer, fold), locale.file("line"), "sms.disclaimer")
    parts = {}
    for name, (texts, file, entry) in bodies(locale, others, whatsapp=False).items():
        parts[name] = compose_sms(tuple(gsm.fold(text, fold) for text in texts), locale, disclaimer, file, entry)
    texts = {
        topic_id: whole_message(
            "\n\n".join(gsm.fold(part, fold) for part in topic.sms),
            disclaimer,
            locale.sources[topic_id],
            f"topics.{topic_id}.sms",
        )
        for topic_id, topic in locale.topics.items()
        if topic.voice and topic.sms
    }
    return finish(locale.tag, parts, texts, also_pointers(locale, parts, disclaimer, fold, fits_sms, "\n"), True)


def whatsapp_replies(locale: Locale, others: tuple[Locale, ...]) -> Replies:
    """A locale's WhatsApp replies: each piece whole in one message, accents kept, the disclaimer at the end."""
    disclaimer = locale.whatsapp.disclaimer
    parts = {
        name: (whole_message(texts[0], disclaimer, file, entry),)
        for name, (texts, file, entry) in bodies(locale, others, whatsapp=True).items()
    }
    return finish(locale.tag, parts, {}, also_pointers(locale, parts, disclaimer, {}, fits_message, "\n\n"), False)


def finish(tag: str, parts, texts, also, billed: bool) -> Replies:
    """Freeze a channel's replies, each with its TwiML and segment count."""

    def prepare(text: str) -> Prepared:
        return Prepared(text, message_twiml(text), gsm.segments(text).segments if billed else 0)

    freeze = types.MappingProxyType
    return Replies(
        tag,
        freeze({name: tuple(prepare(text) for text in texts_) for name, texts_ in parts.items()}),
        freeze({key: prepare(text) for key, text in also.items()}),
        freeze(texts),
    )


def compose_sms(parts: tuple[str, ...], locale: Locale, disclaimer: str, file: str, entry: str) -> tuple[str, ...]:
    """One piece's SMS replies: each part, "Reply MORE" where more follows, then the disclaimer; within budget."""
    composed = []
    for index, part in enumerate(parts):
        where = f"{entry}[{index + 1}]" if len(parts) > 1 else entry
        more = f"\n{locale.sms.more.format(next=index + 2, total=len(parts))}" if index + 1 < len(parts) else ""
        reply = checked_gsm(f"{part}{more}\n{disclaimer}", file, where)
        count = gsm.segments(reply)
        if count.units > SMS_MAX_UNITS or count.segments > SMS_MAX_SEGMENTS:
            raise ContentError(
                file,
                where,
                f"SMS reply is {count.units} characters with the disclaimer, over the budget of "
                f"{SMS_MAX_UNITS} ({SMS_MAX_SEGMENTS} segments): shorten it by "
                f"{count.units - SMS_MAX_UNITS} or split it into parts",
            )
        composed.append(reply)
    return tuple(composed)


def whole_message(text: str, disclaimer: str, file: str, entry: str) -> str:
    """A piece as one message with the disclaimer, within Twilio's limit for one message."""
    message = f"{text}\n\n{disclaimer}"
    if len(message) > gsm.MAX_MESSAGE_CHARS:
        raise ContentError(
            file, entry, f"as one message the piece is {len(message)} characters, over Twilio's {gsm.MAX_MESSAGE_CHARS}"
        )
    return message


def also_pointers(locale: Locale, parts, disclaimer: str, fold, fits, gap: str) -> dict[tuple[str, str], str]:
    """Each answer with "For X, text Y." before its disclaimer, wherever that still fits the channel's budget."""
    pointers = {}
    keyed = [topic_id for topic_id, topic in locale.topics.items() if topic.keyword and topic_id in parts]
    for answer in keyed:
        body = parts[answer][0].removesuffix(disclaimer).rstrip()
        for other in keyed:
            topic = locale.topics[other]
            pointer = gsm.fold(locale.sms.also.format(title=topic.title, keyword=topic.keyword), fold)
            text = f"{body}\n{pointer}{gap}{disclaimer}"
            if other != answer and fits(text):
                pointers[(answer, other)] = text
    return pointers


def fits_sms(text: str) -> bool:
    """Whether a reply is GSM-7 and within the SMS budget."""
    return gsm.first_non_gsm(text) is None and gsm.segments(text).units <= SMS_MAX_UNITS


def fits_message(text: str) -> bool:
    """Whether a reply fits one WhatsApp message through Twilio."""
    return len(text) <= gsm.MAX_MESSAGE_CHARS


def checked_gsm(text: str, file: str, entry: str) -> str:
    """Refuse SMS text with a character outside GSM-7, naming the replacement."""
    char = gsm.first_non_gsm(text)
    if char is not None:
        raise ContentError(file, entry, gsm.suggestion(char))
    return text
