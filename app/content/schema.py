"""The shape of the content files: frozen dataclasses, one per YAML file or section."""

from collections.abc import Mapping
from dataclasses import dataclass, field


def lines(text: str) -> tuple[str, ...]:
    """Split spoken text into its lines, each said with a pause after it."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


SPOKEN = {"split": lines}  # field metadata: a block of text read as one line per breath


@dataclass(frozen=True)
class Topic:
    """One piece the line can serve, in its SMS, WhatsApp and spoken forms."""

    title: str
    keyword: str = ""  # a topic reached only by understanding (cant_advise) has none
    synonyms: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    sms: tuple[str, ...] = ()  # parts, each one reply (the disclaimer is added to each)
    whatsapp: str = ""  # the whole piece as one message; by default the SMS parts joined
    voice: tuple[str, ...] = field(default=(), metadata=SPOKEN)


@dataclass(frozen=True)
class MenuOption:
    """One key of a phone menu, leading to a topic or to another menu."""

    key: str
    label: str
    topic: str = ""
    menu: str = ""


@dataclass(frozen=True)
class AfterOption:
    """One key offered after a spoken piece; its words are said with the key filled in."""

    key: str
    action: str  # again, text or menu
    say: str


@dataclass(frozen=True)
class SmsWords:
    """What the SMS line says around the pieces."""

    disclaimer: str
    menu_item: str
    more: str
    not_understood: str
    nothing_more: str
    stop_hint: str
    error: str
    also: str
    languages: str


@dataclass(frozen=True)
class WhatsAppWords:
    """What differs on WhatsApp: longer, formatted wording, and no carrier opt-out (STOP gets the line's words)."""

    disclaimer: str
    menu_item: str
    opt_out: str


@dataclass(frozen=True)
class VoiceWords:
    """What the phone line says around the pieces."""

    disclaimer: str
    option: str
    menus: Mapping[str, tuple[MenuOption, ...]]
    menu_intro: Mapping[str, str]
    back: str
    after_piece: tuple[AfterOption, ...]
    no_input: tuple[str, ...]
    wrong_key: str
    wrong_again: str
    not_heard: str
    not_heard_again: str
    keys_only: str
    goodbye: str
    sent: str
    cannot_text: str
    not_sent: str
    error: str
    say_again: tuple[str, ...]
    say_text: tuple[str, ...]
    say_back: tuple[str, ...]
    say_goodbye: tuple[str, ...]
    say_keys: Mapping[str, tuple[str, ...]]
    say_filler: tuple[str, ...]


@dataclass(frozen=True)
class Fallback:
    """The static apologies an operator hosts as Twilio's fallback URLs, for when the line is down."""

    sms: str
    voice: tuple[str, ...] = field(metadata=SPOKEN)


@dataclass(frozen=True)
class Emergency:
    """The emergency redirect, per channel."""

    sms: str
    voice: tuple[str, ...] = field(metadata=SPOKEN)


@dataclass(frozen=True)
class Region:
    """What differs per health system: emergency numbers, the phone voice and its recogniser."""

    emergency_number: str
    emergency_spoken: str
    voice: str
    language: str
    emergency: Emergency
    speech: bool = True  # whether Twilio can recognise speech in this language (Welsh: no)
    values: Mapping[str, str] = field(default_factory=dict)  # extra placeholders for region wording


@dataclass(frozen=True)
class Offer:
    """How this language is offered inside the other served languages' menus, in its own words."""

    sms: str
    voice: str


@dataclass(frozen=True)
class Language:
    """language.yaml: what a language pack is and how the line treats its text."""

    name: str
    reviewed: bool  # has a qualified medical translator reviewed the pack?
    switch: tuple[str, ...]
    offer: Offer
    key: str
    stemmer: str = ""
    sms_fold: Mapping[str, str] = field(default_factory=dict)  # letters SMS writes plainly to stay GSM-7
    asking: tuple[str, ...] = ()  # words around a language's name when asking for it ("quiero hablar en ...")
    others: tuple[str, ...] = ()  # names of languages no pack serves ("Polish"): asking for one lists those served


@dataclass(frozen=True)
class Matching:
    """Words the line listens for beyond the topics."""

    opt_out: tuple[str, ...]
    opt_in: tuple[str, ...]
    stop_hint: tuple[str, ...]
    more: tuple[str, ...]
    emergency: tuple[str, ...]
    shorthand: Mapping[str, str]
    number_words: Mapping[str, str]
    filler: tuple[str, ...]
    stopwords: tuple[str, ...]


@dataclass(frozen=True)
class GuideFile:
    """guide.yaml."""

    topics: Mapping[str, Topic]


@dataclass(frozen=True)
class LineFile:
    """line.yaml."""

    line_name: str
    operator: str  # who runs the line, unless LINE_OPERATOR says
    sms_menu: tuple[str, ...]
    topics: Mapping[str, Topic]
    sms: SmsWords
    whatsapp: WhatsAppWords
    voice: VoiceWords
    fallback: Fallback
