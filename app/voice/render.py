"""The phone line's TwiML for one locale: what each move says, in its voice, and where the call goes next."""

import functools
from collections.abc import Mapping
from urllib.parse import urlsplit

from twilio.twiml.voice_response import VoiceResponse

from app.content import Locale
from app.readability import PAUSE_SECONDS
from app.voice.machine import Action, Lead, Move, Rules, offers_text
from app.voice.steps import MAIN, ROOT, Kind, Step

HELP = "help"  # the topic key 0 plays at every step (ISO/IEC 13714)
PIECE_KEY_WAIT = 1  # seconds a piece waits for a key after it ends: the disclaimer must follow at once
MAX_HINTS, MAX_HINT_CHARS = 500, 100  # Twilio's limits for <Gather hints>


class Script:
    """Everything one locale says on the phone, rendered as TwiML; each step's TwiML is built once."""

    def __init__(
        self, locale: Locale, step_tag: str, others: tuple[Locale, ...], rules: Rules, settings: Mapping, hints: str
    ):
        self.locale = locale
        self.step_tag = step_tag  # the locale as step URLs write it ("" for the line's first)
        self.words = locale.voice
        self.others = others
        self.rules = rules
        self.voice, self.language, self.speech = locale.region.voice, locale.region.language, locale.region.speech
        self.rate = settings["VOICE_RATE"]
        self.timeout = settings["GATHER_TIMEOUT"]
        self.pause = f"{round(PAUSE_SECONDS * 1000)}ms"  # the pause the content report times
        self.hints = hints
        # Each step's TwiML depends only on the step and the content, never on the caller: build each once.
        # The keys are steps (a finite set, their counters clamped) and lines of content.
        self.prompt = functools.lru_cache(maxsize=4096)(self.prompt)
        self.piece = functools.lru_cache(maxsize=256)(self.piece)
        self.end = functools.lru_cache(maxsize=512)(self.end)

    def spoken_key(self, key: str) -> str:
        """A key as said: star for *, digits as they are."""
        return self.words.say_keys[key][0] if key == "*" and "*" in self.words.say_keys else key

    def menu_lines(self, name: str) -> tuple[str, ...]:
        """A menu as said: its intro, "To hear X, press N." for each option, and "back" below the main menu."""
        words = self.words
        intro = (words.menu_intro[name],) if name in words.menu_intro else ()
        options = tuple(words.option.format(label=o.label, key=self.spoken_key(o.key)) for o in words.menus[name])
        back = (words.back.format(key=self.spoken_key("*")),) if name != MAIN else ()
        return intro + options + back + (() if self.speech else (words.keys_only,))

    def after_lines(self, step: Step, can_text: bool) -> tuple[str, ...]:
        """The choices after a piece, as said; "by text" only where a text can be sent."""
        texting = offers_text(step, self.rules, can_text)
        return tuple(
            option.say.format(key=self.spoken_key(option.key))
            for option in self.words.after_piece
            if option.action != Action.TEXT.value or texting
        )

    def lead(self, move: Move) -> tuple[str, ...]:
        """The words said before a step's choices."""
        words, topics = self.words, self.locale.topics
        return {
            Lead.NONE: (),
            Lead.WELCOME: topics["menu"].voice,
            Lead.NO_INPUT: (words.no_input[move.step.silence - 1],) if move.step.silence else (),
            Lead.WRONG_KEY: (words.wrong_key,),
            Lead.WRONG_AGAIN: (words.wrong_again,),
            Lead.NOT_HEARD: (words.not_heard,),
            Lead.NOT_HEARD_AGAIN: (words.not_heard_again,),
            Lead.ACK: topics[move.topic].voice if move.topic in topics else (),
            Lead.CANNOT_TEXT: (words.cannot_text,),
        }[move.lead]

    def say(self, parent, lines: tuple[str, ...], voice: str = "", language: str = "") -> None:
        """Add one <Say>: each line a sentence with a pause after it, at the configured pace."""
        prosody = parent.say(voice=voice or self.voice, language=language or self.language).prosody(rate=self.rate)
        for line in lines:
            prosody.s(line)
            prosody.break_(time=self.pause)

    def gather(self, response: VoiceResponse, url: str):
        """A Gather posting to `url`: keys always, speech where the locale's language can be recognised."""
        if not self.speech:
            return response.gather(input="dtmf", num_digits=1, timeout=self.timeout, action=url, method="POST")
        return response.gather(
            input="dtmf speech",
            num_digits=1,
            timeout=self.timeout,
            speech_timeout="auto",
            action=url,
            method="POST",
            language=self.language,
            hints=self.hints,
        )

    def listen(self, response: VoiceResponse, step: Step, lines: tuple[str, ...]) -> None:
        """Say `lines` inside a Gather (a key or a word cuts in), then come back to the step with nothing heard."""
        url = step.url()
        gather = self.gather(response, url)
        self.say(gather, lines)
        if step.kind is Kind.MENU and step.name == MAIN:
            for other in self.others:  # each other language offered in its own words and voice
                key = other.language.key
                self.say(
                    gather, (other.language.offer.voice.format(key=key),), other.region.voice, other.region.language
                )
        response.redirect(url, method="POST")

    def prompt(self, move: Move, can_text: bool) -> str:
        """A step's choices, after a few words of its own, listening for the answer."""
        step = move.step
        choices = self.menu_lines(step.name) if step.kind is Kind.MENU else self.after_lines(step, can_text)
        response = VoiceResponse()
        self.listen(response, step, self.lead(move) + choices)
        return str(response)

    def piece(self, step: Step) -> str:
        """A piece, which a key can cut short; either way the call goes on to its end step and the disclaimer.

        The help piece tells callers to press a topic's key or star, or say what they want, at any time: while
        it plays, the line listens as the main menu does.
        """
        response = VoiceResponse()
        end = step.url()
        if step.name == HELP:
            gather = self.gather(response, Step(Kind.MENU, locale=step.locale).url())
        else:
            gather = response.gather(input="dtmf", num_digits=1, timeout=PIECE_KEY_WAIT, action=end, method="POST")
        self.say(gather, self.locale.topics[step.name].voice)
        response.redirect(end, method="POST")
        return str(response)

    def end(self, step: Step, can_text: bool) -> str:
        """The disclaimer, which no key cuts short, then the choices after a piece."""
        response = VoiceResponse()
        self.say(response, (self.words.disclaimer,))
        self.listen(response, step, self.after_lines(step, can_text))
        return str(response)

    def goodbye(self) -> str:
        """A polite end: where to find the guide, then hang up."""
        response = VoiceResponse()
        self.say(response, (self.words.goodbye,))
        response.hangup()
        return str(response)

    def after_text(self, step: Step, words: str) -> str:
        """Whether the text went, then the choices after the piece (built afresh: the words may hold digits)."""
        response = VoiceResponse()
        self.listen(response, step, (words,) + self.after_lines(step, True))
        return str(response)

    def apology(self, path: str) -> str:
        """After a failure: sorry, then the main menu; if the main menu itself failed, sorry and goodbye."""
        response = VoiceResponse()
        self.say(response, (self.words.error,))
        if urlsplit(path).path.rstrip("/") in (ROOT, Step(Kind.MENU).url()):
            self.say(response, (self.words.goodbye,))
            response.hangup()
        else:
            self.listen(response, Step(Kind.MENU, locale=self.step_tag), self.menu_lines(MAIN))
        return str(response)


def hint_phrases(locale: Locale, commands, targets) -> str:
    """What callers are likely to say, to help recognition: commands, topics, keys and emergencies."""
    phrases = [" ".join(words) for words in commands]
    for topic_id in targets:
        topic = locale.topics.get(topic_id)
        if topic:
            phrases += [topic.keyword.lower()] if topic.keyword.isalpha() else []
            phrases += topic.synonyms
    phrases += [word for said in locale.voice.say_keys.values() for word in said]
    phrases += [said.rstrip("*") for said in locale.matching.emergency]
    unique = dict.fromkeys(p.strip() for p in phrases if p.strip() and len(p) <= MAX_HINT_CHARS)
    return ", ".join(list(unique)[:MAX_HINTS])
