"""POST /voice and its steps: the phone menu as TwiML, with the call's state in each step's signed URL.

Step URLs (relative, so Twilio posts them back signed, with the caller's input):
  /voice                                        an incoming call: the welcome, then the main menu
  /voice/menu/<menu>?silence=N&wrong=N          the answer to a menu: a key, speech, or nothing
  /voice/end/<topic>                            a piece heard (or cut short): the disclaimer, then the choices
  /voice/after/<topic>?silence=N&wrong=N&sent=1 the answer to "again, by text, or back"
Anything else is answered with the main menu. Nothing about the caller is kept anywhere else.
"""

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Blueprint, Flask, current_app, g, request
from twilio.twiml.voice_response import VoiceResponse

from app.config import E164
from app.content import Content
from app.errors import StartupError
from app.matching import Kind, Matcher, contains, tokens
from app.readability import PAUSE_SECONDS
from app.texting import Sender
from app.webhook import log_event, on_error, twiml, validate_twilio_request

bp = Blueprint("voice", __name__)

ROOT = "/voice"
KEYPAD = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#")  # a phone's keys, in keypad order
MAIN = "main"
HELP = "help"  # the topic key 0 plays at every step (ISO/IEC 13714)
# The line's own topics that are not pieces: what saying them does.
LINE_TOPICS = {"menu": f"menu:{MAIN}", "thanks": "ack:thanks"}
MAX_WRONG = 3  # wrong keys or unheard speech at one step before the goodbye (silence: one per no_input line)
PIECE_KEY_WAIT = 1  # seconds a piece waits for a key after it ends: the disclaimer must follow at once
MAX_SPEECH = 500  # characters of speech read; a real request is a few words
MAX_HINTS, MAX_HINT_CHARS = 500, 100  # Twilio's limits for <Gather hints>
VOICE_RATE = re.compile(r"^(x-slow|slow|medium|fast|x-fast|[0-9]{2,3}%)$")


@dataclass(frozen=True)
class Step:
    """Where a call is: a kind of step, the menu or topic it is about, and what went wrong there so far."""

    kind: str  # "call", "menu", "end", "after", or "lost" for a URL that is none of them
    name: str = MAIN  # a menu name or a topic id
    silence: int = 0
    wrong: int = 0
    sent: bool = False

    def url(self) -> str:
        """The step's URL, with its state as the query."""
        state = {"silence": self.silence, "wrong": self.wrong, "sent": int(self.sent)}
        query = urlencode({name: value for name, value in state.items() if value})
        return f"{ROOT}/{self.kind}/{self.name}" + (f"?{query}" if query else "")


class VoiceLine:
    """The phone menu: every table built once from content, so each step is look-ups and a little TwiML."""

    def __init__(self, content: Content, config: Mapping, matcher: Matcher, sender: Sender | None):
        self.content = content
        self.words = content.voice
        self.matcher = matcher
        self.sender = sender
        self.voice, self.language = content.region.voice, content.region.language
        self.rate = config["VOICE_RATE"]
        self.timeout = config["GATHER_TIMEOUT"]
        self.min_confidence = config["SPEECH_MIN_CONFIDENCE"]
        self.pause = f"{round(PAUSE_SECONDS * 1000)}ms"  # the pause the content report times
        self.line_number = config.get("LINE_NUMBER", "")

        menus = self.words.menus
        self.targets = {
            t: f"menu:{t}" if t in menus else f"piece:{t}"
            for t, topic in content.topics.items()
            if t in menus or topic.voice
        } | LINE_TOPICS
        self.pieces = {target.removeprefix("piece:") for target in self.targets.values() if target.startswith("piece:")}
        self.parents = {MAIN: MAIN} | {o.menu: name for name, options in menus.items() for o in options if o.menu}
        self.menu_keys = {
            name: {"*": "back", "0": f"piece:{HELP}"}
            | {o.key: f"menu:{o.menu}" if o.menu else f"piece:{o.topic}" for o in options}
            for name, options in menus.items()
        }
        self.texts = {t: text for t, text in content.texts.items() if t in self.pieces}

        self.commands = {}  # said phrase (as words) -> action
        for action, phrases in (
            ("again", self.words.say_again),
            ("text", self.words.say_text),
            ("back", self.words.say_back),
            ("goodbye", self.words.say_goodbye),
        ):
            for phrase in phrases:
                self.commands.setdefault(tuple(tokens(phrase)), action)
        self.said_keys = {str(n): str(n) for n in range(10)}
        for key, said in self.words.say_keys.items():  # keys checked by the loader
            self.said_keys |= {word: key for phrase in said for word in tokens(phrase)}
        self.filler = frozenset(word for phrase in self.words.say_filler for word in tokens(phrase))
        self.hints = ", ".join(self.hint_phrases())
        # Each step's TwiML depends only on the step and the content, never on the caller: build each
        # once. The keys are steps (a finite set, their counters clamped) and lines of content.
        self.prompt = functools.lru_cache(maxsize=4096)(self.prompt)
        self.piece = functools.lru_cache(maxsize=256)(self.piece)
        self.end = functools.lru_cache(maxsize=512)(self.end)
        self.goodbye = functools.lru_cache(maxsize=1)(self.goodbye)

    def hint_phrases(self) -> list[str]:
        """What callers are likely to say, to help recognition: commands, topics, keys and emergencies."""
        phrases = [" ".join(words) for words in self.commands]
        for topic_id in self.targets:
            topic = self.content.topics[topic_id]
            phrases += [topic.keyword.lower()] if topic.keyword.isalpha() else []
            phrases += topic.synonyms
        phrases += [word for said in self.words.say_keys.values() for word in said]
        phrases += [said.rstrip("*") for said in self.content.matching.emergency]
        unique = dict.fromkeys(p.strip() for p in phrases if p.strip() and len(p) <= MAX_HINT_CHARS)
        return list(unique)[:MAX_HINTS]

    # Reading a step and what the caller did there.

    def parse(self, path: str) -> Step:
        """The step a URL names; a URL that names none is "lost" (answered with the main menu)."""
        try:
            parts = urlsplit(str(path))
        except ValueError:
            return Step("lost")
        if parts.path.rstrip("/") == ROOT:
            return Step("call")
        segments = parts.path.split("/")
        if len(segments) != 4 or segments[:2] != ["", ROOT.strip("/")]:
            return Step("lost")
        kind, name = segments[2], segments[3]
        known = name in self.words.menus if kind == "menu" else kind in ("end", "after") and name in self.pieces
        if not known:
            return Step("lost")
        query = parse_qs(parts.query)

        def count(field: str, most: int) -> int:
            value = query.get(field, ["0"])[0]
            return min(int(value), most) if re.fullmatch(r"[0-9]{1,3}", value) else 0

        return Step(
            kind,
            name,
            silence=count("silence", len(self.words.no_input)),
            wrong=count("wrong", MAX_WRONG),
            sent=query.get("sent") == ["1"],
        )

    def hear(self, form: Mapping[str, str]) -> tuple[str, str]:
        """What the caller did: ("nothing", ""), ("key", key), ("said", action) or ("unheard", "")."""
        digits = str(form.get("Digits") or "").strip().rstrip("#")  # "#" alone ends an empty entry: nothing
        if digits:
            return "key", digits
        speech = str(form.get("SpeechResult") or "")[:MAX_SPEECH]
        if not speech.strip():
            return "nothing", ""
        if confidence(form) < self.min_confidence:
            return "unheard", ""
        return self.understand(speech)

    def understand(self, speech: str) -> tuple[str, str]:
        """Read speech: an emergency, a key said aloud, a command, a command phrase, a topic, a command word."""
        match = self.matcher.match(speech)
        if match.kind is Kind.REPLY and match.reply == "emergency":
            return "said", "piece:emergency"
        words = tokens(speech)
        rest = [word for word in words if word not in self.filler]
        if len(rest) == 1 and rest[0] in self.said_keys:
            return "key", self.said_keys[rest[0]]
        if tuple(words) in self.commands:
            return "said", self.commands[tuple(words)]
        inside = [action for phrase, action in self.commands.items() if phrase and contains(words, phrase)]
        longer = [action for phrase, action in self.commands.items() if len(phrase) > 1 and contains(words, phrase)]
        if longer:  # "can you say it again": a command, though "say" is also a word of a topic
            return "said", longer[0]
        if match.kind is Kind.REPLY and match.reply in self.targets:
            return "said", self.targets[match.reply]
        return ("said", inside[0]) if inside else ("unheard", "")

    def keys(self, step: Step, send_texts: bool) -> Mapping[str, str]:
        """The keys that mean something at a step, and their actions."""
        if step.kind == "menu":
            return self.menu_keys[step.name]
        keys = {"1": "again", "*": f"menu:{MAIN}", "0": f"piece:{HELP}"}
        return keys | ({"2": "text"} if self.offers_text(step, send_texts) else {})

    def offers_text(self, step: Step, send_texts: bool) -> bool:
        """Whether "press 2 to get it by text" is offered after this piece."""
        return send_texts and step.kind == "after" and not step.sent and step.name in self.texts

    # Answering.

    def respond(self, path: str, form: Mapping[str, str], send_texts: bool) -> str:
        """The TwiML for one step and the caller's input there."""
        step = self.parse(path)
        if step.kind == "call":
            return self.done(MAIN, "call", self.prompt(Step("menu"), send_texts, self.content.topics["menu"].voice))
        if step.kind == "lost":
            return self.done(MAIN, "lost", self.prompt(Step("menu"), send_texts))
        if step.kind == "end":
            return self.done(step.name, "end", self.end(step, send_texts))
        kind, value = self.hear(form)
        if kind == "nothing":
            return self.silence(step, send_texts)
        action = self.keys(step, send_texts).get(value) if kind == "key" else value
        if kind == "said" and step.kind == "menu" and action == f"menu:{step.name}":
            action = "again"  # "hello?" or "menu" at the menu one is at: a repeat, and counted as one
        if kind == "unheard" or action is None:
            return self.wrong(step, send_texts, said=kind != "key")
        return self.act(step, action, form, send_texts)

    def act(self, step: Step, action: str, form: Mapping[str, str], send_texts: bool) -> str:
        """Do what the caller chose."""
        verb, _, name = action.partition(":")
        if verb == "again" and step.kind == "menu":
            # Only speech asks a menu to repeat ("pardon?", "hello?"): it counts towards the goodbye,
            # so a television in the room cannot hold the line open for ever.
            count = step.wrong + 1
            if count > MAX_WRONG:
                return self.done(step.name, "goodbye-repeat", self.goodbye())
            return self.done(step.name, "repeat", self.prompt(replace(step, wrong=count), send_texts))
        if verb == "again":
            verb, name = "piece", step.name
        if verb == "back":
            verb, name = "menu", self.parents[step.name] if step.kind == "menu" else MAIN
        if verb == "menu":
            return self.done(name, "menu", self.prompt(Step("menu", name), send_texts))
        if verb == "piece":
            return self.done(name, "piece", self.piece(name))
        if verb == "ack":  # "thank you": answer it, then the same choices again
            fresh = replace(step, silence=0, wrong=0)
            return self.done(name, "ack", self.prompt(fresh, send_texts, self.content.topics[name].voice))
        if verb == "goodbye":  # the caller is done: end politely rather than offer the menu again
            return self.done(step.name, "goodbye-said", self.goodbye())
        if verb == "text" and self.offers_text(step, send_texts):
            return self.text(step, form)
        if verb == "text":  # asked for a text where none can be sent: say so, not "I didn't catch that"
            fresh = replace(step, silence=0, wrong=0)
            return self.done(step.name, "text-unavailable", self.prompt(fresh, send_texts, (self.words.cannot_text,)))
        return self.wrong(step, send_texts, said=True)

    def silence(self, step: Step, send_texts: bool) -> str:
        """Nothing heard: the choices again with a little more help, then a polite goodbye."""
        count = step.silence + 1
        if count > len(self.words.no_input):
            return self.done(step.name, "goodbye-silence", self.goodbye())
        again = replace(step, silence=count)
        return self.done(step.name, "silence", self.prompt(again, send_texts, (self.words.no_input[count - 1],)))

    def wrong(self, step: Step, send_texts: bool, said: bool) -> str:
        """A key that is not an option, or speech not understood: say so and offer the choices again."""
        count = step.wrong + 1
        if count > MAX_WRONG:
            return self.done(step.name, "goodbye-wrong", self.goodbye())
        first, again = (
            (self.words.not_heard, self.words.not_heard_again)
            if said
            else (self.words.wrong_key, self.words.wrong_again)
        )
        words = (first if count == 1 else again,)
        outcome = "unheard" if said else "wrong"
        return self.done(step.name, outcome, self.prompt(replace(step, wrong=count), send_texts, words))

    def text(self, step: Step, form: Mapping[str, str]) -> str:
        """Text the piece to the caller from the called number, then say whether it went."""
        caller = str(form.get("From") or "")
        line = str(form.get("To") or "") or self.line_number
        outcome = "failed:no-number"
        if self.sender is not None and E164.match(caller) and E164.match(line):
            call_sid = str(form.get("CallSid") or "")
            outcome = self.sender.send(call_sid, step.name, to=caller, from_=line, body=self.texts[step.name])
        sent = outcome == "sent"
        words = self.words.sent.format(last_digits=" ".join(caller[-4:])) if sent else self.words.not_sent
        after = Step("after", step.name, sent=True)
        # Built afresh, not from the cache: these words hold the caller's last digits, which are not kept.
        return self.done(step.name, f"text-{outcome}", VoiceLine.prompt(self, after, True, (words,)))

    # TwiML.

    def done(self, topic: str, outcome: str, xml: str) -> str:
        """Note what was served, for the webhook's log line, and pass the TwiML on."""
        g.voice_outcome = (topic, outcome)
        return xml

    def say(self, parent, lines: tuple[str, ...]) -> None:
        """Add one <Say>: each line a sentence with a pause after it, at the configured pace."""
        prosody = parent.say(voice=self.voice, language=self.language).prosody(rate=self.rate)
        for line in lines:
            prosody.s(line)
            prosody.break_(time=self.pause)

    def listen(self, response: VoiceResponse, step: Step, lines: tuple[str, ...]) -> None:
        """Say `lines` inside a Gather (a key or a word cuts in), then come back to the step with nothing heard."""
        url = step.url()
        gather = response.gather(
            input="dtmf speech",
            num_digits=1,
            timeout=self.timeout,
            speech_timeout="auto",
            action=url,
            method="POST",
            language=self.language,
            hints=self.hints,
        )
        self.say(gather, lines)
        response.redirect(url, method="POST")

    def choices(self, step: Step, send_texts: bool) -> tuple[str, ...]:
        """What a step offers, as said."""
        if step.kind == "menu":
            return self.content.menu_lines(step.name)
        after = self.words.after_piece
        return (after.again,) + ((after.text,) if self.offers_text(step, send_texts) else ()) + (after.back,)

    def prompt(self, step: Step, send_texts: bool, before: tuple[str, ...] = ()) -> str:
        """A step's choices, after a few words of its own, listening for the answer."""
        response = VoiceResponse()
        self.listen(response, step, before + self.choices(step, send_texts))
        return str(response)

    def piece(self, topic: str) -> str:
        """A piece, which a key can cut short; either way the call goes on to its end step and the disclaimer."""
        response = VoiceResponse()
        end = Step("end", topic).url()
        gather = response.gather(input="dtmf", num_digits=1, timeout=PIECE_KEY_WAIT, action=end, method="POST")
        self.say(gather, self.content.topics[topic].voice)
        response.redirect(end, method="POST")
        return str(response)

    def end(self, step: Step, send_texts: bool) -> str:
        """The disclaimer, which no key cuts short, then the choices after a piece."""
        response = VoiceResponse()
        self.say(response, (self.words.disclaimer,))
        after = Step("after", step.name)
        self.listen(response, after, self.choices(after, send_texts))
        return str(response)

    def goodbye(self) -> str:
        """A polite end: where to find the guide, then hang up."""
        response = VoiceResponse()
        self.say(response, (self.words.goodbye,))
        response.hangup()
        return str(response)

    def apology(self, path: str) -> str:
        """After a failure: sorry, then the main menu; if the main menu itself failed, sorry and goodbye."""
        response = VoiceResponse()
        self.say(response, (self.words.error,))
        if urlsplit(path).path.rstrip("/") in (ROOT, Step("menu").url()):
            self.say(response, (self.words.goodbye,))
            response.hangup()
        else:
            self.listen(response, Step("menu"), self.content.menu_lines(MAIN))
        return str(response)


def confidence(form: Mapping[str, str]) -> float:
    """Twilio's confidence in the speech, 0 when missing or not a number."""
    try:
        value = float(str(form.get("Confidence") or ""))
    except ValueError:
        return 0.0
    return value if math.isfinite(value) else 0.0


def plays_piece(gather_url: str | None) -> bool:
    """Whether a Gather only lets a key cut a piece short (a try-it caller would just listen on)."""
    return bool(gather_url) and urlsplit(gather_url).path.startswith(f"{ROOT}/end/")


def respond(path: str, form: Mapping[str, str], *, send_texts: bool) -> str:
    """The TwiML for a voice step URL (path and query) and the caller's input; safe for any input."""
    return current_app.extensions["voice_line"].respond(path, form, send_texts)


@bp.post(ROOT)
@bp.post(f"{ROOT}/")
@bp.post(f"{ROOT}/<path:step>")
@validate_twilio_request
def incoming(step: str = ""):
    """Answer an incoming call, or one of its steps."""
    xml = respond(request.full_path, request.form, send_texts=bool(current_app.config["TWILIO_ACCOUNT_SID"]))
    log_event("voice", *g.get("voice_outcome", ("-", "-")))
    return twiml(xml)


def apology() -> str:
    """The answer when something failed inside: sorry, then the main menu (or goodbye)."""
    return current_app.extensions["voice_line"].apology(request.path)


on_error(bp, apology)


def check_settings(config: Mapping) -> None:
    """Refuse voice settings Twilio would reject or callers could not use."""
    if not VOICE_RATE.match(str(config["VOICE_RATE"])) or (
        config["VOICE_RATE"].endswith("%") and not 50 <= int(config["VOICE_RATE"][:-1]) <= 150
    ):
        raise StartupError(f"setting VOICE_RATE: {config['VOICE_RATE']!r} must be a percentage from 50% to 150%")
    if not 3 <= config["GATHER_TIMEOUT"] <= 30:
        raise StartupError("setting GATHER_TIMEOUT: must be 3 to 30 seconds")
    # requests applies the timeout to connecting and to reading in turn: 2 x 5 s stays under
    # gunicorn's 14 s and Twilio's 15 s for the whole answer.
    if not 1 <= config["SEND_TIMEOUT"] <= 5:
        raise StartupError("setting SEND_TIMEOUT: must be 1 to 5 seconds")
    if not 0 <= config["SPEECH_MIN_CONFIDENCE"] <= 1:
        raise StartupError("setting SPEECH_MIN_CONFIDENCE: must be from 0 to 1")


def init_app(app: Flask) -> None:
    """Prepare the phone menu and register its webhook."""
    check_settings(app.config)
    content = app.extensions["line_content"]
    sms_line = app.extensions.get("sms_line")
    sender = None
    if app.config["TWILIO_ACCOUNT_SID"]:
        sender = Sender(
            app.config["TWILIO_ACCOUNT_SID"],
            app.config["TWILIO_AUTH_TOKEN"],
            app.config["SEND_TIMEOUT"],
            app.config["TWILIO_API_BASE_URL"],
            app.extensions,
        )
    matcher = sms_line.matcher if sms_line else Matcher(content)
    app.extensions["voice_line"] = VoiceLine(content, app.config, matcher, sender)
    app.register_blueprint(bp)
