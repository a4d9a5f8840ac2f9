"""Word classes for the built-in abuse and harm patterns (``abuse.py``, ``harm.py``).

Each class is a tuple of words in the form the matcher compares (lower case, written with
å ä ö where the word has them); a trailing ``*`` means "any ending", as in the bundled lists.
:func:`pattern` turns a class into one regular expression for a :class:`~moderation.matching.Part`.

The classes are kept apart on purpose: an expletive alone is swearing, which stays allowed;
an insult becomes abuse only when it is aimed at someone ("sä oot ...", "du är ...",
"you're ...", "senkin ...", "din ...", "you ..."), or stands with an expletive on its own
("vitun idiootti!"). Admins take a word off every built-in pattern by writing it in the
room's ``blocklist_disabled`` list.

Nothing here does I/O; ``MASK_WORDS`` is what a word masked with ``*`` ("v*ttu", "f**k") may
stand for (see :mod:`moderation.normalize`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# --- English ------------------------------------------------------------------------------

F_WORD = ("fuck", "fuk", "fck", "fuq", "fuc", "fock", "phuck", "fukk", "fucc", "feck")
F_ING = ("fucking", "fuckin", "fukin", "fking", "fkin", "fkn", "fcking", "fckin", "focking",
         "fuckn", "effing", "friggin", "frigging", "freaking", "freakin")
EXPLETIVE_EN = (*F_ING, "bloody", "damn", "damned", "goddamn", "goddamned", "shitty")
MODIFIER_EN = (*EXPLETIVE_EN, "a", "an", "such", "so", "really", "absolute", "absolutely",
               "complete", "completely", "total", "totally", "utter", "utterly", "little",
               "big", "fat", "ugly", "stupid", "dumb", "useless", "worthless", "pathetic",
               "lazy", "disgusting", "sad", "sorry", "miserable", "dirty", "filthy",
               "brainless", "just", "literally", "actual", "crappy", "lousy", "the",
               "biggest", "massive", "sick", "nasty", "old", "silly", "piece")
# Nouns for a person, used as insults.
INSULT_NOUN_EN = (
    "idiot", "idiots", "moron", "morons", "loser", "losers", "bitch", "bitches", "cunt",
    "cunts", "dumbass", "dumbasses", "asshole", "assholes", "arsehole", "arseholes", "dick",
    "dickhead", "prick", "twat", "wanker", "jerk", "creep", "clown", "joke", "muppet",
    "cow", "pig", "freak", "retard", "imbecile", "cretin", "scum", "scumbag", "trash",
    "garbage", "failure", "parasite", "psycho", "nutjob", "weirdo", "whore", "slut",
    "douche", "douchebag", "tosser", "bellend", "knobhead", "numpty", "pillock", "bastard",
    "shithead", "fuckface", "fucker", "motherfucker", "degenerate", "lowlife", "disgrace",
    "embarrassment", "burden", "waste", "nobody", "nothing", "halfwit", "dimwit",
    "simpleton", "fool",
)
# The nouns above that name only a person (not "joke", "waste", "trash"): these may stand
# after a bare "you" or an expletive ("you muppet", "fucking idiot").
PERSON_NOUN_EN = tuple(w for w in INSULT_NOUN_EN if w not in {
    "joke", "waste", "nothing", "nobody", "trash", "garbage", "failure", "burden", "fool",
    "freak", "creep", "jerk", "embarrassment", "disgrace", "clown", "git"})
# Words that describe a person, used as insults (only after "you're"/"you are").
INSULT_ADJ_EN = ("stupid", "dumb", "useless", "worthless", "pathetic", "disgusting", "ugly",
                 "retarded", "brainless", "braindead", "repulsive", "vile", "gross",
                 "unlovable", "unwanted", "fat", "thick", "irrelevant")
ANNOYING_EN = ("annoying", "irritating", "boring", "weird", "cringe")
BE_YOU_EN = ("youre", "ur", "ure", "yer", "yure", "youare", "uare", "ura")
YOU_EN = ("you", "u", "ya", "yall")
ARE_EN = ("are", "r", "re", "were")
# Things people curse at that are not people: "fuck you, depression".
NOT_A_PERSON_EN = ("depression", "anxiety", "addiction", "cancer", "alcohol", "booze", "drugs",
                   "ocd", "ptsd", "bpd", "adhd", "illness", "disease", "brain", "life",
                   "world", "monday", "mondays", "covid", "weather", "cravings", "meth",
                   "heroin", "trauma", "demons", "voices", "insomnia", "pain", "relapse",
                   "bottle", "vodka", "whiskey", "wine", "beer", "cigarettes", "panic")

# --- Finnish ------------------------------------------------------------------------------

EXPLETIVE_FI = ("vitun", "vittu", "saatanan", "helvetin", "perkeleen", "jumalauta",
                "paskan", "hemmetin", "hiton", "helkkarin", "pirun", "kirotun", "vitunmoinen",
                "saatanallinen", "perkeleellinen")
MODIFIER_FI = (*EXPLETIVE_FI, "ihan", "niin", "tosi", "täysi", "täys", "aivan", "todella",
               "kauhea", "kauhee", "surkea", "säälittävä", "ruma", "tyhmä", "typerä", "yks",
               "yksi", "sellanen", "semmonen", "sellainen", "semmoinen", "iso", "pieni",
               "pikku", "lihava", "läski", "oikea", "oikee", "vaan", "vain", "vaa", "nyt",
               "kyllä", "kyl", "aika", "melkonen", "melkoinen", "hullu", "kamala", "kamalan",
               "tyhjä", "paska")
INSULT_NOUN_FI = (
    "idiootti", "idiootit", "idiootteja", "ääliö", "ääliöt", "ääliöitä", "dorka", "dorkat",
    "paska", "paskiainen", "paskiaiset", "paskapää", "kusipää", "kusipäät", "mulkku",
    "mulkut", "runkkari", "runkkarit", "luuseri", "luuserit", "luusereita", "pelle",
    "pellet", "läski", "vammanen", "vammainen", "jälkeenjäänyt", "urpo", "tollo",
    "typerys", "huora", "lutka", "ämmä", "persreikä", "perseenreikä", "nilkki", "sika",
    "lehmä", "apina", "nynny", "retardi", "kretiini", "debiili", "imbesilli", "tomppeli",
    "mäntti", "munapää", "mongoloidi", "idari", "narkki", "nisti", "spurgu", "saasta",
    "roskasakki", "roska", "nolla", "mitättömyys", "taakka", "häpeäpilkku",
)
# Left out on purpose: mild words friends use kindly ("pöljä", "hölmö", "kamala", "you're
# hopeless", "du är hopplös", "löjlig"); a room that wants them refused adds them.
PERSON_NOUN_FI = tuple(w for w in INSULT_NOUN_FI if w not in {
    "paska", "paskat", "roska", "roskasakki", "saasta", "nolla", "taakka", "mitättömyys",
    "häpeäpilkku"})
INSULT_ADJ_FI = ("tyhmä", "typerä", "hyödytön", "säälittävä", "ruma", "surkea", "arvoton",
                 "mitätön", "kelvoton", "inhottava", "ällöttävä", "vastenmielinen",
                 "kuvottava", "aivoton", "naurettava", "idioottimainen", "turha",
                 "perseestä", "limanuljaska")
ANNOYING_FI = ("ärsyttävä", "rasittava", "raivostuttava", "tylsä", "outo", "sietämätön")
BE_YOU_FI = ("olet", "oot", "ootte", "olette", "oletkin", "ootki", "ootkin", "olit", "olitte")
YOU_FI = ("sä", "sää", "sinä", "sie", "te", "senkin", "sitkin", "tekin")
EXPLETIVE_LEAD_FI = ("vittu", "saatana", "perkele", "helvetti", "jumalauta", "vittujen")

# --- Swedish ------------------------------------------------------------------------------

EXPLETIVE_SV = ("jävla", "jävliga", "jävlig", "jäkla", "djävla", "förbannade", "förbannad",
                "satans", "fucking", "fuckin", "helvetes", "jävlars")
MODIFIER_SV = (*EXPLETIVE_SV, "en", "ett", "så", "helt", "jävligt", "riktigt", "verkligen",
               "sån", "sådan", "sånt", "himla", "bara", "fan", "fula", "ful", "dumma", "dum",
               "patetiska", "värdelösa", "äckliga", "lilla", "stora", "feta", "ju", "typ",
               "totalt", "jätte", "fullständigt", "komplett", "skit", "jädrans")
INSULT_NOUN_SV = (
    "idiot", "idioter", "idioten", "pucko", "puckon", "loser", "skämt", "kukhuvud",
    "fitta", "hora", "mongo", "jävel", "tönt", "nolla", "fjant", "äckel", "svin", "gris",
    "clown", "pajas", "efterbliven", "miffo", "knäppgök", "psykfall", "sopa", "dumhuvud",
    "fegis", "horunge", "kräk", "parasit", "slyna", "subba", "kärring", "skitstövel",
    "rövhål", "arsle", "praktarsle", "skithög", "fårskalle", "korkskalle", "dumskalle",
    "våp", "mes", "wannabe", "nörd", "freak", "pundare", "tomte",
)
PERSON_NOUN_SV = tuple(w for w in INSULT_NOUN_SV if w not in {
    "skämt", "nolla", "tomte", "nörd", "wannabe", "sopa", "freak"})
INSULT_ADJ_SV = ("dum", "dumma", "värdelös", "värdelösa", "äcklig", "patetisk", "ful",
                 "korkad", "störd", "efterbliven", "idiotisk", "vidrig", "motbjudande",
                 "oduglig", "misslyckad", "värdelöst", "äckligt")
ANNOYING_SV = ("irriterande", "jobbig", "tråkig", "konstig")
BE_YOU_SV = ("e", "är", "ä", "va", "var", "blir")
YOU_SV = ("du", "ni", "u")
VOCATIVE_SV = ("din", "ditt", "dina", "er", "ert", "era")

# Subjects and verbs that make an insult about oneself or someone absent, and verbs of
# reporting: "I was such a fucking idiot", "mun exä on vitun idiootti", "jag var en jävla
# idiot", "don't let anyone tell you you're useless", "I told him to fuck off".
NOT_AIMED = (
    "i", "im", "ive", "id", "me", "my", "mine", "was", "is", "hes", "shes", "its", "he",
    "she", "they", "theyre", "his", "her", "their", "him", "them", "that", "this", "thats",
    "mä", "mää", "minä", "mie", "mun", "minun", "olin", "olen", "oon", "oli", "on", "ovat",
    "se", "hän", "ne", "sen", "hänen", "niiden", "tää", "tuo", "toi", "ollut", "ollu",
    "jag", "min", "mitt", "mina", "han", "hon", "den", "det", "de", "hans", "hennes",
    "deras", "är", "var", "varit", "blev",
    "tell", "told", "telling", "tells", "say", "said", "says", "saying", "call", "called",
    "calls", "think", "thinks", "thought", "sanoo", "sanoi", "sanoin", "sano", "sanovat",
    "sanoivat", "kutsui", "kutsuu", "haukkui", "haukkuu", "väittää", "väitti", "luulee",
    "sa", "sade", "säger", "sagt", "kallade", "kallar", "tycker", "tyckte", "tror", "trodde",
)


def pattern(*classes: Iterable[str], without: frozenset[str] = frozenset()) -> str:
    """One regular expression (an alternation) for the words of ``classes``, leaving out
    the words in ``without`` (compared with any trailing ``*`` removed)."""
    seen: dict[str, None] = {}
    for cls in classes:
        for word in cls:
            plain = word.rstrip("*")
            if plain in without or word in without:
                continue
            stem = word.endswith("*")
            core = r"\s".join(re.escape(w) for w in plain.split())
            seen.setdefault(core + (r"\w*" if stem else ""), None)
    if not seen:
        return r"(?!x)x"  # matches nothing: every word was taken off
    return "|".join(seen)


# Words that people hide with "*": every single word above, and the common swear words.
MASK_WORDS: tuple[str, ...] = tuple(dict.fromkeys(
    w for cls in (F_WORD, F_ING, EXPLETIVE_EN, INSULT_NOUN_EN, INSULT_ADJ_EN, EXPLETIVE_FI,
                  INSULT_NOUN_FI, INSULT_ADJ_FI, EXPLETIVE_SV, INSULT_NOUN_SV, INSULT_ADJ_SV,
                  EXPLETIVE_LEAD_FI,
                  ("shit", "shite", "bullshit", "piss", "cock", "fucks", "fucked", "fucker",
                   "vittuun", "vitut", "vittua", "paskaa", "perse", "perkele", "saatana",
                   "helvetti", "helvettiin", "kyrpä", "kyrpää", "pillu", "munaa",
                   "jävlar", "fan", "käften", "helvete", "kuk", "skit", "knulla", "fitta"))
    for w in cls if " " not in w and not w.endswith("*")))
