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

from app.content import Line, Locale
from app.content.pages import WebWords
from app.events import Event, emit
from app.gsm import MAX_MESSAGE_CHARS
from app.phone import spaced
from app.voice.speech import MAX_SPEECH
from app.voice.views import KEYPAD, respond
from app.walker import Progress, follow

bp = Blueprint("web", __name__)

PAPERS = ("a4", "letter")
STEP = re.compile(r"^/voice(/[A-Za-z0-9_/-]*)?(\?[A-Za-z0-9_=&%.-]*)?$")
ENDED = Progress((), None, None, True)

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
    """What the pages show in one locale, worked out once from content and configuration."""

    locale: Locale
    words: WebWords
    number: str  # E.164, or "" when not configured
    spaced: str  # the number as printed, in groups
    sms_link: str
    qr_svg: Markup
    keywords: tuple[tuple[str, str], ...]  # (keyword, title), as listed in the SMS menu, then MENU and HELP
    back: str  # "To go back, press star."
    paste: str  # the text for clinic letters
    paste_html: str  # the same, as HTML for letter templates


def qr_code(link: str, title: str) -> Markup:
    """The sms: link as an inline SVG QR code, sized by CSS so it prints sharp at any size."""
    svg = segno.make(link, error="m", micro=False).svg_inline(omitsize=True, svgclass="qr", lineclass=None)
    # role and name let screen readers announce it as a picture rather than skip or spell it out.
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1))


def build_site(locale: Locale, number: str) -> Site:
    """Everything the card and home page print in one locale, from content and the line's settings."""
    words, keyword = locale.web, locale.topics["menu"].keyword
    listed = (*locale.sms_menu, "menu", "help")
    paste = "\n".join((words.card.paste, locale.sms.disclaimer, words.stop))
    link = f"sms:{number}?body={keyword}" if number else ""
    star = locale.voice.say_keys["*"][0] if "*" in locale.voice.say_keys else "*"
    return Site(
        locale=locale,
        words=words,
        number=number,
        spaced=spaced(number),
        sms_link=link,
        qr_svg=qr_code(link, words.card.qr_title) if number else Markup(""),
        keywords=tuple((locale.topics[t].keyword, locale.topics[t].title) for t in listed),
        back=locale.voice.back.format(key=star),
        paste=paste,
        paste_html="\n".join(f"<p>{escape(line)}</p>" for line in paste.splitlines()),
    )


def site() -> Site:
    """The pages in the locale asked for (?lang=cy-GB), else in the line's first locale."""
    sites = current_app.extensions["web_sites"]
    return sites.get(str(request.values.get("lang", ""))) or next(iter(sites.values()))


def languages() -> list[tuple[str, str, str]]:
    """The served locales for the language switch: (tag, language code, name in its own language)."""
    return [
        (tag, s.locale.language_code, s.locale.language.name) for tag, s in current_app.extensions["web_sites"].items()
    ]


def wants_json() -> bool:
    """Tell whether the page's script asked (it sends Accept: application/json; plain forms do not)."""
    return request.accept_mimetypes.best == "application/json"


def home_page(text: dict | None = None, call: dict | None = None) -> str:
    """The home page, showing the last text or call step tried on it (the only state a plain form keeps)."""
    here = site()
    start = (
        "/voice"
        if here.locale.tag == next(iter(current_app.extensions["web_sites"]))
        else f"/voice?locale={here.locale.tag}"
    )
    return render_template(
        "home.html",
        site=here,
        languages=languages(),
        keys=KEYPAD,
        text=text,
        call=call,
        start_step=start,
        max_speech=MAX_SPEECH,
    )


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
    body = request.form.get("message", "")[:MAX_MESSAGE_CHARS]
    state = session._get_current_object()
    if "locale" not in state:
        state["locale"] = site().locale.tag  # the panel's language, until a text switches it
    channel = "whatsapp" if request.form.get("channel") == "whatsapp" else "sms"
    answer = current_app.extensions["conversations"][channel].answer(body, state)
    emit(Event("try-text", answer.tag, answer.reply, "served" if answer.text else "opt_out"))
    text = {
        "sent": body,
        "reply": answer.text,
        "note": None if answer.text else site().words.text.silent,
        "channel": channel,
    }
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
    call = ENDED if request.form.get("hangup") else follow(panel_step, step, form)
    emit(Event("try-call", site().locale.tag, step.split("?")[0], "goodbye" if call.ended else "served"))
    shown = {
        "said": list(call.said),
        "gather": local(call.gather),
        "redirect": local(call.redirect),
        "ended": call.ended,
    }
    if wants_json():
        return jsonify(shown)
    return home_page(call=shown)


def panel_step(path: str, form) -> str:
    """One step of the phone line for the panel: texts switched off, and only phone-line URLs followed."""
    if local(path) is None:
        return "<Response><Hangup/></Response>"
    xml, _ = respond(path, form, can_text=False)
    return xml


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
    sites = current_app.extensions["web_sites"]
    chosen = [sites[request.args["lang"]]] if request.args.get("lang") in sites else list(sites.values())
    return render_template(
        "card.html",
        site=chosen[0],
        sites=chosen,
        languages=languages(),
        paper=paper,
        other="letter" if paper == "a4" else "a4",
    )


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
    line: Line = app.extensions["line"]
    app.extensions["web_sites"] = {
        tag: build_site(locale, app.config["LINE_NUMBER"]) for tag, locale in line.locales.items()
    }
    app.after_request(secure)
    app.register_blueprint(bp)
