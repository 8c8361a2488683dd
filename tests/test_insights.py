"""The /insights dashboard through the Flask client: login, CSRF, the rate limit, date ranges, the numbers, CSV."""

import csv
import io
from datetime import timedelta

import pytest
from insights_support import (
    D0,
    D1,
    PASSWORD,
    TODAY,
    USAGE,
    csrf,
    database_totals,
    log_in,
    page,
    seed,
    set_password,
    table,
)
from sqlalchemy import create_engine, insert, select
from support import SECRET, TOKEN
from test_serving import PUBLIC as PUBLIC_URL
from test_serving import TOKEN as PRODUCTION_TOKEN
from usage_support import database_url, postgres_server  # noqa: F401

from app import create_app
from app.errors import StartupError
from app.usage import insights_auth, insights_report, schema
from app.usage.insights_report import Query
from app.usage.schema import insights_login_clients
from app.usage.store import Store

ADDRESS = "203.0.113.7"


@pytest.fixture
def app(make_app):
    """The line with its dashboard, a price per SMS segment, unmatched texts kept, and the known counts."""
    app = make_app(SMS_SEGMENT_PRICE="0.04 GBP", RECORD_UNMATCHED="1")
    seed(app)
    assert set_password(app).exit_code == 0
    return app


@pytest.fixture
def engine(app):
    """The app's usage database."""
    return app.extensions["usage_store"].engine


@pytest.fixture
def logged_in(client):
    """A client logged in to the dashboard."""
    assert log_in(client).status_code == 303
    return client


def summary(response) -> dict[str, str]:
    """The summary table as {what: value}."""
    return dict(table(page(response), "summary"))


@pytest.mark.parametrize("path", ["/insights", "/insights/counts.csv", "/insights?from=2026-01-01"])
def test_every_page_needs_the_login(client, path):
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/insights/login")


def test_marking_reviewed_needs_the_login(client, engine):
    response = client.post("/insights/unmatched/1/reviewed", data={"csrf": "x"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/insights/login")
    with engine.connect() as connection:
        assert connection.execute(select(schema.unmatched.c.reviewed)).scalars().all() == [False, False, False]


def test_the_right_password_logs_in_and_the_wrong_one_does_not(client, app):
    wrong = log_in(client, "not the password")
    assert wrong.status_code == 403
    assert page(wrong).cssselect("#message")[0].text_content().strip() == app.extensions["insights_words"].login.wrong
    assert client.get("/insights").status_code == 303
    right = log_in(client)
    assert right.status_code == 303 and right.headers["Location"].endswith("/insights")
    assert client.get("/insights").status_code == 200


def test_a_login_without_the_forms_token_is_refused(client, app):
    client.get("/insights/login")
    for data in ({"password": PASSWORD}, {"password": PASSWORD, "csrf": "forged"}):
        response = client.post("/insights/login", data=data)
        assert response.status_code == 400
        assert app.extensions["insights_words"].login.expired in response.get_data(as_text=True)
    assert client.get("/insights").status_code == 303, "still logged out"


def test_a_token_from_another_session_is_refused(app):
    theirs, mine = app.test_client(), app.test_client()
    token = csrf(theirs.get("/insights/login"))
    mine.get("/insights/login")
    assert mine.post("/insights/login", data={"csrf": token, "password": PASSWORD}).status_code == 400


def test_logged_in_forms_without_the_token_are_refused(logged_in, engine):
    assert logged_in.post("/insights/logout", data={}).status_code == 400
    assert logged_in.get("/insights").status_code == 200, "still logged in"
    assert logged_in.post("/insights/unmatched/1/reviewed", data={"csrf": "forged"}).status_code == 400
    with engine.connect() as connection:
        assert not any(connection.execute(select(schema.unmatched.c.reviewed)).scalars())


def test_logout_ends_the_session(logged_in, app):
    token = csrf(logged_in.get("/insights"))
    response = logged_in.post("/insights/logout", data={"csrf": token})
    assert response.status_code == 303 and response.headers["Location"].endswith("/insights/login?out=1")
    assert logged_in.get("/insights").status_code == 303
    said = app.extensions["insights_words"].login.logged_out
    assert said in logged_in.get("/insights/login?out=1").get_data(as_text=True)



def test_logout_ends_a_saved_copy_of_the_cookie_and_every_other_session_too(logged_in, app):
    # Found by an operator trying the line: a copy of the cookie kept from before the logout still opened
    # the dashboard. The cookie is signed, not stored, so the logout replaces the key sessions are made with.
    saved = logged_in.get_cookie("insights", path="/insights").value
    other = app.test_client()
    assert log_in(other).status_code == 303
    logged_in.post("/insights/logout", data={"csrf": csrf(logged_in.get("/insights"))})
    copy = app.test_client()
    copy.set_cookie("insights", saved, path="/insights")
    for client in (copy, other):
        assert client.get("/insights").status_code == 303
        assert client.get("/insights/counts.csv").status_code == 303
    assert log_in(copy).status_code == 303 and copy.get("/insights").status_code == 200  # logging in again works

def test_the_login_is_rotated_so_a_token_seen_before_login_is_worth_nothing(client):
    before = csrf(client.get("/insights/login"))
    log_in(client)
    assert csrf(client.get("/insights")) != before


def test_a_new_password_logs_out_every_session(logged_in, app):
    assert set_password(app, "a different long password").exit_code == 0
    assert logged_in.get("/insights").status_code == 303
    assert log_in(logged_in, "a different long password").status_code == 303


def test_five_wrong_passwords_from_one_address_are_then_refused_with_retry_after(client, app, engine):
    said = app.extensions["insights_words"].login
    for _ in range(insights_auth.MOST_PER_CLIENT):
        assert log_in(client, "guess", REMOTE_ADDR=ADDRESS).status_code == 403
    limited = log_in(client, PASSWORD, REMOTE_ADDR=ADDRESS)  # even the right one, while limited
    assert limited.status_code == 429
    wait = int(limited.headers["Retry-After"])
    assert 14 * 60 < wait <= 16 * 60
    assert said.limited.format(minutes=-(-wait // 60)) in limited.get_data(as_text=True)
    assert client.get("/insights").status_code == 303
    # Another address is not held up by this one.
    assert log_in(app.test_client(), PASSWORD, REMOTE_ADDR="198.51.100.9").status_code == 303
    with engine.connect() as connection:
        rows = connection.execute(select(insights_login_clients)).all()
    assert sum(row.failures for row in rows) == insights_auth.MOST_PER_CLIENT
    assert all(ADDRESS not in str(tuple(row)) for row in rows), "no address is stored"



def test_insights_unlock_opens_a_locked_login_at_once(client, app):
    for _ in range(insights_auth.MOST_PER_CLIENT):
        log_in(client, "guess", REMOTE_ADDR=ADDRESS)
    assert log_in(client, PASSWORD, REMOTE_ADDR=ADDRESS).status_code == 429
    result = app.test_cli_runner().invoke(args=["insights", "unlock"])
    assert result.exit_code == 0 and "login is open again" in result.output
    assert log_in(client, PASSWORD, REMOTE_ADDR=ADDRESS).status_code == 303

def test_the_limit_holds_across_workers_because_it_lives_in_the_database(app, engine):
    """Two app objects on one database stand for two workers: failures in one count in the other."""
    other = create_app({"TESTING": True, "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET})
    other.extensions["usage_store"] = app.extensions["usage_store"]
    for number in range(insights_auth.MOST_PER_CLIENT):
        worker = app if number % 2 else other
        assert log_in(worker.test_client(), "guess", REMOTE_ADDR=ADDRESS).status_code == 403
    assert log_in(other.test_client(), PASSWORD, REMOTE_ADDR=ADDRESS).status_code == 429
    assert log_in(app.test_client(), PASSWORD, REMOTE_ADDR=ADDRESS).status_code == 429


def test_too_many_wrong_passwords_from_everyone_are_refused_too(client, app, engine):
    minute = insights_auth.now().replace(second=0, microsecond=0)
    with engine.begin() as connection:
        connection.execute(insert(schema.insights_login).values(minute=minute, failures=insights_auth.MOST_IN_ALL))
    response = log_in(client, PASSWORD, REMOTE_ADDR="192.0.2.1")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 16 * 60
    assert "Too many wrong passwords have been tried" in response.get_data(as_text=True)


def test_a_right_password_clears_that_addresss_failures(client, engine):
    for _ in range(insights_auth.MOST_PER_CLIENT - 1):
        log_in(client, "guess", REMOTE_ADDR=ADDRESS)
    assert log_in(client, REMOTE_ADDR=ADDRESS).status_code == 303
    with engine.connect() as connection:
        assert connection.execute(select(insights_login_clients)).all() == []


def test_no_password_set_says_how_to_set_one(make_app):
    app = make_app()
    client = app.test_client()
    shown = client.get("/insights/login").get_data(as_text=True)
    assert "flask --app app insights set-password" not in shown  # only said when someone tries
    response = log_in(client, "anything at all")
    assert response.status_code == 503
    assert "flask --app app insights set-password" in response.get_data(as_text=True)
    assert client.get("/insights").status_code == 303


def test_set_password_stores_only_a_salted_hash_and_refuses_a_short_one(app, engine):
    with engine.connect() as connection:
        stored = connection.execute(select(schema.insights_settings.c.value)).scalar()
    assert stored.startswith(("scrypt:", "pbkdf2:")) and PASSWORD not in stored
    result = set_password(app, "short")
    assert result.exit_code != 0 and "at least 12 characters" in result.output
    with engine.connect() as connection:
        assert connection.execute(select(schema.insights_settings.c.value)).scalar() == stored, "nothing changed"
    mismatch = app.test_cli_runner().invoke(args=["insights", "set-password"], input=f"{PASSWORD}\nother one here\n")
    assert mismatch.exit_code != 0


def test_the_cookie_is_httponly_strict_and_only_for_insights(client):
    cookie = client.get("/insights/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/insights" in cookie
    assert "Secure" not in cookie  # development over http://127.0.0.1


def test_the_cookie_is_https_only_in_production(make_app):
    app = make_app(
        LINE_ENV="production", SECRET_KEY=SECRET, TWILIO_AUTH_TOKEN=PRODUCTION_TOKEN, PUBLIC_BASE_URL=PUBLIC_URL
    )
    assert "Secure" in app.test_client().get("/insights/login").headers["Set-Cookie"]


def test_a_forged_or_expired_cookie_is_not_a_login(logged_in, app, monkeypatch):
    value = logged_in.get_cookie("insights", path="/insights").value
    fresh = app.test_client()
    fresh.set_cookie("insights", value[:-2] + "xx", path="/insights")
    assert fresh.get("/insights").status_code == 303
    monkeypatch.setattr(insights_auth, "LIFETIME", timedelta(seconds=-1))  # the cookie is now past its lifetime
    assert logged_in.get("/insights").status_code == 303


def test_the_pages_send_the_security_headers_and_are_never_cached(logged_in):
    for path in ("/insights", "/insights/login", "/insights/counts.csv"):
        headers = logged_in.get(path).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store"


def test_the_summary_shows_the_known_counts(logged_in, engine):
    response = logged_in.get("/insights")
    assert response.status_code == 200
    shown = summary(response)
    assert shown["Texts received"] == "31"
    assert shown["Text conversations started"] == "15"
    assert shown["Calls answered"] == "5"
    assert shown["Texts the line did not understand"] == "2 (6.5% of 31)"
    assert shown["Phone steps the line did not understand"] == "1 (5.0% of 20)"
    assert shown["Emergency redirects"] == "1"
    assert shown["Replies that it cannot advise"] == "2"
    assert shown["Opt-outs (STOP)"] == "1"
    assert shown['"Text me" messages sent'] == "2"
    assert shown['"Text me" messages that failed'] == "1"
    assert shown["SMS segments sent"] == "65"
    assert shown["Estimated SMS cost"] == "2.60 GBP (0.04 GBP a segment)"
    # And the same as the database's own sums over the same 30 days.
    totals = database_totals(engine, TODAY - timedelta(days=29), TODAY)
    assert (shown["Texts received"], shown["Calls answered"], shown["SMS segments sent"]) == (
        str(totals["texts"]), str(totals["calls"]), str(totals["segments"]))


def test_the_tables_beside_the_charts_hold_the_known_counts(logged_in):
    document = page(logged_in.get("/insights"))
    daily = table(document, "daily")
    assert len(daily) == 30 and daily[0][0] == (TODAY - timedelta(days=29)).isoformat() and daily[-1][0] == str(TODAY)
    assert {row[0]: row[1:] for row in daily}[D0.isoformat()] == ["10", "5"]
    assert {row[0]: row[1:] for row in daily}[D1.isoformat()] == ["21", "0"]
    assert table(document, "lengths") == [["0-30s", "2"], ["30-60s", "0"], ["1-2min", "3"], ["2-5min", "0"],
                                          ["5min+", "0"]]


def test_the_pieces_table_names_each_piece_by_its_title(logged_in, content):
    pieces = table(page(logged_in.get("/insights")), "pieces")
    titles = {t: content.topics[t].title for t in ("bring", "ask", "faq1", "faq")}
    assert pieces == [[titles["bring"], "10", "4"], [titles["ask"], "11", "0"], [titles["faq1"], "4", "0"],
                      [titles["faq"], "0", "3"]]
    steps = table(page(logged_in.get("/insights")), "steps")
    assert steps == [["main menu", "10"], [titles["bring"], "6"], [titles["faq"], "3"], [titles["faq1"], "1"]]


def test_each_chart_draws_the_tables_numbers(logged_in):
    document = page(logged_in.get("/insights"))
    daily = document.cssselect("svg.chart-columns")[0]
    titles = [t.text for t in daily.cssselect("rect title")]
    assert len(titles) == 60  # 30 days, texts and calls
    assert f"{D1.isoformat()}: Texts 21" in titles and f"{D0.isoformat()}: Calls 5" in titles
    heights = {t.text: float(t.getparent().get("height")) for t in daily.cssselect("rect title")}
    assert heights[f"{D1.isoformat()}: Texts 21"] == pytest.approx(2.1 * heights[f"{D0.isoformat()}: Texts 10"])
    assert daily.get("role") == "img" and daily.cssselect("desc")[0].text
    rows = document.cssselect("svg.chart-rows")
    assert len(rows) == 2  # the pieces, the phone menu's steps
    assert [v.text for v in rows[1].cssselect("text.value")] == ["10", "6", "3", "1"]


def test_a_locale_shows_only_its_counts(logged_in):
    response = logged_in.get("/insights?locale=es-US")
    shown = summary(response)
    assert shown["Texts received"] == "6" and shown["Calls answered"] == "0" and shown["SMS segments sent"] == "12"
    assert "Spanish (US)" in page(response).cssselect("#showing")[0].text_content()
    document = page(response)
    assert [o.get("value") for o in document.cssselect("#locale option")] == ["all", "en-GB", "es-US"]
    assert table(document, "unmatched-texts") == [[D1.isoformat(), "Spanish (US)", "hola que tal", "Mark as reviewed"]]


def test_a_range_includes_both_its_days_and_nothing_else(logged_in):
    shown = summary(logged_in.get(f"/insights?from={D1}&to={D1}"))
    assert shown["Texts received"] == "21" and shown["Calls answered"] == "0"
    old = TODAY - timedelta(days=40)
    assert summary(logged_in.get(f"/insights?from={old}&to={old}"))["Texts received"] == "100"


def test_an_empty_range_says_so(logged_in):
    response = logged_in.get("/insights?from=2020-01-01&to=2020-01-31")
    assert response.status_code == 200
    assert page(response).cssselect("#empty")
    assert summary(response)["Texts received"] == "0"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=yesterday", '"From" must be a date such as'),
        ("to=2026-13-01", '"To" must be a date such as'),
        ("from=2026-02-30", '"From" must be a date such as'),
        ("from=2026-1-1", '"From" must be a date such as'),
        ("from=%00%ff<script>", '"From" must be a date such as'),
        ("from=2026-05-02&to=2026-05-01", 'The "From" date is after the "To" date.'),
        ("from=2020-01-01&to=2026-01-01", "Choose at most 731 days."),
        ("locale=xx-XX", "Choose a language and region from the list."),
        ("locale=<b>", "Choose a language and region from the list."),
    ],
)
def test_a_bad_range_gets_a_clear_message_never_a_500(logged_in, query, message):
    response = logged_in.get(f"/insights?{query}")
    assert response.status_code == 400
    document = page(response)
    assert message in document.cssselect("#errors")[0].text_content()
    assert document.cssselect("form.range"), "the form is shown again to correct it"
    assert not document.cssselect("table#summary")
    assert "<script>" not in response.get_data(as_text=True)
    csv_response = logged_in.get(f"/insights/counts.csv?{query}")
    assert csv_response.status_code == 400 and message in csv_response.get_data(as_text=True)


def test_the_csv_holds_the_ranges_counts_by_day(logged_in):
    response = logged_in.get(f"/insights/counts.csv?from={D0}&to={TODAY}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f'filename="insights-{D0}-{TODAY}-all.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    expected: dict[tuple, list[int]] = {}
    for hour, channel, locale, served, outcome, answers, segments in USAGE:
        if hour.date() >= D0:
            key = (hour.date().isoformat(), channel, locale, served, outcome)
            expected[key] = [a + b for a, b in zip(expected.get(key, [0, 0]), (answers, segments), strict=True)]
    got = {(r["day"], r["channel"], r["locale"], r["served"], r["outcome"]): [int(r["answers"]), int(r["segments"])]
           for r in rows}
    assert got == expected
    assert expected[(D0.isoformat(), "sms", "en-GB", "bring", "served")] == [10, 30], "the day's hours are summed"


def test_unmatched_texts_are_listed_and_marked_reviewed_with_the_token(logged_in, engine):
    response = logged_in.get("/insights")
    listed = table(page(response), "unmatched-texts")
    assert [row[2] for row in listed] == ["can i bring my dog", "hola que tal", "whats the parking like"]
    form = page(response).cssselect("#unmatched-texts form")[0]
    fields = {i.get("name"): i.get("value") for i in form.cssselect("input")}
    done = logged_in.post(form.get("action"), data=fields)
    assert done.status_code == 303 and done.headers["Location"].endswith("#unmatched")
    after = logged_in.get(done.headers["Location"])
    assert "Marked as reviewed." in after.get_data(as_text=True)
    assert [row[2] for row in table(page(after), "unmatched-texts")] == ["hola que tal", "whats the parking like"]
    with engine.connect() as connection:
        reviewed = connection.execute(select(schema.unmatched.c.text).where(schema.unmatched.c.reviewed)).scalars()
        assert list(reviewed) == ["can i bring my dog"]


def test_without_record_unmatched_the_dashboard_says_it_is_off(make_app):
    app = make_app()
    set_password(app)
    client = app.test_client()
    log_in(client)
    document = page(client.get("/insights"))
    assert "Not recorded." in document.cssselect("#unmatched")[0].text_content()
    assert not document.cssselect("#unmatched-texts")


def test_without_a_price_the_cost_says_how_to_set_one(make_app):
    app = make_app()
    seed(app)
    set_password(app)
    client = app.test_client()
    log_in(client)
    assert summary(client.get("/insights"))["Estimated SMS cost"].startswith("Not shown: set SMS_SEGMENT_PRICE")


@pytest.mark.parametrize("price", ["4p", "0.04", "GBP 0.04", "-1 GBP", "0.04 gbp"])
def test_a_malformed_price_stops_the_start(make_app, price):
    with pytest.raises(StartupError, match="SMS_SEGMENT_PRICE"):
        make_app(SMS_SEGMENT_PRICE=price)


def test_a_database_that_cannot_be_reached_gets_a_clear_page_not_a_500(make_app, tmp_path):
    app = make_app()
    client = app.test_client()
    token = csrf(client.get("/insights/login"))  # the form was loaded; then the database went away
    app.extensions["usage_store"] = Store(f"sqlite:///{tmp_path / 'missing' / 'no.sqlite3'}", timeout=0.2)
    attempt = client.post("/insights/login", data={"csrf": token, "password": "anything at all"})
    for response in (client.get("/insights"), client.get("/insights/login"), attempt):
        assert response.status_code == 503
        assert "cannot be reached" in response.get_data(as_text=True)
        assert response.headers["Retry-After"] == "60"


def test_the_report_reads_the_same_on_sqlite_and_postgresql(database_url):  # noqa: F811
    """The day grouping differs by database (SQLite's date() gives text): both give the same report."""
    store = Store(database_url)
    schema.metadata.create_all(store.engine)

    class Holder:
        extensions = {"usage_store": store}

    seed(Holder)
    report = insights_report.read(store.engine, Query(D0, D1, "all"))
    assert (report.texts, report.started["voice"], report.segments) == (31, 5, 65)
    assert report.texts_per_day == (10, 21)
    assert insights_report.locales(store.engine) == ["en-GB", "es-US"]
    assert [u.text for u in report.unmatched] == ["can i bring my dog", "hola que tal", "whats the parking like"]
    engine = create_engine(store.url)
    assert database_totals(engine, D0, D1)["texts"] == 31
    engine.dispose()
    store.close()


def test_a_kept_text_is_shown_as_text_never_as_markup(logged_in, engine):
    with engine.begin() as connection:
        connection.execute(schema.unmatched.insert().values(day=D1, locale="en-GB", reviewed=False,
                                                            text='<img src=x onerror="alert(1)"> & <b>hi</b>'))
    body = logged_in.get("/insights").get_data(as_text=True)
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; &lt;b&gt;hi&lt;/b&gt;" in body
