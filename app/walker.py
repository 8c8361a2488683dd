"""One walker of a call, as Twilio follows it: for the try-it panel, `flask call` and the tests."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from app.transcript import transcript
from app.voice.views import plays_piece

MAX_STEPS = 6  # redirects followed for one input; the phone line needs two at most
Post = Callable[[str, Mapping[str, str]], str]  # a step's path and the caller's input -> its TwiML


@dataclass(frozen=True)
class Progress:
    """What a caller heard since their last input, and where the line now waits for the next one."""

    said: tuple[str, ...]
    gather: str | None  # where a key or words go; None once the call has ended
    redirect: str | None  # where silence goes
    ended: bool


def follow(post: Post, path: str, form: Mapping[str, str]) -> Progress:
    """Post one input, then listen on through redirects and pieces until the line waits for a choice or hangs up."""
    said: list[str] = []
    for _ in range(MAX_STEPS):
        turn = transcript(post(path, form))
        said.extend(turn.said)
        # A Gather with no action posts back to the URL that asked for it, as Twilio does.
        gather = (turn.gather or path) if turn.gather is not None else None
        # While a piece plays, a key only cuts it short: a caller who listens on reaches the choices after it.
        if (gather and not plays_piece(gather)) or turn.hangup or not turn.redirect:
            break
        path, form = turn.redirect, {}
    ended = turn.hangup or not gather
    return Progress(tuple(said), None if ended else gather, None if ended else turn.redirect, ended)


def next_request(progress: Progress, key: str = "", words: str = "", confidence: str = "0.9") -> tuple[str, dict]:
    """Where the caller's next input goes: a key or words to the Gather, silence to the Redirect."""
    if key:
        return progress.gather, {"Digits": key}
    if words:
        return progress.gather, {"SpeechResult": words, "Confidence": confidence}
    return progress.redirect or progress.gather, {}
