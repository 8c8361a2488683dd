"""A text in, the reply out: which locale answers, what was asked, and the small state a follow-up needs."""

from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass

from app.content import Line
from app.languages import LanguageNames
from app.matching import Kind, Match, Matcher
from app.sms.readings import Readings
from app.sms.render import Prepared, Replies
from app.understanding.crisis import PhrasesOnly

OPT_OUT = "opt_out"  # the reply id for an opt-out word: silence on SMS, the line's own words on WhatsApp


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

    def __init__(
        self, line: Line, matchers: Mapping[str, Matcher], replies: Mapping[str, Replies], whatsapp: bool,
        unserved: Sequence[PhrasesOnly],
    ):
        self.line = line
        self.matchers = matchers
        self.unserved = unserved  # the crisis phrases of the packs no locale serves
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
        # A crisis comes first even in a request for a language ("no puedo hablar" is a stroke's sign), read by
        # every pack's phrases, served or not ("no hablo ingles y me quiero morir" on the Welsh line).
        readers = (*self.matchers.values(), *self.unserved)
        if code is not None and not any(reader.crisis_phrase(body) for reader in readers):
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
        return self.reply(tag, reply, part, state, match.also)

    def understand(self, body: str, current: str, fresh: bool) -> tuple[str, Match]:
        """Read the text in every served language and answer in the one that understood it best.

        A crisis read in any language wins. MORE and a bare number follow the conversation's language; with
        no conversation yet (`fresh`), a MORE word only another served language knows ("mas", "mwy") is its.
        """
        readings = Readings(body, self.matchers, current)
        best = readings.best()
        match = readings.match(best)
        if match.kind is Kind.MORE and fresh and readings.match(current).kind is not Kind.MORE:
            return best, match  # a first text "mas": Spanish has nothing more to send, and says so in Spanish
        if match.kind in (Kind.MORE, Kind.NUMBER):  # "MAS" in an English conversation is the next English part
            return current, match
        if match.reply == "emergency":
            return readings.emergency_language(fresh), match
        # Only a text the served languages' rules did not read (a keyword, a synonym: no one's crisis) meets the
        # phrases of the packs no locale serves; a crisis in one is answered in the conversation's language.
        free = readings.found[best].rule in ("model", "no model")
        if free and any(pack.crisis_phrase(body) for pack in self.unserved):
            return current, Match(Kind.REPLY, "emergency")
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
