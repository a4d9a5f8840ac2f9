"""Crisis language in Finnish, Swedish and English: the built-in phrase table.

A crisis message is never blocked: it is posted (or held for another reason) and the sender
gets the crisis resources while the facilitators get an alert. So the table leans towards
recall, but it avoids the common idioms that would make alerts noise ("kuolla nauruun",
"this joke killed me", "taking my life back").

Finnish is matched by stems rather than whole words, written so that case endings fit
("itsemurha", "itsemurhaa", "itsemurhan", "itsemurha-ajatuksia") and consonant gradation is
spelled out where it matters: *tappaa* (to kill) has the weak grade "tapan, tapat" and the
strong grade "tappaa, tappoi", while *tavata* (to meet) gives "tapaan, tapasin"; the
patterns accept the first and never the second ("tapaan ystävän" is not a crisis).
Patterns are written with å ä ö; a word typed without them is compared with them folded.
"""

from __future__ import annotations

from moderation.matching import Part, Phrase

# First-person (and third-person, for loss: "tappoi itsensä") reflexive pronouns, standard
# and colloquial: itseni, itseäni, itteni, itsensä, itseään.
_SELF_FI = r"it(se|te)(ni|äni|nsä|ään|äänsä)|ittiäni|itteeni"
# Partitive only ("satutan itseäni": an ongoing act), so "satutin itseni pyörällä" (hurt myself
# on a bike) stays out.
_SELF_FI_PARTITIVE = r"it(se|te)(äni|ään)|ittiäni"
_ME_SV = r"mig|mej"
_SELF_EN = r"myself|meself|myslef"


def _p(label: str, *parts: str, gaps: tuple[int, ...] = (), gap: int = 0,
       not_after: str | None = None, not_before: str | None = None,
       strict: tuple[int, ...] = (), negatable: bool = False) -> Phrase:
    return Phrase(
        tuple(Part(p, strict_nordic=i in strict) for i, p in enumerate(parts)),
        label,
        max_gap=gap,
        gaps=gaps,
        not_after=Part(not_after) if not_after else None,
        not_before=Part(not_before) if not_before else None,
        negatable=negatable,
    )


FINNISH = (
    _p("fi:itsemurha", r"itsemurh\w*"),
    _p("fi:itse murha", r"itse", r"murh\w*"),
    _p("fi:itsari", r"itsar\w*"),
    _p("fi:itsetuho", r"itsetuho\w*"),
    # tappaa itseni / tapan itseni / tappoi itsensä; never tavata (tapaan, tapasin).
    _p("fi:tappaa itseni", r"tap(an|at|amme|atte|oin|oit|oi|pa\w*|po\w*)", _SELF_FI, gap=2),
    _p("fi:itseni tappaminen", _SELF_FI, r"tap(pa|po)\w*", gap=1),
    _p("fi:haluan kuolla",
       r"halua(n|isin)|haluun|haluisin|halusin|toivo(n|isin)|kunpa|kumpa|voisinpa",
       r"kuol(la|isin|isi|isinpa)", gap=3, not_after=r"naur\w*|nälkään|tylsyyteen"),
    _p("fi:en halua elää", r"en|enkä|ei", r"halu\w*|jaksa\w*|viitsi", r"elää|elämään",
       gaps=(1, 2)),
    _p("fi:en halua herätä", r"en|enkä", r"halu\w*", r"herätä", gaps=(1, 1)),
    _p("fi:etten heräisi", r"etten|enkä", r"herää|heräis\w*|herätä", gap=1),
    _p("fi:elämä ei kanna", r"elämä\w*", r"ei", r"kanna\w*", gaps=(1, 0)),
    _p("fi:ei syytä elää", r"syytä|syyt|järkeä|järkee|pointtia", r"elää"),
    _p("fi:pois tästä elämästä", r"pois", r"elämästä", gap=1),
    _p("fi:parempi ilman minua", r"parempi|paremmin", r"ilman", r"minua|mua", gaps=(0, 0)),
    _p("fi:viiltelen", r"viiltel\w*|viiltely\w*|viillel\w*"),
    _p("fi:viillän ranteet", r"vii(l|ll|lt)\w*", r"rante\w*", gap=1),
    _p("fi:viillän itseäni", r"vii(l|ll|lt)\w*", _SELF_FI_PARTITIVE, gap=1),
    _p("fi:satutan itseäni", r"satut\w*|vahingoit\w*|vahingoita\w*", _SELF_FI_PARTITIVE, gap=2),
    _p("fi:hirttäytyä", r"hirttäy\w*|hirttäyd\w*"),
    _p("fi:hirtän itseni", r"hirt\w*", _SELF_FI, gap=1),
    _p("fi:junan alle", r"hyp\w*|heittäy\w*|men\w*", r"junan|auton|rekan|metron", r"alle",
       gaps=(2, 0)),
    _p("fi:päättää elämäni", r"lopet\w*|päät(tää|än|täisin|ä)", r"elämä(ni|nsä|än)"),
)

SWEDISH = (
    _p("sv:självmord", r"självmord\w*"),
    _p("sv:självskada", r"självskad\w*"),
    _p("sv:ta livet av mig", r"ta|tar|tog|tagit|tänker", r"livet", r"av", r"mig|mej|sig",
       gaps=(1, 0, 0)),
    _p("sv:ta mitt liv", r"ta|tar|tog", r"mitt", r"liv|eget", gaps=(0, 1)),
    _p("sv:vill dö", r"vill|ville|vilja|önskar", r"dö", gap=1, negatable=True,
       not_after=r"av|för"),
    _p("sv:vill inte leva", r"vill|ville|orkar|orka|orkade", r"inte", r"leva|finnas|existera|vakna",
       gaps=(1, 1)),
    _p("sv:sluta leva", r"sluta", r"leva"),
    _p("sv:inte värt att leva", r"inte", r"värt", r"att", r"leva", gaps=(1, 0, 0)),
    _p("sv:skada mig själv", r"skad\w*", _ME_SV, r"själv"),
    # Strict: "skär" (I cut, present) and never "skar" (cut, past: "skar mig i fingret").
    _p("sv:skär mig", r"skär|skära", _ME_SV, strict=(0,), not_after=r"i|på"),
    _p("sv:hänga mig", r"hänga|hänger|hängt", r"mig|mej|sig"),
    _p("sv:döda mig själv", r"döda|dödar", _ME_SV, r"själv"),
    _p("sv:bättre utan mig", r"bättre", r"utan", _ME_SV, gaps=(1, 0)),
)

ENGLISH = (
    _p("en:suicide", r"suicid\w*", not_after=r"squads?"),
    _p("en:kill myself", r"kill\w*|kil", _SELF_EN, gap=1),
    _p("en:kill my self", r"kill\w*", r"my", r"self"),
    _p("en:unalive", r"unaliv\w*"),
    _p("en:kms", r"kms", not_before=r"\d+"),
    _p("en:want to die", r"want|wanted|wanting|wish|ready|going", r"to", r"die",
       not_after=r"laughing|of|for|from|on|in|with", not_before=r"dont|not|never|didnt"),
    _p("en:wanna die", r"wanna|gonna", r"die", not_after=r"laughing|of|for|from|on|in|with",
       not_before=r"dont|not|never|didnt"),
    _p("en:wish i was dead", r"wish", r"i", r"was|were", r"dead"),
    _p("en:end it all", r"end|ending|ended", r"it", r"all"),
    _p("en:end my life", r"end|ending|ended|take|taking|took", r"my|own", r"life",
       gaps=(1, 1), not_after=r"back|in|into|over|seriously"),
    _p("en:self harm", r"self", r"harm\w*"),
    _p("en:selfharm", r"selfharm\w*"),
    _p("en:harm myself", r"harm\w*|hurt|hurting|hurts", _SELF_EN, gap=1),
    _p("en:cut myself", r"cut|cutting|cuts", _SELF_EN, gap=1,
       not_after=r"shaving|cooking|accidentally|chopping|while"),
    _p("en:pills on purpose", r"overdos\w*|pills|tablets|meds", r"on", r"purpose", gaps=(2, 0)),
    _p("en:better off dead", r"better", r"off", r"dead"),
    _p("en:better off without me", r"better", r"off", r"without", r"me"),
    _p("en:dont want to live", r"dont|not|never", r"want", r"to", r"live|exist",
       gaps=(1, 0, 0), not_after=r"in|with|here|there|near|like|together|alone|at|on|without"),
    _p("en:dont want to be alive", r"dont|not|never", r"want", r"to", r"be", r"alive",
       gaps=(1, 0, 0, 0)),
    _p("en:dont want to wake up", r"dont|not|never", r"want", r"to", r"wake", gaps=(1, 0, 0)),
    _p("en:no reason to live", r"reason|point", r"to|in", r"live|living", gaps=(0, 0),
       not_after=r"in|with|here|there|near|like|together|alone|at|on"),
    _p("en:not worth living", r"not|isnt|aint|nt", r"worth", r"living", gaps=(1, 0)),
    _p("en:jump off a bridge", r"jump\w*", r"off|from", r"bridge|building|roof|balcony",
       gaps=(0, 2)),
    _p("en:in front of a train", r"front", r"of", r"train|bus|truck|lorry|car", gaps=(0, 1),
       not_after=r"station|stop"),
)

PHRASES: tuple[Phrase, ...] = FINNISH + SWEDISH + ENGLISH
