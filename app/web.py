"""The web pages: the home page with its try-it panels, and the printable card for clinics."""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import segno
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup, escape

from app.content import SMS_MAX_CHARS, Content, WebWords, load_web
from app.transcript import transcript
from app.voice import KEYPAD, MAX_SPEECH, plays_piece, respond
from app.webhook import log_event

bp = Blueprint("web", __name__)

PAPERS = ("a4", "letter")
MAX_STEPS = 6  # redirects followed for one key press; the phone line needs two at most
STEP = re.compile(r"^/voice(/[A-Za-z0-9_/-]*)?(\?[A-Za-z0-9_=&%.-]*)?$")
ENDED = {"said": [], "gather": None, "redirect": None, "ended": True}

# Pages carry no inline script (the try panels use a static file), are never framed, and send
# no referrer; the card's QR code is inline SVG markup, which script-src does not govern.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# Production is served over https only (PUBLIC_BASE_URL must be https): browsers that saw it once
# never try plain http again, for a year. Browsers ignore this header on http, so development is unaffected.
HSTS = {"Strict-Transport-Security": "max-age=31536000; includeSubDomains"}


@dataclass(frozen=True)
class Site:
    """What the pages show, worked out once from content and configuration."""

    content: Content
    words: WebWords
    number: str  # E.164, or "" when not configured
    spaced: str  # the number as printed, in groups
    sms_link: str
    qr_svg: Markup
    keywords: tuple[tuple[str, str], ...]  # (keyword, title), as listed in the SMS menu, then MENU and HELP
    paste: str  # the text for clinic letters
    paste_html: str  # the same, as HTML for letter templates


def spaced(number: str) -> str:
    """Group an E.164 number for reading: +44 7700 900123, +1 415 555 0100; others as they are."""
    if re.fullmatch(r"\+44\d{10}", number):
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    if re.fullmatch(r"\+1\d{10}", number):
        return f"{number[:2]} {number[2:5]} {number[5:8]} {number[8:]}"
    return number


def qr_code(link: str, title: str) -> Markup:
    """The sms: link as an inline SVG QR code, sized by CSS so it prints sharp at any size."""
    svg = segno.make(link, error="m", micro=False).svg_inline(omitsize=True, svgclass="qr", lineclass=None)
    # role and name let screen readers announce it as a picture rather than skip or spell it out.
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1))


def build_site(content: Content, number: str, settings: dict) -> Site:
    """Everything the card and home page print, from content and the line's settings."""
    keyword = content.topics["menu"].keyword
    words = load_web(
        settings["CONTENT_DIR"],
        content.language,
        {
            "line_name": content.line_name,
            "operator": content.operator,
            "emergency_number": content.region.emergency_number,
            "keyword": keyword,
            "number": spaced(number),
        },
    )
    listed = (*content.sms_menu, "menu", "help")
    paste = "\n".join((words.card.paste, content.sms.disclaimer, words.stop))
    link = f"sms:{number}?body={keyword}" if number else ""
    return Site(
        content=content,
        words=words,
        number=number,
        spaced=spaced(number),
        sms_link=link,
        qr_svg=qr_code(link, words.card.qr_title) if number else Markup(""),
        keywords=tuple((content.topics[t].keyword, content.topics[t].title) for t in listed),
        paste=paste,
        paste_html="\n".join(f"<p>{escape(line)}</p>" for line in paste.splitlines()),
    )


def site() -> Site:
    """The current app's pages."""
    return current_app.extensions["web_site"]


def wants_json() -> bool:
    """Tell whether the page's script asked (it sends Accept: application/json; plain forms do not)."""
    return request.accept_mimetypes.best == "application/json"


def home_page(text: dict | None = None, call: dict | None = None) -> str:
    """The home page, showing the last text or call step tried on it (the only state a plain form keeps)."""
    return render_template("home.html", site=site(), keys=KEYPAD, text=text, call=call)


@bp.get("/")
def home():
    """The line's home page, with the try-it panels."""
    return home_page()


@bp.get("/try/text")
@bp.get("/try/call")
def try_again():
    """A try-it form's address opened directly (a bookmark, a reload): back to the panels."""
    return redirect(url_for("web.home", _anchor="try-heading"))


@bp.post("/try/text")
def try_text():
    """Answer a typed text exactly as the line would, through the same code: nothing is sent."""
    body = request.form.get("message", "")[:SMS_MAX_CHARS]  # as /sms reads a text
    answer = current_app.extensions["sms_line"].answer(body, session)
    log_event("try-text", f"{answer.reply}:{answer.part}", "silent" if answer.text is None else "shown")
    text = {"sent": body, "reply": answer.text, "note": None if answer.text else site().words.text.silent}
    if wants_json():
        return jsonify(text)
    return home_page(text=text)


@bp.post("/try/call")
def try_call():
    """Take one step of a call through the real phone menu, with texts switched off; show what is said."""
    step = request.form.get("step", "/voice")
    if not STEP.match(step):
        abort(400)
    form = {}
    if "Digits" in request.form:
        form["Digits"] = request.form["Digits"][:1] if request.form["Digits"][:1] in KEYPAD else ""
    if "SpeechResult" in request.form:
        # The browser's words are typed, not heard: as certain as speech gets.
        form |= {"SpeechResult": request.form["SpeechResult"][:MAX_SPEECH], "Confidence": "0.95"}
    call = ENDED if request.form.get("hangup") else walk(step, form)
    log_event("try-call", step.split("?")[0], "ended" if call["ended"] else "shown")
    if wants_json():
        return jsonify(call)
    return home_page(call=call)


def walk(step: str, form: dict) -> dict:
    """Ask the phone line for `step`, following its redirects, until it waits for a choice or hangs up."""
    said: list[str] = []
    for _ in range(MAX_STEPS):
        turn = transcript(respond(step, form, send_texts=False))
        said.extend(turn.said)
        # A Gather with no action posts back to the URL that asked for it, as Twilio does.
        gather = local(turn.gather or step) if turn.gather is not None else None
        redirect = local(turn.redirect)
        # While a piece plays, a key only cuts it short: the panel listens on to the choices after it.
        if (gather and not plays_piece(gather)) or turn.hangup or not redirect:
            break
        step, form = redirect, {}
    ended = turn.hangup or not gather
    return {"said": said, "gather": None if ended else gather, "redirect": None if ended else redirect, "ended": ended}


def local(url: str | None) -> str | None:
    """A phone-line URL as a step path ("/voice/..."), or None for anything that is not one."""
    if not url:
        return None
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if STEP.match(path) else None


@bp.get("/card")
def card():
    """The printable card: one page of A4, or of US Letter with ?paper=letter."""
    paper = request.args.get("paper", "a4")
    if paper not in PAPERS:
        paper = "a4"
    return render_template("card.html", site=site(), paper=paper, other="letter" if paper == "a4" else "a4")


@bp.get("/card.txt")
def card_text():
    """The text for clinic letters, as plain text."""
    text = site().paste if site().number else site().words.not_configured
    return Response(text + "\n", mimetype="text/plain")


def security_headers(production: bool) -> dict[str, str]:
    """The headers every page carries (gunicorn's own error pages too, see app/serving.py)."""
    return SECURITY_HEADERS | HSTS if production else SECURITY_HEADERS


def secure(response: Response) -> Response:
    """Add the security headers to every page that does not set its own (TwiML for Twilio needs none)."""
    if response.mimetype == "text/xml":  # the webhooks' answers: no browser renders them, and they are hot
        return response
    for name, value in security_headers(current_app.config["LINE_ENV"] == "production").items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    """Prepare the pages once and register them, with security headers on every response."""
    app.extensions["web_site"] = build_site(app.extensions["line_content"], app.config["LINE_NUMBER"], app.config)
    app.after_request(secure)
    app.register_blueprint(bp)
