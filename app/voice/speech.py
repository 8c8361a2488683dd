"""What a caller did at a step: a key, or words understood through the same layer as texts."""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.content import EMERGENCY, Locale
from app.languages import LanguageNames
from app.matching import Kind as MatchKind
from app.matching import Matcher, Phrases
from app.text import tokens
from app.understanding.crisis import PhrasesOnly
from app.voice.machine import Action, Choice, Heard, Input
from app.voice.steps import MAIN

MAX_SPEECH = 500  # characters of speech read: a real request is a few words (the try-it panel types as much)
COMMANDS = (("again", Action.AGAIN), ("text", Action.TEXT), ("back", Action.BACK), ("goodbye", Action.GOODBYE))
# The line's own topics that are not pieces, and what saying them does.
GREETING = "menu"  # the topic of "hello", "hi", "menu please"
LINE_TOPICS = {GREETING: Choice(Action.MENU, MAIN), "thanks": Choice(Action.ACK, "thanks")}


@dataclass(frozen=True)
class Switches:
    """Served languages asked for by name: the names of every pack, and where each served one's calls go."""

    names: LanguageNames
    served: Mapping[str, str]  # language code -> its locale as step URLs write it

    def asked(self, words: list[str]) -> str | None:
        """The step locale of the served language these words ask for, or None."""
        code = self.names.named(words)
        return self.served.get(code) if code else None


@dataclass(frozen=True)
class Listener:
    """One locale's tables for reading speech, built once."""

    matcher: Matcher
    commands: Phrases  # said phrase -> action name, indexed like every other phrase
    whole: Mapping[tuple[str, ...], Action]  # an utterance that is exactly a command
    said_keys: Mapping[str, str]  # "one", "star", "4" -> the key
    filler: frozenset[str]
    targets: Mapping[str, Choice]  # topic id -> what saying it does
    switches: Switches
    min_confidence: float
    elsewhere: tuple[tuple[str | None, Matcher | PhrasesOnly], ...] = ()  # (step locale or None, reader): a crisis


def listener(
    locale: Locale, matcher: Matcher, menus: set[str], switches: Switches, floor: float,
    elsewhere: Iterable[tuple[str | None, Matcher | PhrasesOnly]] = (),
) -> Listener:
    """Build a locale's speech tables from its content."""
    words = locale.voice
    commands = {}
    for name, action in COMMANDS:
        for phrase in getattr(words, f"say_{name}"):
            commands.setdefault(tuple(tokens(phrase)), action)
    said_keys = {str(n): str(n) for n in range(10)}
    for key, said in words.say_keys.items():
        said_keys |= {word: key for phrase in said for word in tokens(phrase)}
    targets = {
        topic_id: Choice(Action.MENU, topic_id) if topic_id in menus else Choice(Action.PIECE, topic_id)
        for topic_id, topic in locale.topics.items()
        if topic_id in menus or topic.voice
    } | LINE_TOPICS
    return Listener(
        matcher=matcher,
        commands=Phrases((phrase, action.value) for phrase, action in commands.items()),
        whole=commands,
        said_keys=said_keys,
        filler=frozenset(word for phrase in words.say_filler for word in tokens(phrase)),
        targets=targets,
        switches=switches,
        min_confidence=floor,
        elsewhere=tuple(elsewhere),
    )


def hear(form: Mapping[str, str], ear: Listener) -> Input:
    """What the caller did: nothing, a key, a choice said, or speech not understood."""
    digits = str(form.get("Digits") or "").strip().rstrip("#")  # "#" alone ends an empty entry: nothing
    if digits:
        return Input(Heard.KEY, key=digits)
    speech = str(form.get("SpeechResult") or "")[:MAX_SPEECH]
    if not speech.strip():
        return Input(Heard.NOTHING)
    if confidence(form) < ear.min_confidence:
        return Input(Heard.UNHEARD)
    return understand(speech, ear)


def understand(speech: str, ear: Listener) -> Input:
    """Read speech: an emergency, a language, a key said aloud, a command, a topic, a command word."""
    match = ear.matcher.match(speech)
    if match.kind is MatchKind.REPLY and match.reply == EMERGENCY:
        return Input(Heard.SAID, choice=Choice(Action.PIECE, EMERGENCY))
    # A crisis said in another served language, before the caller chose it ("no puedo respirar" on the
    # English menu), by that language's crisis phrases: the emergency piece in that language, and the call
    # goes on in it (the Spanish piece names the Spanish 988 line).
    for place, other in ear.elsewhere:
        if other.crisis_phrase(speech):
            return Input(Heard.SAID, choice=Choice(Action.PIECE, EMERGENCY, locale=place))
    words = tokens(speech)
    rest = [word for word in words if word not in ear.filler]
    if (asked := ear.switches.asked(words)) is not None:
        return Input(Heard.SAID, choice=Choice(Action.LANGUAGE, asked))
    if len(rest) == 1 and rest[0] in ear.said_keys:
        return Input(Heard.KEY, key=ear.said_keys[rest[0]])
    if tuple(words) in ear.whole:
        return Input(Heard.SAID, choice=Choice(ear.whole[tuple(words)]))
    inside = ear.commands.found(words)
    longer = [Action(action) for phrase, action in inside.items() if len(phrase) > 1]
    if longer:  # "can you say it again": a command, though "say" is also a word of a topic
        return Input(Heard.SAID, choice=Choice(longer[0]))
    target = ear.targets.get(match.reply) if match.kind is MatchKind.REPLY else None
    # A command word beats a greeting the model reads around it: "sorry, what was that?" after a piece is
    # "again", not the main menu.
    if target is not None and not (inside and match.reply == GREETING):
        return Input(Heard.SAID, choice=target)
    if inside:
        return Input(Heard.SAID, choice=Choice(Action(next(iter(inside.values())))))
    return Input(Heard.UNHEARD)


def confidence(form: Mapping[str, str]) -> float:
    """Twilio's confidence in the speech, 0 when missing or not a number."""
    try:
        value = float(str(form.get("Confidence") or ""))
    except ValueError:
        return 0.0
    return value if math.isfinite(value) else 0.0
