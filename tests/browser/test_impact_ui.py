"""Impact without surveillance (issue 21) in real browsers: an admin makes a group ask how
people feel; participants on phones answer at the start (kept on the device) and at the end
(sent once, as a pair), in Finnish, Swedish and English; one leaves early and chooses to send
the start's answer alone; quick exit and "forget this device" forget what was kept. The
funder's report shows "fewer than 5" while there are fewer than five answers, and the
distributions, the shares and the mean change with its interval once there are enough; a
facilitator sees their own groups only; printing hides the navigation and gives each group a
page of its own. axe finds nothing on the new views in any language."""

from __future__ import annotations

import math
import re
import statistics

import pytest
from playwright.async_api import Browser, Page

from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    StaffHttp,
    add_facilitator,
    create_admin,
)
from tests.browser.staff_helpers import period_reaches, sign_in
from tests.browser.test_accessibility import no_violations
from tests.browser.test_participant_ui import SHOTS, wait_until
from tests.test_sessions_flow import local_minute, make_room, make_session

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 1000}
LOCAL = {"timezone_id": "Europe/Helsinki", "bypass_csp": True}  # CSP bypassed for axe only
NAMES = {"fi": "Iltaryhmä", "sv": "Kvällsgruppen", "en": "Evening group"}
QUESTION = {"fi": "Tulin kuulluksi.", "sv": "Jag blev hörd.", "en": "I felt heard."}
MOOD = {"fi": ["Tosi pahalta", "Aika pahalta", "Siltä väliltä", "Aika hyvältä", "Tosi hyvältä"],
        "sv": ["Riktigt dåligt", "Ganska dåligt", "Sådär", "Ganska bra", "Riktigt bra"],
        "en": ["Really bad", "Not great", "Okay", "Good", "Really good"]}
AGREE = {"fi": ["Ei lainkaan", "Vähän", "Jonkin verran", "Melko paljon", "Täysin"],
         "sv": ["Inte alls", "Lite", "Till viss del", "Ganska mycket", "Helt"],
         "en": ["Not at all", "A little", "Somewhat", "Quite a lot", "Completely"]}
ASKED = {"fi": "Miltä sinusta tuntuu juuri nyt?", "sv": "Hur mår du just nu?",
         "en": "How are you feeling right now?"}
SAVE = {"fi": "Tallenna", "sv": "Spara", "en": "Save"}
SEND = {"fi": "Lähetä nimettömänä", "sv": "Skicka anonymt", "en": "Send anonymously"}
THANKS = {"fi": "Kiitos vastauksestasi!", "sv": "Tack för ditt svar!",
          "en": "Thank you for answering!"}
FEELINGS = {"fi": "Miltä osallistujista tuntui alussa ja lopussa",
            "sv": "Hur deltagarna mådde i början och i slutet",
            "en": "How people felt at the start and at the end"}
KEPT = "sessionStorage.getItem('vt.checkin.{}')"
NONE_KEPT = ("Object.keys(sessionStorage).filter(k => k.startsWith('vt.checkin.')).length"
             " === 0")


def errors_of(page: Page) -> list[str]:
    found: list[str] = []
    page.on("pageerror", lambda exc: found.append(str(exc)))
    return found


async def participant(browser: Browser, url: str, lang: str, viewport: dict) -> Page:
    """A participant's page in `lang`, joined to the evening group."""
    ctx = await browser.new_context(viewport=viewport, **LOCAL)
    page = await ctx.new_page()
    page.errors = errors_of(page)  # type: ignore[attr-defined]
    await page.goto(url)
    await page.wait_for_selector(".room")
    if lang != "fi":
        await page.select_option("#lang", lang)
        await wait_until(page, f"document.documentElement.lang === {lang!r}")
    await page.locator(".room", has_text=NAMES[lang]).get_by_role("button").click()
    await page.click("#accept")
    await page.wait_for_selector("#chat:not([hidden])")
    return page


async def check_in(page: Page, lang: str, before: int, session: int) -> None:
    """Answer the question at the start; the answer stays on the device."""
    form = page.locator("#checkin-form")
    await form.wait_for()
    assert await form.locator("legend").inner_text() == ASKED[lang]
    await form.get_by_role("radio", name=MOOD[lang][before - 1], exact=True).check()
    await form.get_by_role("button", name=SAVE[lang], exact=True).click()
    await page.locator("#checkin-status:not(:empty)").wait_for()
    assert await page.evaluate(KEPT.format(session)) == f'{{"before":{before}}}'


@pytest.fixture
async def impact_server(start_server, tmp_path):
    """A server with the session timer ticking fast, its admin, and the evening group."""
    db = f"sqlite+aiosqlite:///{tmp_path}/impact-ui.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, session_timer_seconds="0.3", **FAST)
    http = StaffHttp(server.url)
    await http.login("admin", password)
    await make_room(http, "ilta", names=NAMES, session_mode="sessions")
    yield server, http, password
    await http.close()


async def test_an_admin_asks_a_group_how_people_feel(browser, impact_server, axe_source):
    server, http, password = impact_server
    admin = await sign_in(browser, server.url, "admin", password, path="/admin",
                          viewport=DESKTOP, bypass_csp=True)
    await admin.get_by_role("button", name="Muokkaa ryhmää Iltaryhmä").click()
    form = admin.locator("#room-edit")
    await form.wait_for()
    ask = form.get_by_label("Kysy osallistujilta, miltä heistä tuntuu kerran alussa ja lopussa")
    assert not await ask.is_checked()
    await ask.check()
    # The own question in one language only: said next to it, nothing saved.
    await form.get_by_label("Oma kysymys, vastaus 1–5 (suomi)").fill(QUESTION["fi"])
    await form.get_by_role("button", name="Tallenna muutokset").click()
    error = admin.locator("[id='room-edit-error-checkin.question']")
    await error.get_by_text("kaikilla kolmella kielellä").wait_for()
    assert await admin.get_attribute("#room-edit-checkin-question-sv", "aria-invalid") == "true"
    assert await admin.evaluate("document.activeElement.id") == "room-edit-checkin-question-sv"
    rooms = {r["id"]: r for r in (await http.http.get("/api/rooms")).json()}
    assert rooms["ilta"]["checkin"] is None
    await form.get_by_label("Oma kysymys, vastaus 1–5 (ruotsi)").fill(QUESTION["sv"])
    await form.get_by_label("Oma kysymys, vastaus 1–5 (englanti)").fill(QUESTION["en"])
    await form.get_by_role("button", name="Tallenna muutokset").click()
    await wait_until(admin, "document.getElementById('status-live').textContent"
                            " === 'Ryhmä tallennettu: Iltaryhmä'")
    rooms = {r["id"]: r for r in (await http.http.get("/api/rooms")).json()}
    assert rooms["ilta"]["checkin"] == {"question": QUESTION}
    # Opened again: as saved. Then the own question is taken away and the asking stays.
    await admin.get_by_role("button", name="Muokkaa ryhmää Iltaryhmä").click()
    await form.wait_for()
    assert await ask.is_checked()
    assert await form.get_by_label("Oma kysymys, vastaus 1–5 (ruotsi)").input_value() == \
        QUESTION["sv"]
    await admin.evaluate("document.querySelector('.checkin-settings')"
                         ".scrollIntoView({block: 'center'})")
    SHOTS.mkdir(parents=True, exist_ok=True)
    await admin.screenshot(path=str(SHOTS / "checkin-settings-desktop.png"))
    await no_violations(admin, axe_source, "the group editor asking how people feel")
    for lang in ("suomi", "ruotsi", "englanti"):
        await form.get_by_label(f"Oma kysymys, vastaus 1–5 ({lang})").fill("")
    await form.get_by_role("button", name="Tallenna muutokset").click()
    await wait_until(admin, "document.getElementById('room-edit').hidden")
    rooms = {r["id"]: r for r in (await http.http.get("/api/rooms")).json()}
    assert rooms["ilta"]["checkin"] == {"question": None}
    assert admin.errors == []


async def show_report_again(page: Page) -> None:
    await page.locator("#report-form").get_by_role("button", name="Näytä").click()
    await wait_until(page, "document.getElementById('status-live').textContent"
                           ".startsWith('Raportti ajalta')")


def expected_change(pairs: list[tuple[int, int]]) -> dict:
    diffs = [after - before for before, after in pairs]
    mean = statistics.fmean(diffs)
    half = 2.571 * statistics.stdev(diffs) / math.sqrt(len(diffs))  # t(0.975, 5)
    return {"mean_change": round(mean, 2), "ci95": [round(mean - half, 2), round(mean + half, 2)]}


async def test_check_in_check_out_and_the_funders_report(browser, impact_server, axe_source,
                                                         tmp_path):
    server, http, admin_password = impact_server
    patched = await http.patch("/api/rooms/ilta", {"checkin": {"enabled": True,
                                                               "question": QUESTION}})
    assert patched.status_code == 200, patched.text
    await add_facilitator(http, "pekka", ["ilta"])
    await add_facilitator(http, "sanna", ["olohuone"])
    pekka = StaffHttp(server.url)
    await pekka.login("pekka", FACILITATOR_PASSWORD)
    pekka_ws = await pekka.socket(server.ws_url)
    await pekka_ws.join("ilta")
    booked = await make_session(http, "ilta", local_minute(5), 60)
    first = int(booked["id"])
    assert (await pekka_ws.request({"type": "session", "room": "ilta", "action": "open"})
            )["type"] == "done"

    # Three people on phones, each in their own language, say how they feel at the start.
    people = {"fi": 2, "sv": 3, "en": 1}
    pages = {lang: await participant(browser, server.url, lang, PHONE) for lang in people}
    for lang, before in people.items():
        page = pages[lang]
        await page.locator("#checkin-form").wait_for()
        # The question is where the reader is, and says it stays on the device.
        assert await page.evaluate("document.activeElement.id") == "checkin-form"
        await no_violations(page, axe_source, f"check-in {lang}")
        if lang == "fi":
            await page.get_by_role("radio", name=MOOD["fi"][before - 1], exact=True).check()
            # Another language: the question follows, the choice stays.
            await page.select_option("#lang", "sv")
            await wait_until(page, "document.querySelector('#checkin-form legend')"
                                   f".textContent === {ASKED['sv']!r}")
            assert await page.get_by_role("radio", name=MOOD["sv"][before - 1]).is_checked()
            await page.select_option("#lang", "fi")
            await wait_until(page, "document.querySelector('#checkin-form legend')"
                                   f".textContent === {ASKED['fi']!r}")
            SHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SHOTS / "checkin-phone.png"))
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], "the check-in scrolls sideways on a phone"
        await check_in(page, lang, before, first)
        # Out of the way after a moment; not asked again on coming back.
        await page.locator("#checkin-form").wait_for(state="hidden", timeout=10_000)

    # One leaves before the end and chooses to send the start's answer alone; one skips.
    early = await participant(browser, server.url, "fi", DESKTOP)
    await check_in(early, "fi", 4, first)
    await early.click("#leave")
    await early.click("#leave-only")
    offer = early.locator("#checkin-offer")
    await offer.wait_for()
    await no_violations(early, axe_source, "the offer after leaving early")
    await offer.get_by_role("button", name="Lähetä vastaus").click()
    await offer.get_by_text("Kiitos vastauksestasi!").wait_for()
    skipper = await participant(browser, server.url, "fi", PHONE)
    await skipper.locator("#checkin-form").get_by_role("button", name="Ohita").click()
    await skipper.locator("#checkin-form").wait_for(state="hidden")
    assert await skipper.evaluate("document.activeElement.id") == "text"
    assert await skipper.evaluate(KEPT.format(first)) == '{"before":null}'
    # Never asked twice: back in the group after a reload, no question.
    await skipper.reload()
    await skipper.locator(".room", has_text=NAMES["fi"]).get_by_role("button").click()
    await skipper.click("#accept")
    await skipper.wait_for_selector("#chat:not([hidden])")
    await skipper.locator("#members li", has_text="(sinä)").wait_for(state="attached")
    assert await skipper.is_hidden("#checkin-form")
    # Quick exit forgets the kept answer: back on the page in the same tab, nothing is left.
    leaver = await participant(browser, server.url, "fi", PHONE)
    await check_in(leaver, "fi", 5, first)
    await leaver.route("https://www.google.com/**", lambda route: route.fulfill(
        body="<p>weather</p>", content_type="text/html"))
    await leaver.click("#quick-exit")
    await leaver.wait_for_url("https://www.google.com/**")
    await leaver.goto(server.url)
    await leaver.wait_for_selector(".room")
    assert await leaver.evaluate(NONE_KEPT)

    # The facilitator closes the group: the same question at the end, and the group's own one;
    # one frame each with both answers (the start's from the device).
    await pekka_ws.request({"type": "session", "room": "ilta", "action": "close"})
    ends = {"fi": (4, 5), "sv": (3, 4), "en": (3, 4)}
    for lang, (after, extra) in ends.items():
        page = pages[lang]
        form = page.locator("#checkout-form")
        await form.wait_for()
        legends = await form.locator("legend").all_inner_texts()
        assert legends == [ASKED[lang], QUESTION[lang]]
        await no_violations(page, axe_source, f"check-out {lang}")
        await form.get_by_role("radio", name=MOOD[lang][after - 1], exact=True).check()
        await form.get_by_role("radio", name=AGREE[lang][extra - 1], exact=True).check()
        await form.get_by_role("button", name=SEND[lang], exact=True).click()
        await form.get_by_text(THANKS[lang]).wait_for()
        assert await page.evaluate(KEPT.format(first)) == '{"before":null,"done":true}'
    assert "Alun vastauksesi lähtee samalla" in await pages["fi"].inner_text("#checkout-form")
    await pages["fi"].screenshot(path=str(SHOTS / "checkout-phone.png"))
    # "Forget this device" forgets it too.
    await pages["fi"].click("#closing-back")
    await pages["fi"].click("#forget")
    assert await pages["fi"].evaluate(NONE_KEPT)

    # Four answered at the start, three at the end: the report says "fewer than 5".
    report = await sign_in(browser, server.url, "admin", admin_password, path="/admin",
                           viewport=DESKTOP, locale="fi-FI", **LOCAL)
    await report.get_by_role("link", name="Vaikuttavuusraportti").click()
    ilta = report.locator(".report-group[data-room=ilta]")
    await ilta.wait_for()
    if await period_reaches(report, "#report-to", booked["starts_at"]):  # near midnight
        await show_report_again(report)
    figure = lambda key: ilta.locator(f"[data-figure={key}]").inner_text()  # noqa: E731
    assert (await figure("sessionsHeld"), await figure("peopleReached")) == ("1", "6")
    for key in ("answers", "meanStart", "meanEnd", "pairs", "meanChange", "extraMean",
                "rating", "alertsMedian"):
        assert await figure(key) == "alle 5", key
    notes = await ilta.locator(".fewer-note").all_inner_texts()
    assert len(notes) == 3 and all(n.startswith("Alle 5 vastausta") for n in notes), notes
    assert await ilta.locator("svg.plot").count() == 0, "no plot from fewer than 5 answers"
    csv_link = await report.get_attribute("#report-csv", "href") or ""
    assert csv_link.startswith("/api/impact.csv?") and "lang=fi" in csv_link
    csv_text = await report.evaluate(f"fetch({csv_link!r}).then(r => r.text())")
    assert "alle 5" in csv_text and "Iltaryhmä" in csv_text

    # A second meeting: three more pairs (over the protocol), now enough to show.
    booked = await make_session(http, "ilta", local_minute(10), 60)
    second = int(booked["id"])
    assert (await pekka_ws.request({"type": "session", "room": "ilta", "action": "open"})
            )["type"] == "done"
    more = [(2, 4, 5), (3, 4, 3), (2, 5, None)]
    clients = []
    for before, after, extra in more:
        client = await ChatClient.connect(server.ws_url)
        assert (await client.join("ilta"))["type"] == "joined"
        frame = {"type": "checkin", "session": second, "before": before, "after": after}
        if extra:
            frame["extra"] = extra
        assert (await client.request(frame))["type"] == "checkin_saved"
        clients.append(client)
    await pekka_ws.request({"type": "session", "room": "ilta", "action": "close"})
    await period_reaches(report, "#report-to", booked["starts_at"])
    await show_report_again(report)
    await ilta.locator(".part-change svg.plot").first.wait_for()
    pairs = [(2, 4), (3, 3), (1, 3), (2, 4), (3, 4), (2, 5)]
    api = (await http.http.get("/api/impact", params={"room": "ilta"})).json()["groups"][0]
    assert {k: api["change"][k] for k in ("mean_change", "ci95")} == expected_change(pairs)
    assert (await figure("sessionsHeld"), await figure("peopleReached")) == ("2", "9")
    assert await figure("answers") == "7"
    assert await figure("meanStart") == "2,43" and await figure("meanEnd") == "3,83"
    assert await figure("pairs") == "6" and await figure("meanChange") == "+1,67"
    low, high = expected_change(pairs)["ci95"]
    assert await figure("ci") == f"+{low:.2f} … +{high:.2f}".replace(".", ",")
    assert await figure("extraMean") == "4,2"
    # The distributions, as the screen reader's table (the same numbers as the bars).
    rows = await ilta.locator(".part-feelings table tbody tr").all_inner_texts()
    counts = [line.split("\t") for line in rows]
    assert counts == [["5 – Tosi hyvältä", "0", "1"], ["4 – Aika hyvältä", "1", "3"],
                      ["3 – Siltä väliltä", "2", "2"], ["2 – Aika pahalta", "3", "0"],
                      ["1 – Tosi pahalta", "1", "0"]], counts
    values = await ilta.locator(".part-feelings svg .plot-value").all_text_contents()
    assert values == ["0", "1", "1", "3", "2", "2", "3", "0", "1", "0"]
    shares = await ilta.locator(".part-change table tbody tr").all_inner_texts()
    assert [s.split("\t")[1].replace("\xa0", " ") for s in shares] == ["83 %", "17 %", "0 %"]
    assert "alle 5" not in await ilta.locator(".part-feelings").inner_text()
    # The rest of the page in every language, with nothing for axe to find.
    await report.select_option("#report-room", "ilta")
    await report.locator("#report-form").get_by_role("button", name="Näytä").click()
    await wait_until(report, "document.querySelectorAll('.report-group').length === 1")
    await report.screenshot(path=str(SHOTS / "report-desktop.png"), full_page=True)
    for lang in ("fi", "sv", "en"):
        await report.select_option("#lang", lang)
        await wait_until(report, "document.querySelector('.part-feelings h3')?.textContent"
                                 f" === {FEELINGS[lang]!r}")
        await no_violations(report, axe_source, f"report {lang}")
    own = await report.locator(".part-extra h3").inner_text()
    assert own == "Own question: I felt heard."

    # On paper: no navigation, form or buttons; a page for each group, black on white.
    await report.select_option("#report-room", "")
    await report.locator("#report-form").get_by_role("button").click()
    await wait_until(report, "document.querySelectorAll('.report-group').length > 1")
    groups = await report.locator(".report-group").count()
    # With every group, an admin also sees the whole service's one-to-one support.
    o2o = report.locator(".report-o2o")
    assert await o2o.locator("[data-figure=requests]").inner_text() == "0"
    assert await o2o.locator("[data-figure=o2oRating]").inner_text() == "fewer than 5"
    await report.emulate_media(media="print")
    for hidden in ("header.bar", "#report-form", "#report-print", "#report-csv"):
        assert not await report.is_visible(hidden), hidden
    assert await report.is_visible("#report-period")
    assert await report.evaluate("getComputedStyle(document.querySelectorAll('.report-group')[1])"
                                 ".breakBefore") == "page"
    pdf = await report.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) >= groups >= 2
    await report.emulate_media(media="screen")
    assert await report.is_visible("header.bar")

    # A facilitator reaches the report from the console and sees their own group only.
    console = await sign_in(browser, server.url, "pekka", FACILITATOR_PASSWORD, viewport=DESKTOP)
    await console.get_by_role("link", name="Vaikuttavuusraportti").click()
    await console.locator(".report-group").first.wait_for()
    if await period_reaches(console, "#report-to", booked["starts_at"]):
        await show_report_again(console)
    assert await console.locator(".report-group").evaluate_all(
        "groups => groups.map(g => g.dataset.room)") == ["ilta"]
    assert await console.locator("#report-room option").count() == 2  # all mine, and ilta
    assert await console.is_hidden("#to-admin")
    # On a phone the plots put each label above its bars; nothing scrolls sideways.
    await console.set_viewport_size(PHONE)
    await wait_until(console, "document.querySelector('.part-feelings svg')"
                              ".getAttribute('viewBox').startsWith('0 0 400 ')")
    width = await console.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the report scrolls sideways on a phone"
    other = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD, path="/admin",
                          viewport=DESKTOP)
    await other.goto(server.url + "/report")
    await other.locator(".report-group").first.wait_for()
    assert await other.locator(".report-group").evaluate_all(
        "groups => groups.map(g => g.dataset.room)") == ["olohuone"]
    for page in (*pages.values(), early, skipper, report, console, other):
        assert page.errors == [], page.errors
    for client in clients:
        await client.close()
    await pekka_ws.close()
    await pekka.close()
