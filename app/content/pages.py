"""The shape of web.yaml: every word of the web pages that is not already the line's own."""

from dataclasses import dataclass


@dataclass(frozen=True)
class HomeWords:
    """The home page around its panels."""

    number_heading: str
    card_heading: str
    card_a4: str
    card_letter: str
    card_text: str
    try_heading: str
    try_intro: str


@dataclass(frozen=True)
class TextPanelWords:
    """The try-a-text panel."""

    heading: str
    label: str
    hint: str
    send: str
    you_sent: str
    reply: str
    silent: str
    show_as: str  # the choice of channel the reply is shown for
    as_sms: str
    as_whatsapp: str


@dataclass(frozen=True)
class PhonePanelWords:
    """The try-a-call panel."""

    heading: str
    intro: str
    start: str
    says: str
    keypad: str
    star: str
    hash: str
    say_label: str
    say: str
    wait: str
    hang_up: str
    ended: str
    speak: str


@dataclass(frozen=True)
class CardWords:
    """The printed card and the text for clinic letters."""

    title: str
    text_cta: str
    qr_caption: str
    qr_title: str
    keywords_heading: str
    keys_heading: str
    emergency_heading: str
    print_hint: str
    other_paper: str
    paste_heading: str
    paste_intro: str
    paste_plain: str
    paste_html: str
    paste: str


@dataclass(frozen=True)
class WebWords:
    """web.yaml: every word of the web pages that is not already the line's own."""

    purpose: str
    run_by: str
    not_configured: str
    stop: str
    language_label: str  # the name of the language switch, for screen readers
    home: HomeWords
    text: TextPanelWords
    phone: PhonePanelWords
    card: CardWords
