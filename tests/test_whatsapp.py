"""WhatsApp through the Messaging webhook: signed WhatsApp-shaped requests into /sms, in every served locale.

Twilio posts WhatsApp messages to the same URL as SMS, with From/To as whatsapp:+E164 and extra fields
(ProfileName, WaId, ButtonText, location fields). Everything here passes today: no known failures.
"""

import base64
import json
import logging
import re

import pytest
from support import CALLER, LINE_NUMBER, Served, Twilio, deployment

PAIRS = ("en-GB,cy-GB", "en-US,es-US")
DEPLOYMENTS = PAIRS + ("en-GB", "en-US", "cy-GB", "es-US")
PROFILE_NAME = "Gwenllian Prydderch-Ramírez"  # a name as WhatsApp sends it: personal data
WA_ID = CALLER.lstrip("+")  # the sender's WhatsApp id: their number without the plus
MAX_MESSAGE = 1600  # Twilio's limit for one message body


def tags_of(locales: str) -> tuple[str, ...]:
    """The locales a deployment serves, in order."""
    return tuple(locales.split(","))


def served(locales: str, tag: str) -> Served:
    """What a deployment serves in one of its locales."""
    return Served.of(deployment(locales), tag)


class WhatsApp(Twilio):
    """A WhatsApp user messaging the line: Twilio's WhatsApp fields on every request."""

    def whatsapp(self, body: str | None, **extra) -> str | None:
        """Send one WhatsApp message and return the reply's text (None for none)."""
        fields = {"From": f"whatsapp:{CALLER}", "To": f"whatsapp:{LINE_NUMBER}", "ProfileName": PROFILE_NAME,
                  "WaId": WA_ID, "SmsMessageSid": "SM" + "1" * 32, "NumSegments": "1", **extra}
        return self.message(body, **fields)


def user(locales: str) -> WhatsApp:
    """A new WhatsApp user (a fresh cookie jar) of a deployment."""
    return WhatsApp(deployment(locales).test_client())


def which(locales: str, text: str | None, channel: str = "whatsapp") -> set[tuple[str, str]]:
    """Which (locale, reply) a reply's text is, among the channel's replies of every served locale."""
    found = set()
    for tag in tags_of(locales):
        content = served(locales, tag)
        replies = content.whatsapp.items() if channel == "whatsapp" else (
            (name, part) for name, parts in content.replies.items() for part in parts)
        found |= {(tag, name) for name, reply in replies if reply == text}
    return found


def switched(locales: str, tag: str) -> WhatsApp:
    """A WhatsApp user whose conversation is in `tag`."""
    chat = user(locales)
    if tag != tags_of(locales)[0]:
        chat.whatsapp(served(locales, tag).language.switch[0])
    return chat


def assert_whatsapp_form(text: str, content: Served) -> None:
    """One whole message: no "Reply MORE", within Twilio's limit, ending with the WhatsApp disclaimer."""
    more = content.sms.more.split("{")[0].strip()  # "Reply MORE for part", "Responda MAS para la parte"...
    assert more not in text, text
    assert len(text) <= MAX_MESSAGE, len(text)
    assert text.endswith("\n\n" + content.locale.whatsapp.disclaimer), text


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_every_keyword_in_each_language_gets_the_whole_piece_in_one_whatsapp_message(locales):
    for tag in tags_of(locales):
        content = served(locales, tag)
        for topic_id, topic in content.topics.items():
            if not topic.keyword:
                continue
            reply = switched(locales, tag).whatsapp(topic.keyword)
            assert reply == content.whatsapp[topic_id], (tag, topic.keyword)
            assert_whatsapp_form(reply, content)


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_a_long_piece_on_whatsapp_holds_every_item_its_sms_parts_hold(locales):
    for tag in tags_of(locales):
        content = served(locales, tag)
        for topic_id in ("bring", "when"):
            sms_lines = [line for part in content.replies[topic_id] for line in part.split("\n")]
            sms_items = sum(1 for line in sms_lines if line.startswith("- "))
            reply = switched(locales, tag).whatsapp(content.topics[topic_id].keyword)
            items = [line for line in reply.split("\n") if re.match(r"^([0-9]+\.|-) ", line)]
            assert len(content.replies[topic_id]) > 1 and len(items) >= sms_items, (tag, topic_id, items)


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_every_whatsapp_reply_is_one_message_ending_with_the_whatsapp_disclaimer(locales):
    for tag in tags_of(locales):
        content = served(locales, tag)
        for text in content.whatsapp.values():
            assert_whatsapp_form(text, content)


@pytest.mark.parametrize("locales, topic", [("en-US,es-US", "ask"), ("en-GB,cy-GB", "faq2")])
def test_whatsapp_keeps_the_accents_the_sms_form_folds(locales, topic):
    tag = tags_of(locales)[1]
    content = served(locales, tag)
    reply = switched(locales, tag).whatsapp(content.topics[topic].keyword)
    folded = "[áíóúâêîôûŵŷ]"
    assert re.search(folded, reply), reply
    assert not re.search(folded, content.replies[topic][0])  # the SMS form writes them plainly, to stay GSM-7


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_faq_then_a_number_works_with_the_cookie(locales):
    for tag in tags_of(locales):
        content = served(locales, tag)
        for number in ("1", "2", "3"):
            chat = switched(locales, tag)
            assert chat.whatsapp(content.topics["faq"].keyword) == content.whatsapp["faq"]
            assert chat.whatsapp(number) == content.whatsapp[f"faq{number}"], (tag, number)


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_faq_then_a_number_works_without_the_cookie(locales):
    # Twilio documents its cookies for SMS only: each message here comes from a new client, with no cookie.
    for tag in tags_of(locales):
        content = served(locales, tag)
        assert user(locales).whatsapp(content.topics["faq"].keyword) == content.whatsapp["faq"]
        for number in ("1", "2", "3"):
            reply = user(locales).whatsapp(number)
            # Without a cookie nothing says which language the list was in: the right answer, in a served language.
            assert {name for _, name in which(locales, reply)} == {f"faq{number}"}, (tag, number, reply)
            said_with_keyword = user(locales).whatsapp(f"{content.topics['faq'].keyword} {number}")
            assert said_with_keyword == content.whatsapp[f"faq{number}"], (tag, number)


def test_without_the_cookie_a_bare_number_is_answered_in_the_lines_first_language():
    locales = "en-GB,cy-GB"
    assert user(locales).whatsapp("2") == served(locales, "en-GB").whatsapp["faq2"]


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_stop_and_every_opt_out_word_get_the_whatsapp_opt_out_reply_in_the_current_language(locales):
    for tag in tags_of(locales):
        content = served(locales, tag)
        for word in content.matching.opt_out + ("stop", "Stop"):
            chat = switched(locales, tag)
            reply = chat.whatsapp(word)
            assert reply == content.whatsapp["opt_out"], (tag, word)
            assert reply.startswith(content.locale.whatsapp.opt_out)
            assert_whatsapp_form(reply, content)
            # The same word by SMS gets silence: Twilio answers it there, and a reply would be blocked.
            sms = Twilio(deployment(locales).test_client())
            if tag != tags_of(locales)[0]:
                sms.message(content.language.switch[0])
            assert sms.message(word) is None


CRISIS = {"en": "my chest hurts and i feel faint", "es": "tengo dolor en el pecho", "cy": "poen yn y frest"}
NUMBERS = {"GB": ("999", "111"), "US": ("911", "988")}


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_a_crisis_on_whatsapp_gets_the_emergency_numbers_in_the_conversations_language(locales):
    for tag in tags_of(locales):
        content = served(locales, tag)
        reply = switched(locales, tag).whatsapp(CRISIS[tag.split("-")[0]])
        assert reply == content.whatsapp["emergency"], (tag, which(locales, reply))
        assert all(number in reply for number in NUMBERS[tag.split("-")[1]]), reply
        assert_whatsapp_form(reply, content)


UNSERVED = {"en-GB,cy-GB": "ESPAÑOL", "en-US,es-US": "CYMRAEG", "en-GB": "SPANISH", "en-US": "WELSH",
            "cy-GB": "ENGLISH", "es-US": "SAESNEG"}


@pytest.mark.parametrize("locales", DEPLOYMENTS)
def test_a_language_this_line_does_not_serve_gets_the_whatsapp_languages_reply(locales):
    for tag in tags_of(locales):
        reply = switched(locales, tag).whatsapp(UNSERVED[locales])
        assert reply == served(locales, tag).whatsapp["languages"], (tag, which(locales, reply))
        for other in tags_of(locales):
            assert served(locales, other).language.name in reply


def answer_on_both(locales: str, body: str | None, **extra) -> tuple[set, set]:
    """The same message by WhatsApp and by SMS, each from a new sender: which replies came back."""
    by_whatsapp = user(locales).whatsapp(body, **extra)
    by_sms = Twilio(deployment(locales).test_client()).message(body, **extra)
    assert by_whatsapp is not None and by_sms is not None
    assert_whatsapp_form(by_whatsapp, served(locales, tags_of(locales)[0]))
    return which(locales, by_whatsapp), which(locales, by_sms, "sms")


ODD_MESSAGES = {
    "media only": ("", {"NumMedia": "1", "MediaUrl0": "https://api.twilio.com/2010-04-01/Media/ME1",
                        "MediaContentType0": "image/jpeg"}),
    "voice note": ("", {"NumMedia": "1", "MediaContentType0": "audio/ogg", "MediaUrl0": "https://x.example/1"}),
    "location": ("", {"Latitude": "51.4816", "Longitude": "-3.1791", "Address": "Heol y Frenhines, Caerdydd",
                      "Label": "Home"}),
    "button reply": ("BRING", {"ButtonText": "BRING", "ButtonPayload": "bring"}),
    "no body at all": (None, {}),
    "empty": ("", {}),
    "spaces": ("   \n\t ", {}),
    "1,600+ characters": ("what should i bring " * 100, {}),
    "one long word": ("a" * 5000, {}),
    "emoji only": ("🙏🙏😷💊", {}),
    "numbers only": ("07700 900456", {}),
    "a URL": ("https://example.org/?q=<script>", {}),
    "TwiML injection": ("</Message><Say>hi</Say><Message>", {}),
    "template injection": ("{{7*7}} {menu} %s %n ${jndi:ldap://x}", {}),
    "SQL": ("'; DROP TABLE counts; --", {}),
    "control characters": ("\x00\x01\x1b[31m\u202e\ufeffBRING", {}),
    "abuse": ("you stupid useless bot", {}),
    "expanding ligatures": ("ﷺ" * 1600, {}),
}


@pytest.mark.parametrize("locales", PAIRS)
@pytest.mark.parametrize("kind", ODD_MESSAGES)
def test_odd_whatsapp_messages_get_the_same_safe_answer_as_sms(locales, kind):
    body, extra = ODD_MESSAGES[kind]
    by_whatsapp, by_sms = answer_on_both(locales, body, **extra)
    assert by_whatsapp and by_whatsapp == by_sms, (kind, by_whatsapp, by_sms)


def test_a_button_reply_is_read_like_the_text_it_shows():
    locales = "en-GB,cy-GB"
    reply = switched(locales, "cy-GB").whatsapp("DOD", ButtonText="DOD", ButtonPayload="bring")
    assert reply == served(locales, "cy-GB").whatsapp["bring"]


def cookie_state(client) -> str:
    """The decoded payload of the line's state cookie, if any."""
    cookie = client.get_cookie("session")
    if cookie is None:
        return ""
    payload = cookie.value.rpartition(".")[0]
    return json.dumps(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


@pytest.mark.parametrize("locales", PAIRS)
def test_profile_name_wa_id_and_number_never_appear_in_a_reply_the_logs_or_the_cookie(locales, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = (PROFILE_NAME, "Gwenllian", "Prydderch", WA_ID, CALLER, LINE_NUMBER, CALLER[-6:], LINE_NUMBER[-6:])
    chat = user(locales)
    replies = []
    for body in ("MENU", "FAQ", "2", "BRING", "MORE", PROFILE_NAME, WA_ID, "", "STOP", "help me Gwenllian",
                 served(locales, tags_of(locales)[1]).language.switch[0], "xyzzy", "chest pain"):
        replies.append(chat.whatsapp(body))
        state = cookie_state(chat.client)
        for secret in secrets:
            assert secret.lower() not in state.lower(), (body, state)
    for reply in replies:
        for secret in secrets:
            assert secret not in (reply or ""), (secret, reply)
    logged = caplog.text + "\n".join(record.getMessage() for record in caplog.records)
    assert "channel=whatsapp" in logged
    for secret in secrets:
        assert secret not in logged, secret


def test_a_number_after_one_of_two_numbered_lists_picks_from_that_list_on_whatsapp(make_app, tmp_path):
    """With two numbered lists the cookie, not a guess, says which one "2" picks from (FAQ2, not "not understood")."""
    from content_copy import content_copy, replace_once

    root = content_copy(tmp_path)
    replace_once(root / "en" / "guide.yaml", "keyword: FAQ3", "keyword: BRING1")  # a second list: BRING, BRING1
    app = make_app(CONTENT_DIR=str(root))
    assert app.extensions["matchers"]["en-GB"].only_list() is None, "content must have two numbered lists here"
    whatsapp = Served.of(app).whatsapp
    chat = WhatsApp(app.test_client())
    assert chat.whatsapp("FAQ") == whatsapp["faq"]
    assert chat.whatsapp("2") == whatsapp["faq2"]
