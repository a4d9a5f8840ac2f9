"""Abuse aimed at a person, built from word classes (:mod:`moderation.lexicon`).

The bundled lists (``data/blocklist_*.txt``) hold slurs and fixed phrases. This table adds
the patterns that a list of phrases cannot cover, in Finnish, Swedish and English:

- an insult after "you are" in any form, with up to three modifiers and expletives between
  ("sä oot ihan vitun tyhmä", "du är ett jävla pucko", "you're such a f*cking moron");
- an insult after a vocative "you", "senkin", "din" ("you absolute muppet", "din förbannade
  idiot") or after an expletive on its own ("vitun idiootti!", "jävla pucko");
- expletive-built phrases aimed at someone ("fuck you", "haista vittu", "painu vittuun",
  "turpa kiinni", "håll käften", "fan ta dig", "dra åt helvete").

Swearing that is not aimed at anyone stays allowed ("vittu mikä päivä", "fuck, I forgot my
keys", "det var ett jävla bra möte"), and so do compliments with an expletive ("sä oot ihan
vitun mahtava", "you're fucking amazing"), insults about oneself or someone absent ("I was
such a fucking idiot", "mun exä on vitun idiootti") and reported words ("I told him to
fuck off", "don't let anyone tell you you're useless"): only the listed insults count, and
the words before the phrase are looked at (``lexicon.NOT_AIMED``).

A room takes a single word off every pattern by writing it in ``blocklist_disabled``
("tyhmä", "idiot"), and a fixed phrase by its label ("haista vittu", "fuck you").
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from moderation import lexicon as lx
from moderation.matching import Phrase, phrase, spelled

# Words of reporting, for the "you are ..." patterns: "tell you you're useless".
_REPORTED = lx.pattern(w for w in lx.NOT_AIMED if w in {
    "tell", "told", "telling", "tells", "say", "said", "says", "saying", "call", "called",
    "calls", "sanoo", "sanoi", "sanoin", "sano", "sanovat", "sanoivat", "kutsui", "kutsuu",
    "haukkui", "haukkuu", "väittää", "väitti", "säger", "sa", "sade", "sagt", "kallade",
    "kallar"})
_NOT_AIMED = lx.pattern(lx.NOT_AIMED)


def _chain(label: str, lead: Iterable[str], modifiers: str, insult: str, most: int, *,
           not_within: str | None = None, within: int = 0,
           negation_window: int = 0) -> list[Phrase]:
    """``lead`` (one part per word slot), then 0..``most`` modifiers, then the insult, with
    no other words between. ``not_within``/``within``/``negation_window``: see Phrase."""
    lead = tuple(lead)
    gaps = (0,) * (len(lead) - 1) + (most,)
    fill = (None,) * (len(lead) - 1) + (modifiers,)
    return [phrase(label, *lead, insult, gaps=gaps, fill=fill, not_within=not_within,
                   within=within, negation_window=negation_window)]


def _aimed(negation_window: int) -> dict[str, Any]:
    """Context for the "you are ..." patterns: not after a word of reporting."""
    return {"not_within": _REPORTED, "within": 2, "negation_window": negation_window}


def english(off: frozenset[str]) -> list[Phrase]:
    insult = lx.pattern(lx.INSULT_NOUN_EN, lx.INSULT_ADJ_EN, without=off)
    person = lx.pattern(lx.PERSON_NOUN_EN, without=off)
    mod = lx.pattern(lx.MODIFIER_EN)
    expl = lx.pattern(lx.EXPLETIVE_EN, without=off)
    f_word = lx.pattern(lx.F_WORD, without=off)
    be_you, you, are = (lx.pattern(c) for c in (lx.BE_YOU_EN, lx.YOU_EN, lx.ARE_EN))
    aimed = _aimed(2)
    out = [
        *_chain("en: you are insult", [be_you], mod, insult, 3, **aimed),
        *_chain("en: you are insult", [you, are], mod, insult, 3, **aimed),
        *_chain("en: you are insult", [r"your|yur|yor", r"a|an"], mod, person, 2, **aimed),
        *_chain("en: you insult", [you], mod, person, 2, **aimed),
        *_chain("en: expletive insult", [expl], mod, person, 1, not_within=_NOT_AIMED,
                within=3, negation_window=2),
        phrase("en: what a insult you are", r"what", r"a|an", person, you, gaps=(0, 2, 0),
               fill=(None, mod)),
    ]
    directed = [
        phrase("fuck you", f_word, r"you|u|ya|yall|ye|yu|yourself|urself|yourselves|off",
               not_before=r"to|the|what|who|how|where|why|wtf|a|dont|didnt|not|i|we",
               not_after=lx.pattern(lx.NOT_A_PERSON_EN), not_within=_REPORTED, within=3,
               negation_window=1),
        phrase("screw you", r"screw|piss|sod|bugger", r"you|u|off|ya",
               not_before=r"to|i|will|ll|gonna|cant|dont|not|it", not_after=r"over|up",
               not_within=_REPORTED, within=3),
        phrase("shut the fuck up", r"shut", r"the|tha", f"{f_word}|hell|heck|fk", r"up"),
        phrase("stfu", r"stfu|stfuu|gtfo|gtfoo|foad|stfup"),
        phrase("eat shit", r"eat", r"shit|dirt|crap", not_before=r"i|we|dont|didnt|to|they"),
        phrase("suck my dick", r"suck|kiss|lick", r"my|a", r"dick|cock|balls|ass|arse"),
        phrase("nobody likes you", r"nobody|noone", r"likes|loves|wants|cares|gives|needs",
               r"you|u|about", r"you|u|here", gaps=(0, 1, 1)),
        phrase("nobody likes you", r"nobody|noone", r"likes|loves|wants|needs", r"you|u"),
        phrase("nobody likes you", r"no", r"one", r"likes|loves|wants|cares|needs",
               r"you|u", gaps=(0, 0, 1)),
        phrase("everyone hates you", r"everyone|everybody|everybodys|everyones|we|all",
               r"hates|hate|despises", r"you|u"),
        phrase("piece of shit", f"{be_you}|{you}|are", r"piece|pos", r"of", r"shit|crap|"
               r"garbage|trash|work", gaps=(2, 0, 0), negation_window=2),
        phrase("waste of space", f"{be_you}|{you}|are", r"waste", r"of",
               r"space|oxygen|air|skin|life", gaps=(2, 0, 0), negation_window=2),
        phrase("shit for brains", r"shit|crap", r"for", r"brains"),
    ]
    return out + directed


def finnish(off: frozenset[str]) -> list[Phrase]:
    insult = lx.pattern(lx.INSULT_NOUN_FI, lx.INSULT_ADJ_FI, without=off)
    person = lx.pattern(lx.PERSON_NOUN_FI, without=off)
    mod = lx.pattern(lx.MODIFIER_FI)
    expl = lx.pattern(lx.EXPLETIVE_FI, without=off)
    annoying = lx.pattern(lx.ANNOYING_FI, without=off)
    be_you = lx.pattern(lx.BE_YOU_FI)
    aimed = _aimed(1)
    out = [
        *_chain("fi: oot loukkaus", [be_you], mod, insult, 3, **aimed),
        *_chain("fi: senkin loukkaus", [r"senkin|sitkin|sinä|sä|sää|sie|te"], mod, person,
                2, **aimed),
        *_chain("fi: kirosana loukkaus", [expl], mod, person, 1, not_within=_NOT_AIMED,
                within=3, negation_window=2),
        phrase("fi: vittu oot ärsyttävä", lx.pattern(lx.EXPLETIVE_LEAD_FI), be_you,
               annoying, gaps=(2, 2), negation_window=1),
        phrase("fi: oot vitun ärsyttävä", be_you, expl, annoying, gaps=(1, 1),
               not_within=_REPORTED, within=2),
    ]
    directed = [
        phrase("haista vittu", r"haista|haistakaa|haistappa",
               r"vittu|vitt|paska|paskaa|home|kakka|pitkä|vitun|v|perse",
               not_within=_REPORTED, within=3),
        phrase("painu vittuun", r"painu|painukaa|suksi|mee|mene|menkää|häivy|ala|alkakaa|"
               r"vedä|haihdu", r"vittuun|helvettiin|hiiteen|hittoon|perseeseen|kuuseen|"
               r"vitulle", not_within=_REPORTED, within=2),
        phrase("turpa kiinni", r"turpa|turpas|turpasi|turvat|pää|pääs|pääsi|suus|suusi|"
               r"leukas|kitas|kita|läppä|läppäs|läpät|klaffi|klaffis", r"kiinni",
               not_within=_REPORTED, within=2, negation_window=2),
        phrase("ime munaa", r"ime|imekää|nuole|nuolkaa", r"munaa|kyrpää|munia|persettä|"
               r"perseeni|munaani|kulliani|pilluani"),
        phrase("kukaan ei tykkää susta", r"kukaan|ketään", r"ei|eikä",
               r"tykkää|halua|välitä|siedä|kestä|pidä|rakasta|kaipaa|jaksa|kuuntele",
               r"sua|sinua|susta|sinusta|sun|sinun|teistä|teitä", gaps=(0, 0, 2)),
        phrase("kaikki vihaa sua", r"kaikki|kaikkien", r"vihaa|inhoaa|vihaavat|inhoavat|"
               r"halveksii", r"sua|sinua|teitä|susta", gaps=(0, 1)),
    ]
    return out + directed


def swedish(off: frozenset[str]) -> list[Phrase]:
    insult = lx.pattern(lx.INSULT_NOUN_SV, lx.INSULT_ADJ_SV, without=off)
    person = lx.pattern(lx.PERSON_NOUN_SV, without=off)
    mod = lx.pattern(lx.MODIFIER_SV)
    expl = lx.pattern(lx.EXPLETIVE_SV, without=off)
    you, be_you = lx.pattern(lx.YOU_SV), lx.pattern(lx.BE_YOU_SV)
    aimed = _aimed(2)
    out = [
        *_chain("sv: du är förolämpning", [you, be_you], mod, insult, 3, **aimed),
        *_chain("sv: din förolämpning", [lx.pattern(lx.VOCATIVE_SV)], mod, person, 2,
                **aimed),
        *_chain("sv: svordom förolämpning", [expl], mod, person, 1, not_within=_NOT_AIMED,
                within=3, negation_window=2),
    ]
    directed = [
        phrase("håll käften", r"håll|hålla|håller", r"käften|käft|truten|klaffen|mun|"
               r"snattran|trut|käftarna", not_before=r"att|du|jag|hon|han|vi|de|ni|inte|man",
               not_within=_REPORTED, within=3),
        phrase("håll käften", r"käften|truten",
               not_before=r"håll|höll|hålla|håller|hållit|hållt|på|i|om|en|sin|min|din|hans|"
                          r"hennes|deras|slag|smäll|över|ur|stängd|stängde|stänger|stäng|"
                          r"mig|sig|ett"),
        phrase("fan ta dig", r"fan|dra|djävlar|jävlar|satan|hin", r"ta|anamma|tar",
               r"dig|dej|er", not_within=_REPORTED, within=2),
        phrase("dra åt helvete", r"dra|drar|åk|stick", r"åt|till",
               r"helvete|helvetet|fanders|skogen|hälsike|pipsvängen|hälvete",
               not_before=r"jag|vi|de|att|han|hon|det|allt|livet"),
        phrase("stick och brinn", r"stick|dra", r"och", r"brinn|dö|ruttna"),
        phrase("ät skit", r"ät|äta", r"skit|bajs", not_before=r"att|inte|jag|vi|du"),
        phrase("knulla dig", r"knulla|knull", r"dig|dej|din|er|ditt"),
        phrase("ingen gillar dig", r"ingen", r"gillar|tycker|vill|bryr|älskar|står",
               r"dig|dej|er", gaps=(0, 2)),
        phrase("alla hatar dig", r"alla|allihop", r"hatar|avskyr|föraktar", r"dig|dej|er"),
    ]
    return out + directed


_BUILDERS = {"en": english, "fi": finnish, "sv": swedish}


@functools.lru_cache(maxsize=64)
def table(languages: frozenset[str], off_labels: frozenset[str],
          off_words: frozenset[str]) -> tuple[Phrase, ...]:
    """The abuse patterns of these languages without the disabled labels and words; fixed
    phrases also spelled out as one word ("haistavittu", "fuckyou")."""
    out: list[Phrase] = []
    for lang in sorted(languages):
        for p in _BUILDERS[lang](off_words):
            if p.label in off_labels:
                continue
            out.append(p)
            if ":" not in p.label and len(p.parts) > 1:
                out.append(spelled(p))
    return tuple(out)
