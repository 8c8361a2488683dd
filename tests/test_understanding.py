"""The understanding of free text, measured on the held-out evaluation set and shown through signed /sms requests.

Floors are set from the measurements of bench/understanding.py (English, at the commit that set them:
overall 84.1%, per label below), a few points under each so that noise does not fail the suite but
a real loss does. Crisis recall must be 100%.
"""

import re
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from content_copy import content_copy, replace_once
from hypothesis import given, settings
from hypothesis import strategies as st
from support import LINE_NUMBER, SECRET, TOKEN, Served, Twilio, deployment

from app import create_app
from app.text import tokens

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "eval"
LOCALES = {"en": "en-GB", "es": "es-US", "cy": "cy-GB"}
# Measured (right/total) on tests/eval/en.yaml: facts 29/36, when 38/50, ask 37/46, bring 37/47, faq 25/27,
# faq1 32/38, faq2 27/37, faq3 32/38, menu 24/28, help 26/28, thanks 25/27, cant_advise 29/43, emergency 82/82.
# The model is learned afresh from the same content the same way every time: a score moves only when content
# (or the code) does. The overall floors sit two or three texts under the scores measured on 2026-12-02
# (English 449/527, Spanish 118/139, Welsh 112/128), so that a loss of a few texts fails, as the model learned
# without stems did (English 446, Spanish 116), and the per-label floors a few points under.
FLOORS = {
    "en": {
        "overall": 0.847,
        "facts": 0.72, "when": 0.68, "ask": 0.72, "bring": 0.70, "faq": 0.85, "faq1": 0.76, "faq2": 0.65,
        "faq3": 0.76, "menu": 0.78, "help": 0.85, "thanks": 0.85, "cant_advise": 0.58, "emergency": 1.0,
    },
    # About ten texts a label: only the whole and the crises have floors.
    "es": {"overall": 0.84, "emergency": 1.0},
    "cy": {"overall": 0.85, "emergency": 1.0},
}
MAX_FALSE_ALARMS = {"en": 0.08}  # measured 28 of 445 non-crisis texts (6.3%), 24 of them the 39 probes


@pytest.fixture(scope="module")
def app():
    """The line as production builds it, once for this module (the model is learned at start-up)."""
    return create_app({"TESTING": True, "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET,
                       "LINE_PHONE_NUMBER": LINE_NUMBER})


@pytest.fixture
def twilio(app):
    """Signed requests, each from a fresh sender (no state cookie)."""
    return Twilio(app.test_client())


def matcher_for(language: str):
    """The matcher of a line serving `language`, or a skip where that language has no examples yet."""
    tag = LOCALES[language]
    line = create_app({"TESTING": True, "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET, "LINE_LOCALES": tag})
    return line.extensions["matchers"][tag]


def evaluation(language: str) -> list[dict]:
    """The held-out texts of one language."""
    return yaml.safe_load((EVAL / f"{language}.yaml").read_text(encoding="utf-8"))


def wanted(matcher, label: str) -> str:
    """The reply a label stands for (personal medical questions get HELP until content has cant_advise)."""
    return matcher.cant_advise if label == "cant_advise" else label


@pytest.mark.parametrize("language", sorted(FLOORS))
def test_accuracy_per_label_stays_above_its_floor(language):
    matcher = matcher_for(language)
    rows = evaluation(language)
    right, total = Counter(), Counter()
    for row in rows:
        total[row["label"]] += 1
        right[row["label"]] += matcher.match(row["text"]).reply == wanted(matcher, row["label"])
    scores = {label: right[label] / total[label] for label in total}
    scores["overall"] = sum(right.values()) / len(rows)
    report = ", ".join(f"{label} {score:.0%}" for label, score in scores.items())
    print(f"\n{language}: {report}")  # shown with -s: the accuracy per label
    below = {label: score for label, score in scores.items() if score < FLOORS[language].get(label, 0.0)}
    assert not below, f"below the floor: {below} (all: {report})"


@pytest.mark.parametrize("language", ["en", "es", "cy"])
def test_every_crisis_in_the_evaluation_set_gets_the_emergency_reply(language):
    matcher = matcher_for(language)
    missed = [row["text"] for row in evaluation(language)
              if row["label"] == "emergency" and matcher.match(row["text"]).reply != "emergency"]
    assert not missed, f"crises not redirected: {missed}"


@pytest.mark.parametrize("language", sorted(MAX_FALSE_ALARMS))
def test_false_alarms_stay_low(language):
    matcher = matcher_for(language)
    others = [row for row in evaluation(language) if row["label"] != "emergency"]
    alarms = [row["text"] for row in others if matcher.match(row["text"]).reply == "emergency"]
    assert len(alarms) / len(others) <= MAX_FALSE_ALARMS[language], alarms



PROBE = yaml.safe_load((EVAL / "crisis-probe.yaml").read_text(encoding="utf-8"))
SERVED_WITH = {"en": ("en-GB,cy-GB", "en-US,es-US"), "es": ("en-US,es-US",), "cy": ("en-GB,cy-GB",)}


@pytest.mark.parametrize("language", ["en", "es", "cy"])
def test_every_crisis_an_outside_tester_wrote_meets_a_crisis_phrase_and_gets_the_emergency_reply(language):
    for locales in SERVED_WITH[language]:
        line = deployment(locales)
        matchers = line.extensions["matchers"].values()
        # The phrases, not only the learned model: a retrained model must not be the one net that holds.
        assert [text for text in PROBE[language] if all(m.decide(text).rule != "crisis phrase" for m in matchers)] == []
        emergency = {Served.of(line, tag).replies["emergency"][0] for tag in line.extensions["matchers"]}
        replies = {text: Twilio(line.test_client()).message(text) for text in PROBE[language]}
        assert [text for text, reply in replies.items() if reply not in emergency] == [], locales


def test_a_welsh_question_about_cost_is_not_read_as_english_fainting():
    # "faint" is Welsh for "how much": the English phrases are "fainted*", "fainting*", "feel* faint".
    line = deployment("en-GB,cy-GB")
    welsh, english = Served.of(line, "cy-GB"), Served.of(line, "en-GB")
    assert Twilio(line.test_client()).message("faint mae'n gostio") == welsh.replies["faq3"][0]
    for text in ("she fainted", "he keeps fainting", "i feel faint", "my mum faintd"):
        assert Twilio(line.test_client()).message(text) == english.replies["emergency"][0], text


@pytest.mark.parametrize(("locales", "tag", "blood", "bleeding"), [
    ("en-US,es-US", "es-US", "puede ver mis resultados de sangre",
     ("esta sangrando mucho", "la herida sangra y no para", "no para de sangrar", "se esta desangrando")),
    ("en-GB,cy-GB", "cy-GB", "allwch chi edrych ar ganlyniadau fy mhrawf gwaed",
     ("mae o'n gwaedu'n drwm", "dw i'n gwaedu", "mae'n dal i waedu", "gwaedodd e lot", "mae'r gwaed yn llifo")),
])
def test_a_question_about_a_blood_test_is_not_read_as_bleeding(locales, tag, blood, bleeding):
    # "sangre" and "gwaed" (blood) are one letter from "sangra" and "gwaedu" (bleeds): the phrases name
    # bleeding, never blood alone.
    line = deployment(locales)
    emergency = Served.of(line, tag).replies["emergency"][0]
    assert Twilio(line.test_client()).message(blood) != emergency
    for text in bleeding:
        assert Twilio(line.test_client()).message(text) == emergency, text



SWITCH_TO = {"en": "ENGLISH", "es": "ESPAÑOL", "cy": "CYMRAEG"}  # a language's name switches the conversation


@pytest.mark.parametrize(("locales", "language"), [
    ("en-GB,cy-GB", "en"), ("en-GB,cy-GB", "cy"), ("en-US,es-US", "en"), ("en-US,es-US", "es"),
])
def test_every_crisis_gets_the_emergency_reply_on_a_two_language_line_first_and_after_a_switch(locales, language):
    # Here the other language's model reads every text too, and where no phrase reads it, the models are
    # weighed against each other: a crisis only one model senses must still win.
    line = deployment(locales)
    other = next(tag.split("-")[0] for tag in locales.split(",") if not tag.startswith(language))
    emergency = {Served.of(line, tag).replies["emergency"][0] for tag in line.extensions["matchers"]}
    texts = [row["text"] for row in evaluation(language) if row["label"] == "emergency"] + PROBE[language]
    missed = []
    for before in ((), (SWITCH_TO[other],)):
        for text in texts:
            twilio = Twilio(line.test_client())
            for body in before:
                twilio.message(body)
            if twilio.message(text) not in emergency:
                missed.append((before, text))
    assert missed == []


@pytest.mark.parametrize(("locales", "tag", "crisis"), [
    ("en-US,es-US", "es-US", "me duele mucho el pecho"),
    ("en-US,es-US", "es-US", "se me esta cerrando la garganta"),
    ("en-US,es-US", "es-US", "me siento tan mal que quisiera desaparecer"),  # once can't-advise
    ("en-US,es-US", "es-US", "no le encuentro sentido a nada"),  # once not understood
    ("en-GB,cy-GB", "cy-GB", "mae gen i boen yn fy mrest"),
    # The English model senses danger here too (0.4), but only the Welsh phrases read it: they say which language.
    ("en-GB,cy-GB", "cy-GB", "dw i ddim yn gallu anadlu o gwbl"),
])
def test_a_crisis_in_another_served_language_is_answered_in_that_language(locales, tag, crisis):
    line = deployment(locales)
    default = Served.of(line).replies["emergency"][0]
    theirs = Served.of(line, tag).replies["emergency"][0]
    assert theirs != default
    assert Twilio(line.test_client()).message(crisis) == theirs  # a first text: no conversation yet
    english = Twilio(line.test_client())
    english.message("FAQ")
    assert english.message(crisis) == theirs  # in an English conversation too: English did not read it


@pytest.mark.parametrize(("locales", "tag", "text"), [
    ("en-US,es-US", "es-US", "pienso mucho en suicidarme"),  # the English "suicid*" reads it too
    ("en-GB,cy-GB", "cy-GB", "mae fy mam wedi cymryd overdose"),  # only the English "overdose" reads it
    ("en-GB,cy-GB", "cy-GB", "mae gen i chest pain drwg iawn"),
])
def test_a_first_text_in_crisis_is_answered_in_its_own_language_whichever_phrases_read_it(locales, tag, text):
    # Once a bug: the English reply, without the Spanish 988 line ("oprima 2") or the Welsh Samaritans line.
    line = deployment(locales)
    assert Twilio(line.test_client()).message(text) == Served.of(line, tag).replies["emergency"][0]


@pytest.mark.parametrize(("locales", "name", "tag", "text"), [
    # "heart attack" is in both lists (Welsh speakers text it in English): the Welsh conversation stays Welsh.
    ("en-GB,cy-GB", "Cymraeg", "cy-GB", "heart attack"),
    ("en-GB,cy-GB", "Cymraeg", "cy-GB", "SOS"),  # once only English: a Welsh conversation got the English reply
])
def test_a_crisis_both_languages_read_is_answered_in_the_conversations_language(locales, name, tag, text):
    line = deployment(locales)
    theirs = Twilio(line.test_client())
    theirs.message(name)
    assert theirs.message(text) == Served.of(line, tag).replies["emergency"][0]
    assert Twilio(line.test_client()).message(text) == Served.of(line).replies["emergency"][0]


@pytest.mark.parametrize(("locales", "tag", "alone", "inside"), [
    ("en-GB,cy-GB", "cy-GB", "stopio", "ddylwn i stopio cymryd fy statinau"),
    ("en-US,es-US", "es-US", "parar", "debo parar el tratamiento que me dieron"),
    ("en-US,es-US", "es-US", "Cancelar", "quiero cancelar la cita del martes"),  # "Cancelar" was not understood
    ("en-US,es-US", "es-US", "paren", "si paren el tratamiento que pasa"),  # a hint that begins no longer one
])
def test_a_one_word_stop_hint_means_stop_only_as_the_whole_text(locales, tag, alone, inside):
    line = deployment(locales)
    how_to_stop = Served.of(line, tag).replies["stop_hint"][0]
    assert Twilio(line.test_client()).message(alone) == how_to_stop
    assert Twilio(line.test_client()).message(inside) != how_to_stop  # a question about a treatment



def test_another_languages_model_sensing_danger_loses_only_to_a_sure_reading_that_sees_none():
    line = deployment("en-US,es-US")
    english, spanish = Served.of(line, "en-US"), Served.of(line, "es-US")
    # The Spanish model reads danger in "me" (as in "me tomé", "me quiero morir"): English is sure of these.
    assert Twilio(line.test_client()).message("can i bring someone with me") == english.replies["bring"][0]
    assert Twilio(line.test_client()).message("will they hold it against me") == english.replies["faq1"][0]
    # English cannot read this one at all; the Spanish model alone sees the overdose: it still wins.
    assert line.extensions["matchers"]["es-US"].decide("que tengo que llevar? ya me tome 25 pastillas").rule == "model"
    assert Twilio(line.test_client()).message("que tengo que llevar? ya me tome 25 pastillas") == (
        spanish.replies["emergency"][0]
    )


@pytest.mark.parametrize("text", [
    "one more question, what should i bring with me",  # English sure (0.95): the Spanish model's danger is not believed
    "sorry one more thing, can my son come with me",  # English not sure (0.65), but the text is English and sees none
])
def test_another_languages_model_sensing_danger_in_a_text_of_the_conversations_language_does_not_answer(text):
    # The Spanish model reads danger (0.43, 0.47) in "more" and "me"; the English model reads none.
    line = deployment("en-US,es-US")
    assert line.extensions["matchers"]["es-US"].decide(text).match.reply == "emergency"
    english = {part.splitlines()[0] for parts in Served.of(line, "en-US").replies.values() for part in parts}
    reply = Twilio(line.test_client()).message(text)  # a piece, maybe pointing to a second question
    assert reply.splitlines()[0] in english and reply != Served.of(line, "en-US").replies["emergency"][0], reply


@pytest.mark.parametrize("text", [
    "what should i bring, ya me tome 25 pastillas",  # "I already took 25 pills": only the Spanish model reads it
    "how do i ask, me tome 30 pastillas",
])
def test_a_crisis_in_another_language_after_a_question_in_the_conversations_language_gets_the_emergency_reply(text):
    # Once a bug: the English model was sure of BRING and saw no danger, so the Spanish model's was not believed.
    line = deployment("en-US,es-US")
    assert line.extensions["matchers"]["es-US"].decide(text).rule == "model"
    assert Twilio(line.test_client()).message(text) == Served.of(line, "es-US").replies["emergency"][0]


@pytest.mark.parametrize(("before", "text", "tag", "reply"), [
    ((), "tomo las pastillas del colesterol o no", "es-US", "cant_advise"),  # an outside tester's: English "no"
    (("ESPAÑOL",), "one more thing, can my wife come with me", "en-US", "bring"),  # Spanish "me", "come", "more"
])
def test_the_conversations_own_model_sensing_danger_in_another_languages_text_does_not_answer(before, text, tag, reply):
    # Once a bug: the conversation's model read danger (0.42, 0.44) in a text of the other language, whose model
    # saw none, and the emergency numbers went in the wrong language to a patient asking about pills or a visit.
    line = deployment("en-US,es-US")
    twilio = Twilio(line.test_client())
    for body in before:
        twilio.message(body)
    conversation = "es-US" if before else "en-US"
    assert line.extensions["matchers"][conversation].decide(text).match.reply == "emergency"
    answer, expected = twilio.message(text), Served.of(line, tag).replies[reply][0]
    assert answer.splitlines()[0] == expected.splitlines()[0], answer  # a reply may point to a second question


@pytest.mark.parametrize("before", [(), ("CYMRAEG",)])
@pytest.mark.parametrize(("text", "reply"), [
    ("dydw i ddim yn deall beth mae ail farn yn golygu", "when"),  # "I don't understand what a second opinion means"
    ("dw i ddim yn deall y llythyr, allwch chi helpu", "not_understood"),  # "... the letter, can you help"
])
def test_a_model_sensing_danger_in_words_none_of_which_are_its_languages_does_not_answer(before, text, reply):
    # Once a bug: the English model read danger in Welsh "dw i ddim" (0.41, 0.46), not one of them an English
    # word, and the English emergency numbers went to a Welsh speaker asking what a second opinion is.
    line = deployment("en-GB,cy-GB")
    assert line.extensions["matchers"]["en-GB"].decide(text).match.reply == "emergency"
    twilio = Twilio(line.test_client())
    for body in before:
        twilio.message(body)
    answer, expected = twilio.message(text), Served.of(line, "cy-GB").replies[reply][0]
    assert answer.splitlines()[0] == expected.splitlines()[0], answer  # a reply may point to a second question


@pytest.mark.parametrize(("locales", "tag", "text"), [
    ("en-GB,cy-GB", "en-GB", "my boy has a fever what should i give him"),  # was Welsh BRING
    ("en-GB,cy-GB", "en-GB", "is it rude to ask for a second opinion"),  # the outside tester's; was Welsh BRING
    ("en-US,es-US", "es-US", "komo pido otra opinion"),  # the outside tester's; was English FACTS
    ("en-US,es-US", "es-US", "komo le digo al doctor q kiero otra opinion"),
    # Spanglish whose Spanish is its short words ("mi", "el", "me"): they count as much as long ones.
    ("en-US,es-US", "es-US", "mi aseguranza cubre el second opinion"),
    ("en-US,es-US", "es-US", "la aseguranza me cubre el second opinion?"),
    ("en-GB,cy-GB", "en-GB", "cn i brng sum1"),  # texting shorthand is English: once the Welsh ASK
    ("en-GB,cy-GB", "en-GB", "is it ok if we do"),  # once the Welsh THANKS: two-letter English words count too
    # No language understood these: the text's own language says so (once the English "didn't understand").
    ("en-US,es-US", "es-US", "y si mi hija me acompaña tambien la atienden o nomas a mi"),
    ("en-GB,cy-GB", "cy-GB", "dw i'n byw yn y wlad ac mae'r bws yn brin"),
])
def test_a_text_is_answered_in_its_own_language_not_in_another_languages_guess(locales, tag, text):
    # Every language's model guesses at every text; the words' own language answers.
    line = deployment(locales)
    own = {part for parts in Served.of(line, tag).replies.values() for part in parts}
    others = {part for other in line.extensions["matchers"] if other != tag
              for parts in Served.of(line, other).replies.values() for part in parts}
    reply = Twilio(line.test_client()).message(text)
    assert reply not in others, reply
    assert reply in own or reply.endswith(Served.of(line, tag).replies["menu"][0][-40:]), reply


@pytest.mark.parametrize(("before", "text", "tag"), [
    ((), "no no no", "en-US"),  # once the Spanish WHEN: its model was surer (0.69 to 0.64) of these words
    (("Español",), "ok bye", "es-US"),  # once the English THANKS, in a Spanish conversation
])
def test_a_text_as_much_one_language_as_the_other_is_answered_in_the_conversations(before, text, tag):
    # Two models' confidences are not comparable: the conversation's language (the line's first, with none yet)
    # answers words both languages use.
    line = deployment("en-US,es-US")
    matchers = line.extensions["matchers"]
    assert matchers["en-US"].share(text) == matchers["es-US"].share(text) > 0
    twilio = Twilio(line.test_client())
    for body in before:
        twilio.message(body)
    own = {part for parts in Served.of(line, tag).replies.values() for part in parts}
    assert twilio.message(text) in own


SHARED_WORDS = 4  # "hi", "thanks", "faq", "i cant breathe": everyone writes these, and rules answer most of them


@pytest.mark.parametrize("language", ["en", "es", "cy"])
def test_no_evaluation_text_of_several_words_is_among_the_examples(language):
    path = ROOT / "content" / language / "examples.yaml"
    if not path.exists():
        pytest.skip(f"content/{language}/examples.yaml is not on this branch yet")
    learned = {" ".join(tokens(text)) for texts in yaml.safe_load(path.read_text(encoding="utf-8")).values()
               for text in texts}
    shared = [row["text"] for row in evaluation(language)
              if len(tokens(row["text"])) >= SHARED_WORDS and " ".join(tokens(row["text"])) in learned]
    assert not shared, f"evaluation texts learned from, so they measure nothing: {shared}"


# The failures the issue reported, by kind, through signed /sms requests.
ISSUE_TEXTS = [
    ("will my gp be annoyed if i ask to see someone else", "faq1"),
    ("i feel bad asking for a different doctor, will they be offended", "faq1"),
    ("should i take my list of medication with me", "bring"),
    ("wot shld i tell the dr when i ask", "ask"),
    ("Hello, I am 78 and my cardiologist says I need an operation on my heart valve. My son thinks I should get "
     "a second opinion first. How would I go about getting one? Thank you, Margaret", "ask"),
    ("is my lump cancer", "cant_advise"),
    ("what dose of ibuprofen can i take", "cant_advise"),
    ("what do my MRI results mean", "cant_advise"),
    ("can we see someone else, and what do we need to take with us?", "ask"),
    ("STOP please", "stop_hint"),
    ("i have cut my wrists", "emergency"),
    ("feeling sucidal", "emergency"),
    ("took all my pills", "emergency"),
    ("dont want to be here anymore", "emergency"),
    ("cant breathe", "emergency"),
]


# Kinds of failure an outside tester found (2026-12-02), each in new words (not the tester's, not in examples.yaml
# or tests/eval), sent as a first text to a two-language line: the reply must be that language's.
KIND_TEXTS = [
    # Spanish personal medical questions get "we can't advise", not a guess, English, or the emergency reply.
    ("en-US,es-US", "es-US", "me recomiendan quitarme la matriz, lo hago?", "cant_advise"),  # was not understood
    ("en-US,es-US", "es-US", "me salio una roncha rara en la pierna q sera", "cant_advise"),  # was not understood
    ("en-US,es-US", "es-US", "q significa q mi hemoglobina salio baja", "cant_advise"),  # was FACTS
    ("en-US,es-US", "es-US", "las pastillas me dan sueño es normal", "cant_advise"),  # was the emergency reply
    # Spanish ways of asking to stop the texts get how to stop.
    ("en-US,es-US", "es-US", "ya no me envien nada", "stop_hint"),  # was the emergency reply
    ("en-US,es-US", "es-US", "porfa no quiero q me escriban ya", "stop_hint"),  # was the emergency reply
    # A dose taken twice by mistake is for Poison Control (US) or 111: a crisis phrase, not a personal question.
    ("en-US,es-US", "es-US", "se tomo la insulina dos veces por error", "emergency"),  # was cant_advise
    ("en-GB,cy-GB", "cy-GB", "cymerais i fy nhabledi ddwywaith drwy gamgymeriad", "emergency"),  # was cant_advise
    ("en-US,es-US", "es-US", "el nene se comio unas pastillas de su abuelo", "emergency"),  # was cant_advise
    ("en-US,es-US", "es-US", "ando pensando en tomarme todas las medicinas q tengo", "emergency"),  # was cant_advise
    # Welsh: worry about offending the doctor (pechu, ypsetio), questions about the line, "how do I ask" (shwd).
    ("en-GB,cy-GB", "cy-GB", "dwi ofn pechu'r arbenigwr", "faq1"),  # was ASK
    ("en-GB,cy-GB", "cy-GB", "ofn ypsetio'r doctor sy gen i", "faq1"),  # was the English FAQ1
    ("en-GB,cy-GB", "cy-GB", "pwy sy tu ol i'r gwasanaeth", "help"),  # was English not understood
    ("en-GB,cy-GB", "cy-GB", "beth yw'r gwasanaeth ma", "help"),  # was English not understood
    ("en-GB,cy-GB", "cy-GB", "shwd odw i'n cael barn arall", "ask"),  # was English not understood
    # English fear words that are no crisis, and a long worried text asking whether it is worth it.
    ("en-GB,cy-GB", "en-GB", "im dreading it and scared ill forget things", "bring"),  # was the emergency reply
    ("en-GB,cy-GB", "en-GB", "sorry to trouble you, they found a growth on my mums kidney and want to operate, we are "
     "worried sick, is another opinion worth it or just a waste of everyones time", "when"),  # was HELP
]


@pytest.mark.parametrize(("locales", "tag", "text", "label"),
                         [("en-GB", "en-GB", text, label) for text, label in ISSUE_TEXTS] + KIND_TEXTS)
def test_issue_texts_get_the_right_reply(locales, tag, text, label):
    line = deployment(locales)
    reply = wanted(line.extensions["matchers"][tag], label)
    assert Twilio(line.test_client()).message(text) == Served.of(line, tag).replies[reply][0]


def test_a_number_in_a_question_is_not_a_list_number(twilio, app):
    faq3 = Served.of(app).replies["faq3"][0]
    assert twilio.message("ive had 3 diffrent answers from 3 doctors, who do i believe") != faq3


def test_two_questions_carry_the_second_as_also(app):
    match = app.extensions["matchers"]["en-GB"].match("can we see someone else, and what do we need to take with us?")
    assert (match.reply, match.also) == ("ask", "bring")


def test_one_question_has_no_also(app):
    assert app.extensions["matchers"]["en-GB"].match("what should i bring to my appointment").also is None


def test_a_courtesy_alone_is_still_a_courtesy(app):
    matcher = app.extensions["matchers"]["en-GB"]
    assert [matcher.match(text).reply for text in ("thanks very much, Joan", "hello there")] == ["thanks", "menu"]


def test_every_emergency_example_is_a_crisis(app):
    matcher = app.extensions["matchers"]["en-GB"]
    examples = yaml.safe_load((ROOT / "content" / "en" / "examples.yaml").read_text(encoding="utf-8"))["emergency"]
    assert [text for text in examples if matcher.match(text).reply != "emergency"] == []


def test_the_crisis_check_reads_past_typos_and_endings(app):
    matcher = app.extensions["matchers"]["en-GB"]
    for text in ("sucidal", "suicidle thoughts", "i overdossed", "chest painss", "hes not breething",
                 "she had her water tablet twice by mistake"):
        assert matcher.decide(text).rule == "crisis phrase", text
    assert matcher.decide("what should i bring").rule != "crisis phrase"


def test_a_face_that_has_dropped_is_read_by_the_crisis_phrases_not_only_by_the_model(app):
    # A held-out stroke text was read by the model alone; examples tried for another kind made it miss.
    matcher = app.extensions["matchers"]["en-GB"]
    for text in ("her face has dropped on one side", "dads face dropped and his speech is slurred"):
        assert matcher.decide(text).rule == "crisis phrase", text



def test_a_keyword_with_filler_that_content_names_an_emergency_gets_the_emergency_reply(tmp_path):
    # "me" is filler, so "help me" reads as the keyword HELP: it must still meet the crisis check first.
    root = content_copy(tmp_path)
    replace_once(root / "en" / "matching.yaml", "  - heart attack\n", "  - heart attack\n  - help me\n")
    line = create_app({"TESTING": True, "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET, "CONTENT_DIR": str(root)})
    served, texts = Served.of(line), Twilio(line.test_client())
    assert texts.message("help me") == served.replies["emergency"][0]
    assert texts.message("HELP") == served.replies["help"][0]


def test_a_topic_whose_examples_an_editor_removed_is_still_learned_from_its_synonyms(tmp_path):
    root = content_copy(tmp_path)
    examples = yaml.safe_load((root / "en" / "examples.yaml").read_text(encoding="utf-8"))
    del examples["thanks"]
    (root / "en" / "examples.yaml").write_text(yaml.safe_dump(examples, allow_unicode=True), encoding="utf-8")
    line = create_app({"TESTING": True, "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET, "CONTENT_DIR": str(root)})
    assert "thanks" in line.extensions["matchers"]["en-GB"].reader.labels
    assert Twilio(line.test_client()).message("cheers") == Served.of(line).replies["thanks"][0]


def test_the_order_of_topics_in_content_changes_no_keyword(tmp_path):
    # A topic with no keyword (can't-advise) moved above the line's own topics: theirs are still keywords.
    root = content_copy(tmp_path)
    path = root / "en" / "line.yaml"
    text = path.read_text(encoding="utf-8")
    start, end = text.index("  # Reached only by understanding"), text.index("\n# What the SMS line says")
    path.write_text(text[:start].replace("topics:\n", "topics:\n" + text[start:end] + "\n", 1) + text[end:],
                    encoding="utf-8")
    line = create_app({"TESTING": True, "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET, "CONTENT_DIR": str(root)})
    assert list(line.extensions["line"].default.topics).index("cant_advise") < list(
        line.extensions["line"].default.topics).index("menu")
    served, texts = Served.of(line), Twilio(line.test_client())
    matcher = line.extensions["matchers"]["en-GB"]
    for keyword, reply in (("MENU", "menu"), ("hepl", "help"), ("THANKS", "thanks"), ("cheers", "thanks")):
        assert matcher.decide(keyword).rule in ("keyword", "synonym"), keyword  # not left to the model's guess
        assert texts.message(keyword) == served.replies[reply][0], keyword


@settings(max_examples=300, deadline=None)
@given(picks=st.lists(st.integers(min_value=0), min_size=1, max_size=6))
def test_a_text_skips_the_crisis_check_only_when_the_check_could_find_nothing(app, picks):
    # Texts of content's own words and of emergency phrases' words, mixed: the shortcut for calm texts
    # must never hide a phrase the crisis check finds.
    matcher = app.extensions["matchers"]["en-GB"]
    words = sorted(matcher.calm) + sorted({word for phrase in matcher.crisis.phrases.values() for keys in phrase
                                           for word in keys if not word.endswith("*")})
    text = " ".join(words[pick % len(words)] for pick in picks)
    found = matcher.crisis.found(matcher.read(text))
    assert (matcher.decide(text).rule == "crisis phrase") == (found is not None), text


LONG_WORDS = " ".join(["what should i bring to my appointment, thank you"] * 40)[:1600]


@pytest.mark.parametrize("text", ["a" * 65536, LONG_WORDS, "🙂" * 1600, "1" * 1600, "https://example.org/" * 80])
def test_the_slowest_texts_stay_cheap(app, text):
    # Against a plain question read in the same rounds, so a loaded machine slows both alike: measured at most
    # about 5 times one (1.5 ms against 0.3 ms); a cost that grew with the text's length would be hundreds.
    matcher = app.extensions["matchers"]["en-GB"]
    question = "will my doctor be upset if i ask for a second opinion"
    matcher.match(text), matcher.match(question)  # words seen once are cached, as in a running line

    def cost(said: str) -> float:
        began = time.perf_counter()
        matcher.match(said)
        return time.perf_counter() - began

    rounds = [(cost(text), cost(question)) for _ in range(7)]
    slow, plain = (sorted(times)[3] for times in zip(*rounds, strict=True))
    assert slow < 20 * plain, f"{slow * 1000:.2f} ms against {plain * 1000:.2f} ms"


def test_explain_says_what_decided_and_why(app):
    runner = app.test_cli_runner()
    model = runner.invoke(args=["explain", "can we see someone else, and what do we need to take with us?"])
    assert model.exit_code == 0
    assert "reply:    ask" in model.output and "also:     bring" in model.output
    assert re.search(r"confidence 0\.\d\d \(answers from 0\.\d\d", model.output)
    assert re.search(r"scores:   bring 0\.\d\d, ask 0\.\d\d", model.output)
    rule = runner.invoke(args=["explain", "feeling sucidal"])
    assert "reply:    emergency" in rule.output and "decided:  crisis phrase" in rule.output


# Each rule of the matcher, as `flask explain` shows it: the reply and the rule (with what fired) that decided it.
# The rule also ranks one language's reading against another's on a line serving several (sms/conversation.py).
RULES = [
    ("STOP", "silent", "opt-out"),
    ("", "menu", "empty"),
    ("\U0001f44d", "not_understood", "empty"),
    ("faq 2", "faq2", "keyword ('faq 2')"),
    ("bring 2", "bring (part 2)", "keyword ('bring 2')"),
    ("brign", "bring", "keyword ('brign')"),
    ("bring 9", "bring", "keyword ('bring 9')"),  # no part 9: the piece from its start
    ("FAQ 7", "faq", "keyword ('faq 7')"),  # no question 7: the list
    ("question 3", "faq3", "keyword ('question 3')"),
    ("i took all my pills", "emergency", "crisis phrase ('took all my')"),
    ("what to bring", "bring", "synonym ('what to bring')"),
    ("STOP please", "stop_hint", "stop"),
    ("Stop.", "stop_hint", "stop"),
    ("yes", "menu", "opt-in"),
    ("more", "more", "more"),
    ("7", "number (part 7)", "number"),
    ("what should i bring to my appointment", "bring", "model"),
]


@pytest.mark.parametrize(("text", "reply", "decided"), RULES)
def test_explain_names_the_rule_that_decided(app, text, reply, decided):
    lines = app.test_cli_runner().invoke(args=["explain", text]).output.splitlines()
    assert lines[1:3] == [f"reply:    {reply}", f"decided:  {decided}"], lines


def test_explain_says_when_a_clause_decided_and_shows_the_scores_when_nothing_was_understood(app):
    def explain(text: str) -> str:
        return app.test_cli_runner().invoke(args=["explain", text]).output

    assert "decided by a clause of the text" in explain("hi, chemo, scared, what do i ask")
    assert "decided by a clause" not in explain("what should i bring to my appointment")
    vague = explain("the weather is lovely today").splitlines()
    assert vague[3].startswith("model:    not understood, confidence 0."), vague
    assert re.fullmatch(r"scores:   (\w+ 0\.\d\d, ){4}\w+ 0\.\d\d", vague[5]), vague  # what it nearly was
