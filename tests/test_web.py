"""The home page, the try-it panels and the printable card, through Flask's test client."""

import logging
import re

import pytest
from content_copy import content_copy, replace_once
from hypothesis import given
from hypothesis import strategies as st
from lxml import html
from support import LINE_NUMBER as NUMBER
from support import SECRET, TOKEN, Served, Twilio, after_word

from app import create_app
from app.content import ContentError

PAGES = ["/", "/card", "/card?paper=letter"]


def page(client, url: str):
    """GET an HTML page and parse it."""
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return html.fromstring(response.get_data(as_text=True))


def text_of(element) -> str:
    """An element's text with runs of white space made single."""
    return " ".join(element.text_content().split())


def card_keywords(client) -> list[str]:
    """The keywords the card prints."""
    return [text_of(cell) for cell in page(client, "/card").cssselect("th.keyword")]


def test_the_card_prints_the_number_the_keyword_and_a_qr_code_of_the_sms_link(client, content, app):
    card = page(client, "/card")
    assert text_of(card.cssselect(".number")[0]) == "+44 7700 900123"
    keyword = content.topics["menu"].keyword
    assert f"Text {keyword} to this number" in text_of(card.cssselect(".cta")[0])
    svg = card.cssselect("svg.qr")
    assert len(svg) == 1
    assert svg[0].get("role") == "img" and "+44 7700 900123" in svg[0].get("aria-label")
    assert svg[0].get("viewbox") and not svg[0].get("width"), "sized by CSS, so the code prints sharp at any size"
    assert next(iter(app.extensions["web_sites"].values())).sms_link == f"sms:{NUMBER}?body={keyword}"


def test_the_card_lists_the_sms_menu_then_menu_and_help(client, content):
    expected = [content.topics[t].keyword for t in content.sms_menu] + ["MENU", "HELP"]
    assert card_keywords(client) == expected


def test_every_keyword_on_the_card_gets_its_own_piece_from_the_real_sms_webhook(app, content):
    by_keyword = {topic.keyword: topic_id for topic_id, topic in content.topics.items() if topic.keyword}
    keywords = card_keywords(app.test_client())
    assert len(keywords) >= 5
    for keyword in keywords:
        reply = Twilio(app.test_client()).message(keyword)  # a new sender each time: no cookie helps
        assert not reply.startswith(content.sms.not_understood), keyword
        assert reply == content.replies[by_keyword[keyword]][0], keyword


def test_the_card_prints_each_phone_menu_key_with_its_label(client, content):
    card = page(client, "/card")
    top = card.cssselect(".keys")[0]
    printed = [
        (text_of(item.cssselect(".key")[0]), text_of(item.cssselect(".label")[0])) for item in top.findall("li")
    ]
    assert printed == [(o.key, o.label) for o in content.voice.menus["main"]]
    nested = [text_of(key) for key in top.cssselect("li li .key")]
    assert nested == [o.key for o in content.voice.menus["faq"]]


def test_the_card_prints_the_emergency_line_disclaimer_and_how_to_stop(client, content):
    card = text_of(page(client, "/card"))
    assert f"call {content.region.emergency_number} now" in card
    assert content.sms.disclaimer in card
    assert "Reply STOP to stop texts" in card


def test_the_us_card_prints_the_us_emergency_number(make_app):
    card = text_of(page(make_app(LINE_LOCALES="en-US").test_client(), "/card"))
    assert "call 911 now" in card and "999" not in card


def test_letter_and_a4_cards_are_the_same_card_on_different_paper(client):
    a4, letter = client.get("/card").get_data(as_text=True), client.get("/card?paper=letter").get_data(as_text=True)
    assert 'class="card-page paper-a4"' in a4 and 'class="card-page paper-letter"' in letter
    assert 'class="card-page paper-a4"' in client.get("/card?paper=<b>").get_data(as_text=True)


def test_the_text_for_letters_is_plain_text_with_the_number_and_keyword(client, content):
    response = client.get("/card.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "Text MENU to +44 7700 900123" in text
    assert content.sms.disclaimer in text and "Reply STOP to stop texts" in text
    card = page(client, "/card")
    assert card.get_element_by_id("paste-plain").text.strip() == text.strip()
    assert card.get_element_by_id("paste-html").text.startswith("<p>Second Opinion Line:")


@pytest.mark.parametrize("setting", ["", "12345", "+44 abc 900123", "+0447700900123", "07700 900123"])
def test_without_a_valid_number_the_pages_say_so_and_print_no_number_or_qr(make_app, setting):
    client = make_app(LINE_PHONE_NUMBER=setting).test_client()
    for url in PAGES:
        body = client.get(url).get_data(as_text=True)
        document = html.fromstring(body)
        assert "LINE_PHONE_NUMBER" in text_of(document.cssselect(".not-configured")[0])
        assert not document.cssselect("svg, .number"), url
        assert "sms:" not in body and "tel:" not in body
        digits = re.sub(r"\D", "", setting)
        assert not digits or digits not in re.sub(r"\D", "", body), "a wrong number is never printed"
    text = client.get("/card.txt").get_data(as_text=True)
    assert "LINE_PHONE_NUMBER" in text and "Text MENU to" not in text


@pytest.mark.parametrize("url", [*PAGES, "/card.txt", "/no-such-page"])
def test_pages_send_security_headers(client, url):
    headers = client.get(url).headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("url", PAGES)
def test_pages_have_no_inline_script_or_style_for_the_policy_to_block(client, url):
    document = page(client, url)
    assert all(script.get("src") for script in document.iter("script"))
    assert not list(document.iter("style"))
    assert not document.xpath("//*[@style or @*[starts-with(name(), 'on')]]")


def try_text(client, message: str) -> dict:
    """Type a message into the text panel, as its script does."""
    response = client.post("/try/text", data={"message": message}, headers={"Accept": "application/json"})
    assert response.status_code == 200
    return response.get_json()


def test_the_text_panel_answers_exactly_as_the_sms_webhook_does(app, twilio):
    panel = app.test_client()
    for message in ["FAQ", "2", "bring", "MORE", "MORE", "MORE", "what should I say to my GP?", "zzz", "HELP"]:
        shown = try_text(panel, message)
        assert shown["sent"] == message
        assert shown["reply"] == twilio.message(message), message


def test_an_opt_out_word_shows_that_the_line_stays_silent(client, content, app):
    shown = try_text(client, "STOP")
    assert shown["reply"] is None
    assert shown["note"] == next(iter(app.extensions["web_sites"].values())).words.text.silent


def test_the_text_panel_works_as_a_plain_form_and_escapes_what_was_typed(client, content):
    message = '<script>alert("x")</script> bring'
    response = client.post("/try/text", data={"message": message})
    assert response.status_code == 200 and response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "<script>alert" not in body
    document = html.fromstring(body)
    assert text_of(document.cssselect("#text-reply .sent")[0]) == message
    assert document.cssselect("#text-reply .sms")[0].text_content() == content.replies["bring"][0]


def test_a_long_text_is_cut_to_what_twilio_would_deliver(client):
    shown = try_text(client, "bring " * 1000)
    assert len(shown["sent"]) == 1600
    assert shown["reply"]


@pytest.fixture(scope="module")
def web_app():
    """One app for the module: hypothesis runs many examples against it."""
    return create_app({"TESTING": True, "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET, "LINE_PHONE_NUMBER": NUMBER})


# Control characters left out: an HTML parser rewrites them, so the comparison below would not hold.
@given(message=st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=400))
def test_any_text_gets_a_reply_the_line_could_send_and_is_shown_escaped(web_app, message):
    client = web_app.test_client()
    shown = try_text(client, message)
    replies = {text for parts in Served.of(web_app).replies.values() for text in parts}
    assert shown["reply"] in replies or (shown["reply"] is None and shown["note"])
    response = client.post("/try/text", data={"message": message})
    assert response.status_code == 200
    sent = html.fromstring(response.get_data(as_text=True)).cssselect("#text-reply .sent")[0]
    assert sent.text_content() == message, "shown as typed: escaped, not interpreted"


def test_the_text_panel_never_logs_what_was_typed(client, caplog):
    with caplog.at_level(logging.INFO, logger="line"):
        try_text(client, "my secret diagnosis is kidney trouble")
    assert "channel=try-text" in caplog.text
    assert "secret" not in caplog.text and "kidney" not in caplog.text


@pytest.mark.parametrize(
    "step", ["/sms", "http://evil.example/voice", "//evil.example/voice", "/voice/../sms", "/voicemail?x=<b>", ""]
)
def test_the_phone_panel_takes_only_phone_line_steps(client, step):
    response = client.post("/try/call", data={"step": step, "Digits": "1"})
    assert response.status_code == 400


def test_hanging_up_ends_the_call_without_asking_the_line(client, app):
    response = client.post("/try/call", data={"hangup": "1"}, headers={"Accept": "application/json"})
    assert response.get_json() == {"said": [], "gather": None, "redirect": None, "ended": True}


def test_broken_web_words_are_refused_naming_the_file_and_entry(make_app, tmp_path):
    root = content_copy(tmp_path)
    replace_once(root / "en" / "web.yaml", "{keyword} to this number", "{keywrd} to this number")
    with pytest.raises(ContentError, match=r"content/en/web\.yaml: card\.text_cta: unknown placeholder \{keywrd\}"):
        make_app(CONTENT_DIR=str(root))


def test_a_missing_web_word_is_refused(make_app, tmp_path):
    root = content_copy(tmp_path)
    replace_once(root / "en" / "web.yaml", '  send: "Send"\n', "")
    with pytest.raises(ContentError, match=r"content/en/web\.yaml: text: missing field 'send'"):
        make_app(CONTENT_DIR=str(root))


def try_call(client, step: str, **given) -> dict:
    """One step of the phone panel, as its script asks for it."""
    response = client.post("/try/call", data={"step": step, **given}, headers={"Accept": "application/json"})
    assert response.status_code == 200
    return response.get_json()


def test_the_phone_panel_starts_with_the_welcome_and_main_menu(client, content):
    call = try_call(client, "/voice")
    assert call["said"] == [*content.topics["menu"].voice, *content.menu_lines("main")]
    assert call["gather"] == "/voice/menu/main" and not call["ended"]


def test_each_key_printed_on_the_card_leads_where_its_label_says(client, content):
    start = try_call(client, "/voice")["gather"]
    for option in content.voice.menus["main"]:
        said = try_call(client, start, Digits=option.key)["said"]
        expected = content.topics[option.topic].voice if option.topic else content.menu_lines(option.menu)
        assert said[: len(expected)] == list(expected), option.key


def test_typed_speech_is_heard_as_the_phone_line_hears_it(client, content):
    start = try_call(client, "/voice")["gather"]
    said = try_call(client, start, SpeechResult="what should I bring")["said"]
    assert said[0] == content.topics["bring"].voice[0]


def test_staying_silent_follows_the_line_s_no_input_path(client, content):
    call = try_call(client, "/voice")
    said = try_call(client, call["redirect"])["said"]
    assert said[0] == content.voice.no_input[0]


class Listener:
    """A local socket standing in for Twilio's REST API, counting who connects."""

    def __init__(self):
        import socket
        import threading

        self.socket = socket.create_server(("127.0.0.1", 0))
        self.connections = 0
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        """Count each connection and close it at once."""
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()

    @property
    def url(self) -> str:
        """The base URL the line is told to send texts through."""
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}"


def test_the_phone_panel_never_sends_a_text_though_the_real_line_would(make_app, content):
    listener = Listener()
    app = make_app(TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_API_BASE_URL=listener.url, SEND_TIMEOUT=1)
    panel = app.test_client()
    after = try_call(panel, "/voice/menu/main", Digits="3")
    assert after_word(content, "text") not in after["said"], "the panel does not offer a text"
    pressed = try_call(panel, after["gather"], Digits="2")
    assert pressed["said"][0] == content.voice.wrong_key
    assert listener.connections == 0
    # The control: the real webhook, signed as Twilio signs it, does try to send at the same step.
    real = {"Digits": "2", "CallSid": "CA" + "0" * 32, "From": "+447700900456", "To": NUMBER}
    Twilio(app.test_client()).post("/voice/after/bring", real)
    assert listener.connections >= 1
    listener.socket.close()


@given(
    digits=st.text(max_size=5),
    speech=st.text(st.characters(exclude_categories=("Cs",)), max_size=400),
    step=st.sampled_from(["/voice", "/voice/menu/main", "/voice/menu/faq?silence=2", "/voice/after/ask?wrong=9"]),
)
def test_any_key_or_speech_gets_a_step_of_the_real_menu_never_a_500(web_app, digits, speech, step):
    call = try_call(web_app.test_client(), step, Digits=digits, SpeechResult=speech)
    assert call["said"] and all(isinstance(line, str) for line in call["said"])
    assert call["ended"] or call["gather"].startswith("/voice/")


@pytest.mark.parametrize("url", ["/try/text", "/try/call"])
def test_opening_a_try_it_address_directly_goes_back_to_the_panels(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/#try-heading")


def test_the_text_panel_shows_the_whatsapp_form_of_a_reply_too(client, content):
    shown = client.post("/try/text", data={"message": "BRING", "channel": "whatsapp"},
                        headers={"Accept": "application/json"}).get_json()
    assert shown["reply"] == content.whatsapp["bring"] and "Reply MORE" not in shown["reply"]
    assert shown["channel"] == "whatsapp"
    plain = client.post("/try/text", data={"message": "BRING", "channel": "sms"},
                        headers={"Accept": "application/json"}).get_json()
    assert plain["reply"] == content.replies["bring"][0]
    opted = client.post("/try/text", data={"message": "STOP", "channel": "whatsapp"},
                        headers={"Accept": "application/json"}).get_json()
    assert opted["reply"] == content.whatsapp["opt_out"]  # WhatsApp has no carrier opt-out: the line says so
