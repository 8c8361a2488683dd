"""Tests that kill the mutants `mutmut` found surviving (bench/mutation.md): each pins what a caller or patient gets."""

import pytest
from support import Served, Twilio

from app.voice.machine import Action, Choice, Do, Heard, Input, Lead, Move, Rules, next_move
from app.voice.steps import MAIN, MAX_WRONG, Kind, Step

# A small phone line: a main menu with a sub-menu, one piece that can be texted and one that cannot.
RULES = Rules(
    menu_keys={
        MAIN: {
            "1": Choice(Action.MENU, "rights"),
            "2": Choice(Action.PIECE, "bring"),
            "3": Choice(Action.MENU, MAIN),
            "9": Choice(Action.LANGUAGE, "cy-GB"),
        },
        "rights": {"1": Choice(Action.PIECE, "ask"), "0": Choice(Action.BACK)},
    },
    after_keys={"1": Choice(Action.AGAIN), "2": Choice(Action.TEXT), "0": Choice(Action.BACK)},
    parents={"rights": MAIN, "ask": "rights"},
    no_input_lines=2,
    texts=frozenset({"ask"}),
)
CY = "cy-GB"
NOTHING = Input(Heard.NOTHING)
UNHEARD = Input(Heard.UNHEARD)


def key(pressed: str) -> Input:
    return Input(Heard.KEY, key=pressed)


def said(action: Action, target: str = "") -> Input:
    return Input(Heard.SAID, choice=Choice(action, target))


def move(step: Step, caller: Input, can_text: bool = True) -> Move:
    return next_move(step, caller, RULES, can_text)


# -- where a call starts, gets lost, or ends a piece


def test_a_new_call_is_welcomed_to_the_main_menu_in_its_locale():
    assert move(Step(Kind.CALL, locale=CY), NOTHING) == Move(Do.PROMPT, Step(Kind.MENU, MAIN, CY), Lead.WELCOME)


def test_a_lost_step_goes_to_the_main_menu_without_a_welcome():
    assert move(Step(Kind.LOST, "x", locale=CY, wrong=2), key("1")) == Move(Do.PROMPT, Step(Kind.MENU, MAIN, CY))


def test_the_end_of_a_piece_is_the_disclaimer_then_the_choices_after_it():
    assert move(Step(Kind.END, "ask", locale=CY), key("7")) == Move(Do.END, Step(Kind.AFTER, "ask", CY))


# -- silence


def test_silence_asks_again_with_more_help_until_the_lines_run_out():
    first = move(Step(Kind.MENU, "rights", CY), NOTHING)
    assert first == Move(Do.PROMPT, Step(Kind.MENU, "rights", CY, silence=1), Lead.NO_INPUT, outcome="silence")
    last = move(Step(Kind.MENU, "rights", CY, silence=RULES.no_input_lines - 1), NOTHING)
    assert last.do is Do.PROMPT and last.step.silence == RULES.no_input_lines
    over = Step(Kind.MENU, "rights", CY, silence=RULES.no_input_lines)
    assert move(over, NOTHING) == Move(Do.GOODBYE, over, outcome="silence")


# -- wrong keys and unheard speech


@pytest.mark.parametrize(
    ("caller", "first", "again", "outcome"),
    [
        (key("8"), Lead.WRONG_KEY, Lead.WRONG_AGAIN, "wrong_key"),
        (UNHEARD, Lead.NOT_HEARD, Lead.NOT_HEARD_AGAIN, "not_understood"),
    ],
)
def test_a_wrong_answer_is_named_then_named_again_then_goodbye(caller, first, again, outcome):
    step = Step(Kind.MENU, MAIN, CY, silence=1)
    assert move(step, caller) == Move(Do.PROMPT, Step(Kind.MENU, MAIN, CY, silence=1, wrong=1), first, outcome=outcome)
    for wrong in range(1, MAX_WRONG):
        at = Step(Kind.MENU, MAIN, CY, wrong=wrong)
        assert move(at, caller) == Move(Do.PROMPT, Step(Kind.MENU, MAIN, CY, wrong=wrong + 1), again, outcome=outcome)
    last = Step(Kind.MENU, MAIN, CY, wrong=MAX_WRONG)
    assert move(last, caller) == Move(Do.GOODBYE, last, outcome=outcome)


# -- repeats


def test_saying_the_menu_one_is_at_repeats_it_and_counts_towards_the_goodbye():
    step = Step(Kind.MENU, "rights", CY, silence=1, wrong=1)
    assert move(step, said(Action.MENU, "rights")) == Move(Do.PROMPT, Step(Kind.MENU, "rights", CY, 1, wrong=2))
    assert move(step, said(Action.AGAIN)) == Move(Do.PROMPT, Step(Kind.MENU, "rights", CY, 1, wrong=2))
    last = Step(Kind.MENU, "rights", CY, wrong=MAX_WRONG)
    assert move(last, said(Action.MENU, "rights")) == Move(Do.GOODBYE, last, outcome="goodbye")
    almost = Step(Kind.MENU, "rights", CY, wrong=MAX_WRONG - 1)
    assert move(almost, said(Action.AGAIN)).do is Do.PROMPT


def test_a_key_for_the_menu_one_is_at_hears_it_afresh_without_counting():
    step = Step(Kind.MENU, MAIN, CY, silence=1, wrong=2)
    assert move(step, key("3")) == Move(Do.PROMPT, Step(Kind.MENU, MAIN, CY))


def test_saying_a_menu_after_a_piece_goes_to_that_menu():
    step = Step(Kind.AFTER, "rights", CY, wrong=1)  # a topic that shares its name with a menu
    assert move(step, said(Action.MENU, "rights")) == Move(Do.PROMPT, Step(Kind.MENU, "rights", CY))


def test_again_after_a_piece_plays_the_piece_again():
    assert move(Step(Kind.AFTER, "ask", CY, wrong=1), key("1")) == Move(Do.PIECE, Step(Kind.END, "ask", CY))


# -- going somewhere


def test_a_menu_key_goes_to_that_menu_afresh():
    assert move(Step(Kind.MENU, MAIN, CY, silence=1, wrong=1), key("1")) == Move(
        Do.PROMPT, Step(Kind.MENU, "rights", CY)
    )


def test_a_piece_key_plays_that_piece():
    assert move(Step(Kind.MENU, MAIN, CY), key("2")) == Move(Do.PIECE, Step(Kind.END, "bring", CY))


def test_a_piece_chosen_in_another_language_plays_in_it_and_the_call_goes_on_in_it():
    # A crisis said in Welsh on the English menu: the Welsh emergency piece, then the Welsh choices.
    welsh_crisis = Input(Heard.SAID, choice=Choice(Action.PIECE, "emergency", locale=CY))
    assert move(Step(Kind.MENU, MAIN), welsh_crisis) == Move(Do.PIECE, Step(Kind.END, "emergency", CY))
    english = Input(Heard.SAID, choice=Choice(Action.PIECE, "emergency", locale=""))  # "": the line's first
    assert move(Step(Kind.AFTER, "ask", CY), english) == Move(Do.PIECE, Step(Kind.END, "emergency", ""))


def test_back_goes_to_the_menu_above_or_after_a_piece_to_the_main_menu():
    assert move(Step(Kind.MENU, "rights", CY, wrong=1), key("0")) == Move(Do.PROMPT, Step(Kind.MENU, MAIN, CY))
    unknown = Step(Kind.MENU, "nowhere", CY)
    assert move(unknown, said(Action.BACK)) == Move(Do.PROMPT, Step(Kind.MENU, MAIN, CY))
    # "ask" has a parent menu in the rules, but after a piece "back" is always the main menu.
    assert move(Step(Kind.AFTER, "ask", CY), key("0")) == Move(Do.PROMPT, Step(Kind.MENU, MAIN, CY))
    parented = Rules(RULES.menu_keys, RULES.after_keys, {"rights": "other"}, 2, RULES.texts)
    assert next_move(Step(Kind.MENU, "rights"), key("0"), parented, True) == Move(Do.PROMPT, Step(Kind.MENU, "other"))


def test_another_language_is_welcomed_at_its_main_menu():
    step = Step(Kind.MENU, "rights", "", silence=1)
    assert move(step, key("1")).step.locale == ""
    assert move(Step(Kind.MENU, MAIN), key("9")) == Move(Do.PROMPT, Step(Kind.MENU, MAIN, CY), Lead.WELCOME)
    assert move(step, said(Action.LANGUAGE, CY)) == Move(Do.PROMPT, Step(Kind.MENU, MAIN, CY), Lead.WELCOME)


def test_thanks_are_answered_then_the_same_choices_afresh():
    step = Step(Kind.AFTER, "ask", CY, silence=1, wrong=2, sent=True)
    fresh = Step(Kind.AFTER, "ask", CY, sent=True)
    assert move(step, said(Action.ACK, "thanks")) == Move(Do.PROMPT, fresh, Lead.ACK, topic="thanks")


def test_goodbye_hangs_up_where_the_caller_is():
    step = Step(Kind.MENU, "rights", CY, wrong=1)
    assert move(step, said(Action.GOODBYE)) == Move(Do.GOODBYE, step, outcome="goodbye")


# -- texting a piece


def test_a_piece_that_can_be_texted_is_texted_once():
    step = Step(Kind.AFTER, "ask", CY, silence=1, wrong=1)
    assert move(step, key("2")) == Move(Do.TEXT, Step(Kind.AFTER, "ask", CY, sent=True))
    assert move(step, said(Action.TEXT)) == Move(Do.TEXT, Step(Kind.AFTER, "ask", CY, sent=True))


@pytest.mark.parametrize(
    ("step", "can_text"),
    [
        (Step(Kind.AFTER, "ask", CY, wrong=1, sent=True), True),  # already sent
        (Step(Kind.AFTER, "bring", CY, wrong=1), True),  # not a piece that can be texted
        (Step(Kind.AFTER, "ask", CY, wrong=1), False),  # this call cannot get a text
    ],
)
def test_a_text_that_cannot_be_sent_is_explained_by_speech_and_a_wrong_key_by_key(step, can_text):
    assert move(step, said(Action.TEXT), can_text) == Move(
        Do.PROMPT, Step(Kind.AFTER, step.name, CY, sent=step.sent), Lead.CANNOT_TEXT
    )
    pressed = move(step, key("2"), can_text)
    assert (pressed.do, pressed.lead, pressed.outcome, pressed.step.wrong) == (
        Do.PROMPT,
        Lead.WRONG_AGAIN,
        "wrong_key",
        2,
    )
    assert move(step, key("1"), can_text).do is Do.PIECE  # the other keys still work


def test_a_text_is_never_offered_at_a_menu():
    # A menu's keys are its own: "text" there is explained, not sent, even for a topic that can be texted.
    rules = Rules({"ask": {"2": Choice(Action.TEXT)}}, RULES.after_keys, {}, 2, frozenset({"ask"}))
    got = next_move(Step(Kind.MENU, "ask", CY), key("2"), rules, True)
    assert (got.do, got.lead) == (Do.PROMPT, Lead.CANNOT_TEXT)


def test_a_choice_the_machine_does_not_know_is_not_understood():
    # Every Action has its case today; one added later without a case must still get "not heard", not a crash.
    step = Step(Kind.MENU, MAIN, CY)
    unknown = Input(Heard.SAID, choice=Choice("an action added later"))  # type: ignore[arg-type]
    assert move(step, unknown) == Move(
        Do.PROMPT, Step(Kind.MENU, MAIN, CY, wrong=1), Lead.NOT_HEARD, outcome="not_understood"
    )


# -- SMS: what is counted when the line stays silent


def test_an_opt_out_in_a_welsh_conversation_is_counted_as_a_welsh_opt_out(make_app):
    """Silence is still an answer: it is counted under the conversation's locale, as an opt-out."""
    app = make_app(LINE_LOCALES="en-GB,cy-GB")
    seen = []
    app.extensions["event_sinks"].append(seen.append)
    twilio = Twilio(app.test_client())
    assert twilio.message("CYMRAEG") is not None
    assert twilio.message("STOP") is None
    assert [(event.channel, event.locale, event.served, event.segments) for event in seen[1:]] == [
        ("sms", "cy-GB", "opt_out", 0)
    ]


def test_a_remembered_list_that_content_no_longer_numbers_is_not_followed(app, content):
    """A cookie from before a content change may name a list that is no longer one: "2" is then not guessed."""
    client = app.test_client()
    with client.session_transaction() as state:
        state["list"] = "bring"  # a real reply, but not a numbered list
    assert Twilio(client).message("2") == content.replies["not_understood"][0]


def test_a_bare_1_during_a_long_piece_goes_back_to_its_first_part(twilio, content):
    parts = content.replies["bring"]
    assert twilio.message("BRING") == parts[0]
    assert twilio.message("MORE") == parts[1]
    assert twilio.message("1") == parts[0]


# -- SMS: the crisis check (app/understanding/crisis.py) where the learned model is no second net

# A crisis word of content's emergency list (a whole word, not a "word*" prefix) with one typo, beside a guide
# question: the model reads the question ("bring"), so only the crisis check's one-typo reading sends the numbers.
CRISIS_TYPOS = [
    "naloxne what should i bring",  # naloxone: a letter missing
    "naloxxone what should i bring",  # a letter added
    "naloxome what should i bring",  # a letter wrong
    "naloxnoe what should i bring",  # two letters swapped
    "my dad is unresponsve, what should i bring",
    "my dad is unrresponsive, what should i bring",
    "is he unconcious what do i bring",
    "he is chokking what do i bring",
    "fentanil what should i bring",
    # a "word*" prefix of content read past one typo inside it, the word going on after it
    "he is having sezures what should i bring",  # seizure*: a letter missing
    "anaphlaxis what do i bring",  # anaphyla*
    "i ovrdosed, what should i bring",  # overdos*
    "posoned what should i bring",  # poison*
    "i overrdosed, what should i bring",  # a letter added
    "i ovardosed, what should i bring",  # a letter wrong
    "i cut my erists what do i bring",  # "cut my wrist*": the shortest prefix read past a typo, its first letter wrong
]


@pytest.mark.parametrize("text", CRISIS_TYPOS)
def test_a_crisis_word_with_one_typo_beside_a_question_gets_the_emergency_numbers(twilio, content, text):
    assert twilio.message(text) == content.replies["emergency"][0]


def test_the_question_beside_those_crisis_words_alone_gets_its_piece(twilio, content):
    assert twilio.message("what do i bring") == content.replies["bring"][0]


# Welsh mutates a word's first letter: an "h" before a vowel ("ei hanadl", her breath), a letter lost ("orddos" for
# "gorddos") or changed ("barafeddyg" for "parafeddyg"). Each still meets content's "anadl*", "anaffyla*", "gorddos*",
# "parafeddyg*", where the learned model alone would not send the numbers for all of them.
WELSH_CRISES = [
    "ei hanadl",  # a letter added before the prefix
    "hanaffylacsis beth ddylwn i ddod",  # ... beside "what should I bring"
    "mae o wedi cymryd orddos, beth ddylwn i ddod",  # a letter lost
    "ffoniwch barafeddyg",  # a letter changed: "call a paramedic" ("parafeddyg*"), which the model reads as HELP
]


@pytest.fixture
def welsh(make_app):
    return make_app(LINE_LOCALES="cy-GB")


@pytest.mark.parametrize("text", WELSH_CRISES)
def test_a_welsh_crisis_word_with_its_first_letter_mutated_gets_the_emergency_numbers(welsh, text):
    served = Served.of(welsh, "cy-GB")
    assert Twilio(welsh.test_client()).message(text) == served.replies["emergency"][0]


def test_an_emergency_phrase_that_reads_as_no_words_is_skipped_not_the_end_of_the_list(make_app, tmp_path):
    """A phrase of punctuation alone in content (a slip of the editor) must not switch off the phrases after it."""
    from content_copy import content_copy, replace_once

    root = content_copy(tmp_path)
    replace_once(root / "en" / "matching.yaml", "  - chest pain*\n", '  - "..."\n  - chest pain*\n')
    app = make_app(CONTENT_DIR=str(root))
    twilio = Twilio(app.test_client())
    for text in ("chest pains what should i bring", "naloxne what should i bring"):
        assert twilio.message(text) == Served.of(app).replies["emergency"][0], text


def test_a_word_two_typos_from_a_crisis_word_is_not_read_as_one(twilio, content):
    """ "faith" is "faint" (fainting) with a letter moved: two typos, so no false alarm; the question is answered."""
    assert twilio.message("i have no faith in my consultant, can i see someone else") == content.replies["ask"][0]


# -- SMS: what the cookie remembers after a reply (app/sms/conversation.py, reply())


def test_a_number_after_another_piece_follows_that_piece_not_the_list_before_it(twilio, content):
    """FAQ, then BRING: the FAQ list is forgotten, so "2" is BRING's part 2, not question 2."""
    assert twilio.message("FAQ") == content.replies["faq"][0]
    parts = content.replies["bring"]
    assert twilio.message("BRING") == parts[0]
    assert twilio.message("2") == parts[1]


@pytest.mark.parametrize(("text", "reply", "other"), [
    ("will my doctor be upset, and what should i bring?", "faq1", "bring"),
    ("what should i bring, and will my gp be annoyed", "bring", "faq1"),  # a piece in parts: its first part points
    # No punctuation: the second question starts at a word that opens questions ("how", "what")
    ("what should i bring and how long is the wait", "bring", "faq3"),
    ("will my doctor be upset and what do i need to take with me", "faq1", "bring"),
    # Words that open questions are learned from every topic's examples, those listed after the courtesies
    # too ("which"), and from a word that starts exactly three of them ("why")
    ("is a second opinion worth it which papers do i need to bring", "when", "bring"),
    ("what should i take with me why would i need a second opinion", "when", "bring"),
])
def test_two_questions_get_the_first_answer_pointing_to_the_second(app, twilio, text, reply, other):
    pointed = app.extensions["replies"]["sms"]["en-GB"].also[(reply, other)].text
    assert twilio.message(text) == pointed
    assert "Also, text" in pointed and pointed != Served.of(app).replies[reply][0]


def test_a_reply_is_counted_under_the_conversations_locale_and_the_reply_sent(make_app):
    app = make_app(LINE_LOCALES="en-GB,cy-GB")
    seen = []
    app.extensions["event_sinks"].append(seen.append)
    twilio = Twilio(app.test_client())
    assert twilio.message("CYMRAEG") is not None
    assert twilio.message("DOD") == Served.of(app, "cy-GB").replies["bring"][0]
    assert [(event.channel, event.locale, event.served) for event in seen] == [
        ("sms", "cy-GB", "menu"), ("sms", "cy-GB", "bring")
    ]


@pytest.mark.parametrize(("text", "reply"), [
    ("The surgeon says I need a big operation on my back\nHow do I ask for someone else to look at it?\nThanks", "ask"),
])
def test_a_question_on_a_line_of_its_own_is_answered_before_the_news_around_it(app, twilio, text, reply):
    # A question mark then a line break still ends a question: its clause is read first.
    answer = twilio.message(text)
    assert answer.splitlines()[0] == Served.of(app).replies[reply][0].splitlines()[0], answer


@pytest.mark.parametrize(("text", "reply", "other"), [
    ("hi, chemo, scared, what do i ask", "ask", None),  # "chemo", "scared": one word between commas decides nothing
    ("my knee, surgery, is a second opinion worth it", "when", None),
    ("is it free, do i need a referral", "faq3", "faq2"),  # three words are a question of their own
    ("what to bring, when to go", "bring", "when"),
])
def test_a_clause_of_three_words_asks_a_question_and_one_of_one_or_two_decides_nothing(app, twilio, text, reply, other):
    replies = app.extensions["replies"]["sms"]["en-GB"]
    expected = replies.also[(reply, other)].text if other else Served.of(app).replies[reply][0]
    assert twilio.message(text) == expected


def test_a_long_text_is_read_in_at_most_eight_clauses_from_its_first_eighty_words(app):
    # The bounds that keep a 1,600-character text as cheap as a short one (app/understanding/reader.py).
    reader = app.extensions["matchers"]["en-GB"].reader
    many = ", ".join(f"what should i bring number {n}" for n in range(20))
    assert [clause.split()[-1] for clause in reader.clauses(many, at_openers=False)] == [str(n) for n in range(8)]
    def last_words(*sizes: int) -> list[str]:
        text = ". ".join(" ".join(["word"] * (size - 1) + [f"end{n}"]) for n, size in enumerate(sizes))
        return [clause.split()[-1].rstrip(".") for clause in reader.clauses(text, at_openers=False)]

    assert last_words(40, 40, 40, 40) == ["end0", "end1"]  # a clause starting at word 80 is not read
    assert last_words(39, 40, 40, 40) == ["end0", "end1", "end2"]  # one starting at word 79 is
