"""The /insights dashboard in a real browser (Debian's Chromium, driven by Playwright): login, the rate limit,
charts and tables equal to the database's numbers, the CSV, axe-core, and keyboard use without JavaScript.
"""

import csv
import io
import random
import threading
from datetime import date, timedelta

import pytest
from insights_support import D0, D1, PASSWORD, TODAY, at, database_totals, seed, set_password
from playwright.sync_api import sync_playwright
from sqlalchemy import delete, func, select
from support import LINE_NUMBER, SECRET, TOKEN
from test_browser import CHROMIUM, FLAGS, SCREENSHOTS, Tab, axe_violations, need
from werkzeug.serving import make_server

from app import create_app
from app.usage import insights_auth, schema
from app.usage.schema import insights_login_clients
from app.usage.store import Batch


def serve(app):
    """Serve an app on a free port in a thread; returns (base URL, stop)."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)  # shutdown waits one poll
    thread.start()

    def stop():
        httpd.shutdown()
        thread.join()

    return f"http://127.0.0.1:{httpd.server_port}", stop


def line(**overrides):
    """The line as the operator runs it, with its dashboard's password set by the CLI."""
    app = create_app({"TESTING": True, "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET,
                      "LINE_PHONE_NUMBER": LINE_NUMBER, "SMS_SEGMENT_PRICE": "0.04 GBP", **overrides})
    assert set_password(app).exit_code == 0
    return app


@pytest.fixture(scope="module")
def server():
    """The line with the known counts, on a real port."""
    app = line(RECORD_UNMATCHED="1")
    seed(app)
    base, stop = serve(app)
    yield base, app
    stop()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless; Playwright never downloads a browser of its own."""
    need(CHROMIUM.exists(), f"Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def engine(server):
    """The server's database, with no failed logins counted yet (each test starts unlimited)."""
    engine = server[1].extensions["usage_store"].engine
    with engine.begin() as connection:
        connection.execute(delete(insights_login_clients))
        connection.execute(delete(schema.insights_login))
    return engine


@pytest.fixture(params=[False, True], ids=["no-script", "script"])
def tab(request, browser, server, engine):
    """A fresh browser context (no cookies), with script off and on: the dashboard uses none."""
    context = browser.new_context(java_script_enabled=request.param, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield Tab(page, server[0])
    context.close()


def log_in(tab: Tab, password: str = PASSWORD):
    """Open the dashboard, land on the login form, and log in by keyboard alone; the response to the form."""
    tab.page.goto(tab.base + "/insights")
    assert tab.page.url.endswith("/insights/login")
    tab.tab_to("#password")
    tab.page.keyboard.type(password)
    with tab.page.expect_navigation() as navigation:
        tab.page.keyboard.press("Enter")
    return navigation.value


def cells(tab: Tab, table_id: str) -> list[list[str]]:
    """A table's body, as the browser shows it."""
    return tab.page.evaluate(
        """id => [...document.querySelectorAll(`table#${id} tbody tr`)]
            .map(r => [...r.children].map(c => c.innerText.trim()))""",
        table_id,
    )


def test_logging_in_by_keyboard_shows_the_databases_numbers(tab, engine):
    response = log_in(tab)
    assert response.status == 200 and tab.page.url.endswith("/insights")
    shown = dict(cells(tab, "summary"))
    totals = database_totals(engine, TODAY - timedelta(days=29), TODAY)
    assert shown["Texts received"] == str(totals["texts"]) == "31"
    assert shown["Calls answered"] == str(totals["calls"]) == "5"
    assert shown["SMS segments sent"] == str(totals["segments"]) == "65"
    assert shown["Texts the line did not understand"].startswith(f"{totals['not_understood'] - 1} (")
    for day, texts, calls in cells(tab, "daily"):
        one = database_totals(engine, date.fromisoformat(day), date.fromisoformat(day))
        assert (texts, calls) == (str(one["texts"]), str(one["calls"])), day
    assert tab.problems == []


def test_the_charts_are_drawn_with_the_tables_numbers(tab):
    log_in(tab)
    daily = {row[0]: row[1:] for row in cells(tab, "daily")}
    bars = tab.page.evaluate(
        """() => [...document.querySelectorAll('svg.chart-columns rect')]
            .map(r => ({title: r.querySelector('title').textContent, height: r.getBBox().height}))"""
    )
    assert len(bars) == 2 * len(daily) == 60
    for bar in bars:
        day, rest = bar["title"].split(": ", 1)
        series, value = rest.rsplit(" ", 1)
        assert value == daily[day][0 if series == "Texts" else 1], bar
    tallest = max(bars, key=lambda b: b["height"])
    assert tallest["title"] == f"{D1.isoformat()}: Texts 21"
    half = next(b for b in bars if b["title"] == f"{D0.isoformat()}: Texts 10")
    assert half["height"] == pytest.approx(tallest["height"] * 10 / 21, rel=0.01)
    # The phone menu's chart: one bar per step, each as long as its number says, in the table's order.
    steps = cells(tab, "steps")
    drawn = tab.page.evaluate(
        """() => [...document.querySelectorAll('svg.chart-rows')[1].querySelectorAll('text.value')]
            .map(t => t.textContent)"""
    )
    assert drawn == [count for _, count in steps] == ["10", "6", "3", "1"]
    assert tab.page.locator("svg.chart").count() == 3
    assert all(tab.page.locator("svg.chart").nth(i).get_attribute("role") == "img" for i in range(3))


def test_a_wrong_password_says_so(tab, engine):
    response = log_in(tab, "not the password")
    assert response.status == 403
    assert tab.page.locator("#message[role=alert]").inner_text() == "That password is not right. Please try again."
    assert tab.page.locator("#password").get_attribute("aria-describedby") == "message"
    tab.page.goto(tab.base + "/insights")
    assert tab.page.url.endswith("/insights/login"), "still logged out"
    with engine.connect() as connection:
        assert connection.execute(select(func.sum(insights_login_clients.c.failures))).scalar() == 1


def test_the_rate_limit_stops_a_sixth_wrong_password_and_then_the_right_one(tab):
    for _ in range(insights_auth.MOST_PER_CLIENT):
        assert log_in(tab, "guess").status == 403
    response = log_in(tab, PASSWORD)
    assert response.status == 429
    assert 14 * 60 < int(response.headers["retry-after"]) <= 16 * 60
    message = tab.page.locator("#message").inner_text()
    assert message.startswith("Too many wrong passwords from your connection. Please wait 1")
    tab.page.goto(tab.base + "/insights")
    assert tab.page.url.endswith("/insights/login")


def test_the_csv_download_matches_the_database(tab, engine):
    log_in(tab)
    tab.tab_to("#csv")
    with tab.page.expect_download() as download:
        tab.page.keyboard.press("Enter")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    counts = schema.usage_counts
    day = func.date(counts.c.hour)
    with engine.connect() as connection:
        expected = {
            (str(r[0]), r[1], r[2], r[3], r[4]): (int(r[5]), int(r[6]))
            for r in connection.execute(
                select(day, counts.c.channel, counts.c.locale, counts.c.served, counts.c.outcome,
                       func.sum(counts.c.answers), func.sum(counts.c.segments))
                .where(counts.c.hour >= at(TODAY - timedelta(days=29), 0))
                .group_by(day, counts.c.channel, counts.c.locale, counts.c.served, counts.c.outcome)
            )
        }
    got = {(r["day"], r["channel"], r["locale"], r["served"], r["outcome"]): (int(r["answers"]), int(r["segments"]))
           for r in rows}
    assert got == expected and len(got) == 14  # 15 kinds seeded in range; two are one day's hours, summed


def test_the_dashboard_works_by_keyboard_alone(tab, engine):
    log_in(tab)
    tab.tab_to("#locale")
    tab.page.keyboard.press("ArrowDown")  # All, English (UK), Spanish (US): down twice
    tab.page.keyboard.press("ArrowDown")
    tab.tab_to(".range button")
    with tab.page.expect_navigation():
        tab.page.keyboard.press("Enter")
    assert "Spanish (US)" in tab.page.locator("#showing").inner_text()
    assert dict(cells(tab, "summary"))["Texts received"] == "6"
    tab.tab_to("#unmatched-texts button")
    with tab.page.expect_navigation():
        tab.page.keyboard.press("Enter")
    assert tab.page.locator("#unmatched [role=status]").inner_text() == "Marked as reviewed."
    assert "Spanish (US)" in tab.page.locator("#showing").inner_text(), "the same range and locale again"
    with engine.begin() as connection:
        reviewed = connection.execute(select(schema.unmatched.c.text).where(schema.unmatched.c.reviewed)).scalars()
        assert list(reviewed) == ["hola que tal"]
        connection.execute(schema.unmatched.update().values(reviewed=False))  # as it was, for the other tests
    tab.tab_to(".logout button")
    with tab.page.expect_navigation():
        tab.page.keyboard.press("Enter")
    assert tab.page.locator("#message").inner_text() == "You are logged out."
    assert tab.problems == []


def test_axe_finds_no_serious_or_critical_violations(browser, server, engine):
    context = browser.new_context()  # axe-core is a script: injected through DevTools, so script stays on
    tab = Tab(context.new_page(), server[0])
    found = []
    tab.page.goto(tab.base + "/insights/login")
    found += axe_violations(tab)
    log_in(tab, "not the password")
    found += axe_violations(tab)
    log_in(tab)
    found += axe_violations(tab)
    tab.page.goto(tab.base + "/insights?from=nonsense")
    found += axe_violations(tab)
    context.close()
    assert [v for v in found if v["impact"] in ("serious", "critical")] == []


def month_of_counts(app) -> None:
    """Thirty days of counts shaped like a small clinic's line, for the README's picture."""
    rng = random.Random(12)
    batch = Batch()
    pieces = ["bring", "ask", "when", "faq", "faq1", "faq2", "faq3", "facts", "menu", "help"]
    weights = [9, 7, 6, 4, 3, 3, 2, 2, 8, 1]
    for back in range(30):
        day = TODAY - timedelta(days=back)
        weekday = day.weekday() < 5
        texts, calls = rng.randint(14, 30) if weekday else rng.randint(3, 9), rng.randint(4, 11) if weekday else 1
        hour = at(day, 10)
        for served in rng.choices(pieces, weights, k=texts):
            key = (hour, "sms", "en-GB", served, "served")
            batch.usage.setdefault(key, [0, 0])
            batch.usage[key][0] += 1
            batch.usage[key][1] += 2
        for outcome in ("not_understood", "emergency", "cant_advise", "opt_out"):
            if rng.random() < {"not_understood": 0.8, "emergency": 0.1, "cant_advise": 0.3, "opt_out": 0.15}[outcome]:
                batch.usage[hour, "sms", "en-GB", outcome if outcome != "opt_out" else "-", outcome] = [1, 2]
        batch.conversations[hour, "sms", "en-GB"] = max(1, texts // 2)
        batch.conversations[hour, "voice", "en-GB"] = calls
        for step, share in (("main", 1.4), ("bring", 0.5), ("ask", 0.3), ("faq", 0.35), ("faq2", 0.2)):
            batch.usage[hour, "voice", "en-GB", step, "served"] = [max(1, round(calls * share)), 0]
        batch.usage[hour, "voice", "en-GB", "bring", "text_sent"] = [rng.randint(0, 2), 6]
        batch.durations[hour, "en-GB", rng.choice(["0-30s", "30-60s", "1-2min", "2-5min"])] = calls
    app.extensions["usage_store"].add(batch)


def test_a_screenshot_of_the_dashboard(browser):
    """screenshots/insights.png (and -full.png, the whole page): docs/insights.png is a copy of the first."""
    app = line()
    month_of_counts(app)
    base, stop = serve(app)
    try:
        context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-GB")  # a UK clinic
        page = context.new_page()
        tab = Tab(page, base)
        log_in(tab)
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "insights-full.png"), full_page=True)
        # The README's picture: from the top to the end of the pieces' table, readable at the README's width.
        box = page.locator("table#pieces").bounding_box()
        shot = SCREENSHOTS / "insights.png"
        page.screenshot(path=str(shot), full_page=True, clip={"x": 0, "y": 0, "width": 1100,
                                                              "height": box["y"] + box["height"] + 24})
        context.close()
    finally:
        stop()
    assert shot.stat().st_size > 30_000
