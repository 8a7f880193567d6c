"""A labelled corpus of news-page text dumps for the clustering benchmark.

``generate(root, n_docs, seed)`` writes ``root/docs/*.txt`` in the format of
``seeds/*.txt`` (a `` date YYYY-MM-DD <first line>`` header, then lines and
paragraphs separated by blank lines, site chrome around the article) and
``root/truth.csv`` with one row per document:

- ``file``: the document's file name under ``docs/``;
- ``story``: the story it belongs to (the clustering target);
- ``event``: the news event; independent reports share their event with
  another story but are a story of their own;
- ``kind``: ``base`` (a story's first publication), ``copy`` (a syndicated
  repost: new headline, dropped or reordered paragraphs, word edits, a local
  intro, truncation, different site chrome), ``rewrite`` (keeps only some of the
  base's sentences, adds its own) or ``independent`` (another outlet's own
  report of the same event: same names and numbers, none of the sentences);
- ``parent``: the file a copy or rewrite was derived from;
- ``body_words``/``body_hash``: word count and ``content_hash`` of the article
  text an ideal extractor returns (lets the bench score extraction exactly);
- ``edits``: what was done to a copy or rewrite (``intro,drop1,edit3,trunc4``);
- ``published``: the date in the dump's header, empty when it has none.

Sentences come from topic templates and a small grammar over word lists that
are large enough that unrelated stories share few word 3-shingles, as in real
news. Everything is drawn from ``random.Random`` seeded per story, so a corpus
is a pure function of ``(n_docs, seed)``.

Run by hand: ``python -m tests.bench.corpus OUT_DIR N [--seed S]``.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import os
import random
import re
from pathlib import Path
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence

from transforms.tokens import tokens_hash, words as tokenize

__all__ = ["KINDS", "TruthRow", "Generated", "generate", "iter_documents", "read_truth", "Story", "Event",
           "make_event", "write_story", "make_copy", "make_rewrite"]

KINDS = ("base", "copy", "rewrite", "independent")
TRUTH_FIELDS = ("file", "story", "event", "kind", "parent", "body_words", "body_hash", "edits", "published")


def _w(s: str) -> List[str]:
    return s.split()


# ---------------------------------------------------------------------------------------------
# Word lists. Sizes matter more than elegance: shared 3-shingles between unrelated stories come
# from fixed template words, so every template mixes fact slots with freshly drawn words.
# ---------------------------------------------------------------------------------------------

FIRST = _w("""James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan
Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Margaret Mark Sandra
Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Dorothy
George Melissa Timothy Deborah Ronald Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob
Kathleen Gary Amy Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda Larry Pamela Justin Emma Scott Nicole
Brandon Helen Benjamin Samantha Samuel Katherine Gregory Christine Alexander Debra Frank Rachel Patrick Carolyn
Raymond Janet Jack Catherine Dennis Maria Jerry Heather Tyler Diane Aaron Ruth Jose Julie Adam Olivia Nathan Joyce
Henry Virginia Douglas Victoria Zachary Kelly Peter Lauren Kyle Christina Ethan Joan Walter Evelyn Noah Judith
Jeremy Megan Christian Andrea Keith Cheryl Roger Hannah Terry Jacqueline Gerald Martha Harold Gloria Sean Teresa
Austin Ann Carl Sara Arthur Madison Lawrence Frances Dylan Kathryn Jesse Janice Jordan Jean Bryan Abigail Billy
Alice Joe Judy Bruce Sophia Gabriel Grace Logan Denise Albert Amber Willie Doris Alan Marilyn Juan Danielle Wayne
Beverly Elijah Isabella Randy Theresa Roy Diana Vincent Natalie Ralph Brittany Eugene Charlotte Russell Marie Bobby
Kayla Mason Alexis Philip Lori Priya Arjun Mei Wei Hiroshi Yuki Fatima Omar Aisha Kwame Amara Chidi Ngozi Sione
Mateo Sofia Lucia Diego Camila Valentina Santiago Ines Joao Beatriz Pieter Anneke Lars Ingrid Sven Astrid Dmitri
Olena Taras Katarzyna Tomasz Zofia Giulia Marco Francesca Luca Chiara Rafael Yasmin Tariq Leila Hamza Noor Ravi
Ananya Vikram Deepa Kenji Sakura Minho Jiwoo Thanh Linh Kofi Efua Tendai Zanele Bongani Thabo Ayodele Folake""")

LAST_REAL = _w("""Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez
Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis
Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera
Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris
Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward
Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel
Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales
Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole
Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez
McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson
Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson
Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan
Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight
Okafor Adeyemi Mensah Nakamura Tanaka Yamamoto Suzuki Sato Kowalski Nowak Wisniewski Kovalenko Shevchenko Bondarenko
Novak Horvat Jansen Visser Bakker Lindqvist Johansson Eriksson Nielsen Kristensen Rossi Bianchi Ferrari Esposito
Romano Colombo Moretti Dubois Lefebvre Moreau Laurent Girard Bonnet Fischer Weber Schneider Becker Hoffmann Schulz
Koch Richter Wolf Klein Schwarz Zimmermann Braun Kruger Hofmann Hartmann Lange Werner Krause Lehmann Kaiser Fuchs
Peng Zhang Liu Huang Zhao Zhou Wu Xu Sun Ma Zhu Hu Guo Lin Luo Gao Liang Song Tang Deng Feng Cao Yuan Pan Du
Sharma Singh Kumar Gupta Reddy Iyer Nair Mukherjee Banerjee Chatterjee Desai Mehta Shah Joshi Rao Pillai Menon
Haddad Khoury Nasser Hakimi Rahman Hussain Qureshi Malik Farouk Mansour Abdullah Karimi Moradi Tehrani Yilmaz
Demir Kaya Celik Aydin Ozturk Arslan Dogan Kiplagat Wanjiru Otieno Kamau Mwangi Dlamini Nkosi Mokoena Botha
Fonseca Carvalho Oliveira Pereira Costa Almeida Ribeiro Martins Lima Barbosa Araujo Moura Cardoso Teixeira""")

_SURNAME_HEADS = _w("""Ash Bel Cor Dun El Fair Gar Hal Ken Lind Mar Nor Ost Pem Quin Rad Sel Tor Ver Wex Brad Cal Dal
Ever Fen Gil Har Ing Jar Kes Lof Mel Nes Orm Pres Ral Sten Tam Ud Val Wal Yar Zel Thorn Black Green Whit Stan Ather""")
_SURNAME_TAILS = _w("""ford ley ton wood berg stein ski ova ez sen ridge man well combe croft holt mere wick stead by
more ham field worth""")
LAST = LAST_REAL + [h + t for h in _SURNAME_HEADS for t in _SURNAME_TAILS]

CITIES_REAL = _w("""Springfield Riverside Franklin Greenville Bristol Clinton Fairview Salem Madison Georgetown
Arlington Ashland Dover Oxford Jackson Burlington Manchester Milton Newport Auburn Dayton Lexington Milford Winchester
Hudson Kingston Mount Clayton Lebanon Centerville Marion Cleveland Oakland Jamestown Florence Hamilton Lancaster
Chester Warren Plymouth Concord Marshall Columbia Trenton Bedford Princeton Canton Glendale Pasadena Tacoma Spokane
Boise Tucson Fresno Reno Eugene Provo Ogden Billings Fargo Duluth Peoria Rockford Dubuque Topeka Wichita Tulsa
Amarillo Lubbock Laredo Waco Shreveport Mobile Macon Savannah Augusta Asheville Roanoke Lynchburg Scranton Erie
Albany Utica Syracuse Rochester Buffalo Worcester Lowell Hartford Stamford Bangor Portland Burlington Nashua Camden
Leeds Sheffield Bradford Coventry Leicester Derby Nottingham Reading Luton Swindon Exeter Plymouth Cardiff Swansea
Aberdeen Dundee Perth Galway Cork Limerick Geelong Ballarat Bendigo Cairns Townsville Hamilton Tauranga Nelson
Kelowna Kamloops Regina Saskatoon Moncton Halifax Sudbury Guelph Windsor Lethbridge Durban Pietermaritzburg Kumasi
Mombasa Kisumu Arusha Mwanza Lyon Lille Nantes Bordeaux Toulouse Leipzig Dresden Bremen Hanover Utrecht Ghent
Aarhus Malmo Bergen Tampere Gdansk Poznan Wroclaw Brno Graz Linz Porto Braga Seville Valencia Bilbao Turin Bologna
Verona Genoa Kharkiv Dnipro Odesa Lviv Kazan Samara Izmir Bursa Antalya Pune Surat Nagpur Indore Kochi Mysore
Sendai Kobe Nagoya Sapporo Busan Daegu Incheon Cebu Davao Penang Ipoh Chiang""")
_PLACE_HEADS = _w("""Ash Brook Cedar Clear Fair Green Hill Lake Maple Mill Oak Pine River Rock Spring Stone Sun West
East North South Glen Red Silver Iron Elm Willow Fox Deer Eagle Bay Cole Hazel Birch Cotton Copper Gold Marsh Moss
Hunter Bridge Kings Queens Bell Star Wolf Bear Crow Raven""")
_PLACE_TAILS = _w("""field ford ville ton wood dale port view haven burg ridge crest mont side water creek falls
springs grove hollow""")
CITIES = CITIES_REAL + [h + t for h in _PLACE_HEADS for t in _PLACE_TAILS]

REGIONS = _w("""Ohio Texas Oregon Nevada Utah Idaho Montana Kansas Iowa Georgia Alabama Virginia Maine Vermont
Kentucky Tennessee Arkansas Missouri Nebraska Wyoming Colorado Arizona Minnesota Wisconsin Michigan Indiana Illinois
Florida Louisiana Mississippi Oklahoma Washington California Delaware Maryland Connecticut Massachusetts Ontario
Quebec Manitoba Alberta Yorkshire Kent Devon Cornwall Wales Scotland Queensland Victoria Tasmania Bavaria Saxony
Brittany Normandy Provence Catalonia Andalusia Lombardy Tuscany Silesia Galicia Flanders Jutland Gujarat Kerala
Punjab Bengal Hokkaido Kyushu Mindanao Luzon Natal Gauteng Ashanti Rift""")

WEEKDAYS = _w("Monday Tuesday Wednesday Thursday Friday Saturday Sunday")
MONTHS = _w("January February March April May June July August September October November December")

ADJ = _w("""new major key local federal regional national public private early late final initial recent former
current serious significant small large growing rising falling strong weak sharp sudden gradual brief lengthy costly
cheap urgent routine unusual rare familiar popular controversial disputed planned proposed revised temporary permanent
annual monthly weekly daily overnight historic record modest massive limited broad narrow complex simple detailed
independent joint separate formal informal emergency critical careful cautious bold quiet loud heavy light dense
remote nearby rural urban coastal northern southern eastern western central downtown suburban crowded empty busy
fragile stable volatile uncertain unclear clear obvious hidden visible public costly overdue ambitious expensive
affordable fresh aging outdated modern digital physical legal illegal unpaid unexpected predicted widespread isolated
sweeping partial complete unprecedented renewed fierce mounting lingering bitter deep shallow""")

NOUN = _w("""plan report program project proposal budget contract decision investigation review study survey
policy rule law measure vote meeting hearing session agreement deal dispute complaint lawsuit settlement payment
fund grant loan tax fee price cost rate level number share figure estimate forecast deadline schedule timeline
system network service facility site building road bridge tunnel station terminal center office clinic school
campus park lot property parcel district neighborhood community region area zone corridor route line track field
stadium arena venue market store plant factory warehouse farm mine port pipeline grid tower reservoir dam levee
committee board council panel agency department ministry court company firm group union coalition campaign
organization team club league association network partnership initiative effort response operation search
statement interview briefing announcement memo letter filing document record database list map video photo
image footage signal warning alert notice request order permit license application petition bid offer""")

ADV = _w("""quickly slowly sharply steadily gradually suddenly quietly publicly privately formally briefly
repeatedly largely partly fully nearly roughly closely carefully heavily widely directly openly initially
eventually recently previously currently temporarily immediately officially reportedly unexpectedly""")

VERB_PAST = _w("""approved rejected delayed announced proposed reviewed launched completed expanded reduced
increased cut raised lowered blocked challenged backed criticized defended questioned examined investigated
confirmed denied reported disclosed released published filed submitted signed cancelled postponed suspended resumed
restored repaired replaced upgraded closed opened reopened purchased sold acquired funded financed cleared
inspected evaluated tested monitored tracked recorded documented outlined detailed unveiled introduced adopted
amended extended shortened finalized negotiated secured obtained lost won earned spent allocated redirected
transferred moved relocated hired dismissed appointed nominated elected endorsed opposed supported praised""")

VERB_BASE = _w("""approve reject delay announce propose review launch complete expand reduce increase cut raise
lower block challenge back examine investigate confirm release publish file sign cancel postpone suspend resume
restore repair replace upgrade close open reopen purchase sell acquire fund clear inspect evaluate test monitor
track outline unveil introduce adopt amend extend finalize negotiate secure hire appoint support oppose""")

TIME_PHRASES = ["last week", "earlier this month", "last month", "this week", "late last year", "in recent weeks",
                "over the weekend", "earlier this year", "last spring", "last fall", "in the past decade",
                "since the start of the year", "for the second time this year", "two weeks ago", "last summer"]

WIRES = [("AP", "The Associated Press"), ("Reuters", "Reuters"), ("AFP", "AFP"), ("CNN", "CNN"),
         ("UPI", "UPI"), ("Bloomberg", "Bloomberg"), ("PA Media", "PA Media"), ("dpa", "dpa")]

SYNONYMS = {
    "said": "stated", "says": "states", "told": "informed", "officials": "authorities", "people": "residents",
    "about": "around", "help": "assist", "large": "big", "big": "large", "began": "started", "started": "began",
    "expected": "anticipated", "plan": "proposal", "proposal": "plan", "announced": "revealed", "also": "additionally",
    "However": "But", "but": "though", "after": "following", "before": "prior to", "because": "since",
    "increase": "rise", "rise": "increase", "cut": "reduced", "showed": "indicated", "shows": "indicates",
    "near": "close to", "many": "numerous", "need": "require", "needs": "requires", "buy": "purchase",
    "made": "created", "make": "create", "get": "obtain", "got": "received", "area": "region", "city": "town",
    "town": "city", "quickly": "rapidly", "major": "significant", "new": "fresh", "recent": "latest",
    "statement": "release", "children": "kids", "cars": "vehicles", "home": "house", "homes": "houses",
    "job": "position", "jobs": "positions", "week": "weekend", "warned": "cautioned", "added": "noted",
}
INSERTS = ["also", "reportedly", "now", "still", "local", "again", "already", "officially", "currently", "further"]

# ---------------------------------------------------------------------------------------------
# Topics: roles, organisations, focal "things", nouns, sentence and headline templates.
# Upper-case slots are the event's facts (shared by every report of it); lower-case slots are
# drawn fresh at every use. Every template has at least two fresh slots, so two independent
# reports of one event never produce the same sentence.
# ---------------------------------------------------------------------------------------------

_COMMON_TEMPLATES = [
    "{P1}, the {T1}, {vp} the {adj} {tn} {when}, according to {ORG}.",
    "{P2L} said the {adj} {noun} had been {vp} {adv} after {N1} {noun} requests.",
    "\"{quote},\" {P1L} said in a {adj} statement.",
    "\"{quote},\" said {P2}, the {T2}, {when}.",
    "\"{quote}. {quote2},\" {P3L} told reporters on {DAY}.",
    "The {ORG} {vp} a {adj} {noun} {when} and has {vp} {adv} since then.",
    "In {CITY}, {adj} {noun} crews {vp} the {tn} and {vp} a second {noun} nearby.",
    "{P2L} {vp} that {N2} {tn} requests were {vp} in {MONTH}, up from {num} a year earlier.",
    "A spokesperson for the {ORG} did not respond to a {adj} request for comment on the {tn} {when}.",
    "The {adj} {noun} is expected to cost {MONEY}, {P1L} said, with {PCT} covered by a {adj} {noun}.",
    "Critics of the {tn} have {vp} the {noun} {when}, calling it {adj} and {adj2}.",
    "It was not immediately clear whether the {adj} {noun} would {vb} the {tn} in {CITY}.",
    "{P3}, who {vp} the {noun} in {YEAR}, said the {tn} would {vb} the {adj} {noun2}.",
    "The {THING} has been at the center of a {adj} {noun} since {YEAR}.",
    "Records {vp} by the {ORG} show {N1} {noun} reports in {REGION} {when}.",
    "More than {N2} residents of {CITY} {vp} a {adj} {noun} about the {tn} {when}.",
    "{P1L} {vp} the {ORG2} for its handling of the {adj} {tn}.",
    "{ORG2} officials {vp} a {adj} review of the {THING} {when}.",
]

TOPICS: Dict[str, dict] = {
    "politics": {
        "titles": _w("senator governor mayor representative minister spokesperson strategist chair treasurer"),
        "orgs": ["{REGION} Senate", "{CITY} City Council", "Ministry of {Noun}", "{REGION} Democratic Party",
                 "{REGION} Republican Party", "{Last} Institute", "Office of the Governor", "{REGION} Election Board"],
        "things": ["the {Last} {Bill}", "Proposition {n}", "the {CITY} redistricting map", "House Bill {n}",
                   "the {Adj} {Noun} Act", "the {Last} amendment"],
        "nouns": _w("""bill ballot amendment veto caucus primary runoff election campaign poll district seat
                     coalition filibuster resolution committee hearing referendum mandate platform debate donor
                     lobbyist ordinance recount turnout precinct incumbent challenger nominee delegate"""),
        "templates": [
            "{P1L} {vp} the {THING} in a {N1} to {num} vote on {DAY}, handing {T2} {P2L} a {adj} {tn}.",
            "Polls show {PCT} of voters in {REGION} {vp} the {THING}, a {adj} shift from {YEAR}.",
            "The {tn} now heads to the {ORG2}, where {P3} has {vp} to {vb} it.",
            "{P2L} raised {MONEY} for the {adj} {tn} campaign, according to {adj} filings.",
            "Turnout in {CITY} reached {PCT}, the {adj} level since {YEAR}, {adj2} election {noun} showed.",
            "Lawmakers {vp} {N2} amendments to the {THING} before the {adj} {tn} on {DAY}.",
        ],
        "headlines": ["{REGION} lawmakers {vp} {THING} after {adj} debate", "{P1L} wins {adj} vote on {THING}",
                      "{THING} {vp} in {CITY} as {P2L} vows {tn}", "Voters split over {THING} in {REGION}"],
    },
    "sports": {
        "titles": _w("coach quarterback striker forward goalkeeper pitcher captain manager midfielder guard"),
        "orgs": ["{CITY} {Mascot}", "{REGION} {Mascot}", "{Last} University", "the {Adj} League",
                 "{CITY} {Mascot} Football Club", "{REGION} Athletic Association"],
        "things": ["the {CITY} {Mascot}", "the {REGION} Cup", "the {Last} Trophy", "{Last} Stadium",
                   "the {CITY} Marathon", "the {Adj} Classic"],
        "nouns": _w("""season match game goal touchdown inning playoff title championship roster draft trade
                     injury contract league division tournament final semifinal quarterfinal penalty rebound
                     assist transfer lineup bench comeback defeat victory streak standings series overtime"""),
        "templates": [
            "{P1L} scored {N3} points as {ORG} beat {ORG2} {SCORE} in a {adj} {tn} on {DAY} night.",
            "The {adj} {tn} came in front of {N2} fans at {THING}.",
            "{P2}, the {T2}, said the {tn} was {adj} after a {adj2} {noun} in the {ord} quarter.",
            "{ORG} improved to {N3}-{n} this {tn}, {num} games behind the {adj} leaders.",
            "{P3L} left the {tn} in the {ord} half with a {adj} {bodypart} injury.",
            "It was the {ord} straight {tn} for {ORG}, who last lost in {MONTH}.",
        ],
        "headlines": ["{P1L} leads {ORG} past {ORG2} {SCORE}", "{ORG} rally for {adj} win at {THING}",
                      "{ORG2} fall to {ORG} as {P1L} shines", "{P3L} injury clouds {ORG} {tn} hopes"],
    },
    "business": {
        "titles": _w("CEO executive analyst economist founder chairman spokesperson investor director"),
        "orgs": ["{Last} Holdings", "{Adj} {Noun} Corp.", "{Last} & {Last2}", "{CITY} Savings Bank",
                 "{Last} Capital", "{Adj} Systems Inc.", "{REGION} Chamber of Commerce"],
        "things": ["the {Last} merger", "the {Adj} {Noun} deal", "{Last} Holdings shares", "the {CITY} plant",
                   "the {Last} bond issue", "the {Adj} index"],
        "nouns": _w("""shares stock earnings revenue profit loss merger acquisition layoffs dividend forecast
                     quarter investor market inflation interest supply demand tariff export import startup
                     valuation shareholder subsidiary bankruptcy audit pension wage hiring outlook"""),
        "templates": [
            "Shares of {ORG} {vp} {PCT} to {MONEY} in {adj} trading on {DAY}.",
            "The company reported {adj} {tn} of {MONEY} for the quarter, {adj2} than analysts expected.",
            "{ORG} said it would cut {N2} {noun} positions at {THING} by {MONTH} as part of a {adj} {tn}.",
            "{P2L}, an analyst at {ORG2}, said the {tn} reflected {adj} {noun} across {REGION}.",
            "The {adj} {tn} values {ORG} at about {MONEY}, including {adj2} {noun}.",
            "{ORG} employs {N1} people in {CITY} and {num} more across {REGION}, {adj} {noun} filings show.",
        ],
        "headlines": ["{ORG} {vp} {THING} in {MONEY} deal", "{ORG} shares slide after {adj} {tn}",
                      "{ORG} to cut {N2} jobs at {THING}", "{P1L} bets on {adj} {tn} at {ORG}"],
    },
    "weather": {
        "titles": _w("meteorologist forecaster director chief supervisor commissioner hydrologist coordinator"),
        "orgs": ["the National Weather Service office in {CITY}", "{REGION} Emergency Management",
                 "{CITY} Public Works", "{REGION} Department of Transportation", "{Last} Power Co-op"],
        "things": ["Storm {Stormname}", "the {Stormname} front", "the {CITY} river levee", "Highway {n}",
                   "the {Adj} {CITY} fire", "Tropical Storm {Stormname}"],
        "nouns": _w("""storm rain snow flood wind gust outage tornado hail drought heat wave fire evacuation
                     shelter forecast warning watch advisory surge inches visibility temperatures frost ice
                     thunderstorm downpour runoff landslide closure"""),
        "templates": [
            "Up to {INCH} inches of {tn} fell on {CITY} by {TIME}, a {adj} {noun} showed.",
            "Gusts reached {N3} mph near {THING} {when}, knocking out power to {N2} {adj} customers.",
            "Temperatures are expected to fall {adv} to {TEMP} degrees by {DAY}, {P1L} said in a {adj} {noun}.",
            "{ORG} opened {n} {adj} shelters and urged residents to avoid {THING}.",
            "The {tn} warning for {REGION} remains in effect until {TIME} {DAY}, the {adj} {noun} said.",
            "Crews from {ORG2} {vp} {N1} {adj} {noun} reports overnight.",
        ],
        "headlines": ["{THING} brings {adj} {tn} to {CITY}", "{N2} without power as {THING} hits {REGION}",
                      "{tn} warning issued for {CITY} ahead of {THING}", "{CITY} cleans up after {THING}"],
    },
    "crime": {
        "titles": _w("police chief detective sheriff prosecutor lieutenant sergeant attorney spokesperson"),
        "orgs": ["{CITY} Police Department", "{REGION} State Police", "{CITY} County Sheriff's Office",
                 "the {CITY} district attorney's office", "{REGION} Bureau of Investigation"],
        "things": ["the {Last} Street shooting", "the {CITY} bank robbery", "the {Adj} {Noun} case",
                   "the {Last} homicide", "the {CITY} fraud scheme", "the {Last} Avenue fire"],
        "nouns": _w("""suspect arrest charge warrant investigation shooting robbery burglary theft assault
                     homicide fraud evidence witness victim testimony indictment bail custody sentence
                     trial verdict jury plea patrol raid seizure motive surveillance"""),
        "templates": [
            "Officers were called to {THING} at about {TIME} on {DAY} after a {adj} {noun}, {P1L} said {when}.",
            "A {AGE}-year-old {noun} was {vp} and faces {n} {adj} charges, according to {ORG}.",
            "{P2}, the {T2}, said {adj} video helped detectives identify the {tn}.",
            "Bail was set at {MONEY}, and a {adj} hearing on the {tn} is scheduled for {MONTH}.",
            "{ORG2} said {N1} {tn} reports were filed in {CITY} {when}.",
            "Investigators {vp} {n} {noun} items from a home in {CITY} near {THING}.",
        ],
        "headlines": ["{AGE}-year-old charged in {THING}", "Police {vp} suspect in {THING}",
                      "{ORG} seeks witnesses to {THING}", "Arrest made in {CITY} {tn} case"],
    },
    "science": {
        "titles": _w("researcher professor astronomer biologist physicist chemist geologist ecologist director"),
        "orgs": ["{Last} University", "the {Adj} Research Institute", "{REGION} Space Agency",
                 "the {Last} Observatory", "{CITY} Medical Center", "the {Last} Laboratory"],
        "things": ["the {Last} telescope", "the {Adj} {Noun} probe", "the {Last} study", "Comet {Stormname}",
                   "the {CITY} fossil site", "the {Last} trial"],
        "nouns": _w("""study experiment data sample species fossil genome protein cell particle orbit mission
                     probe satellite telescope climate emissions carbon ocean glacier reef enzyme vaccine
                     dose trial patient molecule reactor observation hypothesis"""),
        "templates": [
            "The {tn}, published in the journal {Journal}, analyzed {N2} {noun} samples from {REGION}.",
            "{P1}, a {T1} at {ORG}, said the {adj} {tn} could {vb} {adj2} {noun} research.",
            "Researchers found a {PCT} {adj} change in {tn} levels over {n} years.",
            "The {THING} cost {MONEY} and took {N3} months to {vb}, {P2L} said in a {adj} briefing.",
            "{ORG2} scientists {vp} the {adj} {tn} using data from {THING}.",
            "The team plans a {adj} {tn} in {MONTH} with {N1} participants.",
        ],
        "headlines": ["{THING} reveals {adj} {tn}", "Scientists {vp} {adj} {tn} at {ORG}",
                      "{ORG} study links {tn} to {adj} {noun}", "{THING} data surprise researchers"],
    },
    "local": {
        "titles": _w("superintendent councilmember commissioner principal director manager planner resident"),
        "orgs": ["{CITY} School District", "{CITY} Parks Department", "{CITY} Planning Commission",
                 "{CITY} Library Board", "{CITY} Housing Authority", "{Last} Neighborhood Association"],
        "things": ["the {Last} Park renovation", "{Last} Elementary School", "the {CITY} public library",
                   "the {Last} Street bridge", "the {Adj} {CITY} farmers market", "Route {n}"],
        "nouns": _w("""school library park playground bridge road sidewalk zoning permit budget levy bond
                     teacher student parent classroom bus route festival parade market housing rent shelter
                     pool trail garden crosswalk streetlight pothole"""),
        "templates": [
            "The {ORG} voted {N3} to {n} on {DAY} to {vb} the {adj} {tn} at {THING}.",
            "Work on {THING} is expected to take {n} months and cost {MONEY}, according to a {adj} {noun}.",
            "{P1L} said about {N2} {noun} requests were filed by {CITY} residents {when}.",
            "Parents at {THING} {vp} the {adj} {tn} during a {adj2} meeting on {DAY}.",
            "The {tn} will close {THING} from {MONTH} until {MONTH2}, {P2L} said.",
            "{ORG2} plans a {adj} public {noun} on the {tn} at {TIME} {DAY}.",
        ],
        "headlines": ["{CITY} {vp} {adj} plan for {THING}", "{THING} to close for {tn} work",
                      "{CITY} residents push back on {THING} {tn}", "{ORG} approves {MONEY} for {THING}"],
    },
    "health": {
        "titles": _w("doctor nurse epidemiologist administrator commissioner surgeon director pharmacist"),
        "orgs": ["{CITY} General Hospital", "{REGION} Department of Health", "{Last} Health System",
                 "the {Adj} Medical Association", "{CITY} Public Health", "{Last} Children's Hospital"],
        "things": ["the {Stormname} outbreak", "the {Last} clinic", "the {CITY} vaccine drive",
                   "the {Adj} {Noun} program", "{Last} Memorial Hospital", "the {Last} drug"],
        "nouns": _w("""outbreak case infection vaccine hospital clinic patient nurse doctor emergency ward
                     treatment drug dose symptom virus flu measles screening insurance staffing shortage
                     admission surgery diagnosis therapy prescription"""),
        "templates": [
            "{ORG} confirmed {N1} {tn} cases linked to {THING} as of {DAY}, citing {adj} {noun} data.",
            "{P1}, a {T1} at {ORG2}, said {PCT} of patients were {adj} {noun} cases.",
            "The {adj} {tn} at {THING} will cost {MONEY} over {n} years.",
            "Hospital admissions in {CITY} rose to {N2} {when}, {P2L} said, citing {adj} {noun} data.",
            "Officials urged residents over {AGE} to {vb} a {adj} {tn} before {MONTH}.",
            "{P3L} said {adj} staffing shortages had {vp} {tn} wait times.",
        ],
        "headlines": ["{N1} cases tied to {THING}", "{CITY} hospitals strain as {tn} cases rise",
                      "{ORG} expands {THING}", "{P1L} warns of {adj} {tn} season in {REGION}"],
    },
}
TOPIC_NAMES = sorted(TOPICS)

MASCOTS = _w("""Tigers Bears Hawks Eagles Wolves Lions Panthers Falcons Rangers Rovers Comets Knights Pirates
Mariners Storm Thunder Lightning Bulldogs Wildcats Cougars Stallions Foxes Owls Ravens Hornets Sharks Dolphins""")
BILLS = ["Fair Housing Bill", "Clean Water Act", "Voting Access Bill", "Tax Relief Act", "Public Safety Bill",
         "Energy Reform Act", "Transit Funding Bill", "School Choice Act", "Privacy Protection Act"]
STORMNAMES = _w("""Alberto Beryl Chris Debby Ernesto Francine Gordon Helene Isaac Joyce Kirk Leslie Milton Nadine
Oscar Patty Rafael Sara Tony Valerie William Arlene Bret Cindy Don Emily Franklin Gert Harold Idalia Jose Katia Lee
Margot Nigel Ophelia Philippe Rina Sean Tammy Vince Whitney Ana Bill Claudette Danny Elsa Fred Grace Henri Ida""")
JOURNALS = ["Nature", "Science", "Cell", "The Lancet", "PLOS One", "Nature Climate Change", "Geophysical Research Letters",
            "the Journal of Applied Ecology", "Astrophysical Journal", "JAMA", "BMJ Open", "Current Biology"]
BODYPARTS = _w("knee ankle hamstring shoulder wrist back groin calf elbow foot")
ORDINALS = _w("first second third fourth fifth sixth seventh")

QUOTE_START = [
    "We are going to look closely at", "Nobody expected", "This is about", "We have been asking for",
    "I think people understand", "Our priority right now is", "There is no question about", "We will not accept",
    "It is too early to talk about", "We owe it to families to fix", "I have never seen", "We knew going in about",
    "People deserve answers on", "We are confident in", "Frankly, we were surprised by", "We are still assessing",
    "The community has been clear about", "It took a lot of work to get", "We cannot ignore", "I am proud of",
    "Nobody wants to see", "We have to be honest about", "This changes", "We are working around the clock on",
    "It is disappointing to see", "We never stopped believing in", "There is more to do on", "I want to thank everyone for",
]
QUOTE_END = ["", "", "right now", "and that matters", "before the end of the year", "in this community",
             "for a long time", "going forward", "and we will keep pushing", "for everyone involved", "at this point"]


# ---------------------------------------------------------------------------------------------
# Sentence generation
# ---------------------------------------------------------------------------------------------

class _Slots(dict):
    """Facts by key; any other slot is drawn fresh from the word lists at each use."""

    def __init__(self, facts: dict, rng: random.Random, topic: dict):
        super().__init__(facts)
        self.rng = rng
        self.topic = topic

    def __missing__(self, key: str) -> str:
        r = self.rng
        if key in ("adj", "adj2"):
            return _pick(r, ADJ)
        if key in ("noun", "noun2"):
            return _pick(r, NOUN)
        if key == "tn":
            return _pick(r, self.topic["nouns"])
        if key == "vp":
            return _pick(r, VERB_PAST)
        if key == "vb":
            return _pick(r, VERB_BASE)
        if key == "adv":
            return _pick(r, ADV)
        if key == "when":
            return _pick(r, TIME_PHRASES) if r.random() < 0.7 else "on " + _pick(r, WEEKDAYS)
        if key == "num":
            return _fmt_int(r.randrange(3, 5000))
        if key == "n":
            return str(r.randrange(2, 12))
        if key in ("quote", "quote2"):
            return _quote(r, self.topic)
        if key == "ord":
            return _pick(r, ORDINALS)
        if key == "bodypart":
            return _pick(r, BODYPARTS)
        if key == "Journal":
            return _pick(r, JOURNALS)
        if key == "MONTH2":
            return _pick(r, MONTHS)
        raise KeyError(key)


def _pick(r: random.Random, seq: Sequence):
    # random.choice's rejection sampling costs ~3x this; the tiny bias is irrelevant here.
    return seq[int(r.random() * len(seq))]


def _fmt_int(n: int) -> str:
    return f"{n:,}"


def _quote(r: random.Random, topic: dict) -> str:
    end = _pick(r, QUOTE_END)
    q = f"{_pick(r, QUOTE_START)} the {_pick(r, ADJ)} {_pick(r, topic['nouns'])}"
    return q + (" " + end if end else "")


def _grammar_sentence(slots: _Slots) -> str:
    """Subject, verb, object, optional modifier: the bulk of a story's connective prose."""
    r = slots.rng
    subj = _pick(r, ["{P1}", "{T1} {P1L}", "{P2L}", "officials in {CITY}", "the {ORG}", "the {adj} {tn}",
                     "a {adj} {noun} from {cw}", "residents of {CITY}", "critics of the {tn}", "{pn}, a {adj} {tn} expert,",
                     "the {ORG2}", "{P3L}", "supporters of {THING}", "a {noun} in {REGION}"])
    obj = _pick(r, ["the {adj} {tn}", "a {noun} worth {MONEY}", "{N2} {adj} {noun} requests", "plans for the {tn}",
                    "{THING}", "{P2L}'s {adj} {noun}", "a {adj} {noun} on the {tn}", "the {noun} at the {tn}"])
    mod = _pick(r, ["", "", " on {DAY}", " in {CITY}", " after the {adj} {noun}", " despite {adj} {noun}",
                    " amid concerns about the {tn}", " for the first time since {YEAR}", " according to {ORG}",
                    " {when}", " with {PCT} of the {noun}", " before the {adj} {tn}", " near {cw}"])
    tail = _pick(r, ["", "", "", ", {P1L} said", ", officials said", ", according to {adj} {noun} records",
                     " and {vp} the {adj} {noun}", ", a move {adj} {noun} groups {vp}"])
    text = f"{subj} {{vp}} {obj}{mod}{tail}."
    return _fill(text, slots)


def _fill(template: str, slots: _Slots) -> str:
    r = slots.rng
    if "{cw}" in template:
        template = template.replace("{cw}", _pick(r, CITIES))
    if "{pn}" in template:
        template = template.replace("{pn}", f"{_pick(r, FIRST)} {_pick(r, LAST)}")
    s = template.format_map(slots)
    if "he the " in s or "the The " in s:  # "the {THING}" where the thing brings its own article
        s = s.replace("the the ", "the ").replace("The the ", "The ").replace("the The ", "the ")
    return s[0].upper() + s[1:]


def _sentence(slots: _Slots) -> str:
    r = slots.rng
    x = r.random()
    if x < 0.35:
        return _fill(_pick(r, slots.topic["templates"]), slots)
    if x < 0.65:
        return _fill(_pick(r, _COMMON_TEMPLATES), slots)
    return _grammar_sentence(slots)


# ---------------------------------------------------------------------------------------------
# Events and stories
# ---------------------------------------------------------------------------------------------

def _name_pattern(pattern: str, r: random.Random, facts: dict) -> str:
    repl = {
        "{Last}": _pick(r, LAST), "{Last2}": _pick(r, LAST), "{Adj}": _pick(r, ADJ).capitalize(),
        "{Noun}": _pick(r, NOUN).capitalize(), "{Mascot}": _pick(r, MASCOTS), "{Bill}": _pick(r, BILLS),
        "{Stormname}": _pick(r, STORMNAMES), "{n}": str(r.randrange(2, 400)),
        "{CITY}": facts["CITY"], "{REGION}": facts["REGION"],
    }
    for k, v in repl.items():
        pattern = pattern.replace(k, v)
    return pattern


@dataclasses.dataclass
class Event:
    """The facts every report of one news event shares."""

    event_id: str
    topic: str
    facts: dict
    date: dt.date
    wire: Optional[tuple]


def make_event(event_id: str, r: random.Random) -> Event:
    """Draw an event: topic, people, places, organisations, numbers and a date."""
    topic_name = _pick(r, TOPIC_NAMES)
    topic = TOPICS[topic_name]
    facts = {"CITY": _pick(r, CITIES), "REGION": _pick(r, REGIONS)}
    for i in (1, 2, 3):
        first, last = _pick(r, FIRST), _pick(r, LAST)
        facts[f"P{i}"] = f"{first} {last}"
        facts[f"P{i}L"] = last
        facts[f"T{i}"] = _pick(r, topic["titles"])
    facts["ORG"] = _name_pattern(_pick(r, topic["orgs"]), r, facts)
    facts["ORG2"] = _name_pattern(_pick(r, [o for o in topic["orgs"] if o != facts["ORG"]] or topic["orgs"]), r, facts)
    facts["THING"] = _name_pattern(_pick(r, topic["things"]), r, facts)
    facts["N1"] = _fmt_int(r.randrange(4, 900))
    facts["N2"] = _fmt_int(r.randrange(120, 60000))
    facts["N3"] = str(r.randrange(3, 60))
    facts["MONEY"] = _pick(r, ["${}.{} million".format(r.randrange(1, 900), r.randrange(10)),
                               "${}.{} billion".format(r.randrange(1, 90), r.randrange(10)),
                               "${:,}".format(r.randrange(5, 900) * 1000)])
    facts["PCT"] = f"{r.randrange(2, 95)}%"
    facts["AGE"] = str(r.randrange(16, 90))
    facts["YEAR"] = str(r.randrange(1965, 2023))
    facts["DAY"] = _pick(r, WEEKDAYS)
    facts["MONTH"] = _pick(r, MONTHS)
    facts["TIME"] = f"{r.randrange(1, 13)}:{r.randrange(0, 60):02d} {_pick(r, ['a.m.', 'p.m.'])}"
    facts["SCORE"] = f"{r.randrange(1, 40)}-{r.randrange(0, 30)}"
    facts["TEMP"] = str(r.randrange(-20, 110))
    facts["INCH"] = f"{r.randrange(1, 30)}.{r.randrange(10)}"
    date = dt.date(2023, 1, 1) + dt.timedelta(days=r.randrange(700))
    wire = _pick(r, WIRES) if r.random() < 0.6 else None
    return Event(event_id, topic_name, facts, date, wire)


@dataclasses.dataclass
class Story:
    """One document's article: headline and paragraphs (each a list of sentences)."""

    headline: str
    paragraphs: List[List[str]]
    date: dt.date
    credit: Optional[str] = None  # the wire credited in the dateline / tag line
    byline: Optional[str] = None

    def body(self) -> str:
        return "\n\n".join(" ".join(p) for p in self.paragraphs)


def _headline(slots: _Slots) -> str:
    h = _fill(_pick(slots.rng, TOPICS[slots["_topic"]]["headlines"]), slots)
    return h


def write_story(event: Event, r: random.Random, n_paragraphs: Optional[int] = None,
                avoid: Sequence[str] = (), wire: Optional[tuple] = None) -> Story:
    """A fresh report of ``event``: every sentence newly drawn (none equal to one in ``avoid``).

    ``wire`` is the (short, long) name of the agency credited in the dateline, if any.
    """
    topic = TOPICS[event.topic]
    slots = _Slots({**event.facts, "_topic": event.topic}, r, topic)
    n_par = n_paragraphs or r.randrange(8, 17)
    avoid_set = set(avoid)
    paragraphs = []
    for i in range(n_par):
        n_sent = 1 if i == 0 else _pick(r, (1, 2, 2, 3, 3))
        par = []
        while len(par) < n_sent:
            s = _sentence(slots)
            if s not in avoid_set:
                par.append(s)
        paragraphs.append(par)
    credit = None
    if wire and r.random() < 0.9:
        short, _long = wire
        credit = short
        paragraphs[0][0] = f"{event.facts['CITY'].upper()} ({short}) — " + paragraphs[0][0]
    byline = f"{_pick(r, FIRST)} {_pick(r, LAST)}"
    return Story(_headline(slots), paragraphs, event.date, credit, byline)


# ---------------------------------------------------------------------------------------------
# Derived documents: syndicated copies and rewrites
# ---------------------------------------------------------------------------------------------

def _edit_sentence(s: str, r: random.Random) -> str:
    words = s.split(" ")
    hits = [i for i, w in enumerate(words) if w.strip(",.\"") in SYNONYMS]
    if hits and r.random() < 0.7:
        i = _pick(r, hits)
        core = words[i].strip(",.\"")
        words[i] = words[i].replace(core, SYNONYMS[core])
    elif len(words) > 4:
        words.insert(r.randrange(1, len(words) - 1), _pick(r, INSERTS))
    return " ".join(words)


_LOCAL_INTROS = [
    "Residents of {SITECITY} are watching {THING} {adv} as {adj} {tn} news spreads across {REGION}.",
    "The story below has drawn {adj} interest from {SITECITY} readers, several of whom wrote to {SITE} {when} "
    "about {adj2} {tn} concerns.",
    "{SITE} is following {THING}, which could {vb} {adj} {noun} plans in {SITECITY} and nearby {tn} programs.",
    "For {SITECITY} families with ties to {CITY}, the {adj} {tn} news hit close to home {when}, a {noun} "
    "official told {SITE}.",
    "{SITECITY} has its own {adj} {tn} debate, and {P1L}'s {noun} in {CITY} is being {vp} {adv} here.",
]


def _local_intro(event: Event, site: "Site", r: random.Random) -> str:
    """A paragraph the reposting site writes itself: its town, its name, words of its own."""
    slots = _Slots({**event.facts, "SITECITY": site.city, "SITE": site.name}, r, TOPICS[event.topic])
    return _fill(_pick(r, _LOCAL_INTROS), slots)


def make_copy(base: Story, event: Event, site: "Site", r: random.Random) -> tuple:
    """A syndicated repost of ``base``: returns (story, edit labels)."""
    paragraphs = [list(p) for p in base.paragraphs]
    edits = []
    verbatim = r.random() < 0.12
    if not verbatim:
        if len(paragraphs) > 4 and r.random() < 0.4:
            k = _pick(r, (1, 1, 2))
            for _ in range(k):
                del paragraphs[r.randrange(1, len(paragraphs))]
            edits.append(f"drop{k}")
        if len(paragraphs) > 3 and r.random() < 0.25:
            i = r.randrange(1, len(paragraphs) - 1)
            paragraphs[i], paragraphs[i + 1] = paragraphs[i + 1], paragraphs[i]
            edits.append("reorder")
        if r.random() < 0.6:
            k = r.randrange(1, 7)
            for _ in range(k):
                p = r.randrange(len(paragraphs))
                s = r.randrange(len(paragraphs[p]))
                paragraphs[p][s] = _edit_sentence(paragraphs[p][s], r)
            edits.append(f"edit{k}")
        if r.random() < 0.25 and len(paragraphs) > 3:
            k = r.randrange(2, len(paragraphs))
            paragraphs = paragraphs[:k]
            edits.append(f"trunc{k}")
        if r.random() < 0.3:
            paragraphs.insert(0, [_local_intro(event, site, r)])
            edits.append("intro")
    if not verbatim and r.random() < 0.15 and base.credit:
        # Some reposts move the credit from the dateline to a tag line.
        paragraphs[-1] = paragraphs[-1] + [f"Reporting by {base.byline}; {dict(WIRES)[base.credit]} contributed."]
        edits.append("tagline")
    slots = _Slots({**event.facts, "_topic": event.topic}, r, TOPICS[event.topic])
    headline = _headline(slots) if r.random() < 0.85 else base.headline
    if headline != base.headline:
        edits.append("headline")
    date = base.date + dt.timedelta(days=_pick(r, (0, 0, 1, 1, 1, 2, 3)))
    return Story(headline, paragraphs, date, base.credit, base.byline), (edits or ["verbatim"])


def make_rewrite(base: Story, event: Event, r: random.Random) -> tuple:
    """A rewrite: keeps a share of the base's sentences in order, writes the rest anew."""
    keep = r.uniform(0.35, 0.7)
    fresh = write_story(event, r, n_paragraphs=len(base.paragraphs), avoid=[s for p in base.paragraphs for s in p])
    paragraphs = []
    for bp, fp in zip(base.paragraphs, fresh.paragraphs):
        par = [s for s in bp if r.random() < keep]
        if r.random() < 0.5 or not par:
            par.append(fp[0])
        paragraphs.append(par)
    date = base.date + dt.timedelta(days=_pick(r, (0, 1, 1, 2, 4)))
    return Story(fresh.headline, paragraphs, date, None, fresh.byline), [f"keep{int(keep * 100)}"]


# ---------------------------------------------------------------------------------------------
# Sites: the chrome around an article
# ---------------------------------------------------------------------------------------------

SECTIONS = _w("""Home News Local Sports Weather Opinion Business Politics Entertainment Lifestyle Video Obituaries
Traffic Contests Podcasts Events Community Education Health Science Technology Travel Food Music Arts Crime Courts
Elections Investigations Photos Newsletters Jobs Classifieds Autos Homes Puzzles Games Horoscopes Shopping""")
PAPERS = _w("Herald Gazette Courier Tribune Ledger Post Sentinel Chronicle Times Record Star Observer Journal "
            "Dispatch Examiner Press Bulletin Register Beacon Standard Mirror Leader Independent")
RAIL_HEADS = ["More stories", "Related", "Most Read", "Trending Now", "You may also like", "Latest News",
              "Top Stories", "Related Stories", "More from {site}", "Read more", "In case you missed it"]
SPONSOR_HEADS = ["Sponsored", "Sponsored Content", "Paid Content", "Around the Web", "Promoted Stories",
                 "From our partners"]
COMMENT_HEADS = ["Comments", "Leave a Comment", "Join the Conversation", "{n} Comments"]
AD_TOPICS = ["Lighting Design", "Home Security", "PC Laptops", "Retirement Planning", "Dental Care",
             "Kitchen Remodeling", "Solar Panels", "Pet Insurance", "Travel Deals", "Credit Cards", "Hearing Aids",
             "Mattresses", "Online Courses", "Car Insurance", "Meal Kits", "Window Replacement"]
AD_SENTENCES = [
    "Discover how the right {x} choices can change your day-to-day routine without breaking the bank.",
    "Experts break down what to look for in {x} so you can find the best option for your family.",
    "Carefully weigh these pros and cons of {x} to make an informed decision that suits your needs.",
    "Thousands of homeowners are switching to {x} this year, and here is why it could pay off for you.",
    "Bookmark this simple guide to {x} whenever you decide it is time for an upgrade at home.",
    "Demand for {x} is at an all-time high, leaving many shoppers unable to find the deals they want.",
]
COMMENTERS = _w("jdog77 MaryK RiverRat localmom42 OldTimer truthseeker BigSky55 hawkeye Patriot1776 SunnyD "
                "grandpaJoe k_lee TexasTea westsider coachB")


@dataclasses.dataclass
class Site:
    """One outlet's page chrome: navigation, rails, sponsored blocks, footer, quirks."""

    name: str
    domain: str
    city: str
    nav: List[str]
    rail_head: str
    sponsor_head: str
    comment_head: str
    sponsored: List[List[str]]
    single_newlines: bool
    inline_ads: bool
    read_more_inline: bool
    newsletter_promo: bool
    headline_first: float
    tz_label: str


def make_site(r: random.Random) -> Site:
    city = _pick(r, CITIES)
    if r.random() < 0.6:
        name = f"The {city} {_pick(r, PAPERS)}"
        domain = re.sub(r"[^a-z]", "", name.lower().replace("the ", "")) + ".com"
    else:
        call = "K" if r.random() < 0.5 else "W"
        call += "".join(_pick(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3))
        name = f"{call} {r.randrange(2, 14)} News"
        domain = call.lower() + "tv.com"
    sponsored = []
    for topic in r.sample(AD_TOPICS, 4):
        ad = _pick(r, AD_SENTENCES).format(x=topic.lower())
        sponsored.append([f"{_pick(r, ADJ).capitalize()} {_pick(r, NOUN)} photo...", topic,
                          f"{_pick(r, ['How to choose', 'Why you should rethink', 'The truth about', 'A guide to'])} "
                          f"{topic.lower()}", ad])
    return Site(
        name=name, domain=domain, city=city,
        nav=r.sample(SECTIONS, r.randrange(4, 12)),
        rail_head=_pick(r, RAIL_HEADS).replace("{site}", name),
        sponsor_head=_pick(r, SPONSOR_HEADS),
        comment_head=_pick(r, COMMENT_HEADS).replace("{n}", str(r.randrange(2, 80))),
        sponsored=sponsored,
        single_newlines=r.random() < 0.1,
        inline_ads=r.random() < 0.3,
        read_more_inline=r.random() < 0.15,
        newsletter_promo=r.random() < 0.2,
        headline_first=r.random(),
        tz_label=_pick(r, ["EDT", "CDT", "PST", "GMT", "ET", ""]),
    )


def render_page(story: Story, site: Site, r: random.Random, teasers: Sequence[str], header: bool = True) -> str:
    """The text dump of ``story`` as published on ``site``; ``header`` adds the `` date`` line."""
    lines: List[str] = []
    header_rest = None
    if r.random() < site.headline_first:
        header_rest = story.headline
    if r.random() < 0.5:
        lines.append("On the Site:")
    lines.extend(site.nav)
    lines.extend(["Close", site.domain.upper() if r.random() < 0.3 else site.name, "Subscribe", ""])
    lines.append(_pick(r, SECTIONS).upper() + " NEWS")
    lines.append("")
    if header_rest is None or r.random() < 0.5:
        lines.extend([story.headline, ""])
    mon = MONTHS[story.date.month - 1][:3]
    lines.append(f"{mon} {story.date.day}, {story.date.year}, {r.randrange(1, 13)}:{r.randrange(60):02d} "
                 f"{_pick(r, ['AM', 'PM'])} | Updated: {r.randrange(1, 13)}:{r.randrange(60):02d} pm")
    lines.append("")
    if r.random() < 0.6:
        cap = _caption(story, r)
        lines.extend([cap[:95] + "...", "", cap + f" ({_pick(r, FIRST)} {_pick(r, LAST)}/{_pick(r, ['Getty Images', 'AP Photo', 'Reuters', 'File photo', 'Handout'])})", ""])
    if r.random() < 0.3:
        lines.extend(["Play video", ""])
    if story.byline and r.random() < 0.8:
        by = story.byline.upper() if r.random() < 0.3 else story.byline
        credit = f", {story.credit}" if story.credit and r.random() < 0.6 else ""
        lines.extend([f"By {by}{credit}", ""])
    sep = "\n" if site.single_newlines else "\n\n"
    body_lines: List[str] = []
    for i, par in enumerate(story.paragraphs):
        body_lines.append(" ".join(par))
        if site.inline_ads and i in (2, 6):
            body_lines.append("Advertisement")
        if site.read_more_inline and i == 3 and teasers:
            body_lines.append(f"READ MORE: {_pick(r, teasers)}")
    lines.append(sep.join(body_lines))
    lines.append("")
    if site.newsletter_promo:
        lines.extend([f"Sign up for {site.name}'s morning newsletter to get the day's top stories delivered "
                      f"to your inbox before breakfast.", ""])
    if r.random() < 0.5:
        lines.extend([f"Copyright {story.date.year} {site.name}. All rights reserved.", ""])
    if r.random() < 0.4:
        lines.extend(["Share this article", "Facebook", "Twitter", "Email", ""])
    lines.extend([site.rail_head, ""])
    for t in list(teasers)[: r.randrange(2, 6)]:
        lines.extend([t, "", f"{r.randrange(1, 23)} hours ago", ""])
    lines.extend([site.sponsor_head, ""])
    for block in site.sponsored[: r.randrange(2, 5)]:
        lines.extend(block)
        lines.append("")
    if r.random() < 0.5:
        lines.extend([site.comment_head, ""])
        for _ in range(r.randrange(1, 4)):
            lines.extend([f"{_pick(r, COMMENTERS)} · {r.randrange(1, 12)} hours ago",
                          f"This is exactly what I have been saying about the {_pick(r, NOUN)} for years, and "
                          f"nobody in {site.city} listens.", ""])
    lines.extend(["Privacy Policy", "Terms of Use", f"© {story.date.year} {site.name}"])
    if r.random() < 0.3:
        lines.append(story.headline)
    page = "\n".join(lines)
    if header:
        first_line = header_rest if header_rest is not None else (lines[0] if lines else "")
        rest = page.split("\n", 1)[1] if header_rest is None else page
        page = f" date {story.date.isoformat()} {first_line}\n" + rest
    return page + "\n"


def _caption(story: Story, r: random.Random) -> str:
    words = story.headline.split()
    return f"{_pick(r, ['People gather near', 'A view of', 'Officials stand outside', 'Crews work at'])} " + \
           " ".join(words[-5:]) + f" on {_pick(r, WEEKDAYS)} in a photo released by {_pick(r, LAST)} {_pick(r, PAPERS)}"


# ---------------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class TruthRow:
    """One labelled document (see the module docstring for the columns)."""

    file: str
    story: str
    event: str
    kind: str
    parent: str
    body_words: int
    body_hash: str
    edits: str
    published: str  # the header's date (YYYY-MM-DD), "" when the dump has no header


def _n_copies(r: random.Random) -> int:
    x = r.random()
    if x < 0.45:
        return 0
    if x < 0.65:
        return 1
    if x < 0.77:
        return 2
    if x < 0.85:
        return 3
    if x < 0.94:
        return r.randrange(4, 7)
    if x < 0.99:
        return r.randrange(7, 16)
    return r.randrange(16, 41)


def _plan_event(index: int, n_docs: int, r: random.Random) -> List[tuple]:
    """The documents of one event: (kind, story offset, parent index) tuples in write order."""
    docs = [("base", 0, None)]
    n_copies = max(5, n_docs // 50) if index == 0 else _n_copies(r)  # event 0: syndicated everywhere
    docs += [("copy", 0, 0)] * n_copies
    docs += [("rewrite", 0, 0)] * _pick(r, (0, 0, 0, 0, 0, 0, 1, 1, 1, 2))
    for k in range(_pick(r, (0,) * 10 + (1, 1, 1, 2))):
        at = len(docs)
        docs.append(("independent", k + 1, None))
        docs += [("copy", k + 1, at)] * _pick(r, (0, 0, 0, 1, 1, 2, 3))
    return docs


class Generated(NamedTuple):
    """One generated document: its file name, page dump, ideal article text and truth."""

    file: str
    page: str
    body: str
    truth: TruthRow


def iter_documents(n_docs: int, seed: int = 0) -> Iterator[Generated]:
    """Each of ``n_docs`` documents in write order, deterministic in ``seed``."""
    site_rng = random.Random(f"sites-{seed}")
    sites = [make_site(site_rng) for _ in range(max(20, min(2000, n_docs // 25)))]
    names = list(range(n_docs))
    random.Random(f"names-{seed}").shuffle(names)
    recent_headlines: List[str] = []
    produced = 0
    event_index = 0
    while produced < n_docs:
        r = random.Random(f"{seed}-{event_index}")
        event = make_event(f"e{event_index:06d}", r)
        stories: Dict[int, Story] = {}
        written: Dict[int, str] = {}
        used_sites: set = set()
        par_cache: Dict[str, list] = {}
        for pos, (kind, offset, parent) in enumerate(_plan_event(event_index, n_docs, r)):
            if produced >= n_docs:
                break
            story_id = f"s{event_index:06d}-{offset}"
            site = _pick(r, sites)
            for _ in range(3):  # a repost usually lands on a different site than its siblings
                if site.name not in used_sites:
                    break
                site = _pick(r, sites)
            used_sites.add(site.name)
            if kind in ("base", "independent"):
                avoid = [s for st in stories.values() for p in st.paragraphs for s in p]
                wire = event.wire if kind == "base" else (_pick(r, WIRES) if r.random() < 0.5 else None)
                story = write_story(event, r, avoid=avoid, wire=wire)
                if kind == "independent":
                    story.date = event.date + dt.timedelta(days=_pick(r, (0, 0, 1)))
                edits = ""
            elif kind == "copy":
                story, labels = make_copy(stories[parent], event, site, r)
                edits = ",".join(labels)
            else:
                story, labels = make_rewrite(stories[parent], event, r)
                edits = ",".join(labels)
            stories[pos] = story
            fname = f"d{names[produced]:07d}.txt"
            written[pos] = fname
            teasers = r.sample(recent_headlines, min(len(recent_headlines), 5)) if recent_headlines else []
            header = r.random() < 0.95
            page = render_page(story, site, r, teasers, header)
            body = story.body()
            words = []
            for par in body.split("\n\n"):  # copies share paragraphs: tokenise each once per event
                par_words = par_cache.get(par)
                if par_words is None:
                    par_words = par_cache[par] = tokenize(par)
                words.extend(par_words)
            row = TruthRow(fname, story_id, event.event_id, kind, written.get(parent, "") if parent is not None else "",
                           len(words), tokens_hash(words), edits, story.date.isoformat() if header else "")
            produced += 1
            yield Generated(fname, page, body, row)
            if kind in ("base", "independent"):
                recent_headlines.append(story.headline)
                if len(recent_headlines) > 200:
                    del recent_headlines[: len(recent_headlines) - 200]
        event_index += 1


def generate(root, n_docs: int, seed: int = 0) -> List[TruthRow]:
    """Write ``root/docs/*.txt`` and ``root/truth.csv``; returns the truth rows.

    Args:
        root: Folder to write into (created when missing).
        n_docs: Number of documents.
        seed: Seed of every random choice; the same (n_docs, seed) gives byte-identical output.
    """
    if n_docs < 1:
        raise ValueError("n_docs must be >= 1")
    root = Path(root)
    docs = root / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    rows = []
    for doc in iter_documents(n_docs, seed):
        with open(docs / doc.file, "w", encoding="utf-8") as fh:
            fh.write(doc.page)
        rows.append(doc.truth)
    with open(root / "truth.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(TRUTH_FIELDS)
        for row in rows:
            w.writerow(dataclasses.astuple(row))
    return rows


def read_truth(path) -> List[TruthRow]:
    """The rows of a ``truth.csv`` written by ``generate``."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return [TruthRow(r["file"], r["story"], r["event"], r["kind"], r["parent"], int(r["body_words"]),
                         r["body_hash"], r["edits"], r["published"]) for r in reader]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Write a labelled benchmark corpus of news-page text dumps.")
    parser.add_argument("out", help="Folder to create: OUT/docs/*.txt and OUT/truth.csv.")
    parser.add_argument("n_docs", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = generate(args.out, args.n_docs, args.seed)
    counts = {k: sum(r.kind == k for r in rows) for k in KINDS}
    print(f"{len(rows)} documents in {os.path.join(args.out, 'docs')}: {counts}; "
          f"{len({r.story for r in rows})} stories")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
