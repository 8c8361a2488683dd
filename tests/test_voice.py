"""The phone menu, walked as Twilio walks it: signed requests following each <Gather action> and <Redirect>."""

from collections import deque
from xml.etree import ElementTree

import pytest
from support import Call, after_words, respond_xml

from app.errors import StartupError
from app.transcript import transcript
from app.voice.render import Script
from app.voice.steps import Kind, Step
from app.voice.views import plays_piece


@pytest.fixture
def call(twilio):
    """A call that has just been answered."""
    started = Call(twilio)
    started.start()
    return started


def main_menu(content) -> tuple[str, ...]:
    """The main menu as said when a caller comes back to it."""
    return content.menu_lines("main")


def after_piece(content, text: bool = False) -> tuple[str, ...]:
    """The choices after a piece."""
    return after_words(content, text)


def heard_piece(call, content, topic: str) -> None:
    """The call has just played `topic`: listen to the end, then hear the disclaimer before the choices."""
    assert call.turn.said == content.topics[topic].voice
    if topic == "help":  # help says "press star, a topic's key, or say what you want": it listens as the menu does
        assert call.turn.gather == "/voice/menu/main"
    else:
        assert plays_piece(call.turn.gather)
    call.wait()
    assert call.turn.said == (content.voice.disclaimer, *after_piece(content))
    assert call.turn.gather == f"/voice/after/{topic}"


def test_the_call_opens_with_a_one_sentence_welcome_and_the_main_menu(call, content):
    welcome = content.topics["menu"].voice
    assert welcome == ("Welcome to the Second Opinion Line.",)
    assert call.turn.said == welcome + main_menu(content)
    assert call.turn.gather == call.turn.redirect == "/voice/menu/main"


def test_the_menu_is_said_inside_the_gather_with_a_pause_after_each_option(call, content):
    root = ElementTree.fromstring(call.xml)
    gather = root.find("Gather")
    assert [child.tag for child in root] == ["Gather", "Redirect"]
    assert gather.get("input") == "dtmf speech" and gather.get("numDigits") == "1"
    prosody = gather.find("Say/prosody")
    sentences = [s.text for s in prosody.findall("s")]
    assert sentences[1:] == [f"To hear {o.label}, press {o.key}." for o in content.voice.menus["main"]]
    assert [child.tag for child in prosody] == ["s", "break"] * len(sentences)
    assert {b.get("time") for b in prosody.findall("break")} == {"600ms"}
    keys = [o.key for o in content.voice.menus["main"]]
    assert keys == ["1", "2", "3", "4", "0"]  # ascending, help last


@pytest.mark.parametrize("key, topic", [("1", "when"), ("2", "ask"), ("3", "bring"), ("0", "help")])
def test_each_main_menu_key_plays_its_piece_then_the_disclaimer_then_the_choices(call, content, key, topic):
    call.press(key)
    heard_piece(call, content, topic)


@pytest.mark.parametrize("key, topic", [("1", "faq1"), ("2", "faq2"), ("3", "faq3")])
def test_each_common_question_is_answered_with_the_disclaimer_after(call, content, key, topic):
    call.press("4")
    assert call.turn.said == content.menu_lines("faq")
    assert call.turn.said[-1] == content.voice.back.format(key=content.voice.say_keys["*"][0])
    assert call.turn.gather == "/voice/menu/faq"
    call.press(key)
    heard_piece(call, content, topic)


def test_star_in_the_submenu_goes_back_and_star_in_the_main_menu_repeats_it(call, content):
    call.press("4")
    call.press("*")
    assert call.turn.said == main_menu(content)
    call.press("*")
    assert call.turn.said == main_menu(content)
    assert call.turn.gather == "/voice/menu/main"


def test_zero_gives_help_from_the_submenu_too_and_help_says_there_is_no_person(call, content):
    call.press("4")
    call.press("0")
    heard_piece(call, content, "help")
    said = " ".join(content.topics["help"].voice)
    assert "cannot put you through to a person" in said and "9 9 9" in said


def test_after_a_piece_one_repeats_it_and_star_returns_to_the_main_menu(call, content):
    call.press("2")
    heard_piece(call, content, "ask")
    call.press("1")
    heard_piece(call, content, "ask")
    call.press("*")
    assert call.turn.said == main_menu(content)


def test_a_key_pressed_part_way_through_a_piece_still_leads_to_the_disclaimer_first(call, content):
    call.press("3")
    assert call.turn.gather == "/voice/end/bring"
    root = ElementTree.fromstring(call.xml)
    assert root.find("Gather").get("input") == "dtmf"  # only a key cuts a piece short, not a cough
    assert int(root.find("Gather").get("timeout")) <= 1  # no dead air between the piece and the disclaimer
    call.press("*")
    assert call.turn.said[0] == content.voice.disclaimer
    root = ElementTree.fromstring(call.xml)
    assert root[0].tag == "Say"  # the disclaimer is outside the Gather: no key cuts it short
    assert transcript(ElementTree.tostring(root[0], encoding="unicode")).said == (content.voice.disclaimer,)


def test_silence_reprompts_with_more_help_twice_then_says_goodbye_and_hangs_up(call, content):
    first, second = content.voice.no_input
    call.wait()
    assert call.turn.said == (first, *main_menu(content))
    assert call.turn.gather == "/voice/menu/main?silence=1"
    call.wait()
    assert call.turn.said == (second, *main_menu(content))
    assert "say a topic" in second
    call.wait()
    assert call.turn.said == (content.voice.goodbye,)
    assert "text the word MENU" in content.voice.goodbye
    assert call.turn.hangup and call.turn.gather is None


def test_wrong_keys_say_it_is_not_an_option_then_end_politely(call, content):
    call.press("7")
    assert call.turn.said == (content.voice.wrong_key, *main_menu(content))
    call.press("9")
    assert call.turn.said == (content.voice.wrong_again, *main_menu(content))
    call.press("#7")
    assert call.turn.said[0] == content.voice.wrong_again
    call.press("5")
    assert call.turn.said == (content.voice.goodbye,) and call.turn.hangup


def test_silence_and_wrong_keys_are_kept_apart(call, content):
    call.press("8")
    call.wait()
    assert call.turn.said[0] == content.voice.no_input[0]
    call.press("8")
    assert call.turn.said[0] == content.voice.wrong_again
    assert call.turn.gather == "/voice/menu/main?silence=1&wrong=2"


def test_a_good_choice_forgets_earlier_mistakes(call, content):
    call.press("8")
    call.wait()
    call.press("4")
    assert call.turn.gather == "/voice/menu/faq"


def test_a_hash_alone_counts_as_nothing_pressed(call, content):
    call.press("#")
    assert call.turn.said[0] == content.voice.no_input[0]


def test_silence_after_a_piece_ends_politely_too(call, content):
    call.press("1")
    call.wait()
    call.wait()
    assert call.turn.said == (content.voice.no_input[0], *after_piece(content))
    call.wait()
    call.wait()
    assert call.turn.hangup


def test_alternating_silence_and_wrong_keys_cannot_keep_a_call_going(call):
    for step in range(20):
        if call.turn.hangup:
            break
        call.wait() if step % 2 else call.press("9")
    assert call.turn.hangup and step <= 6


INPUTS = [{"Digits": k} for k in "0123456789*#"] + [
    {},
    {"SpeechResult": "again", "Confidence": "0.9"},
    {"SpeechResult": "text me", "Confidence": "0.9"},
    {"SpeechResult": "purple monkey", "Confidence": "0.9"},
    {"SpeechResult": "questions", "Confidence": "0.9"},
]


def test_every_reachable_step_is_finite_valid_and_never_ends_in_silence(call):
    """Explore every step reachable by every key, silence and a few phrases: a small, closed graph."""
    seen, queue = {"/voice"}, deque(["/voice/menu/main"])
    responses = 0
    while queue:
        path = queue.popleft()
        seen.add(path)
        for extra in INPUTS:
            turn = call.step(path, extra)  # checks status, schema, and "Gather+Redirect or Hangup"
            responses += 1
            if turn.hangup:
                assert turn.said, "a hang-up without a goodbye"
            for nxt in {turn.gather, turn.redirect} - {None}:
                if nxt not in seen and nxt not in queue:
                    queue.append(nxt)
        assert len(seen) < 150, "the state space keeps growing: some path loops without bound"
    assert {"/voice/menu/faq", "/voice/end/faq3", "/voice/after/help?silence=2&wrong=3"} <= seen
    assert responses > 500
    for path in seen - {"/voice"}:
        for extra, most in (({}, 3), ({"Digits": "9"}, 4)):  # silence, or the same wrong key, from any step
            turn = call.step(path, extra)
            for _ in range(most):
                if turn.hangup or plays_piece(turn.gather):
                    break
                turn = call.step(turn.gather if extra else turn.redirect, extra)
            assert turn.hangup or plays_piece(turn.gather), f"{path} with {extra} goes on and on"


@pytest.mark.parametrize(
    "words, topic",
    [
        ("what to bring", "bring"),
        ("What should I bring with me?", "bring"),
        ("how do I ask my doctor", "ask"),
        ("when should I get one", "when"),
        ("help", "help"),
        ("can I speak to a real person", "help"),
        ("is it free on the NHS", "faq3"),
        ("one", "when"),
        ("Press 3.", "bring"),
        ("number two please", "ask"),
        ("zero", "help"),
        ("Tree.", "bring"),
        ("operator", "help"),
        ("do I have to pay", "faq3"),
        ("will my doctor be upset", "faq1"),
    ],
)
def test_speech_picks_a_topic_at_the_main_menu(call, content, words, topic):
    call.say(words)
    heard_piece(call, content, topic)


def test_saying_questions_opens_the_submenu_and_menu_or_back_return(call, content):
    call.say("questions")
    assert call.turn.gather == "/voice/menu/faq"
    call.say("go back")
    assert call.turn.said == main_menu(content)
    call.say("common questions")
    call.say("main menu")
    assert call.turn.gather == "/voice/menu/main" and call.turn.said == main_menu(content)


def test_saying_again_repeats_the_menu_or_the_piece(call, content):
    call.say("again")
    assert call.turn.said == main_menu(content)
    call.press("2")
    call.wait()
    call.say("Can you say that again please")
    heard_piece(call, content, "ask")
    call.say("sorry, can you say it again")  # "say" is also a word of the ask topic: the command wins
    heard_piece(call, content, "ask")
    call.say("huh?")
    heard_piece(call, content, "ask")
    call.say("star")
    assert call.turn.said == main_menu(content)


def test_emergency_words_get_the_emergency_piece_at_any_step(call, content):
    call.say("my husband has chest pain")
    heard_piece(call, content, "emergency")
    call.say("he collapsed")
    heard_piece(call, content, "emergency")


def test_thanks_is_answered_and_the_choices_stay(call, content):
    call.say("thank you")
    assert call.turn.said == (*content.topics["thanks"].voice, *main_menu(content))


@pytest.mark.parametrize(
    "extra",
    [
        {"SpeechResult": "what to bring", "Confidence": "0.1"},
        {"SpeechResult": "what to bring"},  # no confidence given
        {"SpeechResult": "what to bring", "Confidence": "nan"},
        {"SpeechResult": "purple elephant bicycle", "Confidence": "0.95"},
    ],
)
def test_unsure_or_unknown_speech_is_no_match(call, content, extra):
    call.step(call.turn.gather, extra)
    assert call.turn.said == (content.voice.not_heard, *main_menu(content))
    call.step(call.turn.gather, extra)
    assert call.turn.said[0] == content.voice.not_heard_again


def test_the_gather_listens_for_speech_with_hints_from_content(call, content):
    gather = ElementTree.fromstring(call.xml).find("Gather")
    hints = gather.get("hints").split(", ")
    for phrase in ("what to bring", "questions", "again", "menu", "help", "chest pain"):
        assert phrase in hints
    assert len(hints) <= 500 and all(len(h) <= 100 for h in hints)
    assert gather.get("language") == "en-GB"


def test_voice_settings_default_to_a_polly_standard_voice_at_ninety_percent(call):
    root = ElementTree.fromstring(call.xml)
    say = root.find("Gather/Say")
    assert (say.get("voice"), say.get("language")) == ("Polly.Amy", "en-GB")
    assert say.find("prosody").get("rate") == "90%"
    assert root.find("Gather").get("timeout") == "8"


def test_voice_settings_follow_region_and_configuration(make_app):
    from support import Twilio

    app = make_app(LINE_LOCALES="en-US", VOICE_RATE="85%", GATHER_TIMEOUT=10)
    call = Call(Twilio(app.test_client()))
    call.start()
    root = ElementTree.fromstring(call.xml)
    say = root.find("Gather/Say")
    assert (say.get("voice"), say.get("language"), say.find("prosody").get("rate")) == ("Polly.Joanna", "en-US", "85%")
    assert root.find("Gather").get("timeout") == "10"
    call.press("0")
    call.wait()
    assert "9 1 1" in " ".join(call.heard)


@pytest.mark.parametrize(
    "setting, value",
    [("VOICE_RATE", "fast-ish"), ("VOICE_RATE", "300%"), ("GATHER_TIMEOUT", 0),
     ("SEND_TIMEOUT", 20), ("SEND_TIMEOUT", 6), ("SPEECH_MIN_CONFIDENCE", 1.5), ("SPEECH_MIN_CONFIDENCE", -0.1)],
)
def test_voice_settings_the_line_cannot_use_stop_it_starting(make_app, setting, value):
    with pytest.raises(StartupError, match=setting):
        make_app(**{setting: value})


@pytest.mark.parametrize(
    "path", ["/voice", "/voice/menu/main", "/voice/menu/faq?silence=1", "/voice/end/bring", "/voice/x"]
)
@pytest.mark.parametrize("env", ["development", "production"])
def test_unsigned_or_forged_requests_are_refused_in_every_mode(make_app, path, env):
    from support import TOKEN, Twilio

    token, base = TOKEN, "http://localhost"
    if env == "production":  # a Twilio-shaped token and the https URL Twilio signs
        token, base = "4f0c3a1e9b7d2c5a8e6f1b3d7a9c0e24", "https://line.example.org"
    public = base if env == "production" else ""
    client = make_app(LINE_ENV=env, TWILIO_AUTH_TOKEN=token, PUBLIC_BASE_URL=public).test_client()
    params = {"From": "+447700900456", "Digits": "1"}
    assert client.post(path, data=params).status_code == 403
    assert Twilio(client, token="not-the-token").post(path, params, url=base + path).status_code == 403
    assert Twilio(client, token=token).post(path, params, url=f"{base}/voice/after/help").status_code == 403
    assert Twilio(client, token=token).post(path, params, url=base + path).status_code == 200


STEPS = ["/voice", "/voice/menu/main", "/voice/menu/faq", "/voice/end/when", "/voice/after/bring?sent=1"]
ODD_STEPS = [
    "/voice/after/faq2",  # out of order: nothing was played
    "/voice/menu/faq?silence=-1&wrong=99999",
    "/voice/menu/main?silence=abc&wrong=1.5&sent=yes",
    "/voice/menu/nope",
    "/voice/end/menu",
    "/voice/after/thanks",
    "/voice/a/b/c/d",
    "/voice/menu/main?silence=1&silence=0",
]
ODD_INPUTS = [
    {"Digits": ""},
    {"Digits": "#"},
    {"Digits": "**"},
    {"Digits": "12"},
    {"Digits": "1" * 300},
    {"Digits": "abc"},
    {"Digits": "\u0663"},  # an Arabic-Indic three
    {"SpeechResult": ""},
    {"SpeechResult": "a" * 500, "Confidence": "0.99"},
    {"SpeechResult": "1 2 3 4 5", "Confidence": "1"},
    {"SpeechResult": "<Say>hi</Say> & \x00", "Confidence": "0.9"},
    {"SpeechResult": "bring", "Confidence": "1e309"},
    {"Digits": "3", "SpeechResult": "help", "Confidence": "0.9"},
    {"Unexpected": "x", "AddOns": "{}", "Digits": "2"},
]


@pytest.mark.parametrize("path", STEPS + ODD_STEPS)
@pytest.mark.parametrize("extra", ODD_INPUTS, ids=range(len(ODD_INPUTS)))
def test_odd_input_at_any_step_gets_a_safe_answer(twilio, content, path, extra):
    call = Call(twilio)
    turn = call.step(path, extra)
    assert content.voice.error not in turn.said  # answered by design, not by the error handler
    assert "<Say>hi</Say>" not in call.xml


@pytest.mark.parametrize("path", [
    "/voice/menu/nope",
    # a kind of step this line does not have (one from an older deploy, mid-call), naming a real piece
    "/voice/call/bring", "/voice/piece/bring", "/voice/gone/bring",
])
def test_a_lost_step_gets_the_main_menu(twilio, content, path):
    call = Call(twilio)
    assert call.step(path, {"Digits": "1"}).said == main_menu(content)
    assert call.turn.gather == "/voice/menu/main"


@pytest.mark.parametrize("path", ["/voice/", "/voice?locale="])
def test_a_call_to_the_voice_url_written_another_way_is_welcomed_as_a_new_call(twilio, content, path):
    """A clinic may set its number's voice URL with a trailing slash: the caller still hears the welcome first."""
    assert Call(twilio).step(path).said == content.topics["menu"].voice + main_menu(content)


def test_a_call_arriving_at_the_submenu_without_state_is_reprompted(twilio, content):
    call = Call(twilio)
    call.step("/voice/menu/faq")
    assert call.turn.said == (content.voice.no_input[0], *content.menu_lines("faq"))


def test_a_failure_inside_answers_with_an_apology_and_the_main_menu(make_app, content, monkeypatch):
    from support import Twilio

    def broken(self, topic):
        raise RuntimeError("fault injected by the test")

    monkeypatch.setattr(Script, "piece", broken)
    call = Call(Twilio(make_app(TESTING=False).test_client()))  # as served: errors reach the error handler
    call.step("/voice/after/bring", {"Digits": "1"})
    assert call.turn.said == (content.voice.error, *main_menu(content))
    assert call.turn.gather == "/voice/menu/main"
    call.press("3")  # the main menu step fails too: sorry and goodbye, not a loop
    assert call.turn.said == (content.voice.error, content.voice.goodbye) and call.turn.hangup


def test_respond_is_the_webhook_without_the_signature(app, content):
    with app.test_request_context("/"):
        assert respond_xml("/voice/menu/main", {"Digits": "4"}, can_text=False) == respond_xml(
            "/voice/menu/main?", {"Digits": "4"}, can_text=False
        )
        url = "https://line.example.org/voice/menu/faq?wrong=1"
        turn = transcript(respond_xml(url, {"Digits": "x"}, can_text=True))
        assert turn.said[0] == content.voice.wrong_again
        assert transcript(respond_xml("http://[::1", {}, can_text=False)).said == main_menu(content)


def test_step_urls_carry_only_the_state_that_is_set():
    assert Step(Kind.MENU, "faq").url() == "/voice/menu/faq"
    assert Step(Kind.AFTER, "bring", silence=1, sent=True).url() == "/voice/after/bring?silence=1&sent=1"


def test_the_content_report_times_what_the_call_says(app, content):
    from app.readability import spoken_seconds
    from app.report import measure

    with app.app_context():
        rows = {row.piece: row for row in measure() if row.channel == "voice"}
    assert rows["menu main"].seconds <= 25
    assert rows["menu main"].seconds == spoken_seconds(content.topics["menu"].voice + main_menu(content))
    assert rows["menu faq"].seconds == spoken_seconds(content.menu_lines("faq"))
    pieces = [row for name, row in rows.items() if not name.startswith("menu") and name != "disclaimer"]
    assert pieces and all(row.seconds <= 60 for row in pieces)


@pytest.mark.parametrize("words", ["goodbye", "bye bye", "no thanks, that's all"])
def test_saying_goodbye_ends_the_call_politely(call, content, words):
    call.press("2")
    call.wait()
    call.say(words)
    assert call.turn.hangup
    assert call.turn.said == (content.voice.goodbye,)


def test_asking_for_a_text_where_none_can_be_sent_says_so_and_goes_on(call, content):
    call.press("3")
    call.wait()
    call.say("text me")
    assert call.turn.said[0] == content.voice.cannot_text
    assert content.voice.not_heard not in call.turn.said, "it was heard: it just cannot be done here"
    assert call.turn.gather and not call.turn.hangup


@pytest.mark.parametrize("words", ["I can't hear you", "speak up", "slow down"])
def test_a_caller_who_cannot_hear_gets_the_piece_again(call, content, words):
    call.press("1")
    call.wait()
    call.say(words)
    assert call.turn.said == content.topics["when"].voice


def test_speech_not_understood_gives_the_emergency_number(call, content):
    call.say("purple elephants")
    assert call.turn.said[0] == content.voice.not_heard
    assert content.region.emergency_spoken in content.voice.not_heard


def test_spoken_repeats_at_a_menu_count_so_noise_cannot_hold_the_line_open(call, content):
    for _ in range(3):
        call.say("hello?")
        assert call.turn.said[-len(content.menu_lines("main")):] == content.menu_lines("main")
    call.say("pardon")
    assert call.turn.hangup and call.turn.said == (content.voice.goodbye,)


def test_a_key_after_spoken_repeats_still_works(call, content):
    call.say("what?")
    call.say("say that again")
    call.press("3")
    assert call.turn.said == content.topics["bring"].voice


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        ({"Digits": "*"}, "main"),
        ({"Digits": "3"}, "bring"),
        ({"SpeechResult": "what to bring", "Confidence": "0.9"}, "bring"),
    ],
)
def test_while_help_plays_star_a_topic_key_and_speech_do_what_it_says(twilio, content, heard, expected):
    call = Call(twilio)
    call.start()
    call.press("0")
    assert call.turn.said == content.topics["help"].voice
    call.step(call.turn.gather, heard)
    wanted = main_menu(content) if expected == "main" else content.topics[expected].voice
    assert call.turn.said == wanted
