"""The shipped content: within every SMS budget, complete on both channels, true to the guide's facts."""

import os
import shutil
from pathlib import Path

import pytest
import yaml
from content_copy import CONTENT, content_copy
from support import Served, Twilio

from app import gsm
from app.content import ContentError
from app.sms.render import SMS_MAX_SEGMENTS, SMS_MAX_UNITS

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "second-opinion-guide.txt"
GUIDE_TOPICS = list(yaml.safe_load((CONTENT / "en" / "guide.yaml").read_text(encoding="utf-8"))["topics"])
LOCALES = ["en-GB", "en-US", "es-US", "cy-GB"]
MORE = {"en": "Reply MORE for part {next} of {total}.", "es": None, "cy": None}  # es/cy: their own words


@pytest.fixture(params=LOCALES)
def served(request, make_app):
    """Each shipped locale, served on its own."""
    return Served.of(make_app(LINE_LOCALES=request.param))


def test_every_locale_is_tested():
    assert sorted(LOCALES) == sorted(
        f"{pack.name}-{region}"
        for pack in CONTENT.iterdir()
        if (pack / "regions.yaml").exists()
        for region in yaml.safe_load((pack / "regions.yaml").read_text(encoding="utf-8"))
    )


def test_every_sms_reply_is_gsm7_within_budget_and_ends_with_the_disclaimer(served):
    content = served
    assert len(content.replies) >= 10
    for name, parts in content.replies.items():
        for number, text in enumerate(parts, start=1):
            count = gsm.segments(text)
            where = f"{name} part {number}"
            assert gsm.first_non_gsm(text) is None, where
            assert count.encoding == "GSM-7", where
            assert count.units <= SMS_MAX_UNITS and count.segments <= SMS_MAX_SEGMENTS, (where, count)
            assert text.endswith(f"\n{gsm.fold(content.sms.disclaimer, dict(content.language.sms_fold))}"), where


def test_every_whatsapp_reply_is_one_message_with_the_whatsapp_disclaimer(served):
    for name, text in served.whatsapp.items():
        assert len(text) <= gsm.MAX_MESSAGE_CHARS, name
        assert text.endswith(f"\n\n{served.whatsapp_words.disclaimer}"), name


def test_every_part_but_the_last_says_how_to_get_the_next(served):
    long_pieces = {name: parts for name, parts in served.replies.items() if len(parts) > 1}
    assert {"when", "bring"} <= set(long_pieces)
    fold = dict(served.language.sms_fold)
    for name, parts in long_pieces.items():
        for number, text in enumerate(parts[:-1], start=1):
            assert gsm.fold(served.sms.more.format(next=number + 1, total=len(parts)), fold) in text, name
        assert gsm.fold(served.sms.more.format(next=len(parts), total=len(parts)), fold) not in parts[-1], name


def test_every_guide_topic_has_an_sms_and_a_spoken_form(served):
    content = served
    assert {"facts", "when", "ask", "bring", "faq", "faq1", "faq2", "faq3"} <= set(GUIDE_TOPICS)
    for topic_id in GUIDE_TOPICS:
        topic = content.topics[topic_id]
        assert topic.sms and content.replies[topic_id], topic_id
        if topic_id != "faq":  # the FAQ is a list: on the phone it is the faq submenu
            assert topic.voice, topic_id


def test_the_faq_is_a_submenu_on_the_phone(served):
    content = served
    options = content.voice.menus["faq"]
    assert [option.topic for option in options] == ["faq1", "faq2", "faq3"]
    assert any(option.menu == "faq" for option in content.voice.menus["main"])


WHEN_FACTS = [
    "serious illness", "cancer", "surgery", "emergency", "rare", "diagnosis", "stage", "treatment",
    "risky", "specialist", "talk with your doctor", "time to decide", "care team",
]  # fmt: skip
BRING_FACTS = [
    "referral letter", "clinic letters", "test results", "biopsy", "scan reports", "images", "medicines",
    "vitamins", "supplements", "questions", "most important first", "timeline", "family health history",
    "relative or friend", "notes", "glasses", "hearing aids",
    "records to be sent before the visit", "check they arrived",
]  # fmt: skip
REGION_FACTS = {  # what only one health system has: each patient reads only their own
    ("GB", "bring"): ["up to 28 days"],
    ("US", "bring"): ["insurance or medicare card"],
    ("US", "when"): ["insurer"],
    ("GB", "faq2"): ["nhs", "gp"],
    ("US", "faq2"): ["medicare"],
    ("GB", "faq3"): ["nhs"],
    ("US", "faq3"): ["medicare"],
}
NOT_IN = {"GB": ["medicare", "insurer", "911", "988"], "US": ["nhs", " gp ", "999", "111"]}


@pytest.mark.parametrize(("topic_id", "facts"), [("when", WHEN_FACTS), ("bring", BRING_FACTS)])
@pytest.mark.parametrize("channel", ["sms", "voice", "whatsapp"])
@pytest.mark.parametrize("tag", ["en-GB", "en-US"])
def test_when_and_bring_cover_the_guide_facts(make_app, tag, topic_id, facts, channel):
    content = Served.of(make_app(LINE_LOCALES=tag))
    said = " ".join(getattr(content.topics[topic_id], channel)) if channel != "whatsapp" else content.whatsapp[topic_id]
    said = said.lower()
    wanted = facts + REGION_FACTS.get((tag[-2:], topic_id), [])
    missing = [fact for fact in wanted if fact not in said]
    assert not missing, f"{tag} {topic_id} ({channel}) leaves out: {missing}"


@pytest.mark.parametrize("tag", ["en-GB", "en-US"])
def test_each_english_region_reads_only_its_own_health_system(make_app, tag):
    content = Served.of(make_app(LINE_LOCALES=tag))
    for topic_id in ("when", "ask", "bring", "faq2", "faq3"):
        said = " ".join(content.replies[topic_id] + content.topics[topic_id].voice + (content.whatsapp[topic_id],))
        said = f" {said.lower()} "
        for wanted in REGION_FACTS.get((tag[-2:], topic_id), []):
            assert wanted in said, (topic_id, wanted)
        for other in NOT_IN[tag[-2:]]:
            assert other not in said.replace("-", " "), (tag, topic_id, other)


def seed_phrasings() -> list[str]:
    """The three example phrasings in the guide's "How to Request One" table, in their GSM-7 form."""
    text = SEED.read_text(encoding="utf-8")
    rows = text.split("ApproachExample Phrasing\n", 1)[1].split("\n\n", 1)[0].splitlines()
    quoted = [row[row.index("'") + 1 : row.rindex("'")] if "'" in row else row for row in rows]
    said = [phrase.removeprefix("Via GP referral") for phrase in quoted]
    return ["".join(gsm.REPLACEMENTS.get(char, char) for char in phrase) for phrase in said]


@pytest.mark.skipif(not SEED.exists() and not os.environ.get("CI"), reason="../shared/seed is not beside this checkout")
def test_ask_gives_the_guides_three_example_phrasings(content):
    phrasings = seed_phrasings()
    assert [len(phrase.split()) > 10 for phrase in phrasings] == [True, True, True], phrasings
    text = content.topics["ask"].sms[0].casefold()
    for phrasing in phrasings:
        assert phrasing.casefold() in text, phrasing


@pytest.mark.parametrize(
    ("tag", "numbers", "not_numbers"),
    [
        ("en-GB", ["999", "NHS 111"], ["911", "988"]),
        ("en-US", ["911", "988"], ["999", "111"]),
        ("es-US", ["911", "988"], ["999", "111"]),
        ("cy-GB", ["999", "111"], ["911", "988"]),
    ],
)
def test_each_locale_loads_with_its_emergency_numbers(make_app, tag, numbers, not_numbers):
    content = Served.of(make_app(LINE_LOCALES=tag))
    emergency = content.replies["emergency"][0]
    for number in numbers:
        assert number in emergency
    for number in not_numbers:
        assert number not in emergency
    assert numbers[0] in content.replies["help"][0]  # in its disclaimer, at least
    assert gsm.segments(emergency).encoding == "GSM-7"


def second_language(tmp_path, code: str = "xx") -> Path:
    """A content copy with a second language: English words under another name, its pieces marked."""
    root = content_copy(tmp_path)
    shutil.copytree(root / "en", root / code)
    language = (root / code / "language.yaml").read_text(encoding="utf-8")
    language = language.replace("name: English", "name: Xx").replace('key: "7"', 'key: "9"')
    language = language.replace("switch: [ENGLISH, INGLES, INGLÉS, SAESNEG]", "switch: [XXLANG]")
    (root / code / "language.yaml").write_text(language, encoding="utf-8")
    guide = (root / code / "guide.yaml").read_text(encoding="utf-8")
    (root / code / "guide.yaml").write_text(guide.replace("What to bring to a second opinion:", "XX bring:"), "utf-8")
    for other in ("es", "cy"):
        shutil.rmtree(root / other)
    return root


def test_two_locales_from_two_folders_are_served_by_one_app_each_in_its_own_words(make_app, tmp_path):
    app = make_app(CONTENT_DIR=str(second_language(tmp_path)), LINE_LOCALES="en-GB,xx-GB")
    english, other = Twilio(app.test_client()), Twilio(app.test_client())
    assert english.message("BRING").startswith("What to bring to a second opinion:")
    assert "For English, text ENGLISH" in other.message("XXLANG")  # xx's menu offers English
    assert other.message("BRING").startswith("XX bring:")  # the choice is kept
    assert english.message("BRING 1").startswith("What to bring to a second opinion:")  # each in its own


def test_a_second_language_names_its_own_files_in_errors(make_app, tmp_path):
    root = second_language(tmp_path)
    (root / "xx" / "line.yaml").unlink()
    with pytest.raises(ContentError, match=r"^content/xx/line\.yaml: file is missing$"):
        make_app(CONTENT_DIR=str(root), LINE_LOCALES="en-GB,xx-GB")
