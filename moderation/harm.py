"""Harm to others: telling someone to kill or hurt themselves, in Finnish, Swedish and English.

Such a message is refused like abuse, and it also alerts the room's facilitators
(``Verdict.harm_alert``): someone in the room is being told to die, and the person it is
aimed at may need a kind word more than the writer needs a refusal.

The patterns are written for the imperative and for wishes aimed at "you" ("kys", "go kill
yourself", "tapa ittes", "kuole jo", "ta livet av dig", "hoppas du dör"), and they stay
away from the caring questions peers are taught to ask ("do you want to kill yourself?",
"tänker du ta livet av dig?", "aiotko tappaa itsesi?") and from first-person crisis
language, which the crisis filter handles. Each phrase's label is an entry a room can put
in ``blocklist_disabled`` ("kys", "kill yourself", ...).
"""

from __future__ import annotations

import functools

from moderation.matching import Phrase, phrase, spelled

# Finnish case endings after an abbreviation written "KYS:n", "KYS:ssä" (Kuopio university
# hospital), and question words after "kys:" (kysymys, a question).
_KYS_NOT = (r"n|ssä|ssa|sta|stä|lla|llä|lle|lta|ltä|iin|ään|hyn|ksi|na|nä|ään|aan|"
            r"milloin|miten|mikä|mitä|missä|onko|voiko|kuka|keneen|kenelle|miksi|paljonko|"
            r"saako|kun|jos|mihin|minne|mistä|kannattaako|pitääkö|tarviiko|tarvitseeko|"
            r"oliko|oisko|olisiko|ootteko|ovatko|osaako|tietääkö|muistaako|miten|millainen")
# The word before an instruction that is really a question, a report or a wish about oneself.
_ASKED_EN = (r"to|you|u|ya|gonna|wanna|would|will|did|didnt|do|does|not|never|dont|cant|"
             r"wont|why|how|if|ever|might|tried|try|could|i|we|they|he|she|people|when|"
             r"should|shouldnt|thinking|thought|about|of|wanted|want")
_SELF2_EN = r"yourself|urself|yourselves|urselves|yoself|yaself|yourslef|urslef|uself"
_SELF2_FI = (r"itses|itsesi|ittes|ittesi|ites|ittees|itteesi|itsenne|ittenne|itseäsi|"
             r"itteäs|itteäsi|itsees")
_SELF2_SV = r"dig|dej|er"
_NOT_AFTER_DIE = (r"laughing|of|for|from|in|on|with|alone|happy|old|trying|inside|a|the|"
                  r"your|ur|my|his|her|their|down|out|off|up|hard")

ENGLISH = (
    phrase("kys", r"kys", not_before=r"\d+", not_after=_KYS_NOT),
    phrase("kill yourself", r"kill|kil|kll", _SELF2_EN, not_before=_ASKED_EN,
           negatable=True, negation_window=2),
    phrase("kill yourself", r"kill|kil|kll", r"your|ur|yo", r"self", not_before=_ASKED_EN,
           negatable=True, negation_window=2),
    phrase("go die", r"go|just|pls|please|plz|now|so", r"die|diee|dye", not_before=_ASKED_EN,
           not_after=_NOT_AFTER_DIE),
    phrase("you should die", r"you|u|ya", r"should|shud|shld|need|must|ought|gotta|better|"
           r"deserve|deserved|can|could|might|may", r"die|diee|kys|kill|hang|unalive|end|off|drown",
           gaps=(0, 2), negatable=True,
           not_after=r"your|ur|the|it|this|that|these|those|a|an|time|for|my|his|her|their|"
                     r"them|him|up|on|with|laughing|of|in|inside|early|happy|old|me|us|"
                     r"some|all|any|no|every"),
    phrase("hang yourself", r"end|off|hang|neck|unalive|drown|shoot|cut|hurt|starve|rope|"
           r"slit|stab|burn", _SELF2_EN, not_before=_ASKED_EN,
           not_after=r"accidentally|shaving|cooking|on|while|again", negatable=True,
           negation_window=2),
    phrase("drink bleach", r"drink|chug|swallow", r"bleach|antifreeze|poison",
           not_before=r"i|to|dont|not|never|did|would|accidentally|kids|children|dog|cat",
           negatable=True, negation_window=2),
    phrase("hope you die", r"hope|hopes|hoping|wish", r"you|u|ya|youll|ull",
           r"die|diee|dies|overdose|od|ods|rot|drown|choke|hang|kill", gaps=(1, 1),
           negatable=True, not_after=r"laughing|of|for|happy|old"),
    phrase("hope you die", r"wish|hope", r"you|u|ya", r"were|was|are|r|die", r"dead|gone",
           gaps=(0, 0, 1), negatable=True),
    phrase("nobody would miss you", r"nobody|noone|nobodyd|nobodys",
           r"would|will|gonna|d|wud|is|s", r"care|miss|notice|cry|mourn|grieve|going",
           r"you|u|if|when|about", r"you|u|ur|youd|ud",
           gaps=(0, 0, 0, 1), not_after=r"later|soon|tomorrow"),
    phrase("nobody would miss you", r"nobody|noone|nobodyd",
           r"would|will|gonna|d|wud", r"miss|mourn", r"you|u"),
    # "No one would care if I died" is the writer's own despair (crisis.py), never harm: an
    # "if" or "when" must be followed by "you".
    phrase("nobody would miss you", r"no", r"one", r"would|will|gonna|d|wud|is|s",
           r"care|miss|notice|cry|mourn|grieve|going", r"you|u|if|when|about",
           r"you|u|ur|youd|ud", gaps=(0, 0, 0, 0, 1), not_after=r"later|soon|tomorrow"),
    phrase("nobody would miss you", r"no", r"one", r"would|will|gonna|d|wud",
           r"miss|mourn", r"you|u"),
    phrase("do everyone a favour and die", r"favour|favor", r"die|diee|kys|kill|end|hang|jump|off|"
           r"unalive|od|overdose", gap=3),
    phrase("go jump off a bridge", r"go|just|pls|please|plz|should|gotta", r"jump",
           r"off|from|in|into|under", r"bridge|building|roof|cliff|train|balcony|river|"
           r"lake|sea|traffic|truck", gaps=(0, 0, 2)),
)

FINNISH = (
    phrase("kys", r"kys", not_before=r"\d+", not_after=_KYS_NOT),
    phrase("tapa itsesi", r"tapa|tappakaa|tapas|tapppa", _SELF2_FI,
           not_before=r"\w*(hyvä|paras|yksi|ainoa|helppo|uusi|eri|oma|toinen|sama|jokin|"
                      r"joku|hyvää|huono|tämä|tää|se|toi|tuo|mikä|millainen|mun|sun|minun|"
                      r"sinun|hänen)",
           not_after=r"\w+(misen|miseen|mista|misesta|maan|massa|malla|mällä|mään|mässä|"
                     r"miselle|mista)",
           negatable=True, negation_window=2),
    phrase("mene tappamaan itsesi", r"mee|mene|menkää|painu|painukaa|mees",
           r"tappa\w*|hirt\w*|hukutta\w*|hukuttaa|ampu\w*", _SELF2_FI, gaps=(1, 1)),
    phrase("mene tappamaan itsesi", r"mee|mene|menkää|mees",
           r"viiltel\w*|viiltämään|viiltää|viilleltään|satuttamaan|satuttaan", gap=1),
    phrase("hirtä itsesi", r"hirtä|hirttäkää|hukuta|ammu|viillä|viiltele|satuta",
           _SELF2_FI, negatable=True, negation_window=2),
    phrase("hirtä itsesi", r"hirttäydy|hirttäytykää|hukuttaudu"),
    phrase("hirtä itsesi", r"viiltele|viillä", r"lisää|syvemmin|syvempää|ranteet|rantees|"
           r"ranteesi|kunnolla", negation_window=2, negatable=True),
    phrase("hyppää junan alle", r"hyppää|hypätkää|heittäydy|heittäytykää|hyppäis|hyppäisit",
           r"junan|auton|rekan|metron|bussin|raitiovaunun|ratikan", r"alle|eteen",
           gaps=(2, 0), not_before=r"se|hän|joku|kukaan|ei|en|et|älä|jos|kun|että|ettei|mä|"
                                   r"minä|ne|kaveri|ihminen|mies|nainen|tyyppi"),
    phrase("hyppää junan alle", r"hyppää|hypätkää", r"sillalta|katolta|parvekkeelta|"
           r"ikkunasta|kalliolta|kaivoon|järveen|mereen|jokeen|sillalt|katolt", gap=2,
           not_before=r"se|hän|joku|kukaan|ei|en|et|älä|jos|kun|että|ettei|mä|minä|ne"),
    phrase("kuole pois", r"kuole|kuolkaa|kuoleppa|kuolisitpa|kuolisitteko",
           not_before=r"en|et|ei|emme|ette|eivät|älä|älkää|ettet|etten|jottet|jotten|enkä|"
                      r"etkä|eikä|ettei|jottei|jollei|kun|mä|minä|sä|sinä|hän|se|me|te|ne|"
                      r"koskaan|vielä",
           not_after=r"nauruun|nälkään|tylsyyteen|häpeään|ikävään|koskaan|ikinä"),
    phrase("toivottavasti kuolet", r"toivottavasti|toivon|toivoisin|toivois|toivottavast|"
           r"kunpa|kumpa|toivotaan", r"kuolet|kuolisit|kuolette|kuolisitte|kuolis|delaat|"
           r"kuolisitkin|tapat|tappaisit|kuolet", gap=3),
    phrase("kukaan ei kaipaisi sinua", r"kukaan|ketään|kenenkään", r"ei|eis|ees",
           r"kaipais\w*|itkis\w*|välittäis\w*|huomais\w*|sureis\w*|kaipaa|ikävöis\w*|"
           r"välitä|surisi|jäisi|jäis|kaipaisi|itkisi",
           r"sua|sinua|susta|sinusta|kuolisit|kuolet|kuolisitte|sun|sinun|tapat|tappaisit",
           gaps=(0, 0, 3)),
    phrase("vedä kaikki pillerit kerralla", r"vedä|niele|nappaa|syö|popsi|ota|ottakaa",
           r"\w*(lääk|pilleri|pillerei|tabu|tablet|tabl|unilääk)\w*",
           r"kerralla|kerrasta|kerrallaan|yhtäaikaa|kerralla", gaps=(2, 2),
           not_after=r"aamulla|illalla|ohjeen|ruoan|ruuan|ajallaan|niinku|kuten|lääkärin|"
                     r"niin|ettei|jottei", negatable=True, negation_window=2),
    phrase("tee itsemurha", r"tee|tehkää|teeppä", r"itsemurha|itsari|itsarit|itarit"),
)

SWEDISH = (
    phrase("kys", r"kys", not_before=r"\d+", not_after=_KYS_NOT),
    phrase("ta livet av dig", r"ta", r"livet", r"av", _SELF2_SV,
           not_before=r"du|tänker|vill|ville|funderar|försökt|försökte|planerar|att|tänkt|"
                      r"kommer|ska|skulle|inte|aldrig|kan|kunde|får|har|hade|om|varför|hur|"
                      r"jag|man|ni|hon|han|de|vi|försöka|tänkte|velat|skall|bör|borde",
           negatable=True, negation_window=2),
    # Typed with ö only: "do" is English.
    phrase("dö", r"dö", strict=(0,),
           not_before=r"vill|ville|vilja|att|ska|skall|skulle|kommer|inte|ej|aldrig|kan|"
                      r"kunde|får|fick|önskar|bara|och|mig|mej|jag|ju|nog|måste|borde|"
                      r"hellre|snart|också|med|lära|låt|låta|rädd|tänker|riskerar|man|de|vi|"
                      r"ni|du|han|hon|den|det|kommer|hade|har|tänkte|vågar|behöver|fått|"
                      r"hunnit|orkar",
           not_after=r"av|för|på|ut|som|med|innan|när|inte|ifrån|bort"),
    phrase("dö", r"gå|dra|kan", r"och", r"dö", not_before=r"jag|ska|vill|att|tänker",
           strict=(2,)),
    phrase("hoppas du dör", r"hoppas|önskar|hoppades|önskade", r"du|ni",
           r"dör|dog|dödas|ska|skulle|kommer|blir|hänger|dränker|skjuter", gaps=(1, 0),
           not_after=r"inte|bra|bättre|fin|glad|av", negatable=True),
    phrase("ingen skulle sakna dig", r"ingen", r"skulle|kommer|hade|kommer|skulle",
           r"sakna|bry|gråta|märka|bry|sörja", r"dig|dej|du|er|om", gaps=(1, 0, 2),
           not_after=r"mig|mej|jag|inte"),
    phrase("häng dig", r"häng|hängg|dränk|skjut|skär|bränn|svält|döda|strypa|strypa",
           _SELF2_SV,
           not_before=r"inte|du|att|ni|han|hon|man|jag|om|när|kan|ska|kanske|lätt|så|vi|"
                      r"de|den|det|vill|ville|kunde|skulle|måste|får|fick|kommer|ej",
           not_after=r"inte|upp|på|kvar|med|fast|i|vid|om|ut|själv|av|mot|nog",
           negatable=True, negation_window=2),
    phrase("hoppa från en bro", r"hoppa", r"från|framför|ner|under|av|ut",
           r"bro\w*|tåg\w*|tak\w*|balkong\w*|stup\w*|fönst\w*|klipp\w*|hus\w*",
           gaps=(0, 2),
           not_before=r"tänker|ska|vill|att|kommer|skulle|jag|kan|måste|borde|inte|funderar|"
                      r"planerar|ville|du|vi|ni|han|hon|man|de|kunde|får|fick|vågar|tänkte|"
                      r"behöver|brukade|brukar|och|fick|lär"),
)

PHRASES: tuple[Phrase, ...] = ENGLISH + FINNISH + SWEDISH
BY_LANGUAGE: dict[str, tuple[Phrase, ...]] = {"en": ENGLISH, "fi": FINNISH, "sv": SWEDISH}


@functools.lru_cache(maxsize=64)
def table(languages: frozenset[str], off: frozenset[str]) -> tuple[Phrase, ...]:
    """The harm phrases of these languages, each also spelled out as one word ("kys" is one
    already), leaving out those whose label is in ``off`` (entry keys)."""
    out: list[Phrase] = []
    for lang in sorted(languages):
        for p in BY_LANGUAGE.get(lang, ()):
            if p.label in off:
                continue
            out.append(p)
            if len(p.parts) > 1:
                out.append(spelled(p))
    return tuple(out)
