"""`flask --app app content` through the real CLI: a row per piece and channel, exit 1 over budget."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from content_copy import content_copy, replace_once

from app import config, gsm

REPO = Path(__file__).resolve().parents[1]


def flask_content(content_dir: str | None = None, **env) -> subprocess.CompletedProcess:
    """Run the content report as CI does, with a clean environment for the line's settings."""
    environ = {name: value for name, value in os.environ.items() if name not in config.DEFAULTS}
    environ |= env | ({"CONTENT_DIR": content_dir} if content_dir else {})
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "content"],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def rows(stdout: str) -> list[tuple[str, str, str]]:
    """(locale, piece, channel) for each row of the report's table."""
    table = stdout.split("\n\n", 1)[0].splitlines()[1:]
    return [(line[:6].strip(), line[7:31].strip(), line[32:40].strip()) for line in table]


def row_lines(stdout: str, piece: str, channel: str) -> list[str]:
    """The report's lines for one piece on one channel."""
    table = stdout.split("\n\n", 1)[0].splitlines()[1:]
    return [line for line in table if line[7:31].strip() == piece and line[32:40].strip() == channel]


@pytest.fixture(scope="module")
def shipped():
    return flask_content()


def test_the_shipped_content_is_within_every_budget(shipped):
    assert shipped.returncode == 0, shipped.stderr
    assert shipped.stdout.rstrip().endswith("All within budget.")
    assert "Traceback" not in shipped.stderr


def test_the_report_has_a_row_per_piece_channel_and_locale(shipped, content):
    tag = content.locale.tag
    expected = [(tag, "disclaimer", "sms"), (tag, "disclaimer", "voice")]
    expected += [(tag, f"menu {name}", "voice") for name in content.voice.menus]
    for name, parts in content.replies.items():
        expected += [
            (tag, f"{name} {n}/{len(parts)}" if len(parts) > 1 else name, "sms") for n in range(1, len(parts) + 1)
        ]
    expected += [(tag, f"{name} (text me)", "sms") for name in content.texts]
    expected += [(tag, name, "whatsapp") for name in content.whatsapp]
    expected += [(tag, topic_id, "voice") for topic_id, topic in content.topics.items() if topic.voice]
    found = rows(shipped.stdout)
    assert set(expected) == set(found)
    assert len(found) == len(set(found))
    assert all(line.endswith("  ok") for line in shipped.stdout.split("\n\n", 1)[0].splitlines()[1:])
    replies = sum(len(parts) for parts in content.replies.values())
    assert f"{tag}: {replies} SMS replies, mean " in shipped.stdout


def test_text_me_messages_are_measured_against_twilios_limit_with_their_cost(shipped, content):
    for name, text in content.texts.items():
        (line,) = row_lines(shipped.stdout, f"{name} (text me)", "sms")
        count = gsm.segments(text)
        chars, encoding, segments, cost = line[40:].split()[:4]
        assert (int(chars), encoding, int(segments)) == (len(text), "GSM-7", count.segments), line
        assert float(cost) == round(count.segments * 0.04, 4)  # the example UK price a segment


def test_a_text_me_message_over_twilios_limit_stops_the_line(tmp_path):
    root = content_copy(tmp_path)
    # Four more parts of about 300 characters: each reply is within 3 segments, the whole piece is over 1,600.
    part = "      - " + "Bring your letters and your scan reports. " * 7 + "\n"
    replace_once(root / "en" / "guide.yaml", "      - |\n        Also:\n", part * 4 + "      - |\n        Also:\n")
    result = flask_content(str(root))
    assert result.returncode == 1
    assert "Error: content/en/guide.yaml: topics.bring.sms: as one message the piece is" in result.stderr
    assert "over Twilio's 1600" in result.stderr


def test_broken_content_prints_one_error_line_and_no_traceback(tmp_path):
    root = content_copy(tmp_path)
    replace_once(root / "en" / "guide.yaml", "title: key facts\n", "title: [key, facts]\n")
    result = flask_content(str(root))
    assert result.returncode != 0
    assert "Error: content/en/guide.yaml: topics.facts.title: must be text, not a list" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "All within budget" not in result.stdout


def test_a_production_start_without_secrets_prints_one_error_line(tmp_path):
    result = flask_content(LINE_ENV="production")
    assert result.returncode != 0
    assert "Error: production needs TWILIO_AUTH_TOKEN and SECRET_KEY set in the environment" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_spoken_piece_over_60_seconds_loads_but_fails_the_report(make_app, tmp_path):
    root = content_copy(tmp_path)
    long_voice = "        " + "Your doctor will be glad you asked. " * 40 + "\n"
    anchor = "    voice:\n      GB: |\n        Here is what to bring.\n"  # the UK line's BRING, said
    replace_once(root / "en" / "guide.yaml", anchor, "    voice:\n      GB: |\n" + long_voice)
    make_app(CONTENT_DIR=str(root))  # the loader only refuses SMS problems: the app starts
    result = flask_content(str(root))
    assert result.returncode == 1, result.stdout
    bring = row_lines(result.stdout, "bring", "voice")
    assert len(bring) == 1 and bring[0].endswith("over 60 seconds"), bring
    assert "1 over budget: en-GB bring (voice)" in result.stderr
    assert "All within budget" not in result.stdout
    assert "Traceback" not in result.stderr


def test_a_piece_over_grade_8_fails_the_report(tmp_path):
    root = content_copy(tmp_path)
    hard = (
        "Multidisciplinary deliberation necessitates histopathological documentation. "
        "Interdisciplinary communication facilitates individualised recommendations. "
        "Institutional considerations complicate authorisation."
    )
    replace_once(root / "en" / "line.yaml", "You're welcome. Text MENU", f"{hard} Text MENU")
    result = flask_content(str(root))
    assert result.returncode == 1, result.stderr
    thanks = row_lines(result.stdout, "thanks", "sms")
    assert len(thanks) == 1 and thanks[0].endswith("grade over 8"), thanks
    assert "over budget: en-GB thanks (sms)" in result.stderr
