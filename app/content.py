"""Load the line's words from content/<language>/*.yaml once, check them, and freeze them."""

import re
import string
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

import yaml

from app import gsm
from app.errors import StartupError

SMS_MAX_SEGMENTS = 3
SMS_MAX_UNITS = 459  # 3 x 153 septets: the most one reply may cost
SMS_MAX_CHARS = 1600  # the most Twilio sends as one message ("text me this" sends a whole piece)
KEYWORD = re.compile(r"^[A-Z][A-Z0-9]*$")
MENU_KEY = re.compile(r"^[0-9]$")


class ContentError(StartupError):
    """A content mistake, naming the file, the entry and what to fix."""

    def __init__(self, file: str, entry: str, problem: str):
        where = f"{file}: {entry}" if entry else file
        super().__init__(f"{where}: {problem}")


def lines(text: str) -> tuple[str, ...]:
    """Split spoken text into its lines, each said with a pause after it."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


SPOKEN = {"split": lines}  # field metadata: a block of text read as one line per breath


@dataclass(frozen=True)
class Topic:
    """One piece the line can serve, in its SMS and spoken forms."""

    title: str
    keyword: str
    synonyms: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    sms: tuple[str, ...] = ()  # parts, each one reply (the disclaimer is added to each)
    voice: tuple[str, ...] = field(default=(), metadata=SPOKEN)


@dataclass(frozen=True)
class MenuOption:
    """One key of a phone menu, leading to a topic or to another menu."""

    key: str
    label: str
    topic: str = ""
    menu: str = ""


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


@dataclass(frozen=True)
class AfterPiece:
    """The choices offered after a spoken piece."""

    again: str
    text: str
    back: str


@dataclass(frozen=True)
class VoiceWords:
    """What the phone line says around the pieces."""

    disclaimer: str
    option: str
    menus: Mapping[str, tuple[MenuOption, ...]]
    menu_intro: Mapping[str, str]
    back: str
    after_piece: AfterPiece
    no_input: tuple[str, ...]
    wrong_key: str
    wrong_again: str
    not_heard: str
    not_heard_again: str
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
class Emergency:
    """The emergency redirect, per channel."""

    sms: str
    voice: tuple[str, ...] = field(metadata=SPOKEN)


@dataclass(frozen=True)
class Region:
    """What differs per deployment region."""

    emergency_number: str
    emergency_spoken: str
    voice: str
    language: str
    emergency: Emergency


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
    voice: VoiceWords


@dataclass(frozen=True)
class Content:
    """Everything the line says, checked, with each SMS reply composed once."""

    language: str
    line_name: str
    operator: str
    topics: Mapping[str, Topic]  # guide and line topics, plus "emergency"
    sms_menu: tuple[str, ...]
    sms: SmsWords
    voice: VoiceWords
    region: Region
    matching: Matching
    replies: Mapping[str, tuple[str, ...]]  # topic id or line reply -> SMS parts, each ending with the disclaimer
    texts: Mapping[str, str]  # topic id -> the whole piece as one message, for "text me this" on a call

    def menu_lines(self, name: str) -> tuple[str, ...]:
        """A phone menu as spoken: its intro, "To hear X, press N." for each option, and "back" below the main menu."""
        intro = (self.voice.menu_intro[name],) if name in self.voice.menu_intro else ()
        options = tuple(self.voice.option.format(label=o.label, key=o.key) for o in self.voice.menus[name])
        return intro + options + ((self.voice.back,) if name != "main" else ())


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
    home: HomeWords
    text: TextPanelWords
    phone: PhonePanelWords
    card: CardWords


class _UniqueKeyLoader(yaml.SafeLoader):
    """safe_load that refuses a key given twice, which YAML would silently overwrite."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"{key!r} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def read_yaml(path: Path, shown: str):
    """Parse one YAML file; a syntax error names its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(shown, "", "file is missing") from None
    except UnicodeDecodeError as error:
        raise ContentError(shown, "", f"is not UTF-8 text ({error.reason})") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        problem = getattr(error, "problem", None) or str(error)
        raise ContentError(shown, at, f"YAML syntax error: {problem}") from None


def build(kind, data, file: str, entry: str, split=None):
    """Turn parsed YAML into `kind`, naming the file and entry of the first wrong value."""
    origin = typing.get_origin(kind)
    if is_dataclass(kind):
        if not isinstance(data, dict):
            raise ContentError(file, entry, f"must be a mapping of fields, not {describe(data)}")
        hints = typing.get_type_hints(kind)
        known = {f.name: f for f in fields(kind)}
        unknown = sorted(set(data) - set(known), key=str)
        if unknown:
            raise ContentError(file, entry, f"unknown field {unknown[0]!r} (known: {', '.join(known)})")
        values = {}
        for name, spec in known.items():
            if name not in data:
                if spec.default is MISSING and spec.default_factory is MISSING:
                    raise ContentError(file, entry, f"missing field {name!r}")
                continue
            values[name] = build(hints[name], data[name], file, join(entry, name), spec.metadata.get("split"))
        return kind(**values)
    if kind is str:
        if not isinstance(data, str) or not data.strip():
            raise ContentError(file, entry, f"must be text, not {describe(data)} (put it in quotes)")
        return data.strip()
    if origin is tuple:
        item_kind = typing.get_args(kind)[0]
        if split and isinstance(data, str):
            return split(data)
        items = [data] if isinstance(data, str) else data
        if not isinstance(items, list):
            raise ContentError(file, entry, f"must be a list, not {describe(data)}")
        return tuple(build(item_kind, item, file, f"{entry}[{i + 1}]") for i, item in enumerate(items))
    if origin in (Mapping, dict) or kind is Mapping:
        value_kind = typing.get_args(kind)[1]
        if not isinstance(data, dict):
            raise ContentError(file, entry, f"must be a mapping, not {describe(data)}")
        return types.MappingProxyType(
            {str(key): build(value_kind, value, file, join(entry, str(key))) for key, value in data.items()}
        )
    raise TypeError(f"no rule to build {kind}")  # a programming error, not a content one


def is_dataclass(kind) -> bool:
    """Tell whether `kind` is one of the content dataclasses."""
    return isinstance(kind, type) and hasattr(kind, "__dataclass_fields__")


def join(entry: str, name: str) -> str:
    """Extend an entry path."""
    return f"{entry}.{name}" if entry else name


def load_web(content_dir: str | Path, language: str, values: Mapping[str, str]) -> WebWords:
    """Load web.yaml for one language, with its placeholders filled from `values`."""
    shown = f"content/{language}/web.yaml"
    words = build(WebWords, read_yaml(Path(content_dir) / language / "web.yaml", shown), shown, "")
    return fill_all(words, values, shown, "")


# Texts whose placeholders are filled when they are used, not at start-up: checked here, filled later.
FILLED_LATER = {
    "sms.menu_item": ("keyword", "title"),
    "sms.more": ("next", "total"),
    "voice.option": ("label", "key"),
    "voice.sent": ("last_digits",),
}


def fill_all(value, values: Mapping[str, str], file: str, entry: str):
    """Fill the placeholders of every text in a content value: a text, a list, a mapping or a dataclass."""
    if isinstance(value, str):
        if entry in FILLED_LATER:
            check_placeholders(value, FILLED_LATER[entry], file, entry)
            return value
        return fill(value, values, file, entry)
    if isinstance(value, tuple):
        return tuple(fill_all(item, values, file, f"{entry}[{index + 1}]") for index, item in enumerate(value))
    if isinstance(value, Mapping):
        return types.MappingProxyType(
            {key: fill_all(item, values, file, join(entry, key)) for key, item in value.items()}
        )
    if is_dataclass(type(value)):
        return type(value)(
            **{f.name: fill_all(getattr(value, f.name), values, file, join(entry, f.name)) for f in fields(value)}
        )
    return value


def describe(value) -> str:
    """Name a YAML value's type the way a content editor would."""
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return "text" if value.strip() else "empty text"
    return {
        dict: "a mapping",
        list: "a list",
        bool: "yes/no",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


def check_placeholders(text: str, known: typing.Iterable[str], file: str, entry: str) -> None:
    """Refuse a {placeholder} not in `known`, and a brace without its pair."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        raise ContentError(file, entry, "a { or } without its pair: placeholders look like {name}") from None
    for name in names:
        if name not in known:
            listed = ", ".join(sorted(known)) or "none, this text is not filled in"
            raise ContentError(file, entry, f"unknown placeholder {{{name}}} (known: {listed})")


def fill(text: str, values: Mapping[str, str], file: str, entry: str) -> str:
    """Fill {placeholders}; an unknown one is a content error."""
    check_placeholders(text, values, file, entry)
    return text.format_map(values)


def load(content_dir: str | Path, language: str, region: str, settings: Mapping[str, str]) -> Content:
    """Load, fill and check one language's content for one region."""
    root = Path(content_dir) / language
    shown = {name: f"content/{language}/{name}.yaml" for name in ("guide", "line", "regions", "matching")}
    guide = build(GuideFile, read_yaml(root / "guide.yaml", shown["guide"]), shown["guide"], "")
    line = build(LineFile, read_yaml(root / "line.yaml", shown["line"]), shown["line"], "")
    regions = build(Mapping[str, Region], read_yaml(root / "regions.yaml", shown["regions"]), shown["regions"], "")
    matching = build(Matching, read_yaml(root / "matching.yaml", shown["matching"]), shown["matching"], "")
    if region not in regions:
        raise ContentError(shown["regions"], region, f"no such region (have: {', '.join(regions)})")
    place = regions[region]

    sources = {}  # topic id -> file it came from
    for file, topics in ((shown["guide"], guide.topics), (shown["line"], line.topics)):
        for topic_id in topics:
            if topic_id in sources or topic_id == "emergency":
                raise ContentError(
                    file, f"topics.{topic_id}", f"topic id is already used in {sources.get(topic_id, 'the code')}"
                )
            sources[topic_id] = file
    all_topics = {**guide.topics, **line.topics}
    for index, topic_id in enumerate(line.sms_menu):
        if topic_id not in all_topics:
            raise ContentError(shown["line"], f"sms_menu[{index + 1}]", f"no topic called {topic_id!r}")

    operator = settings.get("operator") or line.operator

    def values_for(where: Region) -> dict[str, str]:
        """What {placeholders} stand for in one region."""
        return {
            "line_name": line.line_name,
            "operator": operator,
            "emergency_number": where.emergency_number,
            "emergency_spoken": where.emergency_spoken,
        }

    values = values_for(place)
    # Every region's texts are filled and checked, so a check run for one region catches them all.
    filled_regions = {
        name: fill_all(other, values_for(other), shown["regions"], name) for name, other in regions.items()
    }
    place = filled_regions[region]
    sms_words = fill_all(line.sms, values, shown["line"], "sms")
    voice_words = fill_all(line.voice, values, shown["line"], "voice")
    values["menu"] = "\n".join(
        fill(
            sms_words.menu_item,
            {"keyword": all_topics[t].keyword, "title": all_topics[t].title},
            shown["line"],
            "sms.menu_item",
        )
        for t in line.sms_menu
    )
    filled = {}
    for topic_id, topic in all_topics.items():
        file, entry = sources[topic_id], f"topics.{topic_id}"
        filled[topic_id] = Topic(
            title=topic.title,
            keyword=topic.keyword,
            synonyms=topic.synonyms,
            words=topic.words,
            sms=tuple(fill(part, values, file, f"{entry}.sms") for part in topic.sms),
            voice=tuple(fill(said, values, file, f"{entry}.voice") for said in topic.voice),
        )
    filled["emergency"] = Topic(title="", keyword="", sms=(place.emergency.sms,), voice=place.emergency.voice)
    sources["emergency"] = shown["regions"]
    entries = {topic_id: f"topics.{topic_id}" for topic_id in all_topics} | {"emergency": f"{region}.emergency"}

    check_keywords(filled, sources, matching, shown["matching"])
    check_menus(voice_words, filled, shown["line"])
    replies = compose_replies(filled, sms_words, sources, entries, shown["line"])
    for name, other in filled_regions.items():
        compose((other.emergency.sms,), sms_words, shown["regions"], f"{name}.emergency.sms")
    return Content(
        language=language,
        line_name=line.line_name,
        operator=operator,
        topics=types.MappingProxyType(filled),
        sms_menu=line.sms_menu,
        sms=sms_words,
        voice=voice_words,
        region=place,
        matching=matching,
        replies=types.MappingProxyType(replies),
        texts=types.MappingProxyType(compose_texts(filled, sms_words, sources, entries)),
    )


def check_keywords(
    topics: Mapping[str, Topic], sources: Mapping[str, str], matching: Matching, matching_file: str
) -> None:
    """Each keyword and synonym points to one topic, and none is a Twilio opt-out word."""
    from app.text import tokens  # compare phrases as the matcher reads them ("what-to bring!" is "what to bring")

    reserved = {word.upper() for word in matching.opt_out + matching.opt_in}
    stopwords = set(matching.stopwords)
    owner: dict[str, str] = {}
    for topic_id, topic in topics.items():
        file, entry = sources[topic_id], f"topics.{topic_id}"
        if topic_id == "emergency":
            continue
        if not KEYWORD.match(topic.keyword):
            raise ContentError(
                file, f"{entry}.keyword", f"{topic.keyword!r} must be one word of capital letters and digits"
            )
        if topic.keyword in reserved:
            raise ContentError(
                file, f"{entry}.keyword", f"{topic.keyword!r} is a Twilio opt-out/opt-in word; choose another"
            )
        for said in (topic.keyword.lower(),) + topic.synonyms:
            phrase = " ".join(tokens(said))
            if phrase in owner and owner[phrase] != topic_id:
                raise ContentError(file, entry, f"duplicate keyword {phrase!r}: topic {owner[phrase]!r} has it already")
            owner[phrase] = topic_id
        for word in topic.words:
            if word in stopwords:
                raise ContentError(matching_file, "stopwords", f"{word!r} is a stopword but also one of {entry}.words")


def check_menus(voice: VoiceWords, topics: Mapping[str, Topic], file: str) -> None:
    """Every menu key leads somewhere real; keys are single digits numbered 1, 2, 3... with 0 last."""
    if "main" not in voice.menus:
        raise ContentError(file, "voice.menus", "missing menu 'main'")
    for key in voice.say_keys:
        if key not in "0123456789*" or len(key) != 1:
            raise ContentError(file, f"voice.say_keys.{key}", "keys are 0 to 9 and *")
    for name, options in voice.menus.items():
        entry = f"voice.menus.{name}"
        keys = [option.key for option in options]
        numbered = [key for key in keys if key != "0"]
        if any(not MENU_KEY.match(key) for key in keys) or numbered != [str(n) for n in range(1, len(numbered) + 1)]:
            raise ContentError(file, entry, f"keys {keys} must be 1, 2, 3... in order with no gaps (0 may come last)")
        if "0" in keys and keys[-1] != "0":
            raise ContentError(file, entry, "key 0 must come last")
        for index, option in enumerate(options):
            where = f"{entry}[{index + 1}]"
            if bool(option.topic) == bool(option.menu):
                raise ContentError(file, where, "give exactly one of topic or menu")
            if option.topic and option.topic not in topics:
                raise ContentError(file, where, f"no topic called {option.topic!r}")
            if option.topic and not topics[option.topic].voice:
                raise ContentError(file, where, f"topic {option.topic!r} has no voice text")
            if option.menu and option.menu not in voice.menus:
                raise ContentError(file, where, f"no menu called {option.menu!r}")


def compose_replies(
    topics: Mapping[str, Topic],
    words: SmsWords,
    sources: Mapping[str, str],
    entries: Mapping[str, str],
    line_file: str,
) -> dict[str, tuple[str, ...]]:
    """Compose every SMS reply once: the text, "Reply MORE" where more follows, then the disclaimer."""
    for name in ("disclaimer", "menu_item", "more", "not_understood", "nothing_more", "stop_hint", "error"):
        check_gsm(getattr(words, name), line_file, f"sms.{name}")
    menu = topics["menu"].sms[0]
    bodies = {
        topic_id: (topic.sms, sources[topic_id], f"{entries[topic_id]}.sms")
        for topic_id, topic in topics.items()
        if topic.sms
    }
    bodies |= {
        "not_understood": ((f"{words.not_understood}\n{menu}",), line_file, "sms.not_understood"),
        "nothing_more": ((f"{words.nothing_more}\n{menu}",), line_file, "sms.nothing_more"),
        "stop_hint": ((words.stop_hint,), line_file, "sms.stop_hint"),
        "error": ((words.error,), line_file, "sms.error"),
    }
    return {name: compose(parts, words, file, entry) for name, (parts, file, entry) in bodies.items()}


def compose_texts(
    topics: Mapping[str, Topic], words: SmsWords, sources: Mapping[str, str], entries: Mapping[str, str]
) -> dict[str, str]:
    """Each spoken piece's SMS form as one message (its parts, then the disclaimer), within Twilio's limit."""
    texts = {}
    for topic_id, topic in topics.items():
        if topic.voice and topic.sms:
            text = "\n\n".join(topic.sms) + "\n" + words.disclaimer
            if len(text) > SMS_MAX_CHARS:
                raise ContentError(
                    sources[topic_id], f"{entries[topic_id]}.sms",
                    f"texted as one message the piece is {len(text)} characters, over Twilio's {SMS_MAX_CHARS}",
                )
            texts[topic_id] = text
    return texts


def compose(parts: tuple[str, ...], words: SmsWords, file: str, entry: str) -> tuple[str, ...]:
    """One piece's replies, each checked: GSM-7, and within the budget with "Reply MORE" and the disclaimer."""
    composed = []
    for index, part in enumerate(parts):
        where = f"{entry}[{index + 1}]" if len(parts) > 1 else entry
        check_gsm(part, file, where)
        more = f"\n{words.more.format(next=index + 2, total=len(parts))}" if index + 1 < len(parts) else ""
        reply = f"{part}{more}\n{words.disclaimer}"
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


def check_gsm(text: str, file: str, entry: str) -> None:
    """Refuse SMS text with a character outside GSM-7, naming the replacement."""
    char = gsm.first_non_gsm(text)
    if char is not None:
        raise ContentError(file, entry, gsm.suggestion(char))
