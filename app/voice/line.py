"""The phone line: for each served locale its keys, its ear and its script; one step in, its TwiML out."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.config import E164
from app.content import Line
from app.events import AFTER_PIECE, Event, outcome_of
from app.languages import LanguageNames
from app.matching import Matcher
from app.texting import Sender
from app.understanding.crisis import PhrasesOnly
from app.voice.machine import Action, Choice, Do, Heard, Input, Move, Rules, next_move
from app.voice.render import HELP, Script, hint_phrases
from app.voice.speech import Listener, Switches, hear, listener
from app.voice.steps import MAIN, Kind, Places, parse


@dataclass(frozen=True)
class Spoken:
    """One locale on the phone: the keys at each step, how speech is read, and what is said."""

    rules: Rules
    ear: Listener
    script: Script


def rules_for(locale, language_keys: Mapping[str, Choice], texts: frozenset[str]) -> Rules:
    """The keys at each step of one locale, from its menus and the keys after a piece."""
    menus = locale.voice.menus
    help_key = {"0": Choice(Action.PIECE, HELP)}
    menu_keys = {
        name: {"*": Choice(Action.BACK)}
        | help_key
        | {o.key: Choice(Action.MENU, o.menu) if o.menu else Choice(Action.PIECE, o.topic) for o in options}
        | (language_keys if name == MAIN else {})
        for name, options in menus.items()
    }
    actions = {"again": Choice(Action.AGAIN), "text": Choice(Action.TEXT), "menu": Choice(Action.MENU, MAIN)}
    after_keys = help_key | {o.key: actions[o.action] for o in locale.voice.after_piece}
    parents = {MAIN: MAIN} | {o.menu: name for name, options in menus.items() for o in options if o.menu}
    return Rules(menu_keys, after_keys, parents, len(locale.voice.no_input), texts)


class PhoneLine:
    """The phone menu in every served locale."""

    def __init__(
        self,
        line: Line,
        matchers: Mapping[str, Matcher],
        texts: Mapping[str, Mapping[str, str]],
        settings: Mapping,
        sender: Sender | None,
        unserved: Iterable[PhrasesOnly],
    ):
        self.default = line.default.tag
        self.sender = sender
        self.texts = texts  # locale -> topic -> the whole piece as one SMS
        self.line_number = settings.get("LINE_NUMBER", "")
        # Locales in step URLs: "" is the line's first one, so its URLs read as they always have.
        step_tag = {tag: "" if tag == self.default else tag for tag in line.locales}
        # A served language asked for by name ("en español por favor"): its locale as step URLs write it.
        switches = Switches(LanguageNames(line), {tag.split("-")[0]: step_tag[tag] for tag in reversed(line.locales)})
        self.spoken: dict[str, Spoken] = {}
        for tag, locale in line.locales.items():
            others = tuple(other for other in line.locales.values() if other is not locale)
            language_keys = {o.language.key: Choice(Action.LANGUAGE, step_tag[o.tag]) for o in others}
            menus = set(locale.voice.menus)
            # Another served language's crisis is answered in it; an unserved pack's (None) in the call's.
            elsewhere = tuple((step_tag[other.tag], matchers[other.tag]) for other in others)
            elsewhere += tuple((None, pack) for pack in unserved)
            ear = listener(locale, matchers[tag], menus, switches, settings["SPEECH_MIN_CONFIDENCE"], elsewhere)
            pieces = frozenset(texts[tag]) & {t for t, topic in locale.topics.items() if topic.voice}
            rules = rules_for(locale, language_keys, pieces)
            script = Script(
                locale, step_tag[tag], others, rules, settings, hint_phrases(locale, ear.whole, ear.targets)
            )
            self.spoken[step_tag[tag]] = Spoken(rules, ear, script)
        any_locale = next(iter(line.locales.values()))
        self.places = Places(
            menus=set(any_locale.voice.menus),
            pieces={t for t, topic in any_locale.topics.items() if topic.voice},
            locales={tag for tag in step_tag.values() if tag},
            most_silence=len(any_locale.voice.no_input),
        )
        self.tags = {short: tag for tag, short in step_tag.items()}

    def respond(self, path: str, form: Mapping[str, str], can_text: bool) -> tuple[str, Event]:
        """The TwiML for one step and the caller's input there, and how it is counted."""
        step = parse(path, self.places)
        here = self.spoken[step.locale]
        caller = hear(form, here.ear) if step.kind in (Kind.MENU, Kind.AFTER) else Input(Heard.NOTHING)
        move = next_move(step, caller, here.rules, can_text)
        script = self.spoken[move.step.locale].script
        outcome, served = move.outcome, move.step.name
        if move.step.kind is Kind.AFTER and move.do is not Do.TEXT:  # the choices after a piece, not the piece
            served = AFTER_PIECE
        if move.do is Do.PROMPT:
            xml = script.prompt(move, can_text)
        elif move.do is Do.PIECE:
            xml, outcome = script.piece(move.step), outcome_of(served)
        elif move.do is Do.END:
            xml = script.end(move.step, can_text)
        elif move.do is Do.GOODBYE:
            xml = script.goodbye()
        else:
            xml, outcome, detail = self.text(move, form, script)
            return xml, Event("voice", self.tags[move.step.locale], served, outcome, detail=detail)
        event = Event("voice", self.tags[move.step.locale], served, outcome, started=step.kind is Kind.CALL)
        return xml, event

    def text(self, move: Move, form: Mapping[str, str], script: Script) -> tuple[str, str, str]:
        """Text the piece to the caller from the called number, then say whether it went."""
        caller = str(form.get("From") or "")
        line = str(form.get("To") or "") or self.line_number
        body = self.texts[self.tags[move.step.locale]][move.step.name]
        outcome = "failed:no-number"
        if self.sender is not None and E164.match(caller) and E164.match(line):
            call_sid = str(form.get("CallSid") or "")
            outcome = self.sender.send(call_sid, move.step.name, to=caller, from_=line, body=body)
        words = script.words
        said = words.sent.format(last_digits=" ".join(caller[-4:])) if outcome == "sent" else words.not_sent
        sent = outcome == "sent"
        return script.after_text(move.step, said), "text_sent" if sent else "text_failed", "" if sent else outcome

    def spoken_in(self, tag: str) -> Spoken:
        """One locale's phone tables, by its tag."""
        return self.spoken["" if tag == self.default else tag]

    def locale_of(self, path: str) -> str:
        """The locale a step URL is in (the line's first for a URL that names none)."""
        return self.tags[parse(path, self.places).locale]

    def apology(self, path: str) -> str:
        """Sorry, in the call's language: the main menu, or goodbye if the menu itself failed."""
        return self.spoken[parse(path, self.places).locale].script.apology(path)
