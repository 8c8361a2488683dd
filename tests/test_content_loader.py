"""The loader refuses bad content with one line naming the file, the entry and the problem.

Each case is the shipped content/ copied to a temporary folder with one small edit.
"""

import click
import pytest
from content_copy import content_copy, line_of, replace_once
from support import Served

from app.content import ContentError, load_line
from app.sms.render import SMS_MAX_UNITS

EXTRA_PART = "Also bring a pen and paper to write things down. " * 6  # one reply each; together too long to text

KEYWORD_LINE = line_of("guide.yaml", "    keyword: FACTS\n")
FAQ1_LAST = "that tells you something.\n    whatsapp:"  # the end of faq1's SMS text
# The end of cant_advise, the last topic of line.yaml, which has no keyword: a topic added after it is checked too.
CANT_ADVISE_END = "your insurer's nurse line can help with that.\n"


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
        ("    title: key facts\n", ""),
        ["topics.facts: missing field 'title'"],
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
        ["US.emergency_number: must be text, not a number"],
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
        ("      Usually not. Most doctors welcome it as", "      Usually not. Most doctors\u2019 welcome it as"),
        ["topics.faq1.sms: '\u2019' (U+2019) is not GSM-7: write \"'\" instead"],
    ),
    (
        "en-dash",
        "guide.yaml",
        ("      Key facts:\n", "      Key facts \u2013 second opinions:\n"),
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
        ("        Also:\n        - A list of all", "        Also\u2026\n        - A list of all"),
        ["topics.bring.sms[2]: '\u2026' (U+2026) is not GSM-7: write '...' instead"],
    ),
    (
        "non-gsm-in-the-disclaimer",
        "line.yaml",
        ('disclaimer: "General info only.', 'disclaimer: "General info only \u2014'),
        ["sms.disclaimer: '\u2014' (U+2014) is not GSM-7: write '-' instead"],
    ),
    (
        "non-gsm-in-the-emergency-text",
        "regions.yaml",
        ("call 999 now.", "call 999 now\u2026"),
        ["content/en/regions.yaml: GB.emergency.sms: '\u2026' (U+2026) is not GSM-7"],
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
        ["content/en/line.yaml: topics.help.sms[1]: unknown placeholder {operater} (known: ", "operator"],
    ),
    (
        "unknown-placeholder-in-voice",
        "line.yaml",
        ('emergency, hang up and call {emergency_spoken}."', 'emergency, hang up and call {emergency}."'),
        ["voice.not_heard: unknown placeholder {emergency} (known: ", "emergency_spoken"],
    ),
    (
        "brace-without-its-pair",
        "line.yaml",
        ("general facts about second opinions. Text MENU", "general facts about second opinions. Text {MENU"),
        ["topics.help.sms[1]: a { or } without its pair"],
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
            "      - |\n        Also:\n",
            "".join(f"      - |\n        {EXTRA_PART}\n" for _ in range(4)) + "      - |\n        Also:\n",
        ),
        ["topics.bring.sms: as one message the piece is", "over Twilio's 1600"],
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
        ('error: "Sorry, something went wrong. Try', 'error: "Sorry {caller}. Try'),
        [
            "sms.error: unknown placeholder {caller} (known: emergency_number, emergency_spoken, line_name, menu, "
            "operator)"
        ],
    ),
    (
        "unknown-placeholder-in-the-menu-option",
        "line.yaml",
        ("To hear {label}, press {key}.", "To hear {labl}, press {key}."),
        ["voice.option: unknown placeholder {labl} (known: key, label)"],
    ),
    (
        "a-stopword-used-as-a-topic-word",
        "line.yaml",
        (
            "    words: [menu, options, topics, hello, hi, hey]",
            "    words: [menu, options, the, topics, hello, hi, hey]",
        ),
        [
            "topics.menu.words: 'the' is one of the stopwords in content/en/matching.yaml, which never count: "
            "remove it from one of them"
        ],
    ),
    (
        "a-keyword-of-two-words",
        "guide.yaml",
        ("keyword: FACTS\n", "keyword: KEY FACTS\n"),
        ["topics.facts.keyword: 'KEY FACTS' must be one word of capital letters and digits"],
    ),
    (
        "a-keyword-in-lower-case",
        "guide.yaml",
        ("keyword: FACTS\n", "keyword: facts\n"),
        ["topics.facts.keyword: 'facts' must be one word of capital letters and digits"],
    ),
    (
        "a-keyword-in-lower-case-on-a-topic-after-one-with-no-keyword",
        "line.yaml",
        (CANT_ADVISE_END, CANT_ADVISE_END + "  visit:\n    title: a visit\n    keyword: visit\n    sms: A visit.\n"),
        ["topics.visit.keyword: 'visit' must be one word of capital letters and digits"],
    ),
    (
        "a-stopword-on-a-topic-after-one-with-no-keyword",
        "line.yaml",
        (CANT_ADVISE_END, CANT_ADVISE_END + "  visit:\n    title: a visit\n    keyword: VISIT\n    words: [the]\n"
                          "    sms: A visit.\n"),
        ["topics.visit.words: 'the' is one of the stopwords"],
    ),
    (
        "a-topic-id-used-in-both-files",
        "line.yaml",
        ("  thanks:\n", "  faq:\n"),
        ["content/en/line.yaml: topics.faq: topic id is already used in content/en/guide.yaml"],
    ),
    (
        "a-topic-called-emergency",
        "line.yaml",
        ("  thanks:\n", "  emergency:\n"),
        ["topics.emergency: topic id is already used in regions.yaml (the emergency redirect)"],
    ),
    (
        "menu-keys-out-of-order",
        "line.yaml",
        ('      - {key: "3", label: "what to bring"', '      - {key: "5", label: "what to bring"'),
        ["voice.menus.main: keys ['1', '2', '5', '4', '0'] must be 1, 2, 3... in order with no gaps"],
    ),
    (
        "menu-key-zero-not-last",
        "line.yaml",
        (
            '      - {key: "1", label: "if asking',
            '      - {key: "0", label: "how this line works", topic: help}\n      - {key: "1", label: "if asking',
        ),
        ["voice.menus.faq: key 0 must come last"],
    ),
    (
        "menu-option-with-a-topic-and-a-menu",
        "line.yaml",
        ("topic: faq2}", "topic: faq2, menu: faq}"),
        ["voice.menus.faq[2]: give exactly one of topic or menu"],
    ),
    (
        "menu-option-to-a-topic-with-no-voice",
        "line.yaml",
        ("topic: faq2}", "topic: faq}"),
        ["voice.menus.faq[2]: topic 'faq' has no voice text"],
    ),
    (
        "a-key-after-a-piece-with-an-unknown-action",
        "line.yaml",
        ('action: again, say: "To hear that', 'action: replay, say: "To hear that'),
        ["voice.after_piece[1]: action 'replay' must be one of again, text, menu"],
    ),
    (
        "two-keys-after-a-piece-share-a-key",
        "line.yaml",
        ('{key: "2", action: text,', '{key: "1", action: text,'),
        ["voice.after_piece[1]: key '1' must be one key, 1 to 9 or *, used once"],
    ),
    (
        "no-main-menu",
        "line.yaml",
        ("    main:\n", "    start:\n"),
        ["content/en/line.yaml: voice.menus: missing menu 'main'"],
    ),
    (
        "a-key-said-aloud-of-two-digits",
        "line.yaml",
        ('    "0": [zero, oh, nought]', '    "12": [twelve]\n    "0": [zero, oh, nought]'),
        ["voice.say_keys.12: keys are 0 to 9 and *"],
    ),
    (
        "a-key-after-a-piece-that-is-the-help-key",
        "line.yaml",
        ('{key: "1", action: again,', '{key: "0", action: again,'),
        ["voice.after_piece[1]: key '0' must be one key, 1 to 9 or *, used once (0 is help)"],
    ),
    (
        "a-key-after-a-piece-of-two-digits",
        "line.yaml",
        ('{key: "2", action: text,', '{key: "12", action: text,'),
        ["voice.after_piece[2]: key '12' must be one key, 1 to 9 or *, used once (0 is help)"],
    ),
    (
        "an-action-after-a-piece-given-twice-and-another-never",
        "line.yaml",
        ('{key: "2", action: text,', '{key: "2", action: again,'),
        ["content/en/line.yaml: voice.after_piece: give one key for each of again, text, menu"],
    ),
    (
        "region-variants-that-miss-a-region",
        "guide.yaml",
        ("      US: |\n        Here is how to ask", "      FR: |\n        Here is how to ask"),
        ["topics.ask.voice: region variants ['FR', 'GB'] must name exactly this language's regions ['GB', 'US']"],
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


def test_content_edited_in_place_is_served_by_the_next_app_and_broken_content_is_refused_every_time(make_app, tmp_path):
    """Apps share what the same files build: an edit, even in the same folder, builds afresh."""
    root = content_copy(tmp_path)
    before = Served.of(make_app(CONTENT_DIR=str(root))).replies["faq1"][0]
    replace_once(root / "en" / "guide.yaml", FAQ1_LAST, "that tells you something new.\n    whatsapp:")
    after = Served.of(make_app(CONTENT_DIR=str(root))).replies["faq1"][0]
    assert "something new." in after and "something new." not in before
    replace_once(root / "en" / "guide.yaml", "  faq1:", "  faq1: [")
    for _ in range(2):
        with pytest.raises(ContentError):
            make_app(CONTENT_DIR=str(root))


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
    replace_once(root / "en" / "guide.yaml", FAQ1_LAST, f"that tells you something. {padding}\n    whatsapp:")
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


def load(root, *tags):
    """Load the line for these locales straight through the loader."""
    return load_line(root, tags, {"operator": "", "number": ""})


def test_an_unknown_region_is_named_with_the_regions_there_are(tmp_path):
    with pytest.raises(ContentError) as refused:
        load(content_copy(tmp_path), "en-FR")
    assert str(refused.value) == "content/en/regions.yaml: no region 'FR' for en-FR (have: GB, US)"


def test_a_pack_missing_a_file_names_it(tmp_path):
    root = content_copy(tmp_path)
    (root / "cy" / "guide.yaml").unlink()
    with pytest.raises(ContentError) as refused:
        load(root, "cy-GB")
    assert str(refused.value) == "content/cy/guide.yaml: file is missing"


def test_an_empty_file_is_refused(tmp_path):
    root = content_copy(tmp_path)
    (root / "en" / "regions.yaml").write_text("# nothing yet\n", encoding="utf-8")
    with pytest.raises(ContentError) as refused:
        load(root, "en-GB")
    assert str(refused.value) == "content/en/regions.yaml: must be a mapping, not nothing"


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    root = content_copy(tmp_path)
    (root / "en" / "web.yaml").write_bytes("purpose: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ContentError) as refused:
        load(root, "en-GB")
    assert str(refused.value).startswith("content/en/web.yaml: is not UTF-8 text (invalid continuation byte")


def test_the_emergency_text_of_each_served_region_is_checked(make_app, tmp_path):
    root = content_copy(tmp_path)
    replace_once(root / "en" / "regions.yaml", "call or text 988.", "call or text 988 \u2013 free.")
    make_app(CONTENT_DIR=str(root))  # a UK line does not say the US text
    with pytest.raises(ContentError) as refused:
        make_app(CONTENT_DIR=str(root), LINE_LOCALES="en-US")
    assert str(refused.value).startswith("content/en/regions.yaml: US.emergency.sms: '\u2013' (U+2013) is not GSM-7")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'sent: "I\'ve sent that to the number ending {last_digits}."',
            'sent: "Sent to {last_digit}."',
            "voice.sent: unknown placeholder {last_digit} (known: last_digits)",
        ),
        (
            'goodbye: "Thank you for calling.',
            'goodbye: "Thank you, {name}, for calling.',
            "voice.goodbye: unknown placeholder {name} (known: emergency_number, emergency_spoken, line_name, menu, "
            "operator)",
        ),
        (
            '- {key: "4", label: "common questions"',
            '- {key: "4", label: "common {questions}"',
            "voice.menus.main[4].label: unknown placeholder {questions}",
        ),
        (
            "Here are three common questions.",
            "Here are {count} common questions.",
            "voice.menu_intro.faq: unknown placeholder {count}",
        ),
    ],
)
def test_spoken_words_are_all_checked_at_start_up(make_app, tmp_path, old, new, expected):
    root = content_copy(tmp_path)
    replace_once(root / "en" / "line.yaml", old, new)
    with pytest.raises(ContentError) as refused:
        make_app(CONTENT_DIR=str(root))
    assert f"content/en/line.yaml: {expected}" in str(refused.value)
