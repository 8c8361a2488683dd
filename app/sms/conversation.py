"""A text in, the reply out: which locale answers, what was asked, and the small state a follow-up needs."""

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from functools import cache

from app.content import Line
from app.languages import LanguageNames
from app.matching import Decision, Kind, Match, Matcher
from app.sms.render import Prepared, Replies

OPT_OUT = "opt_out"  # the reply id for an opt-out word: silence on SMS, the line's own words on WhatsApp
SURE = 0.9  # a model reading this confident of a piece...
NO_DANGER = 0.1  # ...and this sure there is no emergency outweighs another language's model sensing one
THEIR_WORDS = 2  # ...unless this many of the text's words are only the other language's


@dataclass(frozen=True)
class Answer:
    """What the line sends back: a reply by locale, name and part, or silence (text is None)."""

    tag: str
    reply: str
    part: int
    sent: Prepared | None  # None: silence

    @property
    def text(self) -> str | None:
        """The reply's text, or None for silence."""
        return self.sent.text if self.sent else None


class Conversation:
    """Answers texts on one messaging channel, in every locale the line serves."""

    def __init__(self, line: Line, matchers: Mapping[str, Matcher], replies: Mapping[str, Replies], whatsapp: bool):
        self.line = line
        self.matchers = matchers
        self.replies = replies
        # SMS: Twilio answers opt-out words itself, so the line stays silent; WhatsApp has no carrier opt-out.
        self.silent_opt_out = not whatsapp
        # Twilio documents its cookies for SMS only: on WhatsApp, a bare number with no state picks from the
        # line's one numbered list (FAQ), so "FAQ" then "2" works whether or not the cookie came back.
        self.stateless_lists = whatsapp
        self.names = LanguageNames(line)
        self.served = {tag.split("-")[0]: tag for tag in reversed(tuple(line.locales))}

    def current(self, state: Mapping) -> str:
        """The locale the conversation is in: the cookie's, if it names a served one, else the default."""
        tag = state.get("locale")
        return tag if isinstance(tag, str) and tag in self.line.locales else self.line.default.tag

    def answer(self, body: str, state: MutableMapping) -> Answer:
        """Answer one text; `state` is the small, signed, per-sender cookie (it may be empty or stale)."""
        tag = self.current(state)
        code = self.names.in_text(body)
        # A crisis comes first even in a request for a language ("no puedo hablar" is a stroke's sign).
        if code is not None and not any(matcher.crisis_phrase(body) for matcher in self.matchers.values()):
            if code not in self.served:  # a language this line does not serve: say which it does
                return self.reply(tag, "languages", 1, state)
            state.clear()
            return self.reply(self.served[code], "menu", 1, state)
        tag, match = self.understand(body, tag, fresh=state.get("locale") not in self.line.locales)
        # A follow-up (MORE, a number) is read in the conversation's language, and reply() sets or drops what
        # the next one will mean, so a change of language needs nothing forgotten here.
        if match.kind is Kind.SILENT:
            return self.silence(tag) if self.silent_opt_out else self.reply(tag, OPT_OUT, 1, state)
        reply, part = self.follow_up(match, state, tag)
        return self.reply(tag, reply, part, state, getattr(match, "also", None))

    def understand(self, body: str, current: str, fresh: bool) -> tuple[str, Match]:
        """Read the text in every served language and answer in the one that understood it best.

        A crisis read in any language wins. MORE and a bare number follow the conversation's language; with
        no conversation yet (`fresh`), a MORE word only another served language knows ("mas", "mwy") is its.
        """
        found = {tag: self.matchers[tag].decide(body) for tag in self.matchers}

        @cache
        def share(tag: str) -> float:
            return self.matchers[tag].share(body)

        def calmer(other: str, tag: str) -> bool:
            """Whether `other`'s model, seeing no danger, outweighs `tag`'s model sensing one (see rank)."""
            verdict = found[other].verdict if found[other].rule == "model" else None
            if verdict is None or verdict.emergency >= NO_DANGER:
                return False
            if verdict.confidence < SURE and share(tag) >= share(other):
                return False
            return len(self.matchers[tag].own_words(body) - self.matchers[other].own_words(body)) < THEIR_WORDS

        def rank(tag: str) -> tuple:
            reading = strength(found[tag], self.matchers[tag])
            if found[tag].rule == "model" and reading[0] == 6 and share(tag) == 0 < max(map(share, found)):
                # A model sensing danger in a text not one of whose words is its language's, when another
                # served language knows them (Welsh "dw i ddim yn deall beth yw ail farn", English at 0.42):
                # that language, whose own phrases and model read the text, answers it.
                return 0, 0.0, (0, 0.0), False
            if found[tag].rule == "model" and reading[0] == 6:
                # A model, not crisis phrases, sensing danger in words foreign to it ("MORE" and morir; Spanish
                # "me"; "no" in "tomo las pastillas del colesterol o no" for English) is not believed when
                # another language's model reads the text and sees none, being sure of it or the text being
                # more that language's, unless words only the first language uses are there to read ("what
                # should i bring, ya me tome 25 pastillas": a crisis in Spanish after an English question).
                # Believed in another language than the conversation's, it beats every guess but a sure one,
                # and no rule of the conversation's language.
                if any(calmer(other, tag) for other in found if other != tag):
                    reading = (0, 0.0)
                elif tag != current:
                    reading = (4, 0.5)
            if found[tag].rule == "model" and reading[0] in GUESSES:
                # A model guesses even at words foreign to it ("is it rude to ask" read as Welsh BRING): of two
                # languages' guesses the text's own language answers, then the surer; and another language's
                # guess at a text more in the conversation's own language is no answer at all.
                if tag != current and share(tag) < share(current):
                    return 0, 0.0, (0, 0.0), False
                return max(GUESSES), share(tag), reading, tag == current
            if reading[0] == 0:  # no language understood it: the text's own language says so ("no entendí")
                return 0, share(tag), reading, tag == current
            return reading[0], 0.0, reading, tag == current

        best = max(found, key=rank) if len(found) > 1 else current
        match = found[best].match
        if match.kind is Kind.MORE and fresh and found[current].match.kind is not Kind.MORE:
            return best, match  # a first text "mas": Spanish has nothing more to send, and says so in Spanish
        if match.kind in (Kind.MORE, Kind.NUMBER):  # "MAS" in an English conversation is the next English part
            return current, match
        if match.reply == "emergency":
            # In a language whose crisis phrases read it (a Spanish speaker's first text, "me duele el pecho",
            # gets the Spanish reply), or whose model did if no phrase did: the conversation's, else (and in a
            # first text) the one more of the text's words are, since "estoy pensando en suicidarme" meets the
            # English "suicid*" too, and the Spanish reply says what its speakers need (988, "oprima 2").
            readers = [tag for tag, decision in found.items() if decision.match.reply == "emergency"]
            pool = [tag for tag in readers if found[tag].rule == "crisis phrase"] or readers
            if current in pool and not fresh:
                return current, match
            return max(pool, key=lambda tag: (share(tag), tag == current)), match
        return best, match

    def follow_up(self, match: Match, state: Mapping, tag: str) -> tuple[str, int]:
        """What MORE or a bare number means after the last reply; any other match as it is."""
        replies, matcher = self.replies[tag], self.matchers[tag]
        pending = state.get("more")
        if not (isinstance(pending, list) and len(pending) == 2 and valid_part(replies, *pending)):
            pending = None  # no cookie, or a stale or foreign one
        listed = state.get("list") if matcher.has_numbered(str(state.get("list"))) else None
        if not (listed or pending) and self.stateless_lists:
            listed = matcher.only_list()
        if match.kind is Kind.MORE:
            return tuple(pending) if pending else ("nothing_more", 1)
        if match.kind is Kind.NUMBER and listed:  # "2" after the FAQ list; "7" shows the list again
            return matcher.numbered(listed, match.part) or listed, 1
        if match.kind is Kind.NUMBER and pending and 1 <= match.part <= len(replies.parts[pending[0]]):
            return pending[0], match.part  # "2" or "part 3" after "Reply MORE for part 2 of 3"
        if match.kind is Kind.NUMBER:
            return "not_understood", 1
        return match.reply, match.part

    def reply(self, tag: str, reply: str, part: int, state: MutableMapping, also: str | None = None) -> Answer:
        """The answer, remembering what MORE and a bare number will mean next time (nothing about the patient)."""
        replies, matcher = self.replies[tag], self.matchers[tag]
        state["locale"] = tag
        if part < len(replies.parts[reply]):
            state["more"] = [reply, part + 1]
        else:
            state.pop("more", None)
        listed = state.get("list")
        if matcher.has_numbered(reply):
            state["list"] = reply
        elif not (isinstance(listed, str) and reply in matcher.children(listed)):
            state.pop("list", None)
        pointed = replies.also.get((reply, also)) if also and part == 1 else None
        return Answer(tag, reply, part, pointed or replies.parts[reply][part - 1])

    def silence(self, tag: str) -> Answer:
        """No reply: Twilio answers the opt-out word itself, and a reply to an opted-out number is blocked."""
        return Answer(tag, OPT_OUT, 1, None)


def valid_part(replies: Replies, reply, part) -> bool:
    """Whether a remembered (reply, part) still names one of this locale's replies."""
    return isinstance(reply, str) and isinstance(part, int) and 1 <= part <= len(replies.parts.get(reply, ()))


GUESSES = (1, 2)  # strength's kinds of a model's reading: a courtesy, a piece
COURTESIES = ("menu", "thanks")  # a greeting or a thank-you beside a question in another language loses to it


def strength(decision: Decision, matcher: Matcher) -> tuple[int, float]:
    """How well one language understood a text: (what kind of reading, how sure), higher is better."""
    match = decision.match
    if match.kind is Kind.SILENT or match.reply == "emergency":
        return 6, 1.0
    if match.kind is not Kind.REPLY:
        return 5, 1.0
    if match.reply == "not_understood":
        return 0, 0.0
    if decision.rule == "keyword":  # exactly a keyword ("HELP") beats one read past a typo ("helo")
        return (5 if matcher.is_keyword(decision.detail) else 3), 1.0
    if decision.rule != "model":
        return 4, 1.0
    sure = decision.verdict.confidence if decision.verdict else 0.0
    return (1 if match.reply in COURTESIES else 2), sure
