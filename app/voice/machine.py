"""The phone menu as a pure state machine: a step and what the caller did there -> what the line does next."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum

from app.voice.steps import MAIN, MAX_WRONG, Kind, Step


class Action(Enum):
    """What a key or a said phrase asks for."""

    MENU = "menu"  # hear a menu (target: its name)
    PIECE = "piece"  # hear a piece (target: its topic)
    AGAIN = "again"  # the same again
    BACK = "back"  # the menu above
    TEXT = "text"  # the piece by text message
    GOODBYE = "goodbye"  # the caller is done
    ACK = "ack"  # "thank you": answered, then the same choices
    LANGUAGE = "language"  # another served locale (target: its tag)


@dataclass(frozen=True)
class Choice:
    """An action and what it is about."""

    action: Action
    target: str = ""
    locale: str | None = None  # another served locale to answer in (a crisis said in its language); None: the call's


class Heard(Enum):
    """What kind of input came with a step."""

    NOTHING = "nothing"
    KEY = "key"
    SAID = "said"  # speech understood as a choice
    UNHEARD = "unheard"  # speech not understood, or heard with too little confidence


@dataclass(frozen=True)
class Input:
    """The caller's input: a kind, the key pressed, or the choice said."""

    heard: Heard
    key: str = ""
    choice: Choice | None = None


class Do(Enum):
    """What the line does next."""

    PROMPT = "prompt"  # say a few words, then the step's choices, and listen
    PIECE = "piece"  # play a piece, then its end step
    END = "end"  # the disclaimer, then the choices after the piece
    TEXT = "text"  # text the piece, say whether it went, then the choices after it
    GOODBYE = "goodbye"  # a polite goodbye and hang up


class Lead(Enum):
    """The words said before a step's choices."""

    NONE = "none"
    WELCOME = "welcome"
    NO_INPUT = "no_input"  # the n-th "I didn't hear anything" (n = step.silence)
    WRONG_KEY = "wrong_key"
    WRONG_AGAIN = "wrong_again"
    NOT_HEARD = "not_heard"
    NOT_HEARD_AGAIN = "not_heard_again"
    ACK = "ack"  # the reply to a courtesy (its topic in Move.topic)
    CANNOT_TEXT = "cannot_text"


@dataclass(frozen=True)
class Move:
    """The line's next move, and how it is counted: what was served and what happened."""

    do: Do
    step: Step  # the step whose choices follow; for PIECE and TEXT, step.name is the topic
    lead: Lead = Lead.NONE
    topic: str = ""  # the courtesy answered, for Lead.ACK
    outcome: str = "served"


@dataclass(frozen=True)
class Rules:
    """The parts of content the machine needs: the keys at each step and where "back" goes."""

    menu_keys: Mapping[str, Mapping[str, Choice]]  # menu name -> key -> choice
    after_keys: Mapping[str, Choice]  # the keys after a piece
    parents: Mapping[str, str]  # menu name -> the menu above it
    no_input_lines: int  # how many "I didn't hear anything" lines there are before the goodbye
    texts: frozenset[str]  # the topics that can be texted


def next_move(step: Step, caller: Input, rules: Rules, can_text: bool) -> Move:
    """What the line does next at `step`, given what the caller did there."""
    if step.kind is Kind.CALL:
        return Move(Do.PROMPT, Step(Kind.MENU, locale=step.locale), Lead.WELCOME)
    if step.kind is Kind.LOST:
        return Move(Do.PROMPT, Step(Kind.MENU, locale=step.locale))
    if step.kind is Kind.END:
        return Move(Do.END, Step(Kind.AFTER, step.name, locale=step.locale))
    if caller.heard is Heard.NOTHING:
        return silence(step, rules)
    choice = keys_at(step, rules, can_text).get(caller.key) if caller.heard is Heard.KEY else caller.choice
    if caller.heard is Heard.SAID and step.kind is Kind.MENU and choice == Choice(Action.MENU, step.name):
        choice = Choice(Action.AGAIN)  # "hello?" or "menu" at the menu one is at: a repeat, counted as one
    if choice is None:
        return wrong(step, said=caller.heard is not Heard.KEY)
    return act(step, choice, rules, can_text)


def keys_at(step: Step, rules: Rules, can_text: bool) -> Mapping[str, Choice]:
    """The keys that mean something at a step."""
    if step.kind is Kind.MENU:
        return rules.menu_keys[step.name]
    if offers_text(step, rules, can_text):
        return rules.after_keys
    return {key: choice for key, choice in rules.after_keys.items() if choice.action is not Action.TEXT}


def offers_text(step: Step, rules: Rules, can_text: bool) -> bool:
    """Whether "press 2 to get it by text" is offered at this step."""
    return can_text and step.kind is Kind.AFTER and not step.sent and step.name in rules.texts


def act(step: Step, choice: Choice, rules: Rules, can_text: bool) -> Move:
    """Do what the caller chose."""
    fresh = replace(step, silence=0, wrong=0)
    here = Step(Kind.MENU, locale=step.locale)
    match choice.action:
        case Action.AGAIN if step.kind is Kind.MENU:
            # Only speech asks a menu to repeat ("pardon?"): it counts towards the goodbye, so a
            # television in the room cannot hold the line open for ever.
            if step.wrong + 1 > MAX_WRONG:
                return Move(Do.GOODBYE, step, outcome="goodbye")
            return Move(Do.PROMPT, replace(step, wrong=step.wrong + 1))
        case Action.AGAIN:
            return Move(Do.PIECE, Step(Kind.END, step.name, locale=step.locale))
        case Action.BACK:
            parent = rules.parents.get(step.name, MAIN) if step.kind is Kind.MENU else MAIN
            return Move(Do.PROMPT, replace(here, name=parent))
        case Action.MENU:
            return Move(Do.PROMPT, replace(here, name=choice.target))
        case Action.PIECE:
            where = step.locale if choice.locale is None else choice.locale
            return Move(Do.PIECE, Step(Kind.END, choice.target, locale=where))
        case Action.LANGUAGE:
            return Move(Do.PROMPT, Step(Kind.MENU, locale=choice.target), Lead.WELCOME)
        case Action.ACK:
            return Move(Do.PROMPT, fresh, Lead.ACK, topic=choice.target)
        case Action.GOODBYE:
            return Move(Do.GOODBYE, step, outcome="goodbye")
        case Action.TEXT if offers_text(step, rules, can_text):
            return Move(Do.TEXT, Step(Kind.AFTER, step.name, locale=step.locale, sent=True))
        case Action.TEXT:  # asked for a text where none can be sent: say so, not "I didn't catch that"
            return Move(Do.PROMPT, fresh, Lead.CANNOT_TEXT)
    return wrong(step, said=True)


def silence(step: Step, rules: Rules) -> Move:
    """Nothing heard: the choices again with a little more help, then a polite goodbye."""
    count = step.silence + 1
    if count > rules.no_input_lines:
        return Move(Do.GOODBYE, step, outcome="silence")
    return Move(Do.PROMPT, replace(step, silence=count), Lead.NO_INPUT, outcome="silence")


def wrong(step: Step, said: bool) -> Move:
    """A key that is not an option, or speech not understood: say so and offer the choices again."""
    count = step.wrong + 1
    if count > MAX_WRONG:
        return Move(Do.GOODBYE, step, outcome="not_understood" if said else "wrong_key")
    if said:
        lead = Lead.NOT_HEARD if count == 1 else Lead.NOT_HEARD_AGAIN
    else:
        lead = Lead.WRONG_KEY if count == 1 else Lead.WRONG_AGAIN
    return Move(Do.PROMPT, replace(step, wrong=count), lead, outcome="not_understood" if said else "wrong_key")
