"""In a real browser (Debian's Chromium, driven by Playwright): keyboard use, accessibility, print, the QR code.

The app runs on a real server on 127.0.0.1. In CI (CI set) a missing Chromium, zbarimg or axe-core
fails these tests; on a developer's machine they are skipped with the reason.
"""

import io
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader
from support import LINE_NUMBER, SECRET, TOKEN, Served
from werkzeug.serving import make_server

from app import create_app

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "screenshots"
# No sandbox as root in CI; no background connections, which this machine's closed network refuses.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The card's fonts: Liberation Sans (metric-compatible with Arial and Helvetica, as Windows and Macs
# print it) and DejaVu Sans (wider: what many Linux desktops fall back to). It must fit in either.
LIBERATION = Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")
FONT_FILES = {"Liberation Sans": LIBERATION, "DejaVu Sans": Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")}
PAPER_POINTS = {"a4": (595.3, 841.9), "letter": (612.0, 792.0)}
# The width inside the card's page margins (12 mm each side), in CSS pixels (96 to the inch).
PRINT_WIDTH_PX = {paper: round((width / 72 - 2 * 12 / 25.4) * 96) for paper, (width, _) in PAPER_POINTS.items()}


def need(present: bool, what: str) -> None:
    """Skip where a tool is missing, but fail in CI, where .ci/run installs it."""
    if present:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing: .ci/run installs it, so CI must have it")
    pytest.skip(f"{what} is missing (run .ci/run, or see the README's browser-test notes)")


@pytest.fixture(scope="module")
def server():
    """The real app on a real port, as a browser meets it."""
    app = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET, "LINE_PHONE_NUMBER": LINE_NUMBER})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)  # shutdown waits one poll
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", app
    httpd.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless; Playwright never downloads a browser of its own."""
    need(CHROMIUM.exists(), f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


class Tab:
    """A browser tab on the app, noting any script error, blocked resource or request off the server."""

    def __init__(self, page, base: str):
        self.page, self.base = page, base
        self.problems: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("console", self.console)
        page.on("request", self.request)

    def console(self, message) -> None:
        """Keep console errors, except the favicon the app does not serve."""
        if message.type == "error" and "favicon" not in (message.location or {}).get("url", ""):
            self.problems.append(f"console: {message.text}")

    def request(self, request) -> None:
        """Keep any request that leaves the app's own server."""
        if not request.url.startswith(self.base):
            self.problems.append(f"request off the server: {request.url}")

    def open(self, path: str) -> None:
        """Load a page and wait for it."""
        response = self.page.goto(self.base + path)
        assert response.status == 200, path

    def tab_to(self, selector: str, most: int = 60) -> None:
        """Press Tab (going round the page if need be) until `selector` has focus; every stop must show a ring."""
        for _ in range(most):
            self.page.keyboard.press("Tab")
            focused = self.page.evaluate(
                """() => {
                    const e = document.activeElement, s = getComputedStyle(e);
                    return {tag: e.tagName, text: (e.innerText || e.id || '').trim().slice(0, 40),
                            ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2};
                }"""
            )
            if focused["tag"] == "BODY":  # past the last control: the next Tab starts again at the top
                continue
            assert focused["ring"], f"no visible focus ring on {focused}"
            if self.page.evaluate("s => document.activeElement.matches(s)", selector):
                return
        pytest.fail(f"{selector} not reached by {most} presses of Tab")

    def text(self, selector: str) -> str:
        """The exact text of the first element matching `selector`, once it appears."""
        return self.page.locator(selector).first.text_content()

    def wait_text(self, selector: str, text: str) -> None:
        """Wait until an element matching `selector` has exactly `text`."""
        self.page.wait_for_function(
            "([s, t]) => [...document.querySelectorAll(s)].some(e => e.textContent === t)", arg=[selector, text]
        )


@pytest.fixture
def tab(browser, server):
    """A fresh browser context (no cookies) with script on."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield Tab(page, server[0])
    context.close()


@pytest.fixture
def plain_tab(browser, server):
    """A fresh browser context with script switched off."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield Tab(page, server[0])
    context.close()


def test_the_text_panel_works_by_keyboard_alone_in_place(tab, content):
    tab.open("/")
    tab.page.evaluate("window.samePage = true")  # gone if the form reloaded the page instead of the script
    tab.tab_to("#message")
    tab.page.keyboard.type("bring")
    tab.page.keyboard.press("Enter")
    tab.wait_text("#text-reply .sms", content.replies["bring"][0])
    assert tab.text("#text-reply .sent") == "bring"
    assert tab.page.evaluate("document.activeElement.id") == "message", "focus stays where the next text is typed"
    tab.page.keyboard.type("MORE")
    tab.page.keyboard.press("Enter")
    tab.wait_text("#text-reply .sms", content.replies["bring"][1])
    assert tab.page.evaluate("window.samePage") is True
    assert tab.page.get_attribute("#text-reply", "aria-live") == "polite"
    assert tab.problems == []


def test_the_text_panel_works_without_javascript(plain_tab, content):
    plain_tab.open("/")
    plain_tab.tab_to("#message")
    plain_tab.page.keyboard.type('<b>faq</b>')
    with plain_tab.page.expect_navigation():
        plain_tab.page.keyboard.press("Enter")
    assert plain_tab.text("#text-reply .sent") == "<b>faq</b>"
    assert plain_tab.text("#text-reply .sms") == content.replies["faq"][0]
    assert plain_tab.problems == []


def test_what_is_typed_is_shown_as_text_never_run(tab):
    tab.open("/")
    tab.page.fill("#message", '<img src=x onerror="window.ran=1"><script>window.ran=1</script>')
    tab.page.press("#message", "Enter")
    tab.page.wait_for_selector("#text-reply .sent")
    assert tab.page.evaluate("window.ran") is None
    assert tab.page.locator("#text-reply img, #text-reply script").count() == 0


def test_the_phone_panel_works_by_keyboard_alone_in_place(tab, content):
    tab.open("/")
    tab.page.evaluate("window.samePage = true")
    assert tab.page.is_visible("#speak"), "with script, the read-aloud choice is offered"
    tab.tab_to("#start-form button")
    tab.page.keyboard.press("Enter")
    tab.wait_text("#call-said .voice", content.voice.option.format(label="what to bring", key="3"))
    tab.tab_to('#call-controls button[value="3"]')
    tab.page.keyboard.press("Enter")
    tab.wait_text("#call-said .voice", content.topics["bring"].voice[0])
    tab.wait_text("#call-said .voice", content.voice.disclaimer)
    tab.tab_to("#speech")
    tab.page.keyboard.type("common questions")
    tab.page.keyboard.press("Enter")
    tab.wait_text("#call-said .voice", content.voice.menu_intro["faq"])
    tab.tab_to('#call-controls button[value="*"]')
    assert tab.page.evaluate("document.activeElement.getAttribute('aria-label')") == "star"
    tab.page.keyboard.press("Enter")
    tab.wait_text("#call-said .voice", content.voice.option.format(label="what to bring", key="3"))
    tab.tab_to("#hang-up")
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_selector("#call-said .ended")
    assert tab.page.is_hidden("#call-controls")
    assert tab.page.evaluate("document.activeElement.closest('#start-form') !== null"), "focus is not lost"
    assert tab.page.evaluate("window.samePage") is True
    assert tab.page.get_attribute("#call-said", "aria-live") == "polite"
    assert tab.problems == []


def test_the_phone_panel_works_without_javascript(plain_tab, content):
    plain_tab.open("/")
    assert plain_tab.page.is_hidden("#call-controls") and plain_tab.page.is_hidden("#speak")
    plain_tab.tab_to("#start-form button")
    with plain_tab.page.expect_navigation():
        plain_tab.page.keyboard.press("Enter")
    plain_tab.tab_to('#call-controls button[value="2"]')
    with plain_tab.page.expect_navigation():
        plain_tab.page.keyboard.press("Enter")
    assert plain_tab.text("#call-said .voice") == content.topics["ask"].voice[0]
    assert plain_tab.problems == []


def axe_violations(tab) -> list[dict]:
    """Run axe-core on the open page, injected through DevTools: the page itself allows no inline script."""
    need(AXE.exists(), f"axe-core at {AXE.relative_to(ROOT)} (npm ci)")
    tab.page.evaluate(AXE.read_text(encoding="utf-8"))
    return tab.page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"""
    )


@pytest.mark.parametrize("path", ["/", "/card", "/card?paper=letter"])
def test_axe_finds_no_serious_or_critical_violations(tab, path):
    tab.open(path)
    violations = axe_violations(tab)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


def test_axe_finds_none_with_replies_showing(tab, content):
    tab.open("/")
    tab.page.fill("#message", "faq")
    tab.page.press("#message", "Enter")
    tab.wait_text("#text-reply .sms", content.replies["faq"][0])
    tab.page.click("#start-form button")
    tab.wait_text("#call-said .voice", content.topics["menu"].voice[0])
    violations = axe_violations(tab)
    assert [v for v in violations if v["impact"] in ("serious", "critical")] == []


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_the_card_prints_on_exactly_one_page(tab, paper, content):
    need(LIBERATION.exists(), f"the Liberation Sans font ({LIBERATION}, Debian package fonts-liberation)")
    tab.open(f"/card?paper={paper}")
    pdf = PdfReader(io.BytesIO(tab.page.pdf(prefer_css_page_size=True, print_background=True)))
    assert len(pdf.pages) == 1
    box = pdf.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(PAPER_POINTS[paper], abs=1.5)
    printed = " ".join(pdf.pages[0].extract_text().split())
    assert "+44 7700 900123" in printed
    assert all(f"{content.topics[t].keyword}" in printed for t in content.sms_menu)
    assert "Reply STOP to stop texts" in printed


def pdf_fonts(page) -> set[str]:
    """The names of the fonts a PDF page draws its text in, without their subset prefixes (ABCDEF+)."""
    fonts = page["/Resources"].get_object().get("/Font", {})
    return {str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1] for font in fonts.values()}


@pytest.mark.parametrize("paper", ["a4", "letter"])
@pytest.mark.parametrize("family", list(FONT_FILES))
def test_the_card_prints_on_one_page_in_each_font(browser, server, content, family, paper):
    """Every piece of text forced into one font, as on a computer that has only that font."""
    need(FONT_FILES[family].exists(), f"the {family} font ({FONT_FILES[family]})")
    # The page's CSP allows no inline style, rightly; this context alone may add one, to force the font.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    tab = Tab(page, server[0])
    tab.open(f"/card?paper={paper}")
    page.add_style_tag(content=f"* {{ font-family: '{family}' !important; }}")

    # Laid out as it prints, at the page's width: nothing may stick out past the card's right edge.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": PRINT_WIDTH_PX[paper], "height": 1000})
    overflow = page.evaluate(
        """() => {
            const right = document.querySelector('.card').getBoundingClientRect().right;
            return [...document.querySelectorAll('.card *')]
                .filter(e => e.getBoundingClientRect().right > right + 0.5)
                .map(e => e.tagName + '.' + (e.className.baseVal ?? e.className));
        }"""
    )
    assert overflow == [], f"wider than the page in {family}: {overflow}"
    smallest = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('.card *')]
            .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
            .map(e => parseFloat(getComputedStyle(e).fontSize) * 72 / 96))"""
    )
    assert smallest >= 12, f"printed text at {smallest}pt: older patients read this card"

    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    context.close()
    assert len(pdf.pages) == 1, f"{family} on {paper}: {len(pdf.pages)} pages"
    box = pdf.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(PAPER_POINTS[paper], abs=1.5)
    # The font really was the one asked for (a missing font would fall back and prove nothing).
    assert {name.split("-")[0] for name in pdf_fonts(pdf.pages[0])} == {family.replace(" ", "")}
    printed = " ".join(pdf.pages[0].extract_text().split())
    assert "+44 7700 900123" in printed
    keywords = [content.topics[t].keyword for t in (*content.sms_menu, "menu", "help")]
    assert [k for k in keywords if k not in printed] == []
    assert content.region.emergency_number in printed
    assert "Reply STOP to stop texts" in printed
    assert tab.problems == []


def test_the_qr_code_decodes_to_the_sms_link(browser, server, tmp_path):
    need(shutil.which("zbarimg") is not None, "zbarimg (Debian package zbar-tools)")
    context = browser.new_context(device_scale_factor=2)
    page = context.new_page()
    page.goto(server[0] + "/card")
    image = tmp_path / "qr.png"
    page.locator("svg.qr").screenshot(path=str(image))
    context.close()
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True, check=True)
    assert decoded.stdout.strip() == f"sms:{LINE_NUMBER}?body=MENU"


def test_screenshots_of_the_pages(tab):
    SCREENSHOTS.mkdir(exist_ok=True)
    tab.page.set_viewport_size({"width": 1100, "height": 900})
    for name, path in (("home", "/"), ("card-a4", "/card"), ("card-letter", "/card?paper=letter")):
        tab.open(path)
        shot = SCREENSHOTS / f"{name}.png"
        tab.page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000, shot
    # The card alone, as it prints: the picture in docs/card.png is a copy of this one.
    tab.page.set_viewport_size({"width": 760, "height": 1000})
    tab.page.emulate_media(media="print")
    tab.open("/card")
    tab.page.locator(".card").screenshot(path=str(SCREENSHOTS / "card-print.png"))


# Two languages side by side, as a Welsh health board or a US clinic serves them.
DEPLOYMENTS = ["en-GB,cy-GB", "en-US,es-US"]


@pytest.fixture(scope="module", params=DEPLOYMENTS)
def bilingual(request):
    """The real app serving two locales, on a real port: (base URL, app, locales)."""
    settings = {"TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET, "LINE_PHONE_NUMBER": LINE_NUMBER}
    app = create_app(settings | {"LINE_LOCALES": request.param})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)  # shutdown waits one poll
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", app, request.param.split(",")
    httpd.shutdown()
    thread.join()


@pytest.fixture
def bilingual_tab(browser, bilingual):
    """A fresh tab on the two-language line."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield Tab(page, bilingual[0]), bilingual
    context.close()


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_the_bilingual_card_prints_both_languages_on_one_page(bilingual_tab, paper):
    need(LIBERATION.exists(), f"the Liberation Sans font ({LIBERATION}, Debian package fonts-liberation)")
    tab, (_, app, tags) = bilingual_tab
    tab.open(f"/card?paper={paper}")
    pdf = PdfReader(io.BytesIO(tab.page.pdf(prefer_css_page_size=True, print_background=True)))
    assert len(pdf.pages) == 1
    printed = " ".join(pdf.pages[0].extract_text().split())
    for tag in tags:
        served = Served.of(app, tag)
        assert [t for t in served.sms_menu if served.topics[t].keyword not in printed] == [], tag
        assert served.web.stop.split(".")[0] in printed, tag
    assert tab.problems == []


def test_the_bilingual_card_has_no_serious_axe_violations_and_each_qr_code_texts_its_own_menu_word(
    bilingual_tab, tmp_path
):
    need(shutil.which("zbarimg") is not None, "zbarimg (Debian package zbar-tools)")
    tab, (_, app, tags) = bilingual_tab
    tab.open("/card")
    serious = [v for v in axe_violations(tab) if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    codes = tab.page.locator("svg.qr")
    assert codes.count() == len(tags)
    for index, tag in enumerate(tags):
        image = tmp_path / f"qr-{index}.png"
        codes.nth(index).screenshot(path=str(image), scale="device")
        decoded = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True, check=True)
        keyword = Served.of(app, tag).topics["menu"].keyword
        assert decoded.stdout.strip() == f"sms:{LINE_NUMBER}?body={keyword}", tag


def test_the_language_switch_works_by_keyboard_and_the_panel_answers_in_that_language(bilingual_tab):
    tab, (_, app, tags) = bilingual_tab
    other = Served.of(app, tags[1])
    tab.open("/")
    tab.tab_to(f'nav.languages a[hreflang="{other.language_code}"]')
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_url(f"**/?lang={other.tag}")
    assert tab.page.locator("html").get_attribute("lang") == other.language_code
    tab.page.fill("#message", other.topics["bring"].keyword)
    tab.page.press("#message", "Enter")
    tab.wait_text("#text-reply .sms", other.replies["bring"][0])
    serious = [v for v in axe_violations(tab) if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    assert tab.problems == []


def test_a_bilingual_card_picture_for_the_readme(bilingual_tab):
    tab, (_, _, tags) = bilingual_tab
    if tags[1] != "cy-GB":
        return  # docs/card.png shows the English and Welsh card
    SCREENSHOTS.mkdir(exist_ok=True)
    tab.page.set_viewport_size({"width": 1100, "height": 1000})
    tab.page.emulate_media(media="print")
    tab.open("/card")
    shot = SCREENSHOTS / "card-print-en-cy.png"
    tab.page.locator(".card").screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
