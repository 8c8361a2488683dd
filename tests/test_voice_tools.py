"""transcript() and `flask call`: the phone line read as text, for the terminal and the web panel."""

import pytest

from app.transcript import Turn, transcript


def test_transcript_flattens_ssml_into_lines_and_finds_where_the_call_goes():
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="Polly.Amy">Before.</Say>'
        '<Gather action="/voice/menu/main?silence=1&amp;wrong=2"><Say><prosody rate="90%">'
        "<s>One, <emphasis>two</emphasis> three.</s><break time='600ms'/><s>Four.</s><break time='600ms'/>"
        "tail words</prosody></Say></Gather>"
        "<Redirect>/voice/menu/main?silence=1&amp;wrong=2</Redirect></Response>"
    )
    assert transcript(xml) == Turn(
        said=("Before.", "One, two three.", "Four.", "tail words"),
        gather="/voice/menu/main?silence=1&wrong=2",
        redirect="/voice/menu/main?silence=1&wrong=2",
        hangup=False,
    )


def test_transcript_of_a_goodbye():
    turn = transcript("<Response><Say>Goodbye.</Say><Hangup/></Response>")
    assert turn == Turn(said=("Goodbye.",), gather=None, redirect=None, hangup=True)


def test_transcript_refuses_what_is_not_xml():
    with pytest.raises(ValueError):
        transcript("<Response><Say>")


def test_flask_call_walks_the_menu_with_scripted_keys_and_words(app, content):
    result = app.test_cli_runner().invoke(args=["call", "4", "2", "-", "what to bring", "*"])
    assert result.exit_code == 0, result.output
    out = result.output
    for line in (*content.topics["menu"].voice, *content.menu_lines("faq"), *content.topics["faq2"].voice):
        assert f"  {line}\n" in out
    assert out.index(content.topics["faq2"].voice[-1]) < out.index(content.voice.disclaimer)
    assert "> pressed 4" in out and "> said: what to bring" in out and "> (silence)" in out
    assert f"  {content.topics['bring'].voice[0]}" in out
    assert out.count(content.voice.disclaimer) == 2
    assert out.rstrip().endswith("(you hang up)")


def test_flask_call_reads_the_keyboard_until_the_line_says_goodbye(app, content):
    # Help listens as the main menu does while it plays: one silence lets it end, three more end the call.
    result = app.test_cli_runner().invoke(args=["call"], input="0\n\n\n\n\n")
    assert result.exit_code == 0, result.output
    assert f"  {content.topics['help'].voice[0]}" in result.output
    assert content.voice.goodbye in result.output
    assert result.output.rstrip().endswith("(the line hangs up)")


def test_flask_call_signs_for_the_public_url(make_app, content):
    app = make_app(PUBLIC_BASE_URL="https://line.example.org")
    result = app.test_cli_runner().invoke(args=["call", "3"])
    assert result.exit_code == 0, result.output
    assert content.topics["bring"].voice[-1] in result.output
