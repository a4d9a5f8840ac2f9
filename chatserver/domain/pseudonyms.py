"""Friendly generated pseudonyms ("Tyyni Saukko", "Lugn Utter", "Calm Otter").

Word pairs of a gentle adjective and a creature or thing from nature. Swedish nouns are all
common gender (en-words), so the adjective's base form always agrees.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection

WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "fi": (
        ("Tyyni", "Lempeä", "Utuinen", "Hiljainen", "Rauhallinen", "Lämmin", "Kirkas", "Vihreä",
         "Sininen", "Hopeinen", "Pehmeä", "Ystävällinen", "Valoisa", "Aamuinen", "Iltainen",
         "Kultainen", "Sävyisä", "Levollinen", "Uninen", "Kevyt", "Sitkeä", "Rohkea", "Vakaa",
         "Toiveikas", "Hellä", "Viileä", "Tuulinen", "Auringoinen", "Kuutamoinen", "Uljas"),
        ("Saukko", "Kettu", "Siili", "Orava", "Pöllö", "Joutsen", "Kuikka", "Peippo", "Tikka",
         "Hirvi", "Jänis", "Majava", "Kurki", "Lokki", "Sorsa", "Mustikka", "Koivu", "Kanerva",
         "Sammal", "Puro", "Kallio", "Pilvi", "Tähti", "Laine", "Ulappa", "Kuusi", "Pihlaja",
         "Leppäkerttu", "Perhonen", "Sinisiipi"),
    ),
    "sv": (
        ("Lugn", "Mild", "Stilla", "Varm", "Klar", "Grön", "Blå", "Mjuk", "Vänlig", "Ljus",
         "Tyst", "Gyllene", "Trygg", "Lätt", "Modig", "Stadig", "Hoppfull", "Sval", "Glad",
         "Vänsäll", "Silvrig", "Sömnig", "Rofylld", "Öm", "Seg", "Blid", "Varsam", "Ödmjuk",
         "Solig", "Dimmig"),
        ("Utter", "Räv", "Igelkott", "Ekorre", "Uggla", "Svan", "Lom", "Fink", "Hackspett", "Älg",
         "Hare", "Bäver", "Trana", "Mås", "And", "Björk", "Ljung", "Mossa", "Bäck", "Klippa",
         "Sky", "Stjärna", "Våg", "Gran", "Rönn", "Nyckelpiga", "Fjäril", "Blåklocka", "Lärka",
         "Säl"),
    ),
    "en": (
        ("Calm", "Gentle", "Misty", "Quiet", "Peaceful", "Warm", "Bright", "Green", "Blue",
         "Silver", "Soft", "Kind", "Sunny", "Morning", "Evening", "Golden", "Mellow", "Restful",
         "Sleepy", "Light", "Steady", "Brave", "Hopeful", "Tender", "Cool", "Breezy", "Moonlit",
         "Patient", "Humble", "Hardy"),
        ("Otter", "Fox", "Hedgehog", "Squirrel", "Owl", "Swan", "Loon", "Finch", "Woodpecker",
         "Moose", "Hare", "Beaver", "Crane", "Gull", "Duck", "Birch", "Heather", "Moss", "Brook",
         "Rock", "Cloud", "Star", "Wave", "Spruce", "Rowan", "Ladybird", "Butterfly", "Bluebell",
         "Lark", "Seal"),
    ),
}


def generate(lang: str, *, avoid: Collection[str] = ()) -> str:
    """A random pair in ``lang`` (Finnish if unknown) that is not in ``avoid`` (case-folded
    names already present); after a few collisions a number is appended."""
    adjectives, nouns = WORDS.get(lang, WORDS["fi"])
    folded = {name.casefold() for name in avoid}
    name = ""
    for attempt in range(20):
        name = f"{secrets.choice(adjectives)} {secrets.choice(nouns)}"
        if attempt >= 10:
            name = f"{name} {secrets.randbelow(90) + 10}"
        if name.casefold() not in folded:
            return name
    return name
