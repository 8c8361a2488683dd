"""The shipped content: within every SMS budget, complete on both channels, true to the guide's facts."""

import os
import shutil
from pathlib import Path

import pytest
import yaml
from content_copy import CONTENT, content_copy

from app import content as loader
from app import gsm
from app.content import SMS_MAX_SEGMENTS, SMS_MAX_UNITS

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "second-opinion-guide.txt"
GUIDE_TOPICS = list(yaml.safe_load((CONTENT / "en" / "guide.yaml").read_text(encoding="utf-8"))["topics"])


def test_every_sms_reply_is_gsm7_within_budget_and_ends_with_the_disclaimer(content):
    assert len(content.replies) >= 10
    for name, parts in content.replies.items():
        for number, text in enumerate(parts, start=1):
            count = gsm.segments(text)
            where = f"{name} part {number}"
            assert gsm.first_non_gsm(text) is None, where
            assert count.encoding == "GSM-7", where
            assert count.units <= SMS_MAX_UNITS and count.segments <= SMS_MAX_SEGMENTS, (where, count)
            assert text.endswith(f"\n{content.sms.disclaimer}"), where


def test_every_part_but_the_last_says_reply_more(content):
    long_pieces = {name: parts for name, parts in content.replies.items() if len(parts) > 1}
    assert {"when", "bring"} <= set(long_pieces)
    for name, parts in long_pieces.items():
        for number, text in enumerate(parts[:-1], start=1):
            assert f"Reply MORE for part {number + 1} of {len(parts)}." in text, name
        assert "Reply MORE" not in parts[-1], name


def test_every_guide_topic_has_an_sms_and_a_spoken_form(content):
    assert {"facts", "when", "ask", "bring", "faq", "faq1", "faq2", "faq3"} <= set(GUIDE_TOPICS)
    for topic_id in GUIDE_TOPICS:
        topic = content.topics[topic_id]
        assert topic.sms and content.replies[topic_id], topic_id
        if topic_id != "faq":  # the FAQ is a list: on the phone it is the faq submenu
            assert topic.voice, topic_id


def test_the_faq_is_a_submenu_on_the_phone(content):
    options = content.voice.menus["faq"]
    assert [option.topic for option in options] == ["faq1", "faq2", "faq3"]
    assert any(option.menu == "faq" for option in content.voice.menus["main"])


WHEN_FACTS = [
    "serious illness", "cancer", "surgery", "emergency", "rare", "diagnosis", "stage", "treatment",
    "risky", "specialist", "talk with your doctor", "insurer", "time to decide", "care team",
]  # fmt: skip
BRING_FACTS = [
    "referral letter", "clinic letters", "test results", "biopsy", "scan reports", "images", "medicines",
    "vitamins", "supplements", "questions", "most important first", "timeline", "family health history",
    "relative or friend", "notes", "glasses", "hearing aids", "insurance or medicare card",
    "records to be sent before the visit", "check they arrived",
]  # fmt: skip


@pytest.mark.parametrize(("topic_id", "facts"), [("when", WHEN_FACTS), ("bring", BRING_FACTS)])
@pytest.mark.parametrize("channel", ["sms", "voice"])
def test_when_and_bring_cover_the_guide_facts(content, topic_id, facts, channel):
    said = " ".join(getattr(content.topics[topic_id], channel)).lower()
    missing = [fact for fact in facts if fact not in said]
    assert not missing, f"{topic_id} ({channel}) leaves out: {missing}"


def test_bring_by_text_says_uk_records_can_take_28_days(content):
    assert "up to 28 days" in " ".join(content.topics["bring"].sms)


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
    ("region", "numbers", "not_numbers"),
    [("uk", ["999", "NHS 111"], ["911", "988"]), ("us", ["911", "988"], ["999", "111"])],
)
def test_each_region_loads_with_its_emergency_numbers(make_app, region, numbers, not_numbers):
    content = Served.of(make_app(LINE_LOCALES=region))
    emergency = content.replies["emergency"][0]
    for number in numbers:
        assert number in emergency
    for number in not_numbers:
        assert number not in emergency
    assert f"Call {numbers[0]}, not this line" in content.replies["help"][0]
    assert gsm.segments(emergency).encoding == "GSM-7"


def test_a_second_language_is_a_folder_without_code_changes(make_app, tmp_path):
    root = content_copy(tmp_path)
    shutil.copytree(root / "en", root / "xx")
    shutil.rmtree(root / "en")
    app = make_app(CONTENT_DIR=str(root), LINE_LANGUAGE="xx")
    content = Served.of(app)
    assert content.language == "xx"
    assert content.replies["bring"][0].startswith("What to bring")


def test_a_second_language_names_its_own_files_in_errors(tmp_path):
    root = content_copy(tmp_path)
    shutil.copytree(root / "en", root / "xx")
    (root / "xx" / "line.yaml").unlink()
    with pytest.raises(loader.ContentError, match=r"^content/xx/line\.yaml: file is missing$"):
        loader.load(root, "xx", "uk", {})
