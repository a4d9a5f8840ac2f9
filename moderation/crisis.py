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

from moderation.matching import Part, Phrase, phrase, spelled

# First-person (and third-person, for loss: "tappoi itsensä") reflexive pronouns, standard
# and colloquial: itseni, itseäni, itteni, itsensä, itseään.
_SELF_FI = r"it(se|te)(ni|äni|nsä|ään|äänsä)|ittiäni|itteeni|ittei"
# Partitive only ("satutan itseäni": an ongoing act), so "satutin itseni pyörällä" (hurt myself
# on a bike) stays out.
_SELF_FI_PARTITIVE = r"it(se|te)(äni|ään)|ittiäni|itteeni"
_ME_SV = r"mig|mej"
_SELF_EN = r"myself|meself|myslef"
# What "took too much" is not about (the next two words are looked at).
_NOT_TAKEN_EN = (r"time|money|food|sugar|salt|coffee|caffeine|work|on|off|space|risk|care|"
                 r"notice|responsibility|photos|pictures|breaks|shifts|classes|courses|days|"
                 r"hours|notes|steps|sun|weight|stress|vacation|holiday|leave|credit|debt|of|"
                 r"to|in|at|with|from|for|advice|pressure|water|data|memory|room|damage")
# What "if I ..." ends with when the writer imagines their own absence.
_GONE_EN = r"died|die|dead|gone|disappeared|disappear|vanished|killed|unalived|suicided"


def _p(label: str, *parts: str, gaps: tuple[int, ...] = (), gap: int = 0,
       not_after: str | None = None, not_before: str | None = None,
       strict: tuple[int, ...] = (), negatable: bool = False, glue: bool = False) -> Phrase:
    return Phrase(
        tuple(Part(p, strict_nordic=i in strict) for i, p in enumerate(parts)),
        label,
        max_gap=gap,
        gaps=gaps,
        not_after=Part(not_after) if not_after else None,
        not_before=Part(not_before) if not_before else None,
        negatable=negatable,
        glue=glue,
    )


# --- means, plans and finality (issue 16): no word for dying in them --------------------

# First person, infinitive and conditional of jumping and throwing oneself: never the
# imperative "hyppää", which is said to someone (harm.py).
_JUMP_FI = (r"hyppään|hypätä|hyppäisin|hyppäsin|hyppäämään|hyppäämällä|hypähdän|heittäydyn|"
            r"heittäytyä|heittäytyisin|heittäydyin")
_PILLS_FI = (r"\w*lääk(e|k)\w*|\w*piller\w*|tabu\w*|\w*tablet\w*|tabl\w*|kapsel\w*|bentso\w*|"
             r"\w*opiaat\w*|subutex\w*|parasetamol\w*|panadol\w*|burana\w*|unilääk\w*|"
             r"mielialalääk\w*|nappej\w*|napit")
# Taking, swallowing: first person (also past: an attempt), infinitive, conditional.
_TAKE_FI = (r"otan|ottaa|ottaisin|otin|nielen|niellä|nielaisen|nielin|vedän|vetää|vetäisin|"
            r"vedin|syön|syödä|söin|popsin|popsia|nappaan|napata|nappasin|kumoan|kumota|"
            r"ottamaan|nielemään|vetämään|syömään")
_ONCE_FI = r"kerralla|kerrasta|kerrallaan|yhtäaikaa|kerral|kerrallaa"
_ROUTINE_FI = (r"niin(ku|kuin)?|kuten|ohjeen|ohjeiden|aina|joka|aamuisin|iltaisin|normaalisti|"
               r"tavalliseen|aamulla|illalla|ruoan|ruuan|ajallaan|lääkärin")
_SAVE_FI = (r"säästänyt|säästäny|säästellyt|säästelly|säästän|säästelen|kerännyt|keränny|"
            r"keräillyt|keräilly|kerään|keräilen|hamstrannut|hamstrannu|hamstraan|kätkenyt|"
            r"kätkeny|piilottanut|piilottanu|piilotellut|varastoinut|säästetty|kerätty")
_ENDING_FI = (r"lopetan|lopettaa|lopettaisin|lopettamaan|lopettais|lopettaisi|päätän|päättää|"
              r"päättäisin|päättämään|lopetankin|päätänkin")
# After "lopettaa kaiken": a noun in the genitive is what is given up ("lopettaa kaiken
# juomisen", "kaiken alkoholin käytön"); a few words ending in -n are not nouns.
_GIVEN_UP_FI = (r"(?!(tänään|huomenna|kokonaan|tämän|tän|pian|vihdoin|ainiaan|illan|aamun|"
                r"sen|nyt|taas)$)\w{3,}n")
_NOT_IDIOM_FI = r"naur\w*|nälkään|tylsyyteen|häpeään|ikävään|mieluummin|ennemmin|jos|kuin"

MEANS_FI = (
    phrase("fi:otan kaikki lääkkeet kerralla", _TAKE_FI, _PILLS_FI, _ONCE_FI, gaps=(3, 2),
           not_after=_ROUTINE_FI, not_before=r"et|sä|sinä|te|ettet|jos|muista|älä"),
    phrase("fi:otan kaikki lääkkeet kerralla", _TAKE_FI, _PILLS_FI, r"yhtä", r"aikaa",
           gaps=(3, 2, 0), not_after=_ROUTINE_FI),
    phrase("fi:otan koko purkin", _TAKE_FI, r"koko|kaikki", r"purk\w*|pakkau\w*|paketi\w*|"
           r"levy\w*|lääkelevy\w*|laatiko\w*|rasia\w*|dosetti\w*|annoksen|annokset",
           gaps=(2, 1)),
    phrase("fi:pillerit, otan ne kaikki", _PILLS_FI, _TAKE_FI, r"kaikki|kaikkia",
           gaps=(4, 2), not_after=_ROUTINE_FI),
    phrase("fi:otan kaikki lääkkeet", _TAKE_FI, r"kaikki|kaikkia|koko", _PILLS_FI,
           gaps=(1, 1), not_after=_ROUTINE_FI,
           not_before=r"muista|muistin|unohdin|unohtui|unohtu|pitää|piti|täytyy|pitäis|"
                      r"pitäisi|et|sä|sinä|jos|älä"),
    phrase("fi:olen säästänyt lääkkeitä", _SAVE_FI, _PILLS_FI, gap=2),
    phrase("fi:ostin köyden", r"ostanu\w*|ostin|ostanut|hankin|hankkinut|hankkinu|ostan",
           r"köyden|köyttä|hirttoköyden|köysiä", gap=1,
           not_after=r"\w*(vene|pyyk|kiipei|telt|koira|talut|muut|ajoneuv|auto|perä|piha|"
                     r"keinu|leikki|purje)\w*"),
    phrase("fi:lääkkeitä säästössä", _PILLS_FI, r"säästössä|säästöön|piilossa|sivuun|kätkössä",
           gap=1),
    phrase("fi:köysi valmiina", r"köysi|köyden|köyttä|silmukka|silmukan",
           r"valmiina|valmis|valmiiks|valmiiksi|viritetty|viritettynä|kiinni\s?katossa", gap=3),
    phrase("fi:hirttoköysi", r"hirtto\w*"),
    phrase("fi:ajan rekan eteen", r"ajaa|ajan|ajaisin|ajamaan|ajais|ajaisi",
           r"rekan|junan|auton|bussin|kuorma-auton|kuormurin|rekkojen|junien", r"eteen|alle",
           gaps=(2, 0)),
    phrase("fi:ajan päin rekkaa", r"ajaa|ajan|ajaisin|ajamaan|ajais|ajaisi", r"päin",
           r"rekkaa|puuta|seinää|kalliota|siltaa|betoniseinää|kaidetta|vastaantulevaa|junaa|"
           r"rekkoja|bussia", gaps=(3, 1)),
    phrase("fi:hyppään sillalta", _JUMP_FI, r"sillalta|parvekkeelta|katolta|ikkunasta|"
           r"kalliolta|tornista|kerroksesta|sillalt|katolt|ikkunasta", gap=3),
    phrase("fi:sillalta hyppään", r"sillalta|sillan|parvekkeelta|parvekkeen|katolta|katon|"
           r"ikkunasta|kalliolta|tornista|kerroksesta", _JUMP_FI, gap=4),
    phrase("fi:radalle odottamaan junaa", r"radalle|raiteille|kiskoille|junaradalle|"
           r"ratapihalle|radal", r"junaa|junan|oottele\w*|odottele\w*|odottamaan|"
           r"makaamaan|makaan|ootteleen|ootteen", gap=3),
    # Finality, "lopettaa kaiken": not the past ("lopetin kaiken juomisen"), not with what is
    # given up after it ("haluan lopettaa kaiken alkoholin käytön").
    phrase("fi:lopetan kaiken", _ENDING_FI, r"kaiken|kaike", gap=2, not_after=_GIVEN_UP_FI),
    phrase("fi:teen lopun kaikesta", r"lopun|loppu", r"kaikesta|itsestäni|elämästäni|"
           r"minusta|tästä\s?kaikesta", gap=2),
    phrase("fi:lopetan koko elämän", _ENDING_FI, r"koko", r"elämä\w*"),
    phrase("fi:lopetan tämän kaiken", _ENDING_FI, r"tää|tämä|nää|nämä|tätä", r"kaikki",
           gaps=(1, 0)),
    phrase("fi:ei mitään syytä jatkaa", r"enää|mitään|mitää", r"syytä|syyt|järkeä|järkee|"
           r"pointtia|tarkoitusta", r"jatkaa|elää|yrittää|olla|taistella", gaps=(1, 0)),
    phrase("fi:nukkua ikuisesti", r"nukkua|nukahtaa|nukkuisin|nukahtaisin|nukahdan|nukun|"
           r"nukkumaan", r"ikuisesti|pysyvästi|ikiajoiksi|ikuiseen|lopullisesti|ikuisiksi",
           gap=1),
    # "Sleeping away" wished for (a common way to say dying without the word): the wish
    # first and "pois" right after the verb, so that sleeping off a hangover ("nukkua
    # krapula pois", "nukun väsymyksen pois") stays out.
    phrase("fi:haluan nukkua pois", r"halu\w*|haluis\w*|toivo\w*|toivois\w*|voisinpa|kunpa",
           r"nukkua|nukahtaa|nukkumaan|nukahtamaan", r"pois", gaps=(2, 0),
           not_after=r"tämä|tämän|tätä|tää|tän|tuo|tuon|tuota|se|sen|sitä|ne|nää|"
           r"krapula\w*|flunssa\w*|väsymy\w*|päänsär\w*|kiukku\w*|vihai\w*|huolet|huolia|"
           r"murheet|stressi\w*"),
    phrase("fi:lakata olemasta", r"lakata|lakkaan|lakkaisin|lakkaamaan", r"olemasta|elämästä"),
    phrase("fi:hyvästi kaikki", r"hyvästi|hyvästit|jäähyväiset",
           r"kaikki|kaikille|te|teille|maailma|rakkaat|ystävät|kaverit|ryhmä|kaikki\w*",
           not_before=r"sano|sanoin|sanon|sanoa|sanotaan|heitin|jätin|heitetään|jätetään"),
    phrase("fi:kiitos kaikille ja hyvästi", r"kiitos|kiitti|kiitokset", r"hyvästi", gap=3),
    # Written, "my last message": the possessive only ("luin viimeisen viestin" is reading).
    phrase("fi:kirjoitin viimeisen viestini", r"viimeisen|viimesen|viimeistä|viimestä",
           r"viestini|viestiäni|kirjeeni|kirjettäni|postaukseni|kirjoitukseni",
           not_after=r"jälkeen|jälkee|perään|mukaan|myötä"),
    phrase("fi:viimeinen viestini", r"viimeinen|viimenen|viimonen|viimeiseksi",
           r"viesti\w*|postaus\w*|kirjoitus\w*",
           not_after=r"tänään|täksi|tälle|illalle|illaksi|tältä|ennen|tässä|ryhmässä|"
                     r"tänä|tältä|tähän"),
    phrase("fi:en ole enää huomenna", r"en", r"oo|ole|ois|olis|olisi", r"enää",
           r"huomenna|kohta|pian|olemassa|täällä|elossa|hengissä", gaps=(0, 1, 1)),
    phrase("fi:mua ei kohta enää ole", r"mua|minua|musta|minusta", r"ei", r"enää",
           r"oo|ole|ois|olis|olisi", gaps=(1, 1, 0),
           not_after=r"\w+(nut|nyt|ttu|tty|nu|ny)"),
    # "En halua enää olla." said as a whole: what one no longer wants to be is not said
    # ("en halua enää olla hänen kanssaan" is about someone else), so the end of the message.
    phrase("fi:en halua enää olla", r"en|enkä", r"halu\w*|jaksa\w*|haluis\w*|viitsi",
           r"enää", r"olla|elää", gaps=(0, 1, 0), not_after=r"\w+"),
    phrase("fi:en halua enää olla täällä", r"en|enkä", r"halu\w*|jaksa\w*|haluis\w*",
           r"enää", r"olla|elää", r"täällä|tääl|elossa|hengissä|maailmassa",
           gaps=(0, 1, 0, 0),
           not_after=r"töissä|töis|duunissa|koulussa|ryhmässä|kaupungissa|kylässä|kotona|"
                     r"yksin|asumassa|kanssa|suhteessa|naimisissa|perheessä|tällä|tässä|"
                     r"osastolla|hoidossa|laitoksella|katkolla|kuntoutuksessa"),
    # Weighing a jump ("oon miettiny et hyppään"): not into water or a vehicle.
    phrase("fi:mietin että hyppään", r"mietin|mietiny|miettiny|miettinyt|mietiskelen|"
           r"ajattelen|ajatellu|ajatellut|harkitsen|harkinnut|harkinnu|suunnittelen",
           r"et|että|ett|jos|josko", _JUMP_FI, gaps=(2, 2),
           not_after=r"järveen|veteen|mereen|uimaan|mukaan|kyytiin|bussiin|junaan|autoon|"
                     r"laivaan|remmiin|sänkyyn|saunaan|avantoon|altaaseen|trampoliinille|"
                     r"hyppyyn|laskuvarjo\w*|benji\w*|lavalle|rooliin|projektiin|ryhmään|"
                     r"porukkaan|juttuun|kelkkaan"),
    phrase("fi:hyvästikirje", r"hyvästi\w*kirje\w*|jäähyväiskirje\w*|itsemurhaviesti\w*|"
           r"itsemurhakirje\w*|jäähyväisviesti\w*|hyvästelykirje\w*|hyvästelyviesti\w*"),
    # Wishing to be dead, in other words.
    phrase("fi:olisi parempi kuolla", r"parempi|helpompi|helpompaa|parasta|paras|helpointa|"
           r"parempaa|ois|olis|olisi", r"kuolisin|kuolla|kuolen|kuollut|kuollu|kuolisinkin",
           gap=3, not_after=_NOT_IDIOM_FI),
    phrase("fi:kuolisin", r"kuolisin|kuolisinpa|kuolisinkin", not_after=_NOT_IDIOM_FI,
           not_before=r"melkein|lähes|ihan|en|jos|kun"),
    phrase("fi:kuolema ainoa ratkaisu", r"kuolema|kuoleminen|itsemurha",
           r"ainoa\w*|ratkaisu\w*|helpotu\w*|vapautu\w*|pelasta\w*|houkut\w*|kiehto\w*|"
           r"kutsu\w*|vaihtoehto\w*", gap=2),
    phrase("fi:nukahtaa heräämättä", r"halu\w*|toivo\w*|kumpa|kunpa|voisinpa|haluis\w*",
           r"heräämättä|herää(mät|mä)tä", gap=4),
    phrase("fi:en halua olla olemassa", r"en|enkä", r"halu\w*|jaksa\w*|haluis\w*|viitsi",
           r"olla|ois|olis", r"olemassa", gaps=(0, 1, 0)),
    phrase("fi:etten olisi olemassa", r"etten|ettei|jos|kunpa|kumpa", r"en|ois|olis|olisi",
           r"olemassa", gaps=(1, 1)),
    phrase("fi:kunpa en heräisi", r"kumpa|kunpa|toivon|toivoisin|toivois|voisinpa",
           r"en|etten", r"heräis\w*|heräisi|herää|heräisikään", gaps=(2, 1)),
    phrase("fi:ei elämisen arvoista", r"ei|eikä", r"elämisen", r"arvo\w*", gaps=(1, 0)),
)

_PILLS_SV = (r"\w*tablett\w*|\w*piller|\w*pillren|\w*pillret|\w*medicin\w*|sömnmedel\w*|"
             r"tabbar|tabbarna|insulin\w*|paracetamol\w*|alvedon\w*|citodon\w*|oxy\w*|"
             r"benso|bensos|imovane|propavan\w*|stesolid\w*|theralen\w*|tramadol\w*")
_TAKE_SV = r"ta|tar|tog|svälja|sväljer|svalde|äta|äter|åt|knapra|käka|käkar|trycka|trycker"
_ROUTINE_SV = (r"som|enligt|varje|efter|vanligt|utskrivet|morgon|morgonen|kvällen|idag|"
               r"ordination|ordinerat|recept")
_MODAL_SV = (r"tänker|ska|skall|vill|kommer|funderar|planerar|måste|skulle|jag|ja|tänkte|"
             r"kunde|orkar")

MEANS_SV = (
    phrase("sv:ta alla tabletter", _TAKE_SV, r"alla|hela|allt", _PILLS_SV, gaps=(2, 2),
           not_after=_ROUTINE_SV, not_before=r"du|ni|glöm|kom|glömde|inte"),
    phrase("sv:ta hela burken", _TAKE_SV, r"hela", r"burken|kartan|förpackningen|paketet|"
           r"asken|burk|karta|dosetten", gaps=(1, 0)),
    phrase("sv:sparat tabletter", r"sparat|sparar|samlat|samlar|gömt|gömmer|hamstrat|"
           r"hamstrar|sparade|samlade|hamstrade|gömde|lagt|lägger", _PILLS_SV, gap=3),
    phrase("sv:repet ligger redo", r"repet|snaran|rep|snara", r"redan|redo|klar\w*|fixa\w*|"
           r"uppsatt|uppe|köpt|uppknutet|fastknutet|uppknuten", gap=3),
    phrase("sv:hoppa från bron", _MODAL_SV, r"hoppa|hoppar|kasta", r"från|framför|ner|ut|av",
           r"bron|bro|taket|balkongen|tåget|fönstret|stupet|tunnelbanan|tak|höghuset|"
           r"klippan|tunnelbanetåget|bilen|lastbilen", gaps=(1, 0, 1)),
    phrase("sv:köra in i en lastbil", r"köra|kör|krocka|krockar|styra|styr|svänga|svänger",
           r"in|rakt|ut", r"lastbil\w*|bergvägg\w*|träd\w*|vägg\w*|tåg\w*|pelare\w*|"
           r"mötande|bro\w*|vatten|sjön|havet|älven|betong\w*", gaps=(0, 2)),
    phrase("sv:avsluta allt", r"avsluta|avslutar|avslutta", r"allt|alltihop|alltihopa|livet",
           gap=1,
           not_after=r"jobb|jobbet|arbete|arbetet|pappersarbete|som|med|innan|på|i|annat|"
                     r"\w+arbete|\w+jobbet|\w+jobb|möten|mötet|samtal|samtalet|kurs\w*|"
                     r"projekt\w*|för"),
    phrase("sv:göra slut på allt", r"gör|göra|gjort|gjorde", r"slut", r"på",
           r"allt|mig|mitt|livet|alltihop|mej|alltihopa", gaps=(1, 0, 0)),
    phrase("sv:mitt sista meddelande", r"mitt|mina", r"sista", r"meddelande|inlägg|ord",
           not_after=r"idag|ikväll|för|här|i|innan|på|till"),
    phrase("sv:farväl", r"farväl",
           not_after=r"till|åt|spriten|alkoholen|drogerna|knarket|cigaretterna|vinet|ölen|"
                     r"festandet",
           not_before=r"säga|säger|sa|tog|ta|tar|ett|sagt|tagit|säg"),
    phrase("sv:allt ska ta slut", r"allt|alltihop", r"ta|tar", r"slut", gaps=(2, 0)),
    phrase("sv:finns inte mer", r"finns", r"jag", r"inte", r"mer|längre|kvar"),
    phrase("sv:finns inte mer", r"jag", r"finns", r"inte", r"mer|längre|kvar"),
    phrase("sv:avskedsbrev", r"avskedsbrev\w*|självmordsbrev\w*|avskedsmeddelande\w*"),
    phrase("sv:vill inte vara med längre", r"vill|orkar|ville|orka", r"inte", r"vara",
           r"med", r"längre|mer", gaps=(1, 0, 0, 0)),
    phrase("sv:önskar att jag var död", r"önskar|önskade|vill", r"jag", r"var|vore|va",
           r"död|borta", gaps=(1, 0, 0)),
    phrase("sv:bättre om jag dog", r"bäst|bättre|lättare|enklast", r"om", r"jag",
           r"dog|dör|försvann|borta|död|fanns", gaps=(2, 0, 1)),
    phrase("sv:försvinna för alltid", r"försvinna|försvann|försvinner", r"för",
           r"alltid|gott"),
    phrase("sv:sova för alltid", r"sova|somna|somnar|sover", r"för", r"alltid|gott|evigt"),
    phrase("sv:aldrig vakna", r"vill|önskar|somna|sova|hoppas|ville", r"aldrig",
           r"vakna|vaknar", gaps=(3, 0)),
    phrase("sv:skär mig i armarna", r"skurit|skar|skär|skära|skuren", r"mig|mej|sig", r"i|på",
           r"armarna|armen|handleden|handlederna|låren|benen|magen|huden|armar|lår|"
           r"handlederna", gaps=(0, 0, 1)),
    phrase("sv:skär mig igen", r"skurit|skär|skära", r"mig|mej|sig", r"igen|djupt"),
    phrase("sv:bränner mig", r"bränner|bränt|brände|bränna", r"mig|mej", r"med|på",
           r"cigarett\w*|tändare\w*|strykjärn\w*|cigg\w*", gaps=(0, 0, 1)),
    phrase("sv:vill skada mig", r"vill|ska|tänker|måste|kommer|behöver", r"skada|skadar",
           r"mig|mej", gaps=(1, 0)),
)

_PILLS_EN = (r"pill|pills|tablet|tablets|meds|medication|medications|medicine|"
             r"antidepressant|antidepressants|painkiller|painkillers|paracetamol|tylenol|"
             r"acetaminophen|ibuprofen|aspirin|oxy|oxys|opioid|opioids|benzo|benzos|xanax|"
             r"insulin|lithium|seroquel|prescription|prescriptions|sleeping|sleepingpills|"
             r"codeine|tramadol|valium|zopiclone|paracetamols")
_TAKE_EN = (r"take|taking|took|swallow|swallowing|swallowed|down|downing|downed|pop|popping|"
            r"popped|eat|eating|chug|chugging|neck|necking|gulp|od|overdose")
_ROUTINE_EN = (r"like|as|prescribed|properly|correctly|regularly|daily|each|every|this|"
               r"before|after|today|yesterday|morning|routine|usual|with|on|already")
_PLAN_EN = (r"going|gonna|want|wanna|will|ll|ready|just|about|plan|planning|decided|time|"
            r"tonight|today|tomorrow|gotta|finally|im")

MEANS_EN = (
    phrase("en:take all my pills", _TAKE_EN, r"all|every|everything", _PILLS_EN, gaps=(1, 2),
           not_after=_ROUTINE_EN,
           not_before=r"you|u|did|have|has|should|please|pls|dont|didnt|can|could|would",
           not_within=r"remember|remembered|forgot|forget|need|needs|have|has|should|must|"
                      r"supposed|remind|reminded|told|tell|did|you|u", within=3),
    phrase("en:the whole bottle", _TAKE_EN, r"whole|entire|full", r"bottle|pack|packet|box|"
           r"blister|strip|jar|tub|month", r"of|s", _PILLS_EN, gaps=(1, 0, 2, 1)),
    phrase("en:saving up pills", r"saving|saved|save|stockpiling|stockpiled|stockpile|"
           r"hoarding|hoarded|hoard|stashing|stashed|squirrelling|squirreling|squirrelled",
           _PILLS_EN, gap=3),
    phrase("en:pills saved", _PILLS_EN, r"saved|stashed|stockpiled|hoarded|put", gap=1),
    phrase("en:pills to do it", r"enough", _PILLS_EN, r"to", r"do|end|finish", r"it",
           gaps=(1, 1, 0, 0)),
    phrase("en:rope ready", r"rope|noose|blade|razor|gun|pills", r"ready|prepared|tied|"
           r"loaded|waiting", gap=2, not_after=r"for|to"),
    phrase("en:noose", r"noose|nooses"),
    phrase("en:drive into the river", r"drive|driving|crash|crashing|steer|steering|swerve|"
           r"swerving|ram", r"into|off", r"river|lake|wall|tree|truck|lorry|bridge|cliff|"
           r"oncoming|traffic|sea|ocean|pole|train|quarry", gaps=(2, 2)),
    phrase("en:how many pills it takes", r"how", r"many|much", _PILLS_EN + r"|mg", r"it",
           r"takes|take", gaps=(0, 0, 2, 0)),
    phrase("en:how many pills to die", r"how", r"many|much", _PILLS_EN + r"|mg",
           r"lethal|fatal|kill|die|od|overdose|enough", gaps=(0, 0, 4)),
    phrase("en:lethal dose", r"lethal|fatal|deadly", r"dose|doses|amount|overdose|od"),
    phrase("en:going to od", _PLAN_EN + r"|i|to|might", r"od|overdose|overdosing", gap=1),
    phrase("en:end it tonight", _PLAN_EN + r"|to", r"end", r"it", gaps=(2, 0),
           not_after=r"here|there|with|for|early|now|between|today|at|after|on|by|off|"
                     r"already|soon|politely"),
    phrase("en:end everything", r"end|ending", r"everything",
           not_after=r"on|with|in|at|for|that|i|we|between|ive|we"),
    phrase("en:my last message", r"my", r"last|final", r"message|post|words|goodbye",
           not_after=r"tonight|today|for|before|here|in|of|on|at|till|until|about"),
    phrase("en:goodbye forever", r"goodbye|bye|farewell", r"forever|cruel|world"),
    phrase("en:wont be here tomorrow", r"wont|not", r"be", r"here|around|alive",
           r"tomorrow|anymore|longer|by", gaps=(0, 0, 1)),
    # "I can't go on" as a whole, or going on with living: not "go on holiday/the trip".
    phrase("en:cant go on", r"cant|cannot", r"go|carry|keep", r"on|going", not_after=r"\w+"),
    phrase("en:cant go on anymore", r"cant|cannot", r"go|carry|keep", r"on|going",
           r"anymore|living|any|much"),
    # "Today is my last day." said as a whole: not the last day of a job, a course, a stay.
    phrase("en:today is my last day", r"this|today|tonight", r"is|will|s",
           r"my", r"last", r"day|night", gaps=(0, 1, 0, 0), not_after=r"\w+"),
    phrase("en:done with everything", r"done", r"with", r"everything|life|living",
           not_after=r"on|in|for|at|that|i|id|to|from|today|this|there|and|but"),
    phrase("en:make it all stop", r"want|wish|need|make|let", r"it", r"all", r"to|stop|end",
           gaps=(0, 0, 0)),
    phrase("en:goodbye letters", r"goodbye|farewell|suicide", r"letter\w*|note\w*"),
    phrase("en:check out for good", r"check|checking|clock|clocking", r"out",
           r"for|permanently|forever", r"good|ever|keeps", gaps=(0, 0, 0)),
    phrase("en:dont want to be here anymore", r"dont|not|never", r"want|wanna", r"be",
           r"here|around|alive|living|existing", r"anymore|more|now", gaps=(0, 1, 0, 1)),
    phrase("en:disappear forever", r"disappear\w*|vanish\w*", r"forever|permanently"),
    phrase("en:disappear forever", r"disappear\w*|vanish\w*", r"for", r"good|ever"),
    phrase("en:sleep forever", r"sleep|sleeping", r"forever|permanently"),
    phrase("en:stop existing", r"want|wanna|wish|going|gonna|just|need|ready|could",
           r"stop|quit|cease", r"existing|living|being", gaps=(2, 0),
           not_after=r"like|in|with|this|that|here|on|off|at|for|so|a|the|my|beyond|paycheck|"
                     r"afraid|scared|ashamed|sad|angry|anxious|stressed|worried|nice|mean"),
    phrase("en:better if i was gone", r"better|easier|happier", r"if", r"i",
           r"was|were|wasnt|werent", r"gone|dead|around|here|born|alive", gaps=(2, 0, 0, 1)),
    phrase("en:better if i died", r"better|easier|happier", r"if", r"i",
           r"died|disappeared|never|vanished", gaps=(2, 0, 0)),
    phrase("en:never wake up", r"want|wish|wanna|hope|pray|sleep|sleeping", r"never",
           r"wake", gaps=(4, 0)),
    phrase("en:rather be dead", r"rather", r"be", r"dead|gone"),
    phrase("en:point of living", r"point|reason", r"of|in|to", r"living|life|live|existing",
           not_after=r"in|with|here|there|near|like|together|alone|at|on|abroad|a|an|the|"
                     r"healthy|well|sober|simply|without|clean|for|if"),
    phrase("en:no reason to keep living", r"no|any|zero", r"reason", r"to",
           r"keep|go|carry", r"living|on|going", gaps=(0, 2, 0, 0),
           not_after=r"to|with|at|in"),
    phrase("en:burned myself", r"burn\w*|burnt", _SELF_EN,
           not_after=r"on|cooking|while|with|making|baking|accidentally|in|at|out"),
    phrase("en:cutting again", r"been|started|keep|kept|im|i|start", r"cutting|cut",
           r"again|lately|deeper|deep"),
    phrase("en:sh relapse", r"sh|selfharm", r"relapse\w*"),
    phrase("en:cut deep", r"cut|cutting", r"deep|deeper|too", not_before=r"a|the|this"),
)


FINNISH = (
    _p("fi:itsemurha", r"itsemurh\w*", not_before=r"tee|tehkää"),
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
    # Hoping not to wake up at all, not in time ("jos en herää ajoissa").
    _p("fi:kunpa en heräisi", r"jos|kunpa|kumpa|toivottavasti|toivon", r"en",
       r"heräis\w*|herää|heräiskään|heräisikään", gaps=(1, 0),
       not_after=r"ajoissa|aikaisin|aamulla|liian|ennen|kello\w*|klo|herätys\w*|yöllä|"
       r"huomenna|heti|siihen|tähän|vaikka"),
    _p("fi:elämä ei kanna", r"elämä\w*", r"ei", r"kanna\w*", gaps=(1, 0)),
    _p("fi:ei syytä elää", r"syytä|syyt|järkeä|järkee|pointtia", r"elää"),
    _p("fi:pois tästä elämästä", r"pois", r"elämästä", gap=1),
    _p("fi:parempi ilman minua", r"parempi|paremmin|helpompi|helpompaa|helpommin", r"ilman",
       r"minua|mua", gaps=(0, 0)),
    _p("fi:käski tappaa itteni", r"käski|käskee|käskivät|sanoi|sano|sanoivat|sanottiin|"
       r"käskettiin|kirjoitti|kirjotti|kirjoitettiin", r"tapa|tappaa|tappamaan|hirttää|"
       r"hirttäydy|hirttäytymään", r"it(se|te)(s|si|ni|nsä)|ittes|ittees", gaps=(3, 0)),
    _p("fi:otin liikaa", r"otin|ottanut|ottanu|ottaa|vedin|vetänyt|vetäny|käytin|käyttänyt|"
       r"nappasin|popsin", r"liikaa|överit|överiä|yliannostuksen", gap=1,
       not_after=r"aikaa|rahaa|vastuuta|töitä|kahvia|sokeria|suolaa|ruokaa|kuvia|paineita|"
       r"herkkuja|karkkia|pullaa|aurinkoa|lomaa|stressiä|velkaa|lainaa|kurssej\w*|tilaa"),
    _p("fi:en jaksa tätä elämää", r"en|enkä", r"jaksa\w*|kestä\w*", r"tätä|tällaista|enää",
       r"elämää", gaps=(1, 0, 1)),
    _p("fi:parempi olla olematta", r"parempi|parempaa|helpompi|haluan|haluun|haluaisin|"
       r"haluisin", r"olla", r"olematta", gaps=(2, 0)),
    _p("fi:etten olisi syntynyt", r"etten|enkä|en", r"olisi|olis|ois|olisin", r"syntynyt|"
       r"syntyny|syntyneenä", gaps=(0, 1)),
    _p("fi:olen taakka kaikille", r"olen|oon|olin|tunnen|tunnun|koen|olevani",
       r"taakk\w*|rasit\w*", r"kaikille|läheisilleni|perheelleni|muille|kaikkien|"
       r"läheisteni|perheeni", gaps=(2, 0), not_after=r"\w+(ille|jille|jen|ien)"),
    # Conditional only: the present "kukaan ei kaipaa minua" is loneliness, not an absence.
    _p("fi:kukaan ei kaipaisi minua", r"kukaan|kenkään", r"ei",
       r"kaipais\w*|ikävöis\w*|suris\w*", r"minua|mua|minuu|meikää", gaps=(0, 1, 1)),
    _p("fi:ei kukaan kaipaisi minua", r"ei", r"kukaan|kenkään",
       r"kaipais\w*|ikävöis\w*|suris\w*", r"minua|mua|minuu|meikää", gaps=(0, 1, 1)),
    _p("fi:kukaan ei jäisi kaipaamaan", r"kukaan|kenkään", r"ei", r"jäis\w*",
       r"kaipaamaan|ikävöimään|suremaan", gaps=(0, 1, 1)),
    # Nobody would care if I died: the writer's own absence, never someone else's ("sua").
    _p("fi:kukaan ei välittäisi jos kuolisin", r"kukaan|ketään|kenenkään|kenkään", r"ei|eis",
       r"välittäis\w*|huomais\w*|kaipais\w*|kiinnostais\w*|suris\w*|ikävöis\w*",
       r"jos|vaikka|kun", r"kuolisin|kuolis|kuolen|katoaisin|katoisin|katoan|tappaisin",
       gaps=(0, 1, 0, 2)),
    # Not "hävitä" (also: to lose a game), and not for a while ("kadota hetkeksi").
    _p("fi:kadota lopullisesti", r"kadota|katoaisin|katoan|katoamaan|kadotakseni",
       r"pysyvästi|lopullisesti|ikuisesti|ikiajoiksi", gap=1),
    # Not "mee viiltelee" (go and cut: said to someone, see harm.py).
    _p("fi:viiltelen", r"viiltel\w*|viiltely\w*|viillel\w*", not_before=r"mee|mene|menkää|mees"),
    _p("fi:viillän ranteet", r"vii(l|ll|lt)\w*", r"rante\w*", gap=1),
    _p("fi:viillän itseäni", r"vii(l|ll|lt)\w*", _SELF_FI_PARTITIVE, gap=1),
    _p("fi:satutan itseäni", r"satut\w*|vahingoit\w*|vahingoita\w*|polt(an|in|taa|ella|ellut)|"
       r"lyön|löin|lyödä|hakkaan|hakkasin|raavin|raavi(n|mme)|raavitaan|raapi\w*",
       _SELF_FI_PARTITIVE, gap=2),
    # Not the imperative "hirttäydy", which is said to someone (harm.py).
    _p("fi:hirttäytyä", r"hirttäy(?!dy$|tykää$)\w*|hirttäyd(?!y$)\w*"),
    _p("fi:hirtän itseni", r"hirt\w*", _SELF_FI, gap=1),
    # First person and infinitive only: "hyppää junan alle" is said to someone (harm.py).
    _p("fi:junan alle", _JUMP_FI + r"|menen|meen|mennä|menisin|menin|mennään",
       r"junan|auton|rekan|metron", r"alle|eteen",
       gaps=(2, 0)),
    _p("fi:päättää elämäni", r"lopet\w*|päät(tää|än|täisin|ä)", r"elämä(ni|nsä|än)"),
)

SWEDISH = (
    _p("sv:självmord", r"självmord\w*"),
    _p("sv:självskada", r"självskad\w*"),
    # "värmen tar livet av mig" (this heat is killing me) is an idiom: present and past only
    # after a subject that can be the writer.
    _p("sv:ta livet av mig", r"tar|tog", r"livet", r"av", r"mig|mej", gaps=(1, 0, 0),
       not_before=r"(?!(sen|igen|än|sedan|hen)$)(den|det|detta|här|\w{2,}(en|et|na|erna|arna|orna))"),
    _p("sv:ta livet av mig", r"ta|tagit|tänker", r"livet", r"av", r"mig|mej|sig",
       gaps=(1, 0, 0)),
    _p("sv:ta mitt liv", r"ta|tar|tog", r"mitt", r"liv|eget", gaps=(0, 1)),
    _p("sv:vill dö", r"vill|ville|vilja|önskar", r"dö", gap=1, negatable=True, glue=True,
       not_after=r"av|för"),
    _p("sv:vill inte leva", r"vill|ville|orkar|orka|orkade", r"inte", r"leva|finnas|existera|vakna",
       gaps=(1, 1)),
    _p("sv:sluta leva", r"sluta", r"leva"),
    _p("sv:inte värt att leva", r"inte", r"värt", r"att", r"leva", gaps=(1, 0, 0)),
    _p("sv:skada mig själv", r"skad\w*", _ME_SV, r"själv"),
    # Someone close, now (a relative writing): the present only ("skadade sig själv när han
    # föll" is an accident).
    _p("sv:skadar sig själv", r"skadar", r"sig", r"själv"),
    # Strict: "skär" (I cut, present) and never "skar" (cut, past: "skar mig i fingret").
    _p("sv:skär mig", r"skär|skära", _ME_SV, strict=(0,), not_after=r"i|på"),
    _p("sv:hänga mig", r"hänga|hänger|hängt", r"mig|mej|sig"),
    _p("sv:döda mig själv", r"döda|dödar", _ME_SV, r"själv"),
    _p("sv:bättre utan mig", r"bättre", r"utan", _ME_SV, gaps=(1, 0)),
    _p("sv:ingen mening med att leva", r"ingen", r"mening|id[ée]|poäng", r"med|i|att",
       r"livet|leva", gaps=(0, 0, 1)),
    _p("sv:bryr mig inte om jag dör", r"bryr|bryter", r"mig|mej", r"inte", r"om|ifall",
       r"jag|det", r"dör|dog|död|dödar", gaps=(0, 0, 0, 0, 1)),
    _p("sv:tagit för mycket", r"tog|tagit|använt|använde|knaprat|knaprade", r"för",
       r"mycket|många", not_after=r"tid|pengar|kaffe|socker|salt|mat|ansvar|bilder|plats|sol|"
       r"semester|lån|stress|kurser|av|på|med|till"),
    _p("sv:aldrig hade fötts", r"aldrig", r"hade|ha|blivit", r"fötts|född", gaps=(1, 0)),
    _p("sv:hoppas att jag dör", r"hoppas|ber", r"jag", r"dör|dog", gaps=(1,),
       not_after=r"av|för|skratt"),
    _p("sv:hoppas att jag inte vaknar", r"hoppas|ber", r"jag", r"inte|aldrig", r"vaknar|vakna",
       gaps=(1, 0, 0)),
    _p("sv:jag är en börda", r"är|känner|blivit|var", r"börda|belastning", r"för",
       r"alla|min|mina|andra", gaps=(3, 0, 0), negatable=True),
    _p("sv:jag är bara en börda", r"jag", r"är|blivit|känner", r"bara|enbart|endast|ju",
       r"en", r"börda|belastning", gaps=(0, 1, 0, 0), negatable=True),
    _p("sv:ingen skulle bry sig om jag dog", r"ingen", r"om|ifall|när", r"jag",
       r"dog|dör|döde|dött|död|försvann|försvinner|försvinna", gaps=(3, 0, 2)),
    _p("sv:ingen skulle sakna mig", r"ingen", r"skulle|kommer|ska", r"sakna|saknar|sörja",
       _ME_SV, gaps=(0, 2, 0)),
)

ENGLISH = (
    _p("en:suicide", r"suicid\w*", not_after=r"squads?"),
    _p("en:kill myself", r"kill\w*|kil", _SELF_EN, gap=1),
    _p("en:kill my self", r"kill\w*", r"my", r"self"),
    _p("en:unalive", r"unaliv\w*"),
    _p("en:kms", r"kms", not_before=r"\d+"),
    _p("en:want to die", r"want|wanted|wanting|wish|ready|going", r"to", r"die|diee",
       not_after=r"laughing|of|for|from|on|in|with", not_before=r"dont|not|never|didnt"),
    _p("en:wanna die", r"wanna|gonna", r"die|diee", not_after=r"laughing|of|for|from|on|in|with",
       not_before=r"dont|not|never|didnt"),
    _p("en:wish i was dead", r"wish", r"i", r"was|were", r"dead"),
    # "kys" of oneself, or told to the writer: also harm (harm.py), so the message is held
    # with both alerts, and the writer gets the crisis lines instead of a bare refusal.
    _p("en:gonna kys", r"gonna|wanna|finna|imma|ima", r"kys"),
    _p("en:going to kys", r"going|about|ready|want|wanted|need|planning|plan", r"to", r"kys"),
    _p("en:told me to kys", r"told|tells|telling|said|says|wrote|writes|kept|keeps", r"me|i",
       r"to|should", r"kys", gaps=(0, 0, 1)),
    _p("en:never been born", r"never|not", r"been", r"born", not_after=r"in|on|at|yet|when|again|"
       r"before|into"),
    # Wished, of oneself ("I wish I was never born"); not "he was never born in Finland".
    _p("en:wish i was never born", r"wish|wished|wishing", r"i|id", r"was|were|had", r"never",
       r"born", gaps=(0, 0, 0, 0)),
    _p("en:tired of living", r"tired|sick|exhausted", r"of|with", r"living|existing|life",
       not_after=r"in|on|at|with|like|this|here|there|alone|paycheck|pay"),
    _p("en:tired of being alive", r"tired|sick|exhausted", r"of", r"being", r"alive"),
    _p("en:want everything to end", r"want|wish|need|wanting", r"everything|life", r"to",
       r"end|stop"),
    _p("en:hope i dont wake up", r"hope|hoping|pray|praying", r"i", r"dont|never|wont",
       r"wake", gaps=(1, 0, 0)),
    _p("en:hope i die", r"hope|hoping|pray|praying", r"i", r"die", gaps=(1,),
       not_after=r"laughing|of|for|from|on|with|trying|doing|happy|old|rich|first|before|at"),
    _p("en:dont care if i die", r"dont|not|never|wouldnt", r"care", r"if|whether", r"i|it",
       r"die|died|dead|kills|killed|kill|live", gaps=(1, 0, 0, 1)),
    # An overdose now (a medical emergency as much as a crisis): not time, money, food...
    # Not "too much time", "too much salt", "too much of my day".
    _p("en:took too much", r"took|taken|used", r"too", r"much|many",
       not_after=_NOT_TAKEN_EN),
    _p("en:wants to die", r"wants|wanted|keeps|says|said", r"to", r"die|kill",
       gaps=(1, 0), not_after=r"laughing|of|for|from|on|in|with|time|off|it|the|a|his|her|my"),
    # Being a burden, said of oneself now ("I don't want to be a burden when I'm old" is not).
    _p("en:i am a burden", r"im|am|feel|felt|being|been", r"burden", r"to|on|for",
       r"everyone|everybody|my|all|the", gaps=(3, 0, 0), negatable=True,
       not_after=r"tax\w*|bill\w*|company|team|project"),
    _p("en:just a burden", r"im|i|am", r"just|only|nothing|such", r"a|but|more", r"burden",
       gaps=(1, 0, 1), negatable=True),
    _p("en:end it all", r"end|ending|ended", r"it", r"all"),
    # Meaning to end "things" or "everything", not a relationship ("with him"), a meeting
    # ("early", "here") or a subscription.
    _p("en:going to end things", r"plan|planning|going|gonna|want|wanna|ready|decided|need",
       r"to", r"end", r"things|everything", gaps=(1, 0, 0),
       not_after=r"with|between|off|on|at|for|here|there|early|properly|nicely|well"),
    _p("en:end my life", r"end|ending|ended|take|taking|took", r"my|own", r"life",
       gaps=(1, 1), not_after=r"back|in|into|over|seriously"),
    _p("en:self harm", r"self", r"harm\w*"),
    _p("en:selfharm", r"selfharm\w*"),
    _p("en:harm myself", r"harm\w*|hurt|hurting|hurts", _SELF_EN, gap=1),
    # Someone close, now (a relative writing): the present only ("cut himself shaving").
    _p("en:cuts herself", r"cuts|cutting|harms|harming", r"herself|himself|themselves|themself",
       not_after=r"shaving|cooking|accidentally|chopping|while|on|with|by|playing|a|an|some|"
       r"the|another|off|out|free|loose"),
    _p("en:cut myself", r"cut|cutting|cuts", _SELF_EN, gap=1,
       not_after=r"shaving|cooking|accidentally|chopping|while"),
    _p("en:pills on purpose", r"overdos\w*|pills|tablets|meds", r"on", r"purpose", gaps=(2, 0)),
    _p("en:better off dead", r"better", r"off", r"dead"),
    _p("en:better off without me", r"better", r"off", r"without", r"me"),
    _p("en:nobody would miss me", r"nobody|noone|nobodys|nobodyd", r"would|will|wd|gonna|d|s",
       r"miss|mourn", r"me", gaps=(0, 2, 0)),
    _p("en:nobody would miss me", r"nobody|noone|nobodys|nobodyd", r"miss|mourn", r"me",
       gaps=(2, 0)),
    _p("en:no one would miss me", r"no", r"one|1", r"would|will|wd|gonna|d|s",
       r"miss|mourn", r"me", gaps=(0, 0, 2, 0)),
    _p("en:nobody would care if i died", r"nobody|noone|nobodys|nobodyd",
       r"would|will|wd|gonna|d|s", r"care|notice|miss|mind", r"if|when", r"i|im|id", _GONE_EN,
       gaps=(0, 1, 0, 0, 1)),
    _p("en:no one would care if i died", r"no", r"one|1", r"would|will|wd|gonna|d|s",
       r"care|notice|miss|mind", r"if|when", r"i|im|id", _GONE_EN, gaps=(0, 0, 1, 0, 0, 1)),
    _p("en:if i live or die", r"if|whether", r"i", r"live|lived", r"or", r"die|died"),
    _p("en:my last day alive", r"my", r"last", r"day|night|hours", r"alive"),
    _p("en:my last day on earth", r"my", r"last", r"day|night", r"on", r"earth",
       gaps=(0, 0, 0, 1)),
    _p("en:dont want to live", r"dont|not|never", r"want", r"to", r"live|exist",
       gaps=(1, 0, 0), not_after=r"in|with|here|there|near|like|together|alone|at|on|without"),
    _p("en:dont want to be alive", r"dont|not|never", r"want", r"to", r"be", r"alive",
       gaps=(1, 0, 0, 0)),
    _p("en:dont want to be alive", r"dont|not|never", r"wanna", r"be", r"alive", gaps=(1, 0, 0)),
    _p("en:dont want to wake up", r"dont|not|never", r"want", r"to", r"wake", gaps=(1, 0, 0)),
    _p("en:no reason to live", r"reason|point", r"to|in", r"live|living", gaps=(0, 0),
       not_after=r"in|with|here|there|near|like|together|alone|at|on"),
    _p("en:not worth living", r"not|isnt|aint|nt", r"worth", r"living", gaps=(1, 0)),
    _p("en:jump off a bridge", r"jump\w*", r"off|from", r"bridge|building|roof|balcony",
       not_before=r"go|just|pls|please|plz|should|gotta|u|you",
       gaps=(0, 2)),
    _p("en:in front of a train", r"front", r"of", r"train|bus|truck|lorry|car", gaps=(0, 1),
       not_after=r"station|stop"),
)

BASE: tuple[Phrase, ...] = (FINNISH + MEANS_FI + SWEDISH + MEANS_SV + ENGLISH + MEANS_EN)
# Every phrase of several words also spelled out and merged into one ("t a p a n i t t e n i").
PHRASES: tuple[Phrase, ...] = BASE + tuple(spelled(p) for p in BASE if len(p.parts) > 1)
