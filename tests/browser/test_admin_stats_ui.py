"""The admin's statistics and editing pages, and the facilitator's debrief, in a real browser:
a group's description edited (a server-refused field shown next to it) reaches the landing
page; one date of a schedule cancelled and another moved, shown in the reader's local time;
one-to-one settings saved; sessions held and feedback given over the WebSocket appear in the
statistics, the rating chart and the CSV download; a facilitator writes a debrief after
closing a session; a facilitator sees no admin data."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    StaffHttp,
    add_facilitator,
    create_admin,
)
from tests.browser.staff_helpers import admin_section, period_reaches, sign_in
from tests.browser.test_participant_ui import SHOTS, open_page, wait_until
from tests.calendar_dates import this_year
from tests.test_sessions_flow import local_minute, make_room, make_session

pytestmark = pytest.mark.browser
HELSINKI = ZoneInfo("Europe/Helsinki")
# The admin reads in Stockholm (an hour behind the group's Helsinki time): a move typed in
# the group's time shows in the reader's own.
STOCKHOLM = {"timezone_id": "Europe/Stockholm"}
PHONE = {"width": 360, "height": 740}
STATUS = "document.getElementById('status-live').textContent"


async def test_an_admin_edits_a_group_its_schedule_and_one_to_one_settings(browser,
                                                                           staff_server):
    server, admin_password = staff_server
    http = StaffHttp(server.url)
    await http.login("admin", admin_password)
    first = (datetime.now(HELSINKI) + timedelta(days=1)).date()
    made = await http.post("/api/rooms/olohuone/schedules", {
        "frequency": "daily", "start_date": first.isoformat(), "start_time": "18:00",
        "duration_minutes": 90})
    assert made.status_code == 201, made.text
    await http.close()

    admin = await sign_in(browser, server.url, "admin", admin_password, path="/admin",
                          viewport=PHONE, **STOCKHOLM)
    # The group's editor, filled from its configuration.
    await admin.get_by_role("button", name="Muokkaa ryhmää Olohuone").click()
    form = admin.locator("#room-edit")
    await form.wait_for()
    assert await form.get_by_label("Nimi (suomi)").input_value() == "Olohuone"
    assert await admin.input_value("#room-edit-capacity") == "100"
    await form.get_by_label("Kuvaus (suomi)").fill("Uusi kuvaus: tervetuloa myös vain lukemaan.")
    # A field the server refuses: its reason next to it, the field marked, nothing saved.
    await admin.fill("#room-edit-time_zone", "Mars/Olympus")
    await form.get_by_role("button", name="Tallenna muutokset").click()
    error = admin.locator("#room-edit-error-time_zone")
    await error.get_by_text("Tuntematon aikavyöhyke").wait_for()
    assert await admin.get_attribute("#room-edit-time_zone", "aria-invalid") == "true"
    assert await admin.evaluate("document.activeElement.id") == "room-edit-time_zone"
    SHOTS.mkdir(parents=True, exist_ok=True)
    await admin.evaluate("document.activeElement.blur()")  # no suggestion list in the shot
    await admin.evaluate("document.getElementById('room-edit-time_zone')"
                         ".scrollIntoView({block: 'center'})")
    await admin.screenshot(path=str(SHOTS / "room-editor-phone.png"))
    width = await admin.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the room editor scrolls sideways on a phone"
    await admin.fill("#room-edit-time_zone", "Europe/Helsinki")
    await form.get_by_role("button", name="Tallenna muutokset").click()
    await wait_until(admin, f"{STATUS} === 'Ryhmä tallennettu: Olohuone'")
    assert await form.is_hidden()
    landing = await open_page(browser, server.url)
    card = landing.locator(".room", has_text="Olohuone")
    assert "Uusi kuvaus: tervetuloa myös vain lukemaan." in await card.inner_text()

    # The schedule's next dates, in the reader's time (Stockholm: 17.00 for 18:00 Helsinki).
    await admin_section(admin, "schedules-section")
    await admin.select_option("#schedule-room", "olohuone")
    dates = admin.locator("#schedule-list li.card ol.dates > li")
    await wait_until(admin, "document.querySelectorAll('#schedule-list ol.dates > li')"
                            ".length === 5")
    second, third = first + timedelta(days=1), first + timedelta(days=2)
    assert "17.00" in await dates.nth(1).inner_text()
    # Cancel the second date, after a confirmation.
    day = f" {second.day}.{second.month}."
    await dates.nth(1).get_by_role("button", name="Peru kerta").click()
    await dates.nth(1).get_by_role("button", name="Kyllä, peru").click()
    await wait_until(admin, f"{STATUS}.startsWith('Kerta') && {STATUS}.endsWith('peruttu.')")
    cancelled = admin.locator("#schedule-list ol.dates > li", has_text=day)
    assert "peruttu" in await cancelled.inner_text()
    assert await cancelled.get_by_role("button").count() == 0  # no longer a date to act on
    upcoming = [t for t in await dates.all_inner_texts() if "peruttu" not in t]
    assert not any(day in t for t in upcoming), upcoming
    # Move the third to 20:30 the group's time: 19.30 here.
    moved = admin.locator("#schedule-list ol.dates > li", has_text=f" {third.day}.{third.month}.")
    await moved.get_by_role("button", name="Siirrä kerta").click()
    await moved.get_by_label("Uusi alkamisaika (ryhmän aikaa, Europe/Helsinki)").fill(
        f"{third.isoformat()}T20:30")
    await moved.get_by_role("button", name="Tallenna uusi aika").click()
    await wait_until(admin, f"{STATUS}.endsWith('siirretty.')")
    moved = admin.locator("#schedule-list ol.dates > li", has_text=f" {third.day}.{third.month}.")
    text = await moved.inner_text()
    assert "19.30" in text and "siirretty" in text, text
    landing_times = await landing.evaluate(
        "fetch('/api/rooms/olohuone/sessions').then(r => r.json())")
    assert f"{third.isoformat()}T18:30:00Z" in [s["starts_at"] for s in landing_times]

    # One-to-one settings: a question and opening hours, saved and seen by participants.
    await admin_section(admin, "o2o-section")
    await admin.click("#o2o-question-add")
    question = admin.locator("#o2o-questions > li").last
    for lang, text in (("suomi", "Mistä haluaisit puhua?"), ("ruotsi", "Vad vill du prata om?"),
                       ("englanti", "What would you like to talk about?")):
        await question.get_by_label(f"Kysymys ({lang})").fill(text)
    await admin.click("#o2o-hours-add")
    hours = admin.locator("#o2o-hours-list > li").last
    await hours.get_by_label("Alkaa").fill("10:00")
    await hours.get_by_label("Kesto minuutteina").fill("240")
    await admin.locator("#o2o-supporters").get_by_label("Sanna").check()
    await admin.locator("#o2o-form").get_by_role("button", name="Tallenna", exact=True).click()
    await wait_until(admin, f"{STATUS} === 'Asetukset tallennettu.'")
    public = await landing.evaluate("fetch('/api/one-to-one').then(r => r.json())")
    assert [q["text"]["fi"] for q in public["questions"]] == ["Mistä haluaisit puhua?"]
    settings = await admin.evaluate("fetch('/api/one-to-one/settings').then(r => r.json())")
    assert settings["hours"] == [{"weekdays": [0, 1, 2, 3, 4], "start": "10:00", "minutes": 240,
                                  "time_zone": "Europe/Helsinki"}]
    assert len(settings["supporters"]) == 1
    # A reload shows what was saved.
    await admin.reload()
    await admin.locator("#o2o-questions input").first.wait_for()
    assert await admin.locator("#o2o-questions > li").last.get_by_label(
        "Kysymys (suomi)").input_value() == "Mistä haluaisit puhua?"
    assert admin.errors == []


async def held_session(admin: StaffHttp, sanna_ws: ChatClient, ws_url: str, offset: int,
                       ratings: list[int]) -> tuple[dict, list[ChatClient]]:
    """A session of "ilta" opened by Sanna with one participant per rating; returns it and
    the participants (still connected, to give feedback once it closes)."""
    session = await make_session(admin, "ilta", local_minute(offset), 60)
    done = await sanna_ws.request({"type": "session", "room": "ilta", "action": "open"})
    assert done["type"] == "done", done
    people = []
    for _ in ratings:
        person = await ChatClient.connect(ws_url)
        assert (await person.join("ilta"))["type"] == "joined"
        people.append(person)
    return session, people


async def give_feedback(people: list[ChatClient], session: int, ratings: list[int],
                        texts: dict[int, str]) -> None:
    for i, (person, rating) in enumerate(zip(people, ratings, strict=True)):
        await person.wait_for(lambda f: f["type"] == "left")
        frame = {"type": "feedback", "session": session, "rating": rating}
        if i in texts:
            frame["text"] = texts[i]
        saved = await person.request(frame)
        assert saved["type"] == "feedback_saved", saved
        await person.close()


@pytest.fixture
async def timed_server(start_server, tmp_path):
    """Like staff_server, with the session timer ticking fast (sessions reach their lobby at
    once) and without the seeded facilitator."""
    db = f"sqlite+aiosqlite:///{tmp_path}/stats-ui.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    yield start_server(database_url=db, session_timer_seconds="0.3", **FAST), password


async def test_statistics_feedback_chart_csv_and_a_debrief(browser, timed_server, tmp_path):
    server, admin_password = timed_server
    http = StaffHttp(server.url)
    await http.login("admin", admin_password)
    await make_room(http, "ilta", names={"fi": "Iltaryhmä", "sv": "Kvällsgruppen",
                                         "en": "Evening group"})
    await add_facilitator(http, "pekka", ["ilta"])
    pekka = StaffHttp(server.url)
    await pekka.login("pekka", FACILITATOR_PASSWORD)
    pekka_ws = await pekka.socket(server.ws_url)
    await pekka_ws.join("ilta")

    # The first session: three participants rate 5, 4 and 4 after it closes.
    held, people = await held_session(http, pekka_ws, server.ws_url, 5, [5, 4, 4])
    first = int(held["id"])
    closed = await pekka_ws.request({"type": "session", "room": "ilta", "action": "close"})
    assert closed["session"]["state"] == "closed", closed
    await give_feedback(people, first, [5, 4, 4], {0: "Hyvä ilta, kiitos.",
                                                     1: "=SUMMA(A1) oli raskas"})

    # The second: Pekka closes it in the console, which offers the debrief form at once.
    booked, people = await held_session(http, pekka_ws, server.ws_url, 20, [2])
    second = int(booked["id"])
    console = await sign_in(browser, server.url, "pekka", FACILITATOR_PASSWORD)
    assert await console.inner_text("#room-title") == "Iltaryhmä"
    await wait_until(console, "document.getElementById('session-state').textContent"
                              ".startsWith('Käynnissä')")
    await console.click("#session-close")
    await console.click("#session-close-yes")
    await console.locator("#debrief-open:not([hidden])").wait_for()
    assert "Iltaryhmä" in await console.inner_text("#debrief-form-title")
    assert await console.evaluate("document.activeElement.id") == "debrief-form-title"
    await console.locator("#debrief-list", has_text="Ei vielä jälkipuinteja").wait_for()
    await console.fill("#debrief-text", "Rauhallinen kerta. Ensi kerralla aiheena uni.")
    await console.get_by_role("button", name="Tallenna jälkipuinti").click()
    await console.locator("#debrief-list li", has_text="Rauhallinen kerta").wait_for()
    assert "Pekka" in await console.inner_text("#debrief-list")
    # The earlier session is offered from the list of finished ones.
    assert await console.locator("#debrief-sessions li").count() == 2
    await console.locator("#debrief-sessions li").nth(1).get_by_role(
        "button", name="Kirjoita jälkipuinti").click()
    await console.locator("#debrief-list", has_text="Ei vielä jälkipuinteja").wait_for()
    assert console.errors == []
    await give_feedback(people, second, [2], {})
    await pekka_ws.close()
    await pekka.close()
    await http.close()

    # The admin's statistics for the last 30 days (the default), read in the group's time.
    admin = await sign_in(browser, server.url, "admin", admin_password, path="/admin",
                          viewport={"width": 1280, "height": 1200}, locale="fi-FI",
                          timezone_id="Europe/Helsinki", accept_downloads=True)
    await admin_section(admin, "stats-section")
    ilta = admin.locator("#stats-rooms li", has_text="Iltaryhmä")
    await ilta.wait_for()
    if await period_reaches(admin, "#stats-to", booked["starts_at"]):  # near midnight
        await admin.locator("#stats-form").get_by_role("button", name="Näytä").click()
        await wait_until(admin, f"{STATUS}.startsWith('Tilastot ajalta')")
    figures = dict(zip(await ilta.locator("dt").all_inner_texts(),
                       await ilta.locator("dd").all_inner_texts(), strict=True))
    assert figures["Pidetyt kerrat"] == "2" and figures["Osallistumiset"] == "4"
    assert figures["Palautteet"] == "4" and figures["Arvosanojen keskiarvo"] == "3,75"
    counts = {5: "1", 4: "2", 3: "0", 2: "1", 1: "0"}
    for rating, count in counts.items():
        bar = admin.locator(f"#rating-chart .bar-row[data-rating='{rating}'] .bar-count")
        assert await bar.inner_text() == count, rating
    table = await admin.locator("#rating-table tbody tr").all_text_contents()
    assert table == [f"{n} / 5{counts[n]}" for n in (5, 4, 3, 2, 1)]
    assert "4 palautetta" in await admin.inner_text("#rating-summary")
    texts = await admin.locator("#feedback-texts li").all_inner_texts()
    assert any("Hyvä ilta, kiitos." in t for t in texts) and len(texts) == 2
    # One group chosen: the others' figures go, the chart stays.
    await admin.select_option("#stats-room", "ilta")
    await admin.locator("#stats-form").get_by_role("button", name="Näytä").click()
    await wait_until(admin, "document.querySelectorAll('#stats-rooms li').length === 1")
    await wait_until(admin, f"{STATUS}.startsWith('Tilastot ajalta')")
    assert "4 palautetta" in await admin.inner_text("#rating-summary")
    await admin.evaluate("window.scrollTo(0, document.getElementById('stats-section').offsetTop"
                         " - document.querySelector('header').offsetHeight - 8)")
    await admin.screenshot(path=str(SHOTS / "statistics-desktop.png"))

    # The CSV download holds the same feedback, formulas defused.
    async with admin.expect_download() as download_info:
        await admin.click("#feedback-csv")
    download = await download_info.value
    assert download.suggested_filename == "feedback.csv"
    saved = tmp_path / "feedback.csv"
    await download.save_as(saved)
    text = await asyncio.to_thread(saved.read_text, encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["group", "room", "session", "session_start", "rating", "text"]
    assert sorted((r[1], r[2], r[4]) for r in rows[1:]) == sorted(
        [("ilta", str(first), "5"), ("ilta", str(first), "4"), ("ilta", str(first), "4"),
         ("ilta", str(second), "2")])
    assert "Hyvä ilta, kiitos." in [r[5] for r in rows[1:]]
    assert "'=SUMMA(A1) oli raskas" in [r[5] for r in rows[1:]]
    # A period before the sessions has no feedback, and the download follows the period.
    long_ago = this_year() - 5
    await admin.fill("#stats-from", f"{long_ago}-01-01")
    await admin.fill("#stats-to", f"{long_ago}-01-31")
    await admin.locator("#stats-form").get_by_role("button", name="Näytä").click()
    await admin.locator("#rating-summary", has_text="Ei palautetta").wait_for()
    # The chosen days are the reader's (Helsinki) days, sent as instants.
    midnight = datetime(long_ago, 1, 1, tzinfo=HELSINKI).astimezone(UTC)
    href = await admin.get_attribute("#feedback-csv", "href") or ""
    assert f"from={midnight:%Y-%m-%dT%H}%3A00" in href, href
    assert admin.errors == []


async def test_a_facilitator_sees_no_statistics_or_settings_on_the_admin_pages(browser,
                                                                               staff_server):
    server, _ = staff_server
    page = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD, path="/admin")
    assert await page.is_visible("#not-admin")
    for section in ("#stats-section", "#o2o-section", "#rooms-section", "#room-edit"):
        assert not await page.is_visible(section), section
    assert await page.locator("#stats-rooms li, #rating-chart *, #o2o-questions li").count() == 0
    for path in ("/api/stats", "/api/feedback", "/api/feedback.csv", "/api/one-to-one/stats",
                 "/api/one-to-one/settings"):
        assert await page.evaluate(f"fetch('{path}').then(r => r.status)") == 403, path
    assert page.errors == []
