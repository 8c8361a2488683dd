"""The loader refuses bad content with one line naming the file, the entry and the problem.

Each case is the shipped content/ copied to a temporary folder with one small edit.
"""

import click
import pytest
from content_copy import content_copy, line_of, replace_once

from app import content
from app.content import SMS_MAX_UNITS, ContentError

EXTRA_PART = "Also bring a pen and paper to write things down. " * 6  # one reply each; together too long to text

KEYWORD_LINE = line_of("guide.yaml", "    keyword: FACTS\n")
FAQ1_LAST = "something too.\n    voice:"  # the end of faq1's SMS text


def delete(file):
    """An edit that removes one content file."""
    return lambda root: (root / "en" / file).unlink()


# (id, file, edit: (old, new) replaced once, or a function of the content root, expected fragments)
BROKEN = [
    (
        "yaml-syntax-error-names-its-line",
        "guide.yaml",
        ("    keyword: FACTS\n", "    keyword: FACTS: MORE\n"),
        [f"line {KEYWORD_LINE}, column", "YAML syntax error", "mapping values are not allowed"],
    ),
    (
        "key-given-twice",
        "guide.yaml",
        ("    keyword: FACTS\n", "    keyword: FACTS\n    keyword: FACT\n"),
        [f"line {KEYWORD_LINE + 1}, column 5", "'keyword' is given twice"],
    ),
    (
        "missing-field",
        "guide.yaml",
        ("    keyword: WHEN\n", ""),
        ["topics.when: missing field 'keyword'"],
    ),
    (
        "unknown-field",
        "guide.yaml",
        ("    keyword: WHEN\n", "    keyword: WHEN\n    keywrd: WHENS\n"),
        ["topics.when: unknown field 'keywrd'", "known: title, keyword"],
    ),
    (
        "list-where-text-expected",
        "guide.yaml",
        ("title: key facts\n", "title: [key, facts]\n"),
        ["topics.facts.title: must be text, not a list"],
    ),
    (
        "unquoted-yes-read-as-true",
        "matching.yaml",
        ('"YES"', "YES"),
        ["opt_in[2]: must be text, not yes/no (put it in quotes)"],
    ),
    (
        "unquoted-number",
        "regions.yaml",
        ('emergency_number: "911"', "emergency_number: 911"),
        ["us.emergency_number: must be text, not a number"],
    ),
    (
        "text-where-mapping-expected",
        "line.yaml",
        ("  menu_intro:\n    faq: ", "  menu_intro: "),
        ["voice.menu_intro: must be a mapping, not text"],
    ),
    (
        "two-topics-share-a-keyword",
        "guide.yaml",
        ("    keyword: FAQ\n", "    keyword: ASK\n"),
        ["topics.faq: duplicate keyword 'ask': topic 'ask' has it already"],
    ),
    (
        "a-synonym-another-topic-has",
        "line.yaml",
        ("synonyms: [thank you,", "synonyms: [what to bring, thank you,"),
        ["content/en/line.yaml: topics.thanks: duplicate keyword 'what to bring': topic 'bring' has it already"],
    ),
    (
        "a-synonym-another-topic-has-written-differently",
        "line.yaml",
        ("synonyms: [thank you,", 'synonyms: ["What-to  bring?", thank you,'),
        ["topics.thanks: duplicate keyword 'what to bring': topic 'bring' has it already"],
    ),
    (
        "a-synonym-that-is-another-topics-keyword",
        "line.yaml",
        ("synonyms: [thank you,", "synonyms: [Faq, thank you,"),
        ["topics.thanks: duplicate keyword 'faq': topic 'faq' has it already"],
    ),
    (
        "curly-quote",
        "guide.yaml",
        ('1. "I\'d like', '1. "I\u2019d like'),
        ["topics.ask.sms: '\u2019' (U+2019) is not GSM-7: write \"'\" instead"],
    ),
    (
        "en-dash",
        "guide.yaml",
        ("Key facts about second opinions:", "Key facts \u2013 second opinions:"),
        ["topics.facts.sms: '\u2013' (U+2013) is not GSM-7: write '-' instead"],
    ),
    (
        "emoji",
        "line.yaml",
        ("You're welcome. Text", "You're welcome \U0001f60a. Text"),
        ["topics.thanks.sms: '\U0001f60a' (U+1F60A) is not GSM-7 and has no replacement: remove it"],
    ),
    (
        "non-gsm-in-the-second-part-of-a-piece",
        "guide.yaml",
        ("Also bring:", "Also bring\u2026"),
        ["topics.bring.sms[2]: '\u2026' (U+2026) is not GSM-7: write '...' instead"],
    ),
    (
        "non-gsm-in-the-disclaimer",
        "line.yaml",
        ('disclaimer: "This is general info only.', 'disclaimer: "This is general info only \u2014'),
        ["sms.disclaimer: '\u2014' (U+2014) is not GSM-7: write '-' instead"],
    ),
    (
        "non-gsm-in-the-emergency-text",
        "regions.yaml",
        ("call 999 now.", "call 999 now\u2026"),
        ["content/en/regions.yaml: uk.emergency.sms: '\u2026' (U+2026) is not GSM-7"],
    ),
    (
        "non-gsm-in-another-regions-emergency-text",  # the app runs as uk here: CI must still catch it
        "regions.yaml",
        ("call or text 988.", "call or text 988 \u2013 free."),
        ["content/en/regions.yaml: us.emergency.sms: '\u2013' (U+2013) is not GSM-7: write '-' instead"],
    ),
    (
        "sms-menu-names-a-missing-topic",
        "line.yaml",
        ("sms_menu: [when, ask, bring, faq, facts]", "sms_menu: [when, ask, bring, faq, fact]"),
        ["sms_menu[5]: no topic called 'fact'"],
    ),
    (
        "voice-menu-names-a-missing-topic",
        "line.yaml",
        ("topic: faq2}", "topic: faq9}"),
        ["voice.menus.faq[2]: no topic called 'faq9'"],
    ),
    (
        "voice-menu-names-a-missing-menu",
        "line.yaml",
        ("menu: faq}", "menu: faqs}"),
        ["voice.menus.main[4]: no menu called 'faqs'"],
    ),
    (
        "keyword-is-stop",
        "guide.yaml",
        ("keyword: FACTS\n", "keyword: STOP\n"),
        ["topics.facts.keyword: 'STOP' is a Twilio opt-out/opt-in word; choose another"],
    ),
    (
        "keyword-is-unsubscribe",
        "guide.yaml",
        ("keyword: FACTS\n", "keyword: UNSUBSCRIBE\n"),
        ["topics.facts.keyword: 'UNSUBSCRIBE' is a Twilio opt-out/opt-in word"],
    ),
    (
        "unknown-placeholder-in-sms",
        "line.yaml",
        ("{line_name}, run by {operator}", "{line_name}, run by {operater}"),
        ["content/en/line.yaml: topics.help.sms: unknown placeholder {operater} (known: ", "operator"],
    ),
    (
        "unknown-placeholder-in-voice",
        "line.yaml",
        ("hang up and call {emergency_spoken}.\n", "hang up and call {emergency}.\n"),
        ["topics.help.voice: unknown placeholder {emergency} (known: ", "emergency_spoken"],
    ),
    (
        "brace-without-its-pair",
        "line.yaml",
        ("Text MENU for topics.", "Text {MENU for topics."),
        ["topics.help.sms: a { or } without its pair"],
    ),
    (
        "a-key-said-aloud-that-no-phone-has",
        "line.yaml",
        ('    "0": [zero, oh, nought]', '    "A": [ay]\n    "0": [zero, oh, nought]'),
        ["voice.say_keys.A: keys are 0 to 9 and *"],
    ),
    (
        "a-piece-too-long-to-text-as-one-message",
        "guide.yaml",
        (
            "      - |\n        Tip: ask",
            "".join(f"      - |\n        {EXTRA_PART}\n" for _ in range(4)) + "      - |\n        Tip: ask",
        ),
        ["topics.bring.sms: texted as one message the piece is", "over Twilio's 1600"],
    ),
    (
        "unknown-placeholder-in-reply-more",
        "line.yaml",
        ("part {next} of {total}", "part {part} of {total}"),
        ["sms.more: unknown placeholder {part} (known: next, total)"],
    ),
    (
        "unknown-placeholder-in-the-lines-own-words",
        "line.yaml",
        ('error: "Sorry, something went wrong at our end. Please', 'error: "Sorry {caller}. Please'),
        ["sms.error: unknown placeholder {caller} (known: emergency_number, emergency_spoken, line_name, operator)"],
    ),
    (
        "unknown-placeholder-in-the-menu-option",
        "line.yaml",
        ("To hear {label}, press {key}.", "To hear {labl}, press {key}."),
        ["voice.option: unknown placeholder {labl} (known: key, label)"],
    ),
    (
        "missing-file",
        "matching.yaml",
        delete("matching.yaml"),
        ["file is missing"],
    ),
]


@pytest.mark.parametrize(("file", "edit", "expected"), [case[1:] for case in BROKEN], ids=[c[0] for c in BROKEN])
def test_broken_content_is_refused_with_one_clear_line(make_app, tmp_path, file, edit, expected):
    root = content_copy(tmp_path)
    if callable(edit):
        edit(root)
    else:
        replace_once(root / "en" / file, *edit)
    with pytest.raises(ContentError) as refused:
        make_app(CONTENT_DIR=str(root))
    message = str(refused.value)
    assert message.startswith(f"content/en/{file}: "), message
    for fragment in expected:
        assert fragment in message, message
    assert "\n" not in message and "Traceback" not in message


def test_the_unedited_copy_loads(make_app, tmp_path):
    """The control for the table above: each failure there comes from its one edit."""
    app = make_app(CONTENT_DIR=str(content_copy(tmp_path)))
    assert "ask" in Served.of(app).topics


def test_a_content_error_prints_as_one_line_without_a_traceback():
    """click (flask) and gunicorn print these as "Error: ..." without a traceback."""
    error = ContentError("content/en/guide.yaml", "topics.ask.sms", "the problem")
    assert isinstance(error, click.ClickException) and isinstance(error, RuntimeError)
    assert error.format_message() == "content/en/guide.yaml: topics.ask.sms: the problem"


def faq1_of_length(tmp_path, app, length: int, first: str = "x") -> str:
    """A content copy whose faq1 reply, disclaimer included, is `length` characters (padding starts with `first`)."""
    root = content_copy(tmp_path)
    shipped = len(Served.of(app).replies["faq1"][0])
    padding = first + "x" * (length - shipped - 1 - len(first))  # - 1 for the space before it
    replace_once(root / "en" / "guide.yaml", FAQ1_LAST, f"something too. {padding}\n    voice:")
    return str(root)


@pytest.mark.parametrize("length", [SMS_MAX_UNITS - 1, SMS_MAX_UNITS])
def test_a_reply_of_up_to_459_characters_with_the_disclaimer_is_accepted(make_app, app, tmp_path, length):
    reply = Served.of(make_app(CONTENT_DIR=faq1_of_length(tmp_path, app, length))).replies["faq1"]
    assert [len(part) for part in reply] == [length]


@pytest.mark.parametrize("over", [1, 40])
def test_a_reply_over_459_characters_is_refused_with_how_much_to_cut(make_app, app, tmp_path, over):
    with pytest.raises(ContentError) as refused:
        make_app(CONTENT_DIR=faq1_of_length(tmp_path, app, SMS_MAX_UNITS + over))
    assert str(refused.value) == (
        f"content/en/guide.yaml: topics.faq1.sms: SMS reply is {SMS_MAX_UNITS + over} characters with the "
        f"disclaimer, over the budget of 459 (3 segments): shorten it by {over} or split it into parts"
    )


def test_two_septet_characters_count_twice_against_the_budget(make_app, app, tmp_path):
    """[ ] { } and friends take two septets: 459 characters with one of them is 460 septets."""
    with pytest.raises(ContentError, match=r"^content/en/guide\.yaml: topics\.faq1\.sms: SMS reply is 460 characters"):
        make_app(CONTENT_DIR=faq1_of_length(tmp_path, app, SMS_MAX_UNITS, first="["))


def test_an_unknown_region_is_named_with_the_regions_there_are(tmp_path):
    with pytest.raises(ContentError) as refused:
        content.load(content_copy(tmp_path), "en", "fr", {})
    assert str(refused.value) == "content/en/regions.yaml: fr: no such region (have: uk, us)"


def test_a_missing_language_names_the_folder_it_looked_in(tmp_path):
    with pytest.raises(ContentError) as refused:
        content.load(content_copy(tmp_path), "cy", "uk", {})
    assert str(refused.value) == "content/cy/guide.yaml: file is missing"


def test_an_empty_file_is_refused(tmp_path):
    root = content_copy(tmp_path)
    (root / "en" / "regions.yaml").write_text("# nothing yet\n", encoding="utf-8")
    with pytest.raises(ContentError) as refused:
        content.load(root, "en", "uk", {})
    assert str(refused.value) == "content/en/regions.yaml: must be a mapping, not nothing"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('sent: "I\'ve sent that to the number ending {last_digits}."', 'sent: "Sent to {last_digit}."',
         "voice.sent: unknown placeholder {last_digit} (known: last_digits)"),
        ('goodbye: "Thank you for calling.', 'goodbye: "Thank you, {name}, for calling.',
         "voice.goodbye: unknown placeholder {name} (known: emergency_number, emergency_spoken, line_name, operator)"),
        ("- {key: \"4\", label: \"answers to common questions\"", "- {key: \"4\", label: \"answers to {questions}\"",
         "voice.menus.main[4].label: unknown placeholder {questions}"),
        ("Here are three common questions.", "Here are {count} common questions.",
         "voice.menu_intro.faq: unknown placeholder {count}"),
    ],
)
def test_spoken_words_are_all_checked_at_start_up(make_app, tmp_path, old, new, expected):
    root = content_copy(tmp_path)
    replace_once(root / "en" / "line.yaml", old, new)
    with pytest.raises(ContentError) as refused:
        make_app(CONTENT_DIR=str(root))
    assert f"content/en/line.yaml: {expected}" in str(refused.value)
