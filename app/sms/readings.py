"""One text as every served language read it, and which language's reading answers it."""

from collections.abc import Mapping

from app.matching import Decision, Kind, Match, Matcher

SURE = 0.9  # a model reading this confident of a piece...
NO_DANGER = 0.1  # ...and this sure there is no emergency outweighs another language's model sensing one
THEIR_WORDS = 2  # ...unless this many of the text's words are only the other language's
# strength's kinds of reading, best first: a model's reading of a piece is a guess, since it guesses at any words
CRISIS_OR_STOP, FOLLOW_UP_OR_KEYWORD, RULE, TYPO_KEYWORD, GUESS, NOTHING = 6, 5, 4, 3, 1, 0
NO_ANSWER = (0, 0.0, (0, 0.0), False)  # the rank of a reading that must not answer at all


class Readings:
    """A text read by every served language's matcher, with the rules for ranking the readings."""

    def __init__(self, body: str, matchers: Mapping[str, Matcher], current: str):
        self.body, self.matchers, self.current = body, matchers, current
        self.found = {tag: matcher.decide(body) for tag, matcher in matchers.items()}
        self.shares: dict[str, float] = {}

    def share(self, tag: str) -> float:
        """How much of the text is this language's words (measured once per language)."""
        if tag not in self.shares:
            self.shares[tag] = self.matchers[tag].share(self.body)
        return self.shares[tag]

    def best(self) -> str:
        """The language whose reading answers the text."""
        return max(self.found, key=self.rank) if len(self.found) > 1 else self.current

    def rank(self, tag: str) -> tuple:
        """How one language's reading compares with the others' (higher answers)."""
        reading = strength(self.found[tag], self.matchers[tag])
        mine = tag == self.current
        if self.found[tag].rule == "model" and reading[0] == CRISIS_OR_STOP:
            reading = self.danger(tag, reading)
        if reading[0] == GUESS:
            # A model guesses even at words foreign to it ("is it rude to ask" read as Welsh BRING): of two
            # languages' guesses the text's own language answers, then (on a tie) the conversation's; another
            # language's guess at a text more in the conversation's own language is no answer at all.
            if not mine and self.share(tag) < self.share(self.current):
                return NO_ANSWER
            return GUESS, self.share(tag), mine, reading
        if reading[0] == NOTHING:  # no language understood it: the text's own language says so ("no entendí")
            return NOTHING, self.share(tag), reading, mine
        return reading[0], 0.0, reading, mine

    def danger(self, tag: str, reading: tuple[int, float]) -> tuple[int, float]:
        """What a model's sense of danger (not crisis phrases') is worth against the other languages' readings."""
        if any(self.calmer(other, tag) for other in self.found if other != tag):
            # Words foreign to the model ("MORE" and morir; Spanish "me"; "no" in "tomo las pastillas del
            # colesterol o no" and Welsh "dw i ddim yn deall" for English), read calmly by another language's
            # model: not believed.
            return NOTHING, 0.0
        # Believed in another language than the conversation's, it beats every guess, and no rule of the
        # conversation's language.
        return reading if tag == self.current else (RULE, 0.5)

    def calmer(self, other: str, tag: str) -> bool:
        """Whether `other`'s model, seeing no danger, outweighs `tag`'s model sensing one.

        It must be sure of a piece, or the text more its language's; and fewer than THEIR_WORDS of the text's
        words may be `tag`'s alone ("what should i bring, ya me tome 25 pastillas": a crisis in Spanish).
        """
        verdict = self.found[other].verdict  # a model's reading only: a rule decides without one
        if verdict is None or verdict.emergency >= NO_DANGER:
            return False
        if verdict.confidence < SURE and self.share(tag) >= self.share(other):
            return False
        theirs = self.matchers[tag].own_words(self.body) - self.matchers[other].own_words(self.body)
        return len(theirs) < THEIR_WORDS

    def emergency_language(self, fresh: bool) -> str:
        """The language of the emergency reply: the conversation's if it read the crisis, else the text's own.

        Crisis phrases first, then models: a Spanish speaker's first text "me duele el pecho" gets the Spanish
        reply, since "estoy pensando en suicidarme" meets the English "suicid*" too, and the Spanish reply says
        what its speakers need (988, "oprima 2").
        """
        readers = [tag for tag, decision in self.found.items() if decision.match.reply == "emergency"]
        pool = [tag for tag in readers if self.found[tag].rule == "crisis phrase"] or readers
        if self.current in pool and not fresh:
            return self.current
        return max(pool, key=lambda tag: (self.share(tag), tag == self.current))

    def match(self, tag: str) -> Match:
        """What one language made of the text."""
        return self.found[tag].match


def strength(decision: Decision, matcher: Matcher) -> tuple[int, float]:
    """How well one language understood a text: (what kind of reading, how sure), higher is better."""
    match = decision.match
    if match.kind is Kind.SILENT or match.reply == "emergency":
        return CRISIS_OR_STOP, 1.0
    if match.kind is not Kind.REPLY:
        return FOLLOW_UP_OR_KEYWORD, 1.0
    if match.reply == "not_understood":
        return NOTHING, 0.0
    if decision.rule == "keyword":  # exactly a keyword ("HELP") beats one read past a typo ("helo")
        return (FOLLOW_UP_OR_KEYWORD if matcher.is_keyword(decision.detail) else TYPO_KEYWORD), 1.0
    if decision.rule != "model":
        return RULE, 1.0
    return GUESS, decision.verdict.confidence
