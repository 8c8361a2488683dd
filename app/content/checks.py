"""The checks content must pass before the line starts: each refusal names the file, the entry and the fix."""

import re
from collections.abc import Mapping

from app.content.loading import ContentError
from app.content.locale import EMERGENCY, Locale
from app.text import tokens

KEYWORD = re.compile(r"^[A-Z][A-Z0-9]*$")
MENU_KEY = re.compile(r"^[0-9]$")
ACTIONS_AFTER_PIECE = ("again", "text", "menu")  # what a key after a piece can do
BACK_KEY = "*"  # ISO/IEC 13714: star goes back
HELP_KEY = "0"  # and 0 gives help


def check_locale(locale: Locale) -> None:
    """Every check of one locale on its own."""
    line_file = locale.file("line")
    for index, topic_id in enumerate(locale.sms_menu):
        if topic_id not in locale.topics:
            raise ContentError(line_file, f"sms_menu[{index + 1}]", f"no topic called {topic_id!r}")
    check_keywords(locale)
    check_menus(locale)


def phrases_of(locale: Locale) -> dict[str, str]:
    """Each keyword and synonym, as the matcher reads it, with its topic; a phrase two topics share is refused."""
    owner: dict[str, str] = {}
    for topic_id, topic in locale.topics.items():
        for said in ((topic.keyword.lower(),) if topic.keyword else ()) + topic.synonyms:
            phrase = " ".join(tokens(said))
            if owner.get(phrase, topic_id) != topic_id:
                raise ContentError(
                    locale.sources[topic_id],
                    f"topics.{topic_id}",
                    f"duplicate keyword {phrase!r}: topic {owner[phrase]!r} has it already",
                )
            owner[phrase] = topic_id
    return owner


def check_keywords(locale: Locale) -> None:
    """Keywords are single words, none a Twilio opt-out word; no phrase means two topics; no word is a stopword."""
    reserved = {word.upper() for word in locale.matching.opt_out + locale.matching.opt_in}
    stopwords = set(locale.matching.stopwords)
    for topic_id, topic in locale.topics.items():
        file, entry = locale.sources[topic_id], f"topics.{topic_id}"
        if topic_id == EMERGENCY or not topic.keyword:
            continue
        if not KEYWORD.match(topic.keyword):
            raise ContentError(
                file, f"{entry}.keyword", f"{topic.keyword!r} must be one word of capital letters and digits"
            )
        if topic.keyword in reserved:
            raise ContentError(
                file, f"{entry}.keyword", f"{topic.keyword!r} is a Twilio opt-out/opt-in word; choose another"
            )
        for word in topic.words:
            if word in stopwords:
                raise ContentError(
                    file,
                    f"{entry}.words",
                    f"{word!r} is one of the stopwords in {locale.file('matching')}, "
                    "which never count: remove it from one of them",
                )
    phrases_of(locale)


def check_menus(locale: Locale) -> None:
    """Every menu key leads somewhere real; keys are 1, 2, 3... with 0 last; the keys after a piece are sound."""
    voice, file = locale.voice, locale.file("line")
    if "main" not in voice.menus:
        raise ContentError(file, "voice.menus", "missing menu 'main'")
    for key in voice.say_keys:
        if key not in "0123456789*" or len(key) != 1:
            raise ContentError(file, f"voice.say_keys.{key}", "keys are 0 to 9 and *")
    for name, options in voice.menus.items():
        check_menu(locale, name, options)
    keys = [option.key for option in voice.after_piece]
    for index, option in enumerate(voice.after_piece):
        where = f"voice.after_piece[{index + 1}]"
        if option.action not in ACTIONS_AFTER_PIECE:
            raise ContentError(file, where, f"action {option.action!r} must be one of {', '.join(ACTIONS_AFTER_PIECE)}")
        if option.key not in "123456789*" or len(option.key) != 1 or keys.count(option.key) > 1:
            raise ContentError(file, where, f"key {option.key!r} must be one key, 1 to 9 or *, used once (0 is help)")
    if sorted(option.action for option in voice.after_piece) != sorted(ACTIONS_AFTER_PIECE):
        raise ContentError(file, "voice.after_piece", f"give one key for each of {', '.join(ACTIONS_AFTER_PIECE)}")


def check_menu(locale: Locale, name: str, options) -> None:
    """One phone menu: numbered keys, each leading to a topic with spoken words or to another menu."""
    file, entry = locale.file("line"), f"voice.menus.{name}"
    keys = [option.key for option in options]
    numbered = [key for key in keys if key != HELP_KEY]
    if any(not MENU_KEY.match(key) for key in keys) or numbered != [str(n) for n in range(1, len(numbered) + 1)]:
        raise ContentError(file, entry, f"keys {keys} must be 1, 2, 3... in order with no gaps (0 may come last)")
    if HELP_KEY in keys and keys[-1] != HELP_KEY:
        raise ContentError(file, entry, "key 0 must come last")
    for index, option in enumerate(options):
        where = f"{entry}[{index + 1}]"
        if bool(option.topic) == bool(option.menu):
            raise ContentError(file, where, "give exactly one of topic or menu")
        if option.topic and option.topic not in locale.topics:
            raise ContentError(file, where, f"no topic called {option.topic!r}")
        if option.topic and not locale.topics[option.topic].voice:
            raise ContentError(file, where, f"topic {option.topic!r} has no voice text")
        if option.menu and option.menu not in locale.voice.menus:
            raise ContentError(file, where, f"no menu called {option.menu!r}")


def check_together(locales: Mapping[str, Locale]) -> None:
    """Locales served side by side: the same pieces and menus, no keyword meaning two things, distinct keys."""
    first, *others = locales.values()
    for other in others:
        check_same_shape(first, other)
    owners: dict[str, tuple[str, str]] = {}  # phrase -> (topic, locale)
    for locale in locales.values():
        for phrase, topic_id in phrases_of(locale).items():
            topic_there, there = owners.setdefault(phrase, (topic_id, locale.tag))
            if topic_there != topic_id:
                raise ContentError(
                    locale.sources[topic_id],
                    f"topics.{topic_id}",
                    f"{phrase!r} means {topic_id!r} here but {topic_there!r} in {there}: use another word in one",
                )
    check_language_keys(locales)


def check_same_shape(first: Locale, other: Locale) -> None:
    """Refuse a pack that lacks a piece, a form of a piece, or a menu key that another served pack has."""

    def shape(locale: Locale) -> dict[str, tuple[str, ...]]:
        pieces = {
            f"topics.{topic_id}": tuple(form for form in ("sms", "whatsapp", "voice") if getattr(topic, form))
            for topic_id, topic in locale.topics.items()
        }
        menus = {f"voice.menus.{name}": tuple(o.key for o in options) for name, options in locale.voice.menus.items()}
        return pieces | menus | {"voice.after_piece": tuple(o.key for o in locale.voice.after_piece)}

    mine, theirs = shape(first), shape(other)
    for entry in sorted(set(mine) | set(theirs)):
        if mine.get(entry) != theirs.get(entry):
            # Name the pack that has less: that is where something is missing.
            lacking = other if len(theirs.get(entry, ())) <= len(mine.get(entry, ())) else first
            topic_id = entry.removeprefix("topics.")
            file = other.sources.get(topic_id) or first.sources.get(topic_id) or other.file("line")
            raise ContentError(
                file.replace(f"/{first.language_code}/", f"/{lacking.language_code}/").replace(
                    f"/{other.language_code}/", f"/{lacking.language_code}/"
                ),
                entry,
                f"{other.tag} has {theirs.get(entry) or 'nothing'} where {first.tag} has "
                f"{mine.get(entry) or 'nothing'}: every served language needs the same pieces, forms and keys",
            )


def check_language_keys(locales: Mapping[str, Locale]) -> None:
    """Each served language's phone key is its own and is not a key of the main menu."""
    main_keys = {option.key for locale in locales.values() for option in locale.voice.menus["main"]}
    seen: dict[str, str] = {}
    for locale in locales.values():
        key = locale.language.key
        problem = (
            "is the back key" if key == BACK_KEY
            else "is the help key" if key == HELP_KEY
            else "is not one phone key" if not MENU_KEY.match(key)
            else "is a key of the main menu" if key in main_keys
            else ""
        )
        if problem:
            raise ContentError(locale.file("language"), "key", f"{key!r} {problem}: choose 7, 8 or 9")
        if seen.setdefault(key, locale.language_code) != locale.language_code:
            raise ContentError(locale.file("language"), "key", f"{key!r} is also the key of {seen[key]!r}")
