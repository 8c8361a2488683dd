"""What a caller hears from one TwiML voice response, and where the call goes next."""

from dataclasses import dataclass
from xml.etree import ElementTree

LINE_ENDS = {"s", "p", "break"}  # SSML elements after which the voice pauses: each ends a spoken line


@dataclass(frozen=True)
class Turn:
    """One step of a call: every line said, in order, then the Gather, Redirect or Hangup that follows."""

    said: tuple[str, ...]
    gather: str | None
    redirect: str | None
    hangup: bool


def transcript(twiml_xml: str) -> Turn:
    """Read a voice TwiML response (raises ValueError if it is not XML)."""
    try:
        root = ElementTree.fromstring(twiml_xml)
    except ElementTree.ParseError as error:
        raise ValueError(f"not TwiML: {error}") from None
    said: list[str] = []
    for say in root.iter("Say"):
        said.extend(spoken_lines(say))
    gather = next(root.iter("Gather"), None)
    redirect = next(root.iter("Redirect"), None)
    return Turn(
        said=tuple(said),
        gather=None if gather is None else gather.get("action", ""),
        redirect=None if redirect is None else (redirect.text or "").strip(),
        hangup=next(root.iter("Hangup"), None) is not None,
    )


def spoken_lines(say: ElementTree.Element) -> list[str]:
    """A <Say> as lines of text: SSML markup dropped, a new line after each sentence or pause."""
    lines: list[str] = []
    current: list[str] = []

    def end_line() -> None:
        text = " ".join(" ".join(current).split())
        if text:
            lines.append(text)
        current.clear()

    def walk(element: ElementTree.Element) -> None:
        current.append(element.text or "")
        for child in element:
            walk(child)
            if child.tag in LINE_ENDS:
                end_line()
            current.append(child.tail or "")

    walk(say)
    end_line()
    return lines
