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


def test_every_key_the_page_uses_exists():
    keys = set(catalogues()["fi"])
    html = (STATIC / "index.html").read_text()
    used = set(re.findall(r'data-i18n(?:-title|-placeholder)?="([^"]+)"', html))
    for js in (STATIC / "js").glob("*.js"):
        used |= set(re.findall(r'\bt\("([a-zA-Z]+\.[a-zA-Z]+)"', js.read_text()))
    assert used and used <= keys, sorted(used - keys)


def test_the_html_carries_no_text_of_its_own():
    html = (STATIC / "index.html").read_text()
    body = html.split("<body>", 1)[1]
    texts = [t.strip() for t in re.findall(r">([^<]+)<", body) if t.strip()]
    languages = {"suomi", "svenska", "English"}  # each language named in itself
    assert set(texts) <= languages, texts
