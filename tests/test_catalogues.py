"""The UI speaks Finnish, Swedish and English: every key everywhere, no text of its own."""

from __future__ import annotations

import json
import re
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "static"


def catalogues() -> dict[str, dict[str, str]]:
    return {lang: json.loads((STATIC / "i18n" / f"{lang}.json").read_text())
            for lang in ("fi", "sv", "en")}


def test_every_language_has_every_key_with_the_same_placeholders():
    cats = catalogues()
    assert cats["fi"].keys() == cats["sv"].keys() == cats["en"].keys()
    for key, text in cats["fi"].items():
        wanted = set(re.findall(r"\{(\w+)\}", text))
        for lang in ("sv", "en"):
            assert set(re.findall(r"\{(\w+)\}", cats[lang][key])) == wanted, (lang, key)
            assert cats[lang][key].strip(), (lang, key)


PAGES = sorted(STATIC.glob("*.html"))


def test_every_key_the_pages_use_exists():
    keys = set(catalogues()["fi"])
    html = "".join(page.read_text() for page in PAGES)
    used = set(re.findall(r'data-i18n(?:-title|-placeholder)?="([^"]+)"', html))
    for js in (STATIC / "js").glob("*.js"):
        used |= set(re.findall(r'\bt\("([a-zA-Z]+\.[a-zA-Z]+)"', js.read_text()))
    assert used and used <= keys, sorted(used - keys)


def test_the_html_carries_no_text_of_its_own():
    assert {p.name for p in PAGES} >= {"index.html", "staff.html", "admin.html"}
    for page in PAGES:
        body = re.sub(r"<!--.*?-->", "", page.read_text().split("<body>", 1)[1], flags=re.S)
        texts = [t.strip() for t in re.findall(r">([^<]+)<", body) if t.strip()]
        languages = {"suomi", "svenska", "English"}  # each language named in itself
        assert set(texts) <= languages, (page.name, texts)


def test_keys_the_pages_build_from_server_values_exist():
    """The staff pages name actions, report categories, alerts and filter settings by the
    server's own values; each of them has a text in the catalogues."""
    import dataclasses
    import typing

    from chatserver.core.alerts import PERSON_STATUSES
    from chatserver.domain.protocol import ModerationAction, ReportCategory
    from chatserver.storage.alerts import GONE, RELEASE_REASONS
    from moderation.settings import FilterSettings

    keys = set(catalogues()["fi"])
    wanted = {f"action.{a}" for a in typing.get_args(ModerationAction)} | {"action.shadow"}
    wanted |= {f"report.{c}" for c in typing.get_args(ReportCategory)}
    wanted |= {"alerts.help", "alerts.crisis"}
    wanted |= {f"help.status.{status}" for status in PERSON_STATUSES}
    wanted |= {f"filters.{f.name}" for f in dataclasses.fields(FilterSettings)}
    # Why an alert was untaken again: "went offline" keeps its first key, the others their own.
    wanted |= {f"alerts.{line}.{why}" for line in ("releasedBy", "releasedAnnounce")
               for why in (*RELEASE_REASONS, "unknown") if why != GONE}
    assert wanted <= keys, sorted(wanted - keys)


ROOT = STATIC.parent


def test_every_protocol_error_code_has_a_translated_text():
    """Issue 18, item 20: every error code the server sends (docs/protocol.md's table, which
    is the ErrorCode enum) has its own text, so the browser never falls back to a generic one."""
    from chatserver.domain.errors import ErrorCode

    codes = {code.value for code in ErrorCode}
    documented = set(re.findall(r"^\| `([a-z_]+)` \|",
                                (ROOT / "docs" / "protocol.md").read_text(), re.M))
    assert documented == codes, (sorted(documented - codes), sorted(codes - documented))
    for lang, texts in catalogues().items():
        missing = sorted(code for code in codes if f"error.{code}" not in texts)
        assert not missing, (lang, missing)


def test_every_audited_action_has_a_readable_name():
    """Issue 18, item 16: the audit log names each action in words, never by its raw key."""
    sources = "".join(p.read_text() for p in (ROOT / "chatserver").rglob("*.py"))
    actions = set(re.findall(r'\baction="([a-z_]+)"', sources))
    actions |= set(re.findall(r'_audit\((?:[^,()]+, ){1,2}"([a-z_]+)"', sources))
    actions |= set(re.findall(r'"(staff_(?:disable|enable))"', sources))
    actions -= {"store_true", "store_false"}  # the command line's argparse, not the audit log
    assert {"one_to_one_settings", "group_member_removed", "alert_ack"} <= actions, actions
    keys = set(catalogues()["fi"])
    unnamed = sorted(a for a in actions if f"audit.{a}" not in keys and f"action.{a}" not in keys)
    assert not unnamed, unnamed
