"""Several locales served side by side, through signed requests into the real app with the shipped content.

The phone line is walked step by step in every deployment (each locale pair, and each locale alone): every
menu key, every key after every piece, silence and wrong keys until the goodbye, the language keys. The SMS
line is texted every keyword of every served language, in every state. Loader refusals use a broken copy
of content/. Bugs these tests found, now fixed, are at the end.
"""

import functools
import math
import re
from collections import deque
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from content_copy import content_copy, replace_once
from fake_twilio import ACCOUNT_SID, MemoryLedger, TwilioApi
from support import CALLER, LINE_NUMBER, Call, Served, Twilio, deployment

from app.errors import StartupError
from app.transcript import Turn, spoken_lines

PAIRS = ("en-GB,cy-GB", "en-US,es-US")
SINGLES = ("en-GB", "en-US", "cy-GB", "es-US")
DEPLOYMENTS = PAIRS + SINGLES
KEYPAD = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#")
NEVER_A_KEY = "5"  # no menu and no choice after a piece uses 5 (menus 1-4 and 0; languages 7, 8, 9)
VOICES = {  # what CONTENT-SCHEMA.md and issue 11 ask for: (Polly voice, language) per locale
    "en-GB": ("Polly.Amy", "en-GB"),
    "en-US": ("Polly.Joanna", "en-US"),
    "es-US": ("Polly.Lupe", "es-US"),
    "cy-GB": ("Polly.Gwyneth", "cy-GB"),
}


def tags_of(locales: str) -> tuple[str, ...]:
    """The locales a deployment serves, in order."""
    return tuple(locales.split(","))


@functools.cache
def served(locales: str, tag: str) -> Served:
    """What a deployment serves in one of its locales."""
    return Served.of(deployment(locales), tag)


# ---------------------------------------------------------------------------------------------------------------
# The phone line, walked
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """One step of the walk: the URL posted, the key pressed ("" for silence, "said:..." for speech), the answer."""

    url: str
    key: str
    xml: str
    turn: Turn
    locale: str  # the locale the answer speaks in


def url_locale(url: str | None, default: str) -> str:
    """The locale a step URL names (none: the line's first)."""
    return parse_qs(urlsplit(url or "").query).get("locale", [default])[0]


SPOKEN = {  # said at each step where the locale listens for speech: a crisis, and words no one understands
    "en": ("chest pain", "xqzv wkpj"),
    "es": ("me duele el pecho", "xqzv wkpj"),
}


def inputs_to_try(url: str, locale: str) -> tuple[tuple[str, dict | None], ...]:
    """Every key (and silence) at a fresh step, and speech where the locale has it; at a step with mistakes
    counted, silence, a wrong key and a good one."""
    parts = urlsplit(url)
    if parts.path.startswith("/voice/end/"):
        return (("", None), ("1", {"Digits": "1"}))  # the disclaimer plays whatever was pressed during the piece
    query = parse_qs(parts.query)
    said = SPOKEN.get(locale.split("-")[0], ())  # Welsh: keys only, so Twilio never sends speech
    if query.get("silence") or query.get("wrong"):
        keys, said = tuple((key, {"Digits": key} if key else None) for key in ("", NEVER_A_KEY, "1")), said[1:]
    else:
        keys = tuple((key, {"Digits": key} if key else None) for key in ("", *KEYPAD))
    return keys + tuple((f"said:{words}", {"SpeechResult": words, "Confidence": "0.9"}) for words in said)


_walks: dict[str, list[Visit]] = {}


def walk(locales: str) -> list[Visit]:
    """Every step reachable from an incoming call, by key and by silence, in every served locale (once per run)."""
    if locales in _walks:
        return _walks[locales]
    default = tags_of(locales)[0]
    call = Call(Twilio(deployment(locales).test_client()))
    first = call.start()
    visits = [Visit("/voice", "", call.xml, first, url_locale(first.gather, default))]
    queue = deque(dict.fromkeys(u for u in (first.gather, first.redirect) if u))
    seen = set(queue)
    while queue:
        url = queue.popleft()
        for key, given in inputs_to_try(url, url_locale(url, default)):
            turn = call.step(url, given)
            where = turn.gather or turn.redirect
            visits.append(Visit(url, key, call.xml, turn, url_locale(where or url, default)))
            for following in (turn.gather, turn.redirect):
                if following and following not in seen:
                    seen.add(following)
                    queue.append(following)
    _walks[locales] = visits
    return visits


def says(xml: str) -> list[tuple[ElementTree.Element, str, tuple[str, ...]]]:
    """Each <Say> of a voice answer: the element, where it stands (Response or Gather), and its lines."""
    root = ElementTree.fromstring(xml)
    found = [(say, "Response", tuple(spoken_lines(say))) for say in root.findall("Say")]
    for gather in root.findall("Gather"):
        found += [(say, "Gather", tuple(spoken_lines(say))) for say in gather.findall("Say")]
    return found


def offers(locales: str, tag: str) -> dict[str, str]:
    """The offers to switch that the main menu of `tag` makes: spoken words -> the offered locale."""
    result = {}
    for other in tags_of(locales):
        if other != tag:
            language = served(locales, other).language
            result[language.offer.voice.format(key=language.key)] = other
    return result


def lines_said(locales: str, tag: str) -> set[str]:
    """Every line said in `tag` in the walk, offers to switch to another language left out."""
    switch = offers(locales, tag)
    return {
        line
        for visit in walk(locales)
        if visit.locale == tag
        for _, _, spoken in says(visit.xml)
        for line in spoken
        if line not in switch
    }


def piece_of(url: str | None) -> str | None:
    """The topic a piece step's Gather leads to the end of (None if it is not a piece step)."""
    path = urlsplit(url or "").path
    return path.removeprefix("/voice/end/") if path.startswith("/voice/end/") else None


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_the_walk_reaches_every_menu_every_piece_and_the_goodbye_in_every_locale(locales):
    visits = walk(locales)
    for tag in tags_of(locales):
        content = served(locales, tag)
        mine = [v for v in visits if v.locale == tag]
        pieces = {piece_of(v.turn.gather) for v in mine} - {None}
        menu_topics = {o.topic for options in content.voice.menus.values() for o in options if o.topic}
        assert menu_topics - {"help"} <= pieces, f"{tag}: pieces never played: {menu_topics - pieces}"
        help_said = [v for v in mine if v.turn.said == content.topics["help"].voice]
        assert help_said, f"{tag}: the help piece is never played"
        goodbyes = [v for v in mine if v.turn.hangup]
        assert {v.key for v in goodbyes} >= {"", NEVER_A_KEY}, f"{tag}: goodbye not reached by silence and wrong keys"
        for visit in goodbyes:
            assert visit.turn.said == (content.voice.goodbye,)
        menus = {urlsplit(v.turn.gather).path for v in mine if v.turn.gather and "/menu/" in v.turn.gather}
        assert menus == {f"/voice/menu/{name}" for name in content.voice.menus}
        if tag.split("-")[0] in SPOKEN:  # a crisis said anywhere gets the emergency piece; words not understood, so
            assert "emergency" in pieces, tag
            assert any(content.voice.not_heard in v.turn.said for v in mine), tag
            assert any(content.voice.not_heard_again in v.turn.said for v in mine), tag
    # Each language key at each main menu opens the other locale's welcome.
    for tag in tags_of(locales):
        for words, other in offers(locales, tag).items():
            key = served(locales, other).language.key
            opened = [v for v in visits if v.key == key and url_locale(v.url, tags_of(locales)[0]) == tag
                      and urlsplit(v.url).path == "/voice/menu/main" and v.locale == other]
            assert opened, f"{tag}: pressing {key} ({words!r}) never reached {other}"
            welcome = served(locales, other).topics["menu"].voice
            assert all(v.turn.said[: len(welcome)] == welcome for v in opened)


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_every_say_is_in_its_locales_voice_and_language_except_each_offer_in_its_own(locales):
    for visit in walk(locales):
        switch = offers(locales, visit.locale)
        for say, where, spoken in says(visit.xml):
            if spoken and spoken[0] in switch:
                other = switch[spoken[0]]
                assert spoken == (spoken[0],) and where == "Gather", visit.xml
                assert (say.get("voice"), say.get("language")) == VOICES[other], (visit.url, visit.key, spoken)
            else:
                assert (say.get("voice"), say.get("language")) == VOICES[visit.locale], (visit.url, visit.key, spoken)


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_every_piece_leads_to_its_locales_spoken_disclaimer_which_no_key_cuts(locales):
    visits = walk(locales)
    ends = {(v.url, v.key): v for v in visits if urlsplit(v.url).path.startswith("/voice/end/")}
    played = [v for v in visits if piece_of(v.turn.gather)]
    assert played
    for visit in played:
        topic, content = piece_of(visit.turn.gather), served(locales, visit.locale)
        assert visit.turn.said == content.topics[topic].voice
        assert visit.turn.redirect == visit.turn.gather, "a piece heard to its end goes to its disclaimer"
        for key in ("", "1"):  # listened to the end, or cut short by a key
            end = ends[(visit.turn.gather, key)]
            assert end.locale == visit.locale
            first, where, spoken = says(end.xml)[0]
            assert where == "Response" and spoken == (content.voice.disclaimer,), end.xml
    # The help piece listens as the main menu does; its end is the main menu, which is no piece.
    for tag in tags_of(locales):
        help_said = [v for v in visits if v.locale == tag and v.turn.said == served(locales, tag).topics["help"].voice]
        assert all(urlsplit(v.turn.gather).path == "/voice/menu/main" for v in help_said)


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_each_gather_listens_in_its_locales_language_and_welsh_for_keys_only(locales):
    for visit in walk(locales):
        content = served(locales, visit.locale)
        for gather in ElementTree.fromstring(visit.xml).iter("Gather"):
            if piece_of(gather.get("action")):
                assert gather.get("input") == "dtmf"  # a piece: any key skips to its end
                continue
            if visit.locale == "cy-GB":  # Twilio's <Gather> has no Welsh recogniser
                assert gather.get("input") == "dtmf", visit.xml
                assert gather.get("language") is None and gather.get("hints") is None, visit.xml
            else:
                assert gather.get("input") == "dtmf speech", visit.xml
                assert gather.get("language") == VOICES[visit.locale][1]
            lines = [line for say in gather.iter("Say") for line in spoken_lines(say)]
            if "/voice/menu/" in gather.get("action") and tuple(lines) != content.topics["help"].voice:
                has_keys_only = content.voice.keys_only in lines
                assert has_keys_only == (visit.locale == "cy-GB"), (visit.locale, lines)


def test_welsh_keys_only_line_is_welsh_and_the_welsh_call_never_asks_to_speak():
    content = served("en-GB,cy-GB", "cy-GB")
    assert content.voice.keys_only == "Pwyswch fotwm i ddewis."
    for line in lines_said("en-GB,cy-GB", "cy-GB"):
        assert not re.search(r"\b(dwedwch|dywedwch|dweud beth)\b", line, re.IGNORECASE), line


@pytest.mark.parametrize("locales", PAIRS)
def test_served_side_by_side_each_locale_says_what_it_says_alone_and_nothing_of_the_other(locales):
    first, second = tags_of(locales)
    for tag, other in ((first, second), (second, first)):
        alone, together = lines_said(tag, tag), lines_said(locales, tag)
        assert together == alone, f"{tag}: said only side by side: {together - alone}; only alone: {alone - together}"
        assert not together & lines_said(locales, other), f"{tag} says lines of {other}"


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_the_locale_travels_in_every_step_url_and_the_first_locale_needs_none(locales):
    default = tags_of(locales)[0]
    for visit in walk(locales):
        for url in (visit.turn.gather, visit.turn.redirect):
            if url:
                query = parse_qs(urlsplit(url).query)
                expected = [] if visit.locale == default else [visit.locale]
                assert query.get("locale", []) == expected, (visit.url, visit.key, url)


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_each_main_menu_offers_every_other_served_language_in_its_own_words(locales):
    for tag in tags_of(locales):
        content = served(locales, tag)
        visit = next(v for v in walk(locales) if v.locale == tag and v.turn.said[:1] == content.topics["menu"].voice)
        others = [t for t in tags_of(locales) if t != tag]
        expected = tuple(served(locales, t).language.offer.voice.format(key=served(locales, t).language.key)
                         for t in others)
        assert visit.turn.said == content.topics["menu"].voice + content.menu_lines("main") + expected
    if len(tags_of(locales)) == 2:
        words = {served(locales, t).language.offer.voice.format(key=served(locales, t).language.key)
                 for t in tags_of(locales)}
        assert words & {"Para español, oprima 9.", "Am Gymraeg, pwyswch 8."}, words


@pytest.mark.parametrize(
    "locales, path",
    [
        ("en-GB,cy-GB", "/voice/menu/main?locale=es-US"),  # a locale this line does not serve
        ("en-GB,cy-GB", "/voice/after/bring?locale=fr-FR"),
        ("en-US,es-US", "/voice/end/bring?locale=cy-GB"),
        ("en-US,es-US", "/voice/menu/faq?locale=en-US"),  # the first locale is never written in URLs
    ],
)
def test_a_step_url_naming_a_locale_the_line_does_not_serve_gets_the_first_locales_main_menu(locales, path):
    default = served(locales, tags_of(locales)[0])
    call = Call(Twilio(deployment(locales).test_client()))
    turn = call.step(path, {"Digits": "1"})
    assert turn.said == default.menu_lines("main") + tuple(offers(locales, default.tag))
    assert turn.gather == "/voice/menu/main"


@pytest.mark.parametrize(("path", "welcome"), [
    ("/voice?locale=cy-GB", True), ("/voice/menu/gone?locale=cy-GB", False), ("/voice/menu?locale=cy-GB", False)
])
def test_a_new_call_or_a_lost_step_in_a_served_locale_stays_in_that_locale(path, welcome):
    """A step that names no place (a menu gone since a content change) still keeps the caller's language."""
    locales = "en-GB,cy-GB"
    welsh = served(locales, "cy-GB")
    turn = Call(Twilio(deployment(locales).test_client())).step(path, {"Digits": "1"})
    lines = welsh.menu_lines("main") + tuple(offers(locales, "cy-GB"))
    assert turn.said == ((welsh.topics["menu"].voice if welcome else ()) + lines)
    assert turn.gather == "/voice/menu/main?locale=cy-GB"


def test_a_step_url_with_its_locale_changed_is_refused_unsigned():
    client = deployment("en-GB,cy-GB").test_client()
    twilio = Twilio(client)
    signature = twilio.validator.compute_signature("http://localhost/voice/menu/main", {"Digits": "1"})
    response = client.post("/voice/menu/main?locale=cy-GB", data={"Digits": "1"},
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "locales, tag, words, expected",
    [
        ("en-US,es-US", "en-US", "español", "es-US"),
        ("en-US,es-US", "en-US", "spanish please", "es-US"),
        ("en-US,es-US", "es-US", "inglés", "en-US"),
        ("en-US,es-US", "es-US", "english", "en-US"),
        ("en-GB,cy-GB", "en-GB", "welsh", "cy-GB"),
        ("en-GB,cy-GB", "en-GB", "Cymraeg", "cy-GB"),
    ],
)
def test_saying_a_language_at_the_menu_switches_to_it(locales, tag, words, expected):
    call = Call(Twilio(deployment(locales).test_client()))
    call.start()
    if tag != tags_of(locales)[0]:
        call.press(served(locales, tag).language.key)
    assert url_locale(call.turn.gather, tags_of(locales)[0]) == tag
    turn = call.say(words)
    assert url_locale(turn.gather, tags_of(locales)[0]) == expected
    assert turn.said[:1] == served(locales, expected).topics["menu"].voice


@pytest.mark.parametrize(
    "words, topic",
    [("qué llevar", "bring"), ("preguntas comunes", "faq"), ("cómo pedirla", "ask"),
     ("me duele el pecho", "emergency")],
)
def test_spanish_speech_is_understood_in_spanish(words, topic):
    locales = "en-US,es-US"
    call = Call(Twilio(deployment(locales).test_client()))
    call.start()
    call.press("9")
    turn = call.say(words)
    content = served(locales, "es-US")
    if topic == "faq":
        assert turn.said == content.menu_lines("faq")
    else:
        assert turn.said == content.topics[topic].voice
    assert url_locale(turn.gather, "en-US") == "es-US"


@pytest.mark.parametrize(("locales", "words"), [
    ("en-US,es-US", "no puedo respirar"),
    ("en-US,es-US", "me duele mucho el pecho"),
    ("en-GB,cy-GB", "dw i methu anadlu"),
    ("en-GB,cy-GB", "poen mawr yn y frest"),
])
def test_a_crisis_said_in_another_served_language_before_choosing_it_gets_the_emergency_piece_in_it(locales, words):
    first, other = tags_of(locales)
    emergency = served(locales, other).topics["emergency"].voice
    assert emergency != served(locales, first).topics["emergency"].voice
    for after_a_piece in (False, True):  # at the main menu, and at the choices after a piece
        call = Call(Twilio(deployment(locales).test_client()))
        call.start()  # the main menu, in the line's first language
        if after_a_piece:
            call.press("2")
            call.wait()  # the piece ends: the disclaimer, then its choices, listening for a crisis too
        turn = call.say(words)
        # Said in that language's voice, and the call goes on in it.
        assert turn.said[: len(emergency)] == emergency
        assert url_locale(turn.gather, first) == other
        assert f'language="{served(locales, other).region.language}"' in call.xml


@pytest.mark.parametrize(("locales", "before", "text", "tag"), [
    ("en-GB,cy-GB", (), "me quiero morir", "en-GB"),  # an outside tester's: once "Sorry, I didn't understand"
    ("en-GB,cy-GB", ("CYMRAEG",), "me quiero morir", "cy-GB"),  # in the conversation's language
    ("en-GB", (), "no puedo respirar", "en-GB"),
    ("en-GB", (), "me kiero morir", "en-GB"),  # in that pack's shorthand ("kiero": "quiero")
    ("es-US", (), "i want to kill myself", "es-US"),
    ("en-US", (), "mae gen i boen yn fy mrest", "en-US"),
])
def test_a_crisis_in_a_language_the_line_does_not_serve_gets_its_emergency_reply(locales, before, text, tag):
    # Every pack's crisis phrases read every text; the reply is the line's own, with the region's numbers.
    line = deployment(locales)
    twilio = Twilio(line.test_client())
    for body in before:
        twilio.message(body)
    assert twilio.message(text) == Served.of(line, tag).replies["emergency"][0]


@pytest.mark.parametrize(("locales", "words"), [("en-GB", "no puedo respirar"), ("en-US,es-US", "dw i methu anadlu")])
def test_a_crisis_said_in_a_language_the_line_does_not_serve_gets_the_emergency_piece_in_the_calls(locales, words):
    call = Call(Twilio(deployment(locales).test_client()))
    call.start()
    turn = call.say(words)
    first = tags_of(locales)[0]
    emergency = served(locales, first).topics["emergency"].voice
    assert turn.said[: len(emergency)] == emergency
    assert url_locale(turn.gather, first) == first


def test_a_crisis_both_languages_read_on_a_call_in_the_second_is_answered_in_the_calls_language():
    # "heart attack" is a Welsh crisis phrase too (Welsh speakers say it in English): the Welsh call stays Welsh.
    call = Call(Twilio(deployment("en-GB,cy-GB").test_client()))
    call.start()
    call.say("Cymraeg")
    turn = call.say("heart attack")
    emergency = served("en-GB,cy-GB", "cy-GB").topics["emergency"].voice
    assert turn.said[: len(emergency)] == emergency
    assert url_locale(turn.gather, "en-GB") == "cy-GB"


@pytest.mark.parametrize("words", ["sorry what was that", "um again please", "uh repeat"])
def test_a_command_word_inside_words_the_line_does_not_otherwise_understand_is_that_command(words):
    # The model reads the first two as a greeting (the main menu): after a piece, the caller wants it again.
    line = deployment("en-GB")
    heard = []
    for said in ("again", words, "xqzv wkpj"):
        call = Call(Twilio(line.test_client()))
        call.start()
        call.press("1")  # a piece
        call.wait()  # its end: the disclaimer, then the choices after it
        heard.append(call.say(said).said)
    again, inside, unknown = heard
    assert inside == again != unknown  # the piece once more, not the main menu or "sorry, I didn't catch that"


@pytest.fixture(scope="module")
def texting_api():
    """The stand-in for api.twilio.com, for the texting tests of this module."""
    server = TwilioApi(delay=2.5)
    yield server
    server.close()


@pytest.mark.parametrize("locales", PAIRS)
def test_text_me_this_sends_the_pieces_sms_form_in_the_calls_language(locales, texting_api):
    app = deployment(locales, TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_API_BASE_URL=texting_api.url, SEND_TIMEOUT=1)
    app.extensions.setdefault("text_ledger", MemoryLedger())
    second = tags_of(locales)[1]
    content = served(locales, second)
    call = Call(Twilio(app.test_client()))
    call.params["CallSid"] = texting_api.start_call(CALLER, LINE_NUMBER)
    call.start()
    call.press(content.language.key)
    call.press("3")  # what to bring
    call.wait()
    assert call.turn.said[0] == content.voice.disclaimer
    before = len(texting_api.received)
    turn = call.press("2")
    assert turn.said[0] == content.voice.sent.format(last_digits=" ".join(CALLER[-4:]))
    assert [m["Body"] for m in texting_api.received[before:]] == [content.texts["bring"]]
    for say, _, _ in says(call.xml):
        assert (say.get("voice"), say.get("language")) == VOICES[second]
    assert url_locale(turn.gather, "") == second and "sent=1" in turn.gather


# ---------------------------------------------------------------------------------------------------------------
# The SMS line
# ---------------------------------------------------------------------------------------------------------------

# GSM 03.38's basic set and its extension (two septets each), written out here rather than taken from app.gsm.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = set("^{}\\[~]|€")
SWITCH_WORDS = {  # issue 11's words, as its speakers would text them; content may list more
    "es": ("ESPANOL", "ESPAÑOL", "SPANISH", "espanol", "Español"),
    "cy": ("CYMRAEG", "WELSH", "cymraeg"),
    "en": ("ENGLISH", "INGLES", "SAESNEG", "english", "Inglés"),
}
NOBODY_UNDERSTANDS = "xqzv wkpj"  # no language's words: the "didn't understand" reply, in the current language
EVERYONE_THANKS = "ok"  # a courtesy every pack lists: answered in the current language


def sms_segments(text: str) -> int:
    """How many segments Twilio bills a GSM-7 text as (the test's own count)."""
    units = sum(2 if char in GSM_EXTENSION else 1 for char in text)
    return 1 if units <= 160 else math.ceil(units / 153)


def assert_good_sms(text: str, content: Served) -> None:
    """A reply as the line promises every one: GSM-7, at most 3 segments, ending with its language's disclaimer."""
    odd = sorted({char for char in text if char not in GSM_BASIC | GSM_EXTENSION})
    assert not odd, f"not GSM-7: {odd} in {text!r}"
    assert sms_segments(text) <= 3, text
    disclaimer = "".join(content.language.sms_fold.get(char, char) for char in content.sms.disclaimer)
    assert text.endswith("\n" + disclaimer), text


def texter(locales: str) -> Twilio:
    """A new sender (a fresh cookie jar) texting a deployment."""
    return Twilio(deployment(locales).test_client())


def keywords(locales: str) -> dict[str, dict[str, str]]:
    """Each served locale's keywords: tag -> keyword -> topic."""
    return {
        tag: {topic.keyword: topic_id for topic_id, topic in served(locales, tag).topics.items() if topic.keyword}
        for tag in tags_of(locales)
    }


def which_reply(locales: str, text: str | None) -> set[tuple[str, str, int]]:
    """Which (locale, reply, part) a reply's text is, among every served locale's SMS replies."""
    return {
        (tag, name, index + 1)
        for tag in tags_of(locales)
        for name, parts in served(locales, tag).replies.items()
        for index, part in enumerate(parts)
        if part == text
    }


def locale_after(locales: str, texts: tuple[str, ...]) -> tuple[Twilio, str]:
    """A sender who has texted `texts`, and the locale the last reply was in."""
    twilio = texter(locales)
    reply = None
    for body in texts:
        reply = twilio.message(body)
    found = {tag for tag, _, _ in which_reply(locales, reply)} if texts else {tags_of(locales)[0]}
    assert len(found) == 1, (texts, reply)
    return twilio, found.pop()


def states(locales: str) -> dict[str, tuple[str, ...]]:
    """Conversations to be in before a text: new, in each language's menu, after its FAQ list, part-way into BRING."""
    result: dict[str, tuple[str, ...]] = {"new": ()}
    for tag in tags_of(locales):
        content = served(locales, tag)
        switch = content.language.switch[0]
        result[f"{tag} menu"] = (switch,)
        result[f"{tag} list"] = (switch, content.topics["faq"].keyword)
        result[f"{tag} more"] = (switch, content.topics["bring"].keyword)
    return result


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_every_keyword_of_each_language_gets_that_languages_piece_with_its_disclaimer(locales):
    for tag, words in keywords(locales).items():
        content = served(locales, tag)
        for keyword, topic in words.items():
            for said in (keyword, keyword.lower(), f"{keyword.capitalize()}."):
                twilio = texter(locales)
                if tag != tags_of(locales)[0]:
                    twilio.message(content.language.switch[0])
                reply = twilio.message(said)
                assert reply == content.replies[topic][0], (tag, said)
                assert_good_sms(reply, content)


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_every_reply_of_every_locale_is_gsm7_within_three_segments_and_ends_with_its_disclaimer(locales):
    for tag in tags_of(locales):
        content = served(locales, tag)
        for parts in content.replies.values():
            for part in parts:
                assert_good_sms(part, content)


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_each_languages_more_word_gets_every_part_of_its_long_pieces_in_order(locales):
    for tag in tags_of(locales):
        content = served(locales, tag)
        more = content.matching.more[0]
        for topic, parts in content.replies.items():
            if len(parts) < 2 or not content.topics.get(topic) or not content.topics[topic].keyword:
                continue
            twilio, _ = locale_after(locales, (content.language.switch[0],))
            got = [twilio.message(content.topics[topic].keyword)]
            got += [twilio.message(more.upper()) for _ in parts[1:]]
            assert tuple(got) == parts, (tag, topic)
            assert twilio.message(more) == content.replies["nothing_more"][0]


def expected_for(locales: str, keyword: str, current: str) -> tuple[str, str]:
    """(locale, topic) a keyword should get: its own language's; a keyword several share, the current one's."""
    owners = {tag: words[keyword] for tag, words in keywords(locales).items() if keyword in words}
    tag = current if current in owners else next(iter(owners))
    return tag, owners[tag]


# The one combination left out of the next test: see test_help_in_a_welsh_conversation_gets_the_help_text.
WELSH_HELP_BUG = ("cy-GB", "HELP")


@pytest.mark.parametrize("locales", PAIRS)
def test_keywords_of_every_served_language_work_in_any_state_and_answer_in_their_language(locales):
    every = {keyword for words in keywords(locales).values() for keyword in words}
    for state, texts in states(locales).items():
        for keyword in sorted(every):
            twilio, current = locale_after(locales, texts)
            if (current, keyword) == WELSH_HELP_BUG:
                continue
            tag, topic = expected_for(locales, keyword, current)
            reply = twilio.message(keyword)
            assert reply == served(locales, tag).replies[topic][0], (state, keyword, which_reply(locales, reply))


def test_ayuda_in_an_english_conversation_gets_spanish_help_and_the_conversation_goes_on_in_spanish():
    locales = "en-US,es-US"
    twilio, current = locale_after(locales, ("FAQ",))
    assert current == "en-US"
    spanish = served(locales, "es-US")
    assert twilio.message("AYUDA") == spanish.replies["help"][0]
    assert twilio.message(NOBODY_UNDERSTANDS) == spanish.replies["not_understood"][0]


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_a_language_name_switches_to_it_from_any_state_and_the_cookie_keeps_the_choice(locales):
    codes = {tag.split("-")[0]: tag for tag in tags_of(locales)}
    for code, tag in codes.items():
        content = served(locales, tag)
        assert set(SWITCH_WORDS[code]) <= set(content.language.switch) | {w.upper() for w in SWITCH_WORDS[code]} | set(
            SWITCH_WORDS[code]
        )
        for word in SWITCH_WORDS[code] + content.language.switch:
            for state, texts in states(locales).items():
                twilio, _ = locale_after(locales, texts)
                assert twilio.message(word) == content.replies["menu"][0], (state, word)
                assert twilio.message(NOBODY_UNDERSTANDS) == content.replies["not_understood"][0], (state, word)
                assert twilio.message(EVERYONE_THANKS) == content.replies["thanks"][0], (state, word)


def test_the_switch_words_of_the_issue_are_all_in_content():
    for code, words in SWITCH_WORDS.items():
        language = Served.of(deployment({"es": "es-US", "cy": "cy-GB", "en": "en-GB"}[code])).language
        assert {w.upper() for w in words} <= {w.upper() for w in language.switch}, (code, language.switch)


UNSERVED = {  # deployment -> language names of packs it does not serve
    "en-GB,cy-GB": ("ESPANOL", "ESPAÑOL", "SPANISH"),
    "en-US,es-US": ("CYMRAEG", "WELSH"),
    "en-GB": ("ESPANOL", "CYMRAEG"),
    "en-US": ("SPANISH", "WELSH"),
    "cy-GB": ("ENGLISH", "SAESNEG", "ESPANOL"),
    "es-US": ("ENGLISH", "INGLES", "CYMRAEG"),
}


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_a_language_this_line_does_not_serve_gets_the_languages_it_does_in_the_current_language(locales):
    names = [served(locales, t).language for t in tags_of(locales)]
    for word in UNSERVED[locales]:
        for state, texts in states(locales).items():
            twilio, current = locale_after(locales, texts)
            reply = twilio.message(word)
            assert reply == served(locales, current).replies["languages"][0], (state, word)
            for language in names:
                assert gsm_plain(f"{language.name} ({language.switch[0]})") in reply
            assert twilio.message(NOBODY_UNDERSTANDS) == served(locales, current).replies["not_understood"][0]


def gsm_plain(text: str) -> str:
    """A text as the SMS form of any shipped pack writes it (á í ó ú and Welsh's to-bach without accents)."""
    return text.translate(str.maketrans("áíóúÁÍÓÚâêîôûŵŷ", "aiouAIOUaeiouwy"))


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_each_languages_menu_offers_the_other_served_languages_in_their_own_words(locales):
    every_offer = {code: Served.of(deployment(tag)).language.offer.sms
                   for code, tag in (("en", "en-GB"), ("es", "es-US"), ("cy", "cy-GB"))}
    for tag in tags_of(locales):
        twilio, _ = locale_after(locales, (served(locales, tag).language.switch[0],))
        menu = twilio.message(served(locales, tag).topics["menu"].keyword)
        lines = menu.split("\n")
        for code, offer in every_offer.items():
            offered = gsm_plain(offer) in lines
            assert offered == (code != tag.split("-")[0] and any(t.startswith(code) for t in tags_of(locales))), (
                tag, code, menu)


US_ONLY = re.compile(r"medicare|medicaid|insurance|insurer|primary care|\b911\b|\b988\b|poison control", re.I)
GB_ONLY = re.compile(r"\bNHS\b|\bGP\b|\bGIG\b|\b999\b|\b111\b|meddyg teulu|samaritans|samariaid", re.I)


def region_texts(locales: str, tag: str) -> list[str]:
    """FAQ2, FAQ3, BRING (every part) and WHEN (every part) as texted, and the emergency reply."""
    content, twilio = served(locales, tag), texter(locales)
    if tag != tags_of(locales)[0]:
        twilio.message(content.language.switch[0])
    got = []
    for topic in ("faq2", "faq3", "bring", "when", "faq", "help"):
        got.append(twilio.message(content.topics[topic].keyword))
        got += [twilio.message(content.matching.more[0]) for _ in content.replies[topic][1:]]
    got.append(twilio.message("chest pain" if tag.startswith("en") else content.matching.emergency[0].rstrip("*")))
    assert got[-1] == content.replies["emergency"][0]
    return got


@pytest.mark.parametrize("locales, tag", [(d, t) for d in DEPLOYMENTS for t in tags_of(d)])
def test_each_patient_reads_only_their_own_health_system(locales, tag):
    texts = region_texts(locales, tag)
    content = served(locales, tag)
    everything = texts + [p for parts in content.replies.values() for p in parts] + list(content.whatsapp.values())
    other = US_ONLY if tag.endswith("GB") else GB_ONLY
    for text in everything:
        assert not other.search(text), (tag, other.search(text).group(), text)
    emergency = content.replies["emergency"][0]
    if tag.endswith("GB"):
        assert "999" in emergency and "111" in emergency, emergency
    else:
        assert "911" in emergency and "988" in emergency, emergency
    if tag == "en-GB":
        assert "NHS" in texts[1] and "GP" in texts[0]
    if tag in ("en-US", "es-US"):
        assert "Medicare" in texts[1] and "Medicare" in texts[0]


@pytest.mark.parametrize(("locales", "tag", "text", "wait"), [
    ("en-US,es-US", "en-US", "how long does it take to get a 2nd opinion", "wait"),  # US FAQ3 once said only the cost
    ("en-US,es-US", "es-US", "cuanto tiempo tengo q esperar para otra opinion", "espera"),  # the same in Spanish
    ("en-GB,cy-GB", "en-GB", "how long will i wait for a second opinion", "wait"),
    ("en-GB,cy-GB", "cy-GB", "pa mor hir fydd rhaid aros am ail farn", "aros"),
])
def test_a_patient_asking_how_long_it_takes_is_told_about_the_wait(locales, tag, text, wait):
    reply = texter(locales).message(text)
    assert reply == served(locales, tag).replies["faq3"][0]
    assert wait in reply.lower(), reply


@pytest.mark.parametrize("locales, tag", [(d, t) for d in DEPLOYMENTS for t in tags_of(d)])
def test_each_caller_hears_only_their_own_health_system(locales, tag):
    other = US_ONLY if tag.endswith("GB") else GB_ONLY
    spoken = r"|9 1 1|9 8 8" if tag.endswith("GB") else r"|9 9 9|1 1 1|N H S"  # numbers as the voice says them
    spoken_other = re.compile(other.pattern + spoken, re.I)
    for line in lines_said(locales, tag):
        assert not spoken_other.search(line), (tag, line)


# ---------------------------------------------------------------------------------------------------------------
# Free questions in Spanish and Welsh, mixed-language texts, switching mid-conversation
# ---------------------------------------------------------------------------------------------------------------

# Written for these tests in patients' own words (none taken from content/*/examples.yaml or tests/eval/).
# Those the line answers today; the rest are in the known failures at the end of the file.
SPANISH = [
    ("como le digo a mi doctora que quiero ver a otro especialista", "ask"),
    ("necesito pedirle permiso a mi medico para ir con otro?", "faq2"),
    ("mi seguro paga por una segunda opinion?", "faq3"),
    ("esto es una maquina o me atiende alguien?", "help"),
    ("muchas gracias por la informacion", "thanks"),
    ("es de mala educacion pedir otra opinion? se va a ofender?", "faq1"),
    ("con quien hablo para que me manden con otro especialista", "ask"),
    ("cuanto tiempo hay que esperar para la cita", "faq3"),
]
WELSH = [
    ("faint fydd hi'n gostio i gael ail farn", "faq3"),
    ("oes rhaid i mi gael caniatad gan y meddyg", "faq2"),
    ("diolch, roedd hynny'n ddefnyddiol iawn", "thanks"),
    ("ddylwn i bacio fy llythyrau a'r sganiau cyn mynd", "bring"),
    ("at bwy dw i'n mynd i gael atgyfeiriad", "ask"),
    ("mae mam wedi llewygu ac yn cwyno am ei brest", "emergency"),
    ("dwi'n meddwl bod fy meddyg yn anghywir", "when"),
    ("am faint o wythnosau fydd y rhestr aros", "faq3"),
    ("fydd y meddyg yn pwdu os dwi'n gofyn", "faq1"),
]
LANGUAGE_OF = {"es-US": "en-US,es-US", "cy-GB": "en-GB,cy-GB"}


def assert_answered(locales: str, tag: str, text: str, topic: str, before: tuple[str, ...] = ()) -> None:
    """A text (after `before`) gets `topic`'s first reply in `tag`, as a good SMS."""
    twilio, _ = locale_after(locales, before)
    reply = twilio.message(text)
    got = which_reply(locales, reply)
    assert reply == served(locales, tag).replies[topic][0], f"{text!r}: expected {tag} {topic}, got {got}"
    assert_good_sms(reply, served(locales, tag))


# Free questions are read by a learned model, right most of the time, not always: each language's
# share of right answers has a floor a little under what was measured (es 75%, cy 68% of 2 x 20), and every
# answer, right or wrong, must come in the question's own language.
FREE_FLOORS = {"es-US": 0.70, "cy-GB": 0.62}


@pytest.mark.parametrize("tag", sorted(FREE_FLOORS))
def test_free_questions_in_spanish_or_welsh_are_answered_in_that_language(tag):
    locales = LANGUAGE_OF[tag]
    questions = [q for t, *q in FREE_QUESTIONS if t == tag]
    there, wrong = served(locales, tag), []
    replies = {text for parts in there.replies.values() for text in parts}
    for text, topic in questions:
        for before in ((), (there.language.switch[0],)):  # a new sender starts in English; then in its language
            twilio, _ = locale_after(locales, before)
            reply = twilio.message(text)
            if before:  # in a conversation in this language, every answer is in it
                assert reply in replies, f"{text!r} was not answered in {tag}: {which_reply(locales, reply)}"
                assert_good_sms(reply, there)
            if reply != there.replies[topic][0]:
                wrong.append((text, topic, which_reply(locales, reply)))
    right = 1 - len(wrong) / (2 * len(questions))
    print(f"\n{tag}: {right:.0%} of free questions right; wrong: {wrong}")
    assert right >= FREE_FLOORS[tag], wrong


MIXED = [  # a courtesy in one language, the question in another: the question's language answers
    ("en-US,es-US", "hola, what do I need to bring to my appointment?", "en-US", "bring"),
    ("en-GB,cy-GB", "helo, what should I bring", "en-GB", "bring"),
    ("en-GB,cy-GB", "diolch, how much does it cost", "en-GB", "faq3"),
    ("en-US,es-US", "gracias. how do i ask for one", "en-US", "ask"),
]


@pytest.mark.parametrize("locales, text, tag, topic", MIXED)
def test_a_mixed_language_text_is_answered_in_the_language_of_its_question(locales, text, tag, topic):
    assert_answered(locales, tag, text, topic)  # a new sender
    assert_answered(locales, tag, text, topic, (served(locales, tag).language.switch[0],))


@pytest.mark.parametrize(
    "locales, conversation",
    [
        ("en-GB,cy-GB", [("FAQ", "en-GB", "faq"), ("CYMRAEG", "cy-GB", "menu"), ("CWESTIYNAU", "cy-GB", "faq"),
                         ("2", "cy-GB", "faq2"), ("SAESNEG", "en-GB", "menu"), ("FAQ", "en-GB", "faq"),
                         ("3", "en-GB", "faq3"), ("WELSH", "cy-GB", "menu"), ("DOD", "cy-GB", "bring"),
                         ("MWY", "cy-GB", "bring"), ("thanks", "en-GB", "thanks")]),
        ("en-US,es-US", [("BRING", "en-US", "bring"), ("ESPAÑOL", "es-US", "menu"), ("LLEVAR", "es-US", "bring"),
                         ("MAS", "es-US", "bring"), ("INGLES", "en-US", "menu"), ("BRING", "en-US", "bring"),
                         ("MORE", "en-US", "bring"), ("PREGUNTAS", "es-US", "faq"), ("2", "es-US", "faq2"),
                         ("FAQ", "en-US", "faq"), ("3", "en-US", "faq3"), ("gracias", "es-US", "thanks")]),
    ],
)
def test_switching_languages_mid_conversation_by_text(locales, conversation):
    twilio = texter(locales)
    parts: dict[tuple[str, str], int] = {}
    for body, tag, topic in conversation:
        part = parts.get((tag, topic), 0) + 1 if body.upper() in ("MWY", "MAS", "MORE") else 1
        parts[(tag, topic)] = part
        reply = twilio.message(body)
        assert reply == served(locales, tag).replies[topic][part - 1], (body, which_reply(locales, reply))


def test_switching_languages_mid_call_by_key_and_back():
    locales = "en-GB,cy-GB"
    english, welsh = served(locales, "en-GB"), served(locales, "cy-GB")
    call = Call(Twilio(deployment(locales).test_client()))
    call.start()
    call.press("4")
    assert call.press("2").said == english.topics["faq2"].voice
    assert call.wait().said[0] == english.voice.disclaimer
    call.press("*")
    turn = call.press("8")
    assert turn.said[:1] == welsh.topics["menu"].voice and url_locale(turn.gather, "en-GB") == "cy-GB"
    call.press("4")
    assert call.press("3").said == welsh.topics["faq3"].voice
    assert call.wait().said[0] == welsh.voice.disclaimer
    call.press("*")
    turn = call.press("7")
    assert turn.said[:1] == english.topics["menu"].voice and turn.gather == "/voice/menu/main"
    assert call.press("3").said == english.topics["bring"].voice


def test_switching_languages_mid_call_by_speech_and_back():
    locales = "en-US,es-US"
    english, spanish = served(locales, "en-US"), served(locales, "es-US")
    call = Call(Twilio(deployment(locales).test_client()))
    call.start()
    assert call.say("what to bring").said == english.topics["bring"].voice
    call.wait()
    call.press("*")
    assert call.say("español").said[:1] == spanish.topics["menu"].voice
    assert call.say("qué llevar").said == spanish.topics["bring"].voice
    assert call.wait().said[0] == spanish.voice.disclaimer
    call.press("*")
    turn = call.say("English")
    assert turn.said[:1] == english.topics["menu"].voice and turn.gather == "/voice/menu/main"


# ---------------------------------------------------------------------------------------------------------------
# Loader refusals for packs served side by side
# ---------------------------------------------------------------------------------------------------------------


def refusal(make_app, tmp_path, locales: str, *edits) -> str:
    """Start the line on a copy of content/ with `edits` (file, old, new) made; return why it refused."""
    root = content_copy(tmp_path)
    for file, old, new in edits:
        if callable(old):
            old(root / file)
        else:
            replace_once(root / file, old, new)
    with pytest.raises(StartupError) as refused:
        make_app(CONTENT_DIR=str(root), LINE_LOCALES=locales)
    return str(refused.value)


def cut(start: str, end: str):
    """An edit removing a file's text from `start` up to (not including) `end`, after `start`."""

    def edit(path):
        text = path.read_text(encoding="utf-8")
        begin = text.index(start)
        path.write_text(text[:begin] + text[text.index(end, begin + len(start)):], encoding="utf-8")

    return edit


NO_WELSH_FACTS = (("cy/guide.yaml", cut("  facts:", "  when:"), None),
                  ("cy/line.yaml", "sms_menu: [when, ask, bring, faq, facts]", "sms_menu: [when, ask, bring, faq]"))
NO_WELSH_FAQ1_WHATSAPP = (("cy/guide.yaml", cut("    whatsapp: |\n      *A fydd", "    voice:"), None),)
NO_WELSH_FAQ_KEY_3 = (("cy/line.yaml", '      - {key: "3", label: "a yw hi am ddim ar y GIG", topic: faq3}\n', ""),)


@pytest.mark.parametrize(
    "edits, named",
    [
        (NO_WELSH_FACTS, ("content/cy/guide.yaml", "topics.facts", "cy-GB has nothing")),
        (NO_WELSH_FAQ1_WHATSAPP, ("content/cy/guide.yaml", "topics.faq1", "whatsapp")),
        (NO_WELSH_FAQ_KEY_3, ("content/cy/line.yaml", "voice.menus.faq", "'3'")),
        ((("cy/line.yaml", '  keys_only: "Pwyswch fotwm i ddewis."\n', ""),),
         ("content/cy/line.yaml", "voice", "'keys_only'")),
        ((("cy/regions.yaml", "GB:\n", "US:\n"),), ("content/cy/regions.yaml", "no region 'GB' for cy-GB")),
        ((("cy/line.yaml", "  nothing_more: \"Dyna'r rhan olaf.\"", "  nothing_more: {US: \"Dyna'r rhan olaf.\"}"),),
         ("content/cy/line.yaml", "sms.nothing_more", "['GB']")),
        ((("en/line.yaml", '  nothing_more: "That was the last part."',
            '  nothing_more: {GB: "That was the last part."}'),),
         ("content/en/line.yaml", "sms.nothing_more", "['GB', 'US']")),
    ],
    ids=["piece", "whatsapp-form", "menu-key", "prompt", "region", "welsh-region-variant", "english-region-variant"],
)
def test_a_welsh_pack_lacking_what_english_has_refuses_to_start_naming_it(make_app, tmp_path, edits, named):
    message = refusal(make_app, tmp_path, "en-GB,cy-GB", *edits)
    for words in named:
        assert words in message, message


@pytest.mark.parametrize(
    "locales, edit, named",
    [
        ("en-GB,cy-GB", ("cy/line.yaml", "synonyms: [diolch yn fawr,", "synonyms: [what to bring, diolch yn fawr,"),
         ("'what to bring'", "'thanks'", "'bring'", "en-GB")),
        ("en-US,es-US", ("es/guide.yaml", "keyword: DATOS", "keyword: ASK"), ("'ask'", "'facts'", "en-US")),
        ("en-US,es-US", ("es/line.yaml", "synonyms: [muchas gracias,", "synonyms: [faq, muchas gracias,"),
         ("'faq'", "'thanks'", "en-US")),
    ],
)
def test_a_word_meaning_two_topics_across_served_languages_is_refused_naming_both(
    make_app, tmp_path, locales, edit, named
):
    message = refusal(make_app, tmp_path, locales, edit)
    for words in named:
        assert words in message, message


@pytest.mark.parametrize(
    "locales, key, named",
    [
        ("en-GB,cy-GB", "4", "'4' is a key of the main menu"),
        ("en-GB,cy-GB", "1", "'1' is a key of the main menu"),
        ("en-GB,cy-GB", "0", "'0' is the help key"),
        ("en-GB,cy-GB", "*", "'*' is the back key"),
        ("en-GB,cy-GB", "7", "'7' is also the key of 'en'"),
        ("en-US,es-US", "3", "'3' is a key of the main menu"),
    ],
)
def test_a_language_key_colliding_with_a_main_menu_key_or_another_language_is_refused(
    make_app, tmp_path, locales, key, named
):
    code = tags_of(locales)[1].split("-")[0]
    old = {"cy": 'key: "8"', "es": 'key: "9"'}[code]
    message = refusal(make_app, tmp_path, locales, (f"{code}/language.yaml", old, f'key: "{key}"'))
    assert f"content/{code}/language.yaml" in message and named in message, message


def test_the_same_packs_served_alone_start_without_the_side_by_side_checks(make_app, tmp_path):
    root = content_copy(tmp_path)
    replace_once(root / "cy/language.yaml", 'key: "8"', 'key: "7"')  # only clashes with English's key
    app = make_app(CONTENT_DIR=str(root), LINE_LOCALES="cy-GB")
    assert Served.of(app).language.key == "7"


SAME_SHAPE = ": every served language needs the same pieces, forms and keys"


def test_other_keys_after_a_piece_in_the_welsh_pack_are_refused_showing_both_sets_of_keys(make_app, tmp_path):
    # As many keys as English, but not the same ones: the second pack, not the default, is named.
    message = refusal(make_app, tmp_path, "en-GB,cy-GB",
                      ("cy/line.yaml", '{key: "2", action: text,', '{key: "3", action: text,'))
    assert message == (
        "content/cy/line.yaml: voice.after_piece: cy-GB has ('1', '3', '*') where en-GB has ('1', '2', '*')"
        + SAME_SHAPE
    )


def test_a_welsh_first_line_says_english_has_the_piece_that_welsh_lacks(make_app, tmp_path):
    message = refusal(make_app, tmp_path, "cy-GB,en-GB", *NO_WELSH_FACTS)
    assert message == (
        "content/cy/guide.yaml: topics.facts: en-GB has ('sms', 'whatsapp', 'voice') where cy-GB has nothing"
        + SAME_SHAPE
    )


def test_a_word_meaning_two_topics_across_languages_is_refused_in_the_file_and_topic_that_took_it_second(
    make_app, tmp_path
):
    message = refusal(make_app, tmp_path, "en-GB,cy-GB",
                      ("cy/line.yaml", "synonyms: [diolch yn fawr,", "synonyms: [what to bring, diolch yn fawr,"))
    assert message == (
        "content/cy/line.yaml: topics.thanks: 'what to bring' means 'thanks' here but 'bring' in en-GB: "
        "use another word in one"
    )


@pytest.mark.parametrize(
    "key, problem",
    [
        ("4", "'4' is a key of the main menu: choose 7, 8 or 9"),
        ("7", "'7' is also the key of 'en'"),
    ],
)
def test_a_language_key_refusal_names_the_file_and_the_entry(make_app, tmp_path, key, problem):
    message = refusal(make_app, tmp_path, "en-GB,cy-GB", ("cy/language.yaml", 'key: "8"', f'key: "{key}"'))
    assert message == f"content/cy/language.yaml: key: {problem}"


@pytest.mark.parametrize("key", ["A", "78", "#"])
def test_a_language_key_that_is_not_one_phone_key_is_refused(make_app, tmp_path, key):
    # A caller cannot press "A" or "78", and "#" ends a <Gather>: such a key would offer a language no one can pick.
    message = refusal(make_app, tmp_path, "en-GB,cy-GB", ("cy/language.yaml", 'key: "8"', f'key: "{key}"'))
    assert message == f"content/cy/language.yaml: key: {key!r} is not one phone key: choose 7, 8 or 9"


# ---------------------------------------------------------------------------------------------------------------
# Bugs these tests found, each now fixed: kept so that none comes back.
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("locales, before", [("en-GB,cy-GB", ("CYMRAEG",)), ("cy-GB", ())])
def test_help_in_a_welsh_conversation_gets_the_help_text(locales, before):
    # Once a bug: the Welsh matcher reads "help" as one typo from the Welsh menu synonym "helo", so HELP (which CTIA
    # requires to get the help text) gets the Welsh menu: on a Welsh-only line, and in a Welsh conversation,
    # where it ties with English's HELP and the current language wins.
    twilio, _ = locale_after(locales, before)
    reply = twilio.message("HELP")
    answers = {(tag, name) for tag, name, _ in which_reply(locales, reply)}
    assert answers & {(tag, "help") for tag in tags_of(locales)}, answers


def test_more_in_another_served_language_gives_the_next_part_not_the_last_part_message():
    # Once a bug: mid-way through a Spanish piece, MORE (English) switches the conversation to English and drops the
    # part still to come: "That was the last part." though part 3 of LLEVAR is waiting.
    locales = "en-US,es-US"
    twilio, _ = locale_after(locales, ("LLEVAR", "MAS"))
    reply = twilio.message("MORE")
    answers = which_reply(locales, reply)
    assert answers & {("es-US", "bring", 3), ("en-US", "bring", 3)}, answers


def test_mas_in_an_english_conversation_gives_the_next_part():
    # The same bug the other way round: BRING then MAS (Spanish for more) says "Esa fue la ultima parte".
    locales = "en-US,es-US"
    twilio, _ = locale_after(locales, ("BRING",))
    answers = which_reply(locales, twilio.message("MAS"))
    assert answers & {("en-US", "bring", 2), ("es-US", "bring", 2)}, answers


@pytest.mark.parametrize(("locales", "before", "word", "tag"), [
    ("en-US,es-US", (), "mas", "es-US"),  # a first text: once the English "nothing more" on a two-language line
    ("en-US,es-US", (), "Más", "es-US"),
    ("en-GB,cy-GB", (), "mwy", "cy-GB"),
    ("en-US,es-US", (), "more", "en-US"),  # both languages know it: the line's first
    ("en-US,es-US", ("FAQ",), "mas", "en-US"),  # in an English conversation, MORE follows the conversation
])
def test_a_more_word_with_nothing_to_follow_says_so_in_the_language_of_the_conversation_or_of_the_word(
        locales, before, word, tag):
    twilio, _ = locale_after(locales, before)
    reply = twilio.message(word)
    assert reply == served(locales, tag).replies["nothing_more"][0], which_reply(locales, reply)


def test_a_welsh_first_line_names_the_welsh_file_that_lacks_a_piece(make_app, tmp_path):
    # Once a bug: with LINE_LOCALES=cy-GB,en-GB (a Welsh-first board) the refusal names content/en/guide.yaml, the
    # file that is right, instead of content/cy/guide.yaml, the one to fix.
    message = refusal(make_app, tmp_path, "cy-GB,en-GB", *NO_WELSH_FACTS)
    assert message.startswith("content/cy/guide.yaml: topics.facts"), message


def test_the_spanish_help_text_reads_del_equipo_not_de_el_equipo():
    # Content bug: "de {operator}" with operator "el equipo de..." reads "de el equipo", which Spanish writes "del".
    reply = texter("es-US").message("AYUDA")
    assert " de el " not in reply, reply


@pytest.mark.parametrize("words", ["en español por favor", "español por favor", "quiero español"])
def test_a_spanish_speaker_asking_for_spanish_in_spanish_at_the_english_menu_gets_spanish(words):
    # Once a bug: the English menu's listener drops only English filler, so "en español por favor" is "not understood".
    locales = "en-US,es-US"
    call = Call(Twilio(deployment(locales).test_client()))
    call.start()
    turn = call.say(words)
    assert turn.said[:1] == served(locales, "es-US").topics["menu"].voice, turn.said


@pytest.mark.parametrize(
    "locales, text, tag",
    [
        ("en-US,es-US", "Spanish please", "es-US"),
        ("en-US,es-US", "español por favor", "es-US"),
        ("en-US,es-US", "en español", "es-US"),
        ("en-GB,cy-GB", "welsh please", "cy-GB"),
        ("en-GB,cy-GB", "Cymraeg plis", "cy-GB"),
        ("en-GB,cy-GB", "yn Gymraeg", "cy-GB"),  # "Gymraeg": the mutated form, as in the line's own offer
    ],
)
def test_a_language_name_with_a_courtesy_or_a_preposition_switches_by_text_too(locales, text, tag):
    # Once a bug: by SMS only the bare name switches; "Spanish please" gets "Sorry, I didn't understand" in English,
    # though the phone line understands "spanish please" (its filler words) and a caller's "inglés por favor".
    reply = texter(locales).message(text)
    assert reply == served(locales, tag).replies["menu"][0], which_reply(locales, reply)


ASKED_FOR = [  # (deployment, a request for a language in the words people ask with, the locale, or None: unserved)
    ("en-US,es-US", "quiero hablar en espanol", "es-US"),
    ("en-US,es-US", "hablo español", "es-US"),
    ("en-US,es-US", "me pueden escribir en español por favor", "es-US"),
    ("en-US,es-US", "I want to speak Spanish", "es-US"),
    ("en-US,es-US", "do you speak spanish", "es-US"),
    ("en-GB,cy-GB", "can i have it in welsh please", "cy-GB"),
    ("en-GB,cy-GB", "dw i eisiau siarad Cymraeg", "cy-GB"),
    ("en-GB,cy-GB", "ga i o yn Gymraeg plis", "cy-GB"),
    ("en-GB,cy-GB", "i would rather read english", "en-GB"),
    # An outside tester's kinds (2026-12-03): shorthand around the name, and what a Spanish speaker says of English
    ("en-US,es-US", "can u speak spanish", "es-US"),
    ("en-US,es-US", "en ingles porfa", "en-US"),
    ("en-US,es-US", "no hablo ingles", "es-US"),
    ("en-US,es-US", "perdon, yo no hablo inglés", "es-US"),
    ("en-GB,cy-GB", "quiero hablar en espanol", None),  # Spanish is not served here: which languages are
    ("en-GB,cy-GB", "Polish please", None),  # nor is Polish anywhere: no pack has it
    ("en-US,es-US", "do you speak vietnamese", None),
    ("en-US,es-US", "portugues por favor", None),
    ("en-US,es-US", "dw i eisiau siarad Cymraeg", None),
]


@pytest.mark.parametrize("locales, text, tag", ASKED_FOR)
def test_asking_for_a_language_in_a_sentence_switches_to_it_by_text(locales, text, tag):
    # Once a bug: only a name with courtesies switched, so "quiero hablar en espanol", a Spanish speaker's
    # likeliest first text, was read by the Spanish model as an emergency (41%: "hablar" is in "no puedo hablar").
    reply = texter(locales).message(text)
    expected = served(locales, tag).replies["menu"][0] if tag else served(locales, tags_of(locales)[0]).replies[
        "languages"
    ][0]
    assert reply == expected, which_reply(locales, reply)


@pytest.mark.parametrize("locales, text, tag", [row for row in ASKED_FOR if row[2] and row[2] != "en-GB"])
def test_asking_for_a_language_in_a_sentence_switches_to_it_on_a_call(locales, text, tag):
    call = Call(Twilio(deployment(locales).test_client()))
    call.start()
    turn = call.say(text)
    assert url_locale(turn.gather, tags_of(locales)[0]) == tag
    assert turn.said[:1] == served(locales, tag).topics["menu"].voice, turn.said


@pytest.mark.parametrize(("locales", "text"), [
    ("en-US,es-US", "no puedo hablar, quiero español"),
    ("en-US,es-US", "no puede hablar, en español por favor"),
    ("en-GB,cy-GB", "no hablo ingles y me quiero morir"),  # a crisis in a pack this line does not serve
])
def test_a_crisis_in_a_request_for_a_language_gets_the_emergency_reply_first(locales, text):
    # Every word of the first two is one a request for a language may hold, and "no puedo hablar" is a stroke's
    # sign; the third names Spanish inside it, on a line whose Spanish is not served (once the list of languages).
    found = which_reply(locales, texter(locales).message(text))
    assert {name for _, name, _ in found} == {"emergency"}, found


def test_a_language_named_inside_a_question_is_not_a_request_for_it():
    # "No hablo ingles" names Spanish, but with a question around it the question is answered (in Spanish).
    reply = texter("en-US,es-US").message("no hablo ingles, que tengo que llevar")
    assert reply == served("en-US,es-US", "es-US").replies["bring"][0], which_reply("en-US,es-US", reply)


@pytest.mark.parametrize(
    "locales, text",
    [("en-US,es-US", "y"), ("en-US,es-US", "no"), ("en-US,es-US", "x y z"), ("en-GB,cy-GB", "i"),
     ("en-GB,cy-GB", "a b c"), ("en-GB,cy-GB", "ie"), ("en-GB,cy-GB", "no")],
)
def test_a_text_of_single_letters_or_one_small_word_is_not_understood_in_the_conversations_language(locales, text):
    # Once a bug: every language's model guessed at it, and the guess won: "y" (Spanish "and") got the Spanish
    # emergency numbers, "i" the Welsh can't-advise reply, "x y z" the Spanish WHEN piece.
    reply = texter(locales).message(text)
    assert reply == served(locales, tags_of(locales)[0]).replies["not_understood"][0], which_reply(locales, reply)


@pytest.mark.parametrize(
    "locales, before, text, tag, reply",
    [
        ("en-US,es-US", (), "informacion", "es-US", "help"),  # English reads it too, as "information" mistyped
        ("en-US,es-US", ("ESPANOL",), "information", "en-US", "help"),  # and Spanish as "informacion"
        ("en-GB,cy-GB", (), "haia", "cy-GB", "menu"),  # Welsh "hi", English "hiya" mistyped
        ("en-US,es-US", ("ESPANOL",), "lists", "en-US", "menu"),  # a keyword's plural is the keyword spelt exactly
    ],
)
def test_a_keyword_spelt_exactly_in_one_language_beats_a_mistyped_keyword_of_another(locales, before, text, tag, reply):
    twilio = texter(locales)
    for body in before:
        twilio.message(body)
    answer = twilio.message(text)
    assert answer == served(locales, tag).replies[reply][0], which_reply(locales, answer)


@pytest.mark.parametrize(
    "locales, text",
    [
        ("en-US,es-US", "remove me from this list, me duele mucho el pecho"),
        ("en-US,es-US", "stop texting me, me quiero morir"),
        ("en-GB,cy-GB", "stop texting me, mae poen yn fy mrest"),
    ],
)
@pytest.mark.parametrize("first", [True, False])
def test_a_crisis_in_one_language_beats_a_request_to_stop_in_another(locales, text, first):
    # The English reading is a rule (how to stop), the other's a crisis phrase: the crisis always answers.
    twilio = texter(locales)
    if not first:
        twilio.message("MENU")
    found = which_reply(locales, twilio.message(text))
    assert {name for _, name, _ in found} == {"emergency"}, found


MIXED_NOT_YET = [  # a courtesy in the conversation's language outweighs a question in the other one
    ("en-US,es-US", "ESPANOL", "hola, what do I need to bring to my appointment?", "bring"),
    ("en-GB,cy-GB", "CYMRAEG", "helo, what should I bring", "bring"),
    ("en-US,es-US", "ESPANOL", "gracias. how do i ask for one", "ask"),
    ("en-US,es-US", "", "hello, que tengo que llevar a la cita", "bring"),
    ("en-GB,cy-GB", "", "hi, beth ddylwn i ddod gyda fi", "bring"),
    ("en-US,es-US", "", "thanks! y cuanto cuesta?", "faq3"),
]


@pytest.mark.parametrize("locales, before, text, topic", MIXED_NOT_YET)
def test_a_mixed_language_text_gets_its_question_answered_in_any_conversation(locales, before, text, topic):
    twilio, _ = locale_after(locales, (before,) if before else ())
    answers = {(tag, name) for tag, name, _ in which_reply(locales, twilio.message(text))}
    assert answers & {(tag, topic) for tag in tags_of(locales)}, answers


SPANISH_NOT_YET = [
    ("tengo miedo de que mi doctor se enoje si pido otra opinion", "faq1"),
    ("cuanto me va a costar ver a otro especialista", "faq3"),
    ("cuales documentos debo juntar antes de ir con el nuevo doctor", "bring"),
    ("me dijeron que tengo un tumor, vale la pena buscar otra opinion?", "when"),
    ("alguien me explica en que consiste pedir otra opinion medica", "facts"),
    ("tengo que llevar mis radiografias y mis medicinas?", "bring"),
    ("el cirujano quiere operarme la rodilla, me conviene otra opinion antes", "when"),
    ("mi esposo se agarra el pecho y esta sudando frio", "emergency"),  # a crisis missed
    ("que dosis de ibuprofeno le puedo dar a mi hijo", "cant_advise"),
    ("puedo ir a otro medico sin decirle nada al mio?", "faq2"),
    ("no confio en lo que me dijo el doctor, que hago", "when"),
    ("siento que ya no vale la pena seguir viviendo", "emergency"),  # a crisis missed: gets WHEN ("vale la pena")
]
WELSH_NOT_YET = [
    ("beth ddylwn i fynd efo fi i'r apwyntiad", "bring"),
    ("dwi ofn i'r doctor deimlo'n ddig os dwi'n holi am rywun arall", "faq1"),
    ("beth yw'r ffordd orau o ofyn i'r meddyg am farn arall", "ask"),
    ("mae gen i ganser, ydy hi werth cael ail farn", "when"),  # Welsh "hi" read as English "hi": the menu
    ("oes llawer o bobl yn cael ail farn", "facts"),
    ("dwi eisiau siarad efo person go iawn", "help"),
    ("dwi ddim yn cytuno efo'r diagnosis ges i", "when"),
    ("ydy hi am ddim neu oes rhaid talu", "faq3"),  # Welsh "hi" read as English "hi": the menu
    ("ydy hi'n iawn cymryd dwy dabled ibuprofen efo fy moddion eraill", "cant_advise"),
    ("oes hawl gen i weld arbenigwr arall heb ganiatâd y feddygfa", "faq2"),
    ("rhowch y prif bwyntiau am ail farn i mi", "facts"),
]


FREE_QUESTIONS = (
    [("es-US", *q) for q in SPANISH + SPANISH_NOT_YET] + [("cy-GB", *q) for q in WELSH + WELSH_NOT_YET]
)
