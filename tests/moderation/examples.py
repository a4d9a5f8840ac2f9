"""The labelled example set for the filters: Finnish, Swedish and English, with obfuscations.

Each filter has positive examples (it must fire) and negative ones (it must not), written
as the kind of thing people say in a peer-support chat. Abuse examples are here because
the blocklist must catch them; they are quoted, not meant. Every example must keep its
label: add a new one when a filter is tuned, never relabel one to make a test pass.

Obfuscations used: ZW = zero-width characters, HG = Cyrillic/Greek look-alikes,
SP = spaced or dotted letters, LEET = digits/symbols for letters, REP = repeated letters,
FW = full-width characters, NA = typed without å/ä/ö.
"""

from __future__ import annotations

from dataclasses import dataclass

ZW = "\u200b"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    lang: str  # fi, sv, en
    note: str = ""


# --- blocklist --------------------------------------------------------------------------

BLOCKLIST_POSITIVE = (
    Example("olet idiootti", "fi"),
    Example("sä oot ihan idiootti", "fi"),
    Example("Senkin idiootti.", "fi"),
    Example("olet täysi i d i o o t t i", "fi", "SP"),
    Example("olet ihan idi00tti", "fi", "LEET"),
    Example("tapa itsesi", "fi"),
    Example("mene tappamaan itsesi", "fi"),
    Example("toivottavasti kuolet", "fi"),
    Example("kuole pois", "fi"),
    Example("senkin kusipää", "fi"),
    Example("olet säälittävä", "fi"),
    Example("kukaan ei kaipaisi sinua", "fi"),
    Example("sä oot huora", "fi"),
    Example("n e e k e r i t", "fi", "SP"),
    Example("rуssät", "fi", "HG"),
    Example("hintit", "fi"),
    Example("t.a.p.a itsesi", "fi", "SP"),
    Example("olet idi" + ZW + "ootti", "fi", "ZW"),
    Example("din idiot", "sv"),
    Example("du är en idiot", "sv"),
    Example("du är en jävla idiot", "sv"),
    Example("du ar en idiot", "sv", "NA"),
    Example("din jävla hora", "sv"),
    Example("ta livet av dig", "sv"),
    Example("hoppas du dör", "sv"),
    Example("ingen skulle sakna dig", "sv"),
    Example("du är så äcklig", "sv"),
    Example("du är värdelös", "sv"),
    Example("svartskallar", "sv"),
    Example("h0ra", "sv", "LEET"),
    Example("din id" + ZW + "iot", "sv", "ZW"),
    Example("blattar ut", "sv"),
    Example("you idiot", "en"),
    Example("you're an idiot", "en"),
    Example("you are such a moron", "en"),
    Example("kill yourself", "en"),
    Example("k y s", "en", "SP"),
    Example("kys", "en"),
    Example("go die", "en"),
    Example("nobody would miss you", "en"),
    Example("you are pathetic", "en"),
    Example("you're disgusting", "en"),
    Example("shut up you loser", "en"),
    Example("f4gg0t", "en", "LEET"),
    Example("n1gger", "en", "LEET"),
    Example("retard", "en"),
    Example("you are an idiooooot", "en", "REP"),
    Example("ki11 yourself", "en", "LEET"),
    Example("kill urself", "en"),
    Example("you 1d10t", "en", "LEET"),
    Example("уou іdіot", "en", "HG"),
    Example("ｙｏｕ ｉｄｉｏｔ", "en", "FW"),
    Example("k.i.l.l yourself", "en", "SP"),
    Example("you id iot", "en", "SP"),
    Example("k i l l  y o u r s e l f", "en", "SP"),
    Example("ur an idiot", "en"),
    Example("sä oot ihan säälittävä", "fi"),
)

BLOCKLIST_NEGATIVE = (
    Example("olen ihan idiootti kun unohdin taas", "fi", "self-talk"),
    Example("vittu kun väsyttää", "fi", "swearing is not abuse"),
    Example("tapaan ystävän huomenna", "fi"),
    Example("tapa jolla puhuit auttoi minua", "fi"),
    Example("et ole idiootti, olet väsynyt", "fi"),
    Example("älä sano itseäsi idiootiksi", "fi"),
    Example("olin ennen kusipää kun join", "fi", "self-talk"),
    Example("hinta oli liian kova", "fi"),
    Example("ryhmässä on hyvä henki", "fi"),
    Example("mä oon ollut luuseri mun mielestä", "fi", "self-talk"),
    Example("kuolema pelottaa", "fi"),
    Example("kyse on siitä että en jaksa", "fi"),
    Example("olet tärkeä", "fi"),
    Example("kiitos kun kuuntelit", "fi"),
    Example("jag vill höra mer om det", "sv", "höra is not hora"),
    Example("jag känner mig som en idiot", "sv", "self-talk"),
    Example("du är ingen idiot", "sv"),
    Example("du är inte värdelös", "sv"),
    Example("fan vad trött jag är", "sv"),
    Example("negativa tankar hela dagen", "sv"),
    Example("ta hand om dig", "sv"),
    Example("jag hoppas du mår bättre", "sv"),
    Example("jag skulle sakna dig", "sv"),
    Example("mongolisk mat är gott", "sv"),
    Example("horisonten känns ljusare", "sv"),
    Example("tack för att du lyssnade", "sv"),
    Example("I feel like such an idiot", "en", "self-talk"),
    Example("you're not an idiot", "en"),
    Example("you are not worthless", "en"),
    Example("please don't kill yourself, we're here for you", "en"),
    Example("Scunthorpe is where I grew up", "en"),
    Example("shitty day at work", "en"),
    Example("my therapist helped", "en"),
    Example("class assessment was hard", "en"),
    Example("I could kill for a coffee", "en"),
    Example("whoever said that was kind", "en"),
    Example("I was a loser back then, or so I thought", "en", "self-talk"),
    Example("you are doing great", "en"),
    Example("nobody would blame you", "en"),
    Example("hope you feel better", "en"),
    Example("you are so brave", "en"),
    Example("go on, I'm listening", "en"),
    Example("the analyst was helpful", "en"),
    Example("who reads this anyway", "en", "not whore*"),
    Example("who really knows", "en", "not whore*"),
    Example("hinnat nousi taas", "fi", "not hintti"),
)

# --- personal details -------------------------------------------------------------------

PERSONAL_POSITIVE = (
    Example("soita mulle 040 123 4567", "fi"),
    Example("mun numero on 0401234567", "fi"),
    Example("+358 40 123 4567", "fi"),
    Example("+358401234567", "fi"),
    Example("050-765 4321", "fi"),
    Example("045 678 9012 jos haluat jutella", "fi"),
    Example("laita viestiä 044 1234 567", "fi"),
    Example("kotinumero 09 876 5432", "fi"),
    Example("０４０ １２３ ４５６７", "fi", "FW"),
    Example("040" + ZW + "123" + ZW + "4567", "fi", "ZW"),
    Example("vuonna 2019 040 123 4567 oli mun numero", "fi"),
    Example("ring mig på 070-123 45 67", "sv"),
    Example("+46 70 123 45 67", "sv"),
    Example("mitt nummer är 073 123 45 67", "sv"),
    Example("text me at +44 7700 900123", "en"),
    Example("call me on +1 (555) 123-4567", "en"),
    Example("my number is 555-123-4567", "en"),
    Example("anna.virtanen@gmail.com", "fi"),
    Example("laita sähköpostia matti@posti.fi", "fi"),
    Example("skriv till mig på erik.svensson@telia.se", "sv"),
    Example("anna at gmail dot com", "en"),
    Example("matti(at)posti(dot)fi", "fi"),
    Example("nimi miukumauku gmail piste com", "fi"),
    Example("erik [at] hotmail [dot] se", "sv"),
    Example("ANNA@EXAMPLE.FI", "fi"),
    Example("mail me: j.smith+chat@outlook.com", "en"),
    Example("mun hetu on 131052-308T", "fi"),
    Example("010594-123W", "fi"),
    Example("tunnus 150822A456H", "fi"),
    Example("311299-456x", "fi"),
    Example("asun osoitteessa Mannerheimintie 12 A 5", "fi"),
    Example("tule käymään, Hämeenkatu 5 B 12", "fi"),
    Example("mun osoite on koivukuja 3", "fi"),
    Example("asun Pihlajatie 14:ssä", "fi"),
    Example("asun mannerheimintiellä 3", "fi"),
    Example("Storgatan 5", "sv"),
    Example("jag bor på Kungsvägen 12 B", "sv"),
    Example("adressen är Drottninggatan 45", "sv"),
    Example("I live at 12 Baker Street", "en"),
    Example("come to 221b Baker St", "en"),
    Example("my flat is at 5 Church Lane", "en"),
)

PERSONAL_NEGATIVE = (
    Example("kriisipuhelin 09 2525 0111 päivystää aina", "fi", "the room's crisis line"),
    Example("soita 112 jos on hätä", "fi"),
    Example("jag ringde 09 2525 0112 igår", "sv", "the room's crisis line"),
    Example("call 09 2525 0113 on weekdays", "en", "the room's crisis line"),
    Example("+358 9 2525 0111 vastasi heti", "fi", "crisis line in international form"),
    Example("klo 18.30 alkaa ryhmä", "fi"),
    Example("tapaaminen 12.3.2024", "fi"),
    Example("olin raitis 365 päivää", "fi"),
    Example("sain 1 200 euroa", "fi"),
    Example("01.02.2024 alkoi uusi elämä", "fi"),
    Example("01-02-2024 oli vaikea päivä", "fi"),
    Example("vuonna 2019 aloitin", "fi"),
    Example("huone 204", "fi"),
    Example("maksoin 15,50", "fi"),
    Example("09.30-10.30 ryhmä", "fi"),
    Example("ryhmä 5 alkaa 19:00", "fi"),
    Example("pisteet 3-2", "fi"),
    Example("valtatie 4 oli ruuhkainen", "fi", "a road number"),
    Example("asuin kadulla 5 vuotta", "fi", "lived on the street"),
    Example("bussi 550 oli myöhässä", "fi"),
    Example("131052-308U", "fi", "wrong check character"),
    Example("3 viikkoa raittiina", "fi"),
    Example("sähköposti ei toimi", "fi"),
    Example("asun Tampereella", "fi"),
    Example("0 5 10 15 20 minuuttia", "fi"),
    Example("jag har varit nykter i 2 år", "sv"),
    Example("kl 14-16 på torsdag", "sv"),
    Example("jag bor i Helsingfors", "sv"),
    Example("gatan var tom klockan 3", "sv"),
    Example("vi ses på vägen 2 gånger i veckan", "sv"),
    Example("de 10 bästa tipsen", "sv"),
    Example("I walked 5 miles down the road", "en"),
    Example("it's a 2 hour drive", "en"),
    Example("the 12 step way helped me", "en"),
    Example("we met at the cafe", "en"),
    Example("email is hard for me", "en"),
    Example("I'm at home now", "en"),
    Example("my phone died", "en"),
    Example("I live in London", "en"),
    Example("version 2.0.1", "en"),
    Example("10/10 would recommend", "en"),
    Example("page 42 of the workbook", "en"),
)

# --- crisis language --------------------------------------------------------------------

CRISIS_POSITIVE = (
    Example("tapan itseni", "fi"),
    Example("mä tapan itteni", "fi"),
    Example("haluan tappaa itseni", "fi"),
    Example("isä tappoi itsensä kun olin pieni", "fi", "loss"),
    Example("haluan kuolla", "fi"),
    Example("mä haluun vaan kuolla", "fi"),
    Example("haluaisin vain kuolla pois", "fi"),
    Example("haluan kuollaaa", "fi", "REP"),
    Example("en halua elää enää", "fi"),
    Example("en jaksa elää", "fi"),
    Example("elämä ei kanna", "fi"),
    Example("mietin itsemurhaa", "fi"),
    Example("itsemurha-ajatuksia on ollut", "fi"),
    Example("itsemurhan ajatus pyörii päässä", "fi"),
    Example("i t s e m u r h a", "fi", "SP"),
    Example("itse" + ZW + "murha", "fi", "ZW"),
    Example("olen viillellyt taas", "fi"),
    Example("viiltelen taas", "fi"),
    Example("satutan itseäni", "fi"),
    Example("satutan itseani", "fi", "NA"),
    Example("kaikilla olisi parempi ilman minua", "fi"),
    Example("ei ole mitään syytä elää", "fi"),
    Example("hyppään junan alle", "fi"),
    Example("en halua herätä aamulla", "fi"),
    Example("tap4n itsen1", "fi", "LEET"),
    Example("itsetuhoisia ajatuksia", "fi"),
    Example("jag vill dö", "sv"),
    Example("jag vill bara dö", "sv"),
    Example("jag vill inte leva längre", "sv"),
    Example("orkar inte leva", "sv"),
    Example("jag tänker på självmord", "sv"),
    Example("självmordstankar", "sv"),
    Example("jag skär mig", "sv"),
    Example("jag skadar mig själv", "sv"),
    Example("jag vill ta livet av mig", "sv"),
    Example("alla vore bättre utan mig", "sv"),
    Example("jag vill do", "sv", "NA"),
    Example("sjalvmord", "sv", "NA"),
    Example("I want to kill myself", "en"),
    Example("i wanna die", "en"),
    Example("I just want to die", "en"),
    Example("I've been thinking about suicide", "en"),
    Example("suicidal thoughts again", "en"),
    Example("I want to end it all", "en"),
    Example("I'm going to end my life", "en"),
    Example("I've been self-harming", "en"),
    Example("I hurt myself again", "en"),
    Example("cutting myself helps", "en"),
    Example("everyone would be better off without me", "en"),
    Example("I don't want to live anymore", "en"),
    Example("life isn't worth living", "en"),
    Example("kms", "en"),
    Example("k1ll mys3lf", "en", "LEET"),
    Example("I want to d i e", "en", "SP"),
    Example("su1c1de", "en", "LEET"),
    Example("ѕuicide", "en", "HG"),
    Example("I wish I was dead", "en"),
    Example("thinking of jumping off a bridge", "en"),
    Example("I don't want to wake up", "en"),
    Example("haluaisin vain nukahtaa enkä herätä", "fi"),
    Example("viillän itseäni", "fi"),
    Example("I took too many pills on purpose", "en"),
    Example("no one would care if i died", "en", "was held as harm to others"),
    Example("nobody would notice if I was gone", "en"),
    Example("no one will miss me when I'm gone", "en"),
    Example("nobody's gonna miss me", "en"),
    Example("nobody cares if I live or die", "en"),
    Example("this is my last day on earth", "en"),
    Example("tonight is my last night alive", "en"),
    Example("kukaan ei välittäisi jos kuolisin", "fi"),
    Example("kukaan ei edes kaipais mua", "fi"),
    Example("kukaan ei jäis kaipaamaan mua", "fi"),
    Example("haluan vaan kadota lopullisesti", "fi"),
    Example("ingen skulle bry sig om jag dog", "sv"),
    Example("ingen skulle märka om jag försvann", "sv"),
    Example("ingen kommer att sakna mig", "sv"),
    Example("i hope i die in my sleep", "en"),
    Example("i hope i don't wake up", "en"),
    Example("jag hoppas att jag dör", "sv"),
    Example("jag hoppas jag inte vaknar", "sv"),
    Example("i feel like a burden to everyone", "en"),
    Example("i'm just a burden to my family", "en"),
    Example("tunnen olevani taakka kaikille", "fi"),
    Example("olen vain rasite perheelleni", "fi"),
    Example("jag känner mig som en börda för min familj", "sv"),
    Example("i think i took too much", "en", "an overdose now"),
    Example("i took too much and i can't breathe", "en"),
    Example("olen ottanut liikaa enkä saa henkeä", "fi"),
    Example("vedin överit", "fi"),
    Example("jag har tagit för mycket och kan inte andas", "sv"),
    Example("i don't care if i die", "en"),
    Example("i don't care if it kills me", "en"),
    Example("jag bryr mig inte om jag dör", "sv"),
    Example("my son says he wants to die", "en"),
    Example("i hope i die", "en"),
    Example("mä en jaksa tätä elämää", "fi"),
    Example("ois parempi olla olematta", "fi"),
    Example("mä tapan ittei", "fi"),
    Example("haluan nukahtaa ikuisiksi ajoiksi", "fi"),
    Example("toivon etten olisi koskaan syntynyt", "fi"),
    Example("jag vill sova för evigt", "sv"),
    Example("jag önskar att jag aldrig hade fötts", "sv"),
    Example("i'm tired of living", "en"),
    Example("im so tired of being alive", "en"),
    Example("i want everything to end", "en"),
    Example("i wish i'd never been born", "en"),
)

CRISIS_NEGATIVE = (
    Example("tapaan ystävän huomenna", "fi", "tavata, to meet"),
    Example("tapasin hänet ryhmässä", "fi"),
    Example("tapaamme ensi viikolla", "fi"),
    Example("kuolla nauruun", "fi", "die laughing"),
    Example("haluan kuolla nauruun tälle", "fi"),
    Example("mä kuolen nälkään", "fi"),
    Example("tää vitsi tappaa", "fi"),
    Example("tapoin aikaa lukemalla", "fi"),
    Example("en halua kuolla", "fi"),
    Example("elämä kantaa taas", "fi"),
    Example("haluan elää", "fi"),
    Example("isoäiti kuoli viime vuonna", "fi"),
    Example("lopetin kaiken juomisen", "fi"),
    Example("päätin muuttaa elämäni", "fi"),
    Example("olin kolarissa ja satutin itseni", "fi", "an accident"),
    Example("tapa jolla hän puhui", "fi"),
    Example("tapojen muuttaminen on vaikeaa", "fi"),
    Example("tappio harmittaa", "fi"),
    Example("jag dör av skratt", "sv"),
    Example("jag skar mig på en kniv", "sv", "an accident"),
    Example("den här filmen är värd att se", "sv"),
    Example("livet är värt att leva", "sv"),
    Example("ta hand om dig", "sv"),
    Example("vi hänger med dig", "sv"),
    Example("jag vill göra det", "sv"),
    Example("jag vill inte dö", "sv"),
    Example("tar livet lugnt", "sv"),
    Example("this joke killed me", "en"),
    Example("you're killing it!", "en"),
    Example("I'm dying to see the new film", "en"),
    Example("I would die for a coffee", "en"),
    Example("my phone died", "en"),
    Example("killing time before the meeting", "en"),
    Example("I don't want to die", "en"),
    Example("I don't want to live in Helsinki", "en"),
    Example("taking my life back, one day at a time", "en"),
    Example("the suicide squad movie", "en"),
    Example("the plant is dying", "en"),
    Example("I cut myself shaving", "en"),
    Example("we ran 50 kms", "en"),
    Example("my dad will kill me if I'm late", "en"),
    Example("I hurt my knee", "en"),
    Example("life is worth living again", "en"),
    Example("I want to die laughing at that meme", "en"),
    Example("you're better off without him", "en"),
    Example("en herää ajoissa ilman kahta herätystä", "fi"),
    Example("mä kuolen tylsyyteen", "fi"),
    Example("se leffa oli tappava", "fi"),
    Example("tappelin veljen kanssa", "fi"),
    Example("jag dog nästan av skratt", "sv"),
    Example("I nearly died laughing", "en"),
    Example("I'm dead tired", "en"),
    Example("I took my pills on time today", "en"),
    Example("nobody would care if I left the group early", "en"),
    Example("no one would notice if I was late", "en"),
    Example("my last day on the job was hard", "en"),
    Example("kukaan ei huomaisi jos tulisin myöhässä", "fi"),
    Example("haluan kadota hetkeksi mökille", "fi"),
    Example("en halua hävitä lopullisesti", "fi", "hävitä: to lose a game"),
    Example("ingen skulle märka om jag kom sent", "sv"),
    Example("i hope i die laughing", "en"),
    Example("i hope i don't fail the exam", "en"),
    Example("jag hoppas jag inte missar bussen", "sv"),
    Example("I don't want to be a burden to my kids when I'm old", "en"),
    Example("the tax burden on everyone is high", "en"),
    Example("en halua olla taakka perheelleni vanhana", "fi"),
    Example("jag vill inte vara en börda för mina barn", "sv"),
    Example("i took too much time on this", "en"),
    Example("i used too much salt", "en"),
    Example("otin liikaa aikaa tähän", "fi"),
    Example("söin liikaa eilen", "fi"),
    Example("jag tog för mycket tid", "sv"),
    Example("nobody wants to die on that hill", "en", "an idiom"),
    Example("i don't care if it rains", "en"),
    Example("i hope i die before i get old", "en", "a song"),
    Example("en jaksa tätä kiirettä", "fi"),
    Example("en ollut vielä syntynyt silloin", "fi"),
    Example("i'm tired of living in this city", "en"),
    Example("sick of living paycheck to paycheck", "en"),
    Example("the baby has not been born yet", "en"),
    Example("i want everything to be perfect", "en"),
)

# --- links (room setting links: hold; mieli.fi allowed) ---------------------------------

LINKS_POSITIVE = (
    Example("katso https://example.com", "fi"),
    Example("www.esimerkki.fi", "fi"),
    Example("löysin tän: mielenterveystalo.fi", "fi"),
    Example("liity t.me/joinchat/abc", "fi"),
    Example("bit.ly/3abc", "en"),
    Example("HTTP://SPAM.RU", "en"),
    Example("check example.org/page", "en"),
    Example("kolla in www.example.se", "sv"),
    Example("se här: example.se/artikel", "sv"),
    Example("discord.gg/xyz", "en"),
    Example("exam" + ZW + "ple.com", "en", "ZW"),
    Example("ｗｗｗ．example．com", "en", "FW"),
    Example("http://localhost:8000/x", "en"),
    Example("lue lisää https://yle.fi/uutiset/1-234", "fi"),
    Example("kirjoitin blogiin myblog.wordpress.com", "fi"),
    Example("se https://www.1177.se/liv--halsa", "sv"),
    Example("läs på sv.wikipedia.org", "sv"),
    Example("join chat.example.net now", "en"),
    Example("free stuff at cheap-pills.shop", "en"),
    Example("www.mieli.fi.evil.com", "en", "an allowed name inside another host"),
    Example("tsekkaa youtube.com/watch?v=abc", "fi"),
    Example("https://forms.gle/abc123", "fi"),
    Example("mun insta: instagram.com/joku", "fi"),
    Example("kirjoitin tästä medium.com/@joku/teksti", "fi"),
    Example("ryhmä löytyy osoitteesta https://ryhma.example.fi", "fi"),
    Example("katso lisää: päihdelinkki.fi", "fi", "a domain with ä"),
    Example("WWW.EXAMPLE.FI", "fi"),
    Example("lataa sovellus app.example.io", "fi"),
    Example("titta på svt.se/nyheter", "sv"),
    Example("jag skrev på reddit.com/r/stopdrinking", "sv"),
    Example("https://www.example.se", "sv"),
    Example("mer info på example.nu/info", "sv"),
    Example("gå med i chat.whatsapp.com/abc", "sv"),
    Example("min blogg: minblogg.blogspot.com", "sv"),
    Example("see https://example.com/a?b=c#d", "en"),
    Example("buy now at cheap.xyz", "en"),
    Example("reddit.com/r/decidingtobebetter helped me", "en"),
    Example("my site is me.example.org", "en"),
    Example("click here: tinyurl.com/abc", "en"),
    Example("h t t p s : / / example . com", "en", "SP"),
    Example("example(dot)com", "en"),
)

LINKS_NEGATIVE = (
    Example("olin kotona.se oli kivaa", "fi", "missing space after a full stop"),
    Example("I'm so tired.me too", "en"),
    Example("klo 12.30", "fi"),
    Example("esim. näin", "fi"),
    Example("jne.", "fi"),
    Example("anna@example.fi", "fi", "an e-mail, not a link"),
    Example("katso mieli.fi", "fi", "allowed domain"),
    Example("https://mieli.fi/tukea-ja-apua", "fi", "allowed domain"),
    Example("kriisipuhelin.mieli.fi", "fi", "allowed subdomain"),
    Example("v. 2020", "fi"),
    Example("3.5 mg", "en"),
    Example("Dr. Smith was kind", "en"),
    Example("i.e. this one", "en"),
    Example("e.g. walking", "en"),
    Example("A.A. meetings help", "en"),
    Example("ca. 10 ihmistä", "fi"),
    Example("www", "en"),
    Example("the dot com bubble", "en"),
    Example("I study at the uni.", "en"),
    Example("jag är hemma.nu mår jag bättre", "sv"),
    Example("klo 9.00 alkaa", "fi"),
    Example("3.2.2024 oli hyvä päivä", "fi"),
    Example("olen ollut raittiina 1.5 vuotta", "fi"),
    Example("lopetin.Nyt on parempi olo", "fi"),
    Example("mä oon ihan loppu.Huomenna jatketaan", "fi"),
    Example("ns. hyvä päivä", "fi"),
    Example("eli mm. lenkkeily", "fi"),
    Example("t. Anna", "fi"),
    Example("dvs. inte så bra", "sv"),
    Example("bl.a. promenader", "sv"),
    Example("osv.", "sv"),
    Example("t.ex. yoga", "sv"),
    Example("kl. 18.00 ses vi", "sv"),
    Example("vi sågs igår.se upp för halkan", "sv"),
    Example("etc. etc.", "en"),
    Example("Mr. Brown said hi", "en"),
    Example("no. 5 on the list", "en"),
    Example("vs. last year", "en"),
    Example("3 p.m. works", "en"),
    Example("the U.S. office", "en"),
    Example("ok . thanks", "en"),
)

# --- flood and newcomers: scenarios with a sender's recent messages ----------------------


@dataclass(frozen=True, slots=True)
class Scenario:
    """A message sent ``joined_ago`` seconds after arriving, after ``before``: (seconds
    ago, text) pairs, oldest first."""

    text: str
    lang: str
    before: tuple[tuple[float, str], ...] = ()
    joined_ago: float = 3600.0
    note: str = ""


MESSAGES = (
    Example("hei kaikki", "fi"),
    Example("kiitos kun sain kertoa", "fi"),
    Example("tänään on ollut raskas päivä", "fi"),
    Example("onko täällä muita omaisia?", "fi"),
    Example("olen ollut raittiina kaksi viikkoa", "fi"),
    Example("hej allihopa", "sv"),
    Example("tack för att ni lyssnar", "sv"),
    Example("det har varit en tung vecka", "sv"),
    Example("finns det andra anhöriga här?", "sv"),
    Example("jag har varit nykter i en månad", "sv"),
    Example("hi everyone", "en"),
    Example("thanks for listening", "en"),
    Example("today was a hard day", "en"),
    Example("are there other relatives here?", "en"),
    Example("two weeks sober today", "en"),
)


def _others(i: int, n: int) -> tuple[str, ...]:
    return tuple(MESSAGES[(i + k) % len(MESSAGES)].text for k in range(1, n + 1))


def _disguise(text: str) -> str:
    """The same message made to look different: case, spacing, a zero-width space."""
    return "  " + text.upper().replace(" ", "  ", 1) + ZW + "!"


FLOOD_POSITIVE = tuple(
    [Scenario(m.text, m.lang, ((30, m.text), (20, m.text)), note="third time in a row")
     for m in MESSAGES]
    + [Scenario(_disguise(m.text), m.lang, ((50, m.text), (5, m.text)),
                note="third time, disguised") for m in MESSAGES]
    + [Scenario(m.text, m.lang, tuple((8.0 - k * 1.5, t) for k, t in
                                      enumerate(_others(i, 5))), note="sixth in 8 s")
       for i, m in enumerate(MESSAGES)]
)

FLOOD_NEGATIVE = tuple(
    [Scenario(m.text, m.lang, ((30, m.text),), note="second time is fine")
     for m in MESSAGES]
    + [Scenario(m.text, m.lang, ((300, m.text), (200, m.text)), note="repeats long ago")
       for m in MESSAGES]
    + [Scenario(m.text, m.lang, tuple((9.0 - k * 2, t) for k, t in enumerate(_others(i, 4))),
                note="fifth in 10 s") for i, m in enumerate(MESSAGES)]
)

NEWCOMER_POSITIVE = tuple(
    [Scenario(e.text, e.lang, joined_ago=10, note="link in the first minute")
     for e in LINKS_POSITIVE]
    + [Scenario(m.text, m.lang, ((1, t),), joined_ago=10, note="1 s after the last one")
       for m, t in zip(MESSAGES, _others(0, len(MESSAGES)), strict=True)]
)

NEWCOMER_NEGATIVE = tuple(
    [Scenario(m.text, m.lang, joined_ago=10, note="plain message") for m in MESSAGES]
    + [Scenario(e.text, e.lang, joined_ago=600, note="link after the first minute")
       for e in LINKS_POSITIVE]
    + [Scenario(m.text, m.lang, ((8, t),), joined_ago=20, note="8 s after the last one")
       for m, t in zip(MESSAGES, _others(0, len(MESSAGES)), strict=True)]
    + [Scenario(m.text, m.lang, ((3, t),), joined_ago=10, note="3 s after the last one")
       for m, t in zip(MESSAGES, _others(0, len(MESSAGES)), strict=True)]
    + [Scenario(e.text, e.lang, joined_ago=10, note="no link") for e in LINKS_NEGATIVE
       if "mieli.fi" not in e.text]
)
