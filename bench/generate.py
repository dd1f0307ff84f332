"""Generate a synthetic kg corpus in the real annotation format, for benchmarks.

    python bench/generate.py N OUTDIR [--seed S]

writes a kg project directory OUTDIR holding

    seeds/registry.yaml                    shared people, organizations, places, programs, ...
    seeds/article-00001.txt / .yaml ...    N verbatim articles with stand-off annotations
    ontology/, queries/                    copied from this repository

and `generate(n, out, seed)` does the same from Python. The same N and seed always give the same
bytes. The corpus has the shape of the real one (seeds/), scaled: a registry that grows much more
slowly than the number of articles (about 60 + N/15 entries, so entities are shared), persons
with aliases and posts (governor posts, so the Governor inference fires), cities located in
states, pilot programs `part_of` Secure Communities (one of them `boston-pilot`), decisions,
campaigns, datasets and newspaper reports with `derived_from` chains (article -> report ->
state summary -> pilot figures), and statistics each cited by statements in many articles
(popularity is Zipf-like). Every article has a title, an author and a date, 5-8 mentions,
2-4 statements (report, indirect, direct, letter, re-quotation of an earlier article's
statement: quotation chains) and 1-2 figures. The texts contain no-break spaces and curly
quotes and apostrophes; the annotations are typed in plain ASCII, as a person would, and where a
quote occurs more than once in an article the annotation carries the shortest `prefix:` (or
`suffix:`) that picks the intended place, found with kg's own anchoring code.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/generate.py` from a checkout without kg installed
    sys.path.insert(0, str(REPO))

from kg.anchoring import AnchorAmbiguous, AnchorNotFound, NormalisedText, anchor, normalise  # noqa: E402

MARKER = ".kg-bench-generated"
NBSP = "\u00a0"
LQ, RQ, APOS, DASH = "\u201c", "\u201d", "\u2019", "\u2014"

#: Saved-query parameters that differ from the queries' defaults on a synthetic corpus
#: (every other default - deval-patrick, mary-beth-heffernan, secure-communities,
#: boston-pilot-serious-crime-share - exists in the synthetic registry too).
QUERY_PARAMS = {"article-evidence": {"document": "article-00001"}}

# ----------------------------------------------------------------------------- word lists

STATES = [
    "Alabama", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware", "Florida", "Georgia",
    "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine", "Maryland", "Michigan",
    "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska", "Nevada", "New Hampshire", "New Jersey",
    "New Mexico", "New York", "North Carolina", "Ohio", "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island",
    "South Carolina", "Tennessee", "Texas", "Utah", "Vermont", "Virginia", "Washington", "Wisconsin", "Wyoming",
]
CITY_HEADS = ["Fall", "New", "East", "North", "Port", "Lake", "Mill", "Green", "Spring", "West", "Oak", "Cedar",
              "River", "Stone", "Clear", "Fair", "Glen", "Red", "Maple", "Bright"]
CITY_TAILS = ["field", "ton", "bury", "ford", "dale", "haven", "port", "wood", "mont", "view", "brook", "ridge"]
FIRST = ["Ana", "Ben", "Carla", "David", "Elena", "Frank", "Grace", "Hector", "Irene", "James", "Karen", "Luis",
         "Maria", "Nathan", "Olivia", "Pedro", "Quinn", "Rosa", "Samuel", "Teresa", "Victor", "Wendy", "Xavier",
         "Yolanda", "Zachary", "Alice", "Brian", "Diane", "Edwin", "Fiona", "George", "Helen", "Ivan", "Julia",
         "Kevin", "Laura", "Marcus", "Nora", "Oscar", "Paula"]
LAST = ["Alvarez", "Brennan", "Castillo", "Donovan", "Espinoza", "Fitzgerald", "Garrity", "Hoang", "Iverson",
        "Jablonski", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "O'Malley", "Petrakis", "Quintero", "Rinaldi",
        "Sullivan", "Tanaka", "Underwood", "Valdez", "Whitaker", "Yamamoto", "Zielinski", "Abernathy", "Bergstrom",
        "Carvalho", "Delgado", "Eriksen", "Ferreira", "Gallagher", "Halvorsen", "Ibarra", "Jaramillo", "Kincaid",
        "Lombardi", "Mendoza", "Novak", "Okafor", "Pacheco", "Rasmussen", "Salazar", "Thibodeau", "Vasquez", "Winslow"]
ORG_PATTERNS = [
    ("{place} Immigrant Rights Coalition", "advocacy-group"),
    ("{place} Workers Center", "advocacy-group"),
    ("Friends of {place} Families", "advocacy-group"),
    ("{place} Council for Civil Liberties", "advocacy-group"),
    ("{place} Legal Aid Project", "advocacy-group"),
    ("{place} Interfaith Network", "advocacy-group"),
]
NEWS_NAMES = ["The Harbor Courier", "Bay State Ledger", "Commonwealth Public Radio", "The Evening Sentinel",
              "Northeast Herald", "The Valley Gazette", "Capitol Dispatch", "The Morning Tribune", "Granite Post",
              "The Lakeside Chronicle", "Metro Daily", "The Riverside Observer"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]

# measure slug, measure, unit, kind of number, clause ({fig} = the figure, {pilot} = the pilot's name)
MEASURES = [
    ("serious-crime-share", "share convicted of a serious crime", "proportion", "value",
     "only {fig} of those deported under the {pilot} had been convicted of a serious crime"),
    ("no-conviction-share", "share with no criminal convictions", "proportion", "value",
     "{fig} of the people deported under the {pilot} had no criminal convictions"),
    ("noncriminal-majority", "share identified as non-criminal", "proportion", "lower",
     "{fig} of the people deported under the {pilot} were identified as non-criminal"),
    ("deportations", "number of deportations", "count", "value",
     "the {pilot} had led to {fig} deportations"),
    ("detentions", "number of people detained", "count", "lower",
     "{fig} people had been detained under the {pilot}"),
    ("civil-violation-share", "share held only for civil immigration violations", "proportion", "value",
     "{fig} of deportees under the {pilot} were held only for civil immigration violations"),
]
DECISIONS = [  # decision kind, verb phrase in an article, headline
    ("declined", "declined to join", f"Won{APOS}t Join Immigration Check Program"),
    ("withdrew", "pulled the state out of", "Pulls Out of Immigration Check Program"),
    ("opted-out", "opted out of", "Opts Out of Fingerprint Program"),
    ("joined", "agreed to take part in", "Signs On to Fingerprint Program"),
]
MEDIA = [("interview", " in an interview"), ("statement", " in a statement"), ("testimony", " at a hearing"),
         ("speech", " at a rally")]
FILLERS = [
    "The program has drawn criticism from immigrant advocates, who say it discourages crime victims and "
    "witnesses from coming forward. Supporters say it helps remove dangerous criminals.",
    "Local police chiefs have been divided. Some say the fingerprint checks erode the trust their officers "
    "depend on; others say they have no objection as long as the state does not pay for it.",
    f"Officials did not say when a final decision would be announced. {LQ}We are still reviewing it,{RQ} "
    "a spokesperson said.",
]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("'", "")).strip("-")


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def ids(items) -> str:
    """One id, or a flow list of ids (ids holding '#', DOCUMENT#STATEMENT, are quoted)."""
    items = [q(i) if "#" in i else i for i in items]
    return items[0] if len(items) == 1 else "[" + ", ".join(items) + "]"


# ----------------------------------------------------------------------------- the registry


@dataclass
class Entry:
    id: str
    type: str
    name: str
    aliases: list[str] = field(default_factory=list)
    fields: dict[str, object] = field(default_factory=dict)  # key -> id, list of ids or scalar


@dataclass
class Stat:
    id: str
    measure: str
    unit: str
    kind: str  # value | lower
    number: float
    approximate: bool
    pilot: str
    city: str
    source: str
    clause: str
    figure_text: str  # how articles write it (verbatim, may hold a no-break space)
    population: str


@dataclass
class Person:
    id: str
    first: str
    last: str
    role: str  # governor | secretary | director | journalist
    surface: str  # how an article names them in full (verbatim, may hold a no-break space)
    org: str | None = None
    state: str | None = None


class World:
    """The shared registry: everything articles can talk about."""

    def __init__(self, n: int, rng: random.Random):
        self.rng = rng
        self.entries: dict[str, Entry] = {}
        self.stats: list[Stat] = []
        self.persons: dict[str, Person] = {}
        self.names_used: set[str] = set()
        self.state_of_city: dict[str, str] = {}
        self.governor_of: dict[str, str] = {}
        self.secretary_of: dict[str, str] = {}
        self.decision_of: dict[str, tuple[str, str, list[str]]] = {}  # state -> (decision id, kind, event dates)
        self.pilot_of: dict[str, str] = {}
        self.dataset_of: dict[str, str] = {}
        self.summary_of: dict[str, str] = {}
        self.orgs_in: dict[str, list[str]] = {}
        self.directors: dict[str, str] = {}  # org -> person
        self.journalists: dict[str, list[str]] = {}  # news org -> persons
        self.reports_on: dict[str, list[str]] = {}  # pilot -> registry reports
        self.acronym: dict[str, str] = {}
        self._build(n)

    # -- helpers
    def add(self, entry: Entry) -> Entry:
        assert entry.id not in self.entries, entry.id
        self.entries[entry.id] = entry
        return entry

    def unique_id(self, base: str) -> str:
        candidate, k = base, 2
        while candidate in self.entries or any(s.id == candidate for s in self.stats):
            candidate, k = f"{base}-{k}", k + 1
        return candidate

    def new_name(self) -> tuple[str, str]:
        while True:
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            if f"{first} {last}" not in self.names_used:
                self.names_used.add(f"{first} {last}")
                return first, last

    def person(self, role: str, holds: str | None = None, member_of: str | None = None, state: str | None = None,
               fixed: tuple[str, str] | None = None, title: str = "") -> str:
        first, last = fixed or self.new_name()
        self.names_used.add(f"{first} {last}")
        identifier = self.unique_id(slug(f"{first} {last}"))
        aliases = {
            "governor": [f"Gov. {first} {last}", f"Governor {last}", f"Gov. {last}", last],
            "secretary": [f"{title} {first} {last}", f"Secretary {last}", last],
            "director": [last, f"{first} {last} of {self.entries[member_of].name}" if member_of else last],
            "journalist": [],
        }[role]
        fields: dict[str, object] = {}
        if holds:
            fields["holds"] = [holds]
        if member_of:
            fields["member_of"] = [member_of]
        self.add(Entry(identifier, "person", f"{first} {last}", list(dict.fromkeys(aliases)), fields))
        surface = {"governor": f"Gov.{NBSP}{first} {last}", "secretary": f"{title} {first} {last}",
                   "director": f"{first} {last}", "journalist": f"{first} {last}"}[role]
        self.persons[identifier] = Person(identifier, first, last, role, surface, member_of, state)
        return identifier

    # -- the world
    def _build(self, n: int) -> None:
        rng = self.rng
        add = self.add
        add(Entry("united-states", "country", "United States", ["the United States", "U.S."]))
        add(Entry("us-federal-government", "government-body", "United States federal government",
                  ["federal government", "the federal government"], {"based_in": ["united-states"]}))
        add(Entry("dhs", "government-agency", "Department of Homeland Security",
                  ["DHS", "the Department of Homeland Security", "Homeland Security"], {"part_of": ["us-federal-government"]}))
        add(Entry("ice", "government-agency", "U.S. Immigration and Customs Enforcement",
                  ["ICE", "Immigration and Customs Enforcement", "federal immigration officials"], {"part_of": ["dhs"]}))
        add(Entry("aclu", "advocacy-group", "American Civil Liberties Union", ["ACLU"], {"based_in": ["united-states"]}))
        self.acronym["aclu"] = "ACLU"
        add(Entry("secure-communities", "program", "Secure Communities",
                  ["S-Comm", "Secure Communities program"], {"operated_by": ["dhs", "ice"], "location": ["united-states"]}))

        # states: Massachusetts (as in the seeds) and a growing number of others
        others = rng.sample(STATES, min(len(STATES), 3 + n // 400))
        states = ["Massachusetts"] + others
        for name in states:
            state_id = slug(name)
            aliases = ["Mass.", "the Commonwealth"] if name == "Massachusetts" else [f"the state of {name}"]
            add(Entry(state_id, "state", name, aliases, {"located_in": ["united-states"]}))
            post = f"governor-of-{state_id}"
            add(Entry(post, "post", f"Governor of {name}", [f"{name} Governor"], {"post_kind": "governor", "jurisdiction": [state_id]}))
            governor = self.person("governor", holds=post, state=state_id,
                                   fixed=("Deval", "Patrick") if name == "Massachusetts" else None)
            self.governor_of[state_id] = governor
            secretary_post = f"{state_id}-public-safety-secretary"
            title = f"{'Public Safety' if name == 'Massachusetts' else name + ' Public Safety'} Secretary"
            add(Entry(secretary_post, "post", f"{name} Secretary of Public Safety", [title],
                      {"post_kind": "secretary", "jurisdiction": [state_id]}))
            self.secretary_of[state_id] = self.person(
                "secretary", holds=secretary_post, state=state_id, title=title,
                fixed=("Mary Beth", "Heffernan") if name == "Massachusetts" else None)
            # the seeds' decision id for Massachusetts, generated ids elsewhere
            kind_index = 0 if name == "Massachusetts" else rng.randrange(len(DECISIONS))
            kind, verb, _ = DECISIONS[kind_index]
            last = self.persons[governor].last
            decision = "patrick-declines-secure-communities" if name == "Massachusetts" else \
                self.unique_id(f"{slug(last)}-{kind}-secure-communities")
            month, day = rng.randint(1, 6), rng.randint(1, 27)
            # the true date, and a day later: the rare source that gets it wrong (see event_date())
            dates = [f"2011-{month:02d}-{day:02d}", f"2011-{month:02d}-{day + 1:02d}"]
            add(Entry(decision, "decision", f"{self.entries[governor].name} {verb} Secure Communities ({name})", [],
                      {"decision": kind, "decided_by": [governor], "program": ["secure-communities"], "jurisdiction": [state_id]}))
            self.decision_of[state_id] = (decision, kind_index, dates)

        # cities (Boston first), each in a state, each with a pilot of Secure Communities and its figures
        city_names = ["Boston"] + rng.sample([h + t for h in CITY_HEADS for t in CITY_TAILS], 4 + n // 250)
        for index, name in enumerate(city_names):
            city = slug(name) if name == "Boston" else self.unique_id(slug(name))
            state = "massachusetts" if index == 0 or index % 3 == 1 else slug(rng.choice(states))
            add(Entry(city, "city", name, [name.upper()], {"located_in": [state]}))
            self.state_of_city[city] = state
            pilot = f"{city}-pilot"
            add(Entry(pilot, "program", f"Secure Communities pilot in {name}",
                      [f"{name} pilot", f"the {name} pilot program"],
                      {"part_of": ["secure-communities"], "operated_by": ["ice"], "location": [city]}))
            self.pilot_of[city] = pilot
            dataset = f"{city}-pilot-figures"
            add(Entry(dataset, "dataset", f"Official figures on deportations under the {name} pilot",
                      [f"official figures from {name}"], {"produced_by": ["ice"], "concerns": [pilot]}))
            self.dataset_of[pilot] = dataset
        add(Entry("aclu-deportation-analysis", "dataset", "ACLU analysis of deportations since 2008",
                  ["ACLU analysis"], {"produced_by": ["aclu"], "derived_from": ["boston-pilot-figures"],
                                      "concerns": ["boston-pilot", "secure-communities"]}))
        # state summaries derived from the pilot figures of the state's cities
        for state_name in states:
            state = slug(state_name)
            pilots = [self.dataset_of[self.pilot_of[c]] for c in self.state_of_city if self.state_of_city[c] == state]
            if pilots:
                summary = f"{state}-deportation-summary"
                add(Entry(summary, "dataset", f"Summary of Secure Communities deportations in {state_name}", [],
                          {"produced_by": ["ice"], "derived_from": pilots, "concerns": ["secure-communities"]}))
                self.summary_of[state] = summary

        # advocacy groups with a director each, and their campaigns
        places = [self.entries[s].name for s in self.summary_of] + city_names
        for k in range(4 + n // 500):
            pattern, kind = ORG_PATTERNS[k % len(ORG_PATTERNS)]
            place = places[(k * 7) % len(places)]
            name = pattern.format(place=place)
            org = self.unique_id(slug(name))
            base = slug(place) if slug(place) in self.entries else "massachusetts"
            state = base if self.entries[base].type == "state" else self.state_of_city[base]
            acronym = "".join(w[0] for w in re.findall(r"[A-Z][a-z]+", name)).upper()
            acronym = acronym if acronym not in self.acronym.values() else f"{acronym}{k}"
            self.acronym[org] = acronym
            add(Entry(org, kind, name, [acronym], {"based_in": [base]}))
            self.orgs_in.setdefault(state, []).append(org)
            post = f"{org}-director"
            add(Entry(post, "post", f"Executive Director, {name}", ["Executive Director"],
                      {"post_kind": "director", "organization": [org]}))
            self.directors[org] = self.person("director", holds=post, member_of=org, state=state)
        orgs = list(self.directors)
        for k, org in enumerate(orgs):
            campaign = f"{org}-campaign"
            fields: dict[str, object] = {"led_by": [org], "location": list(self.entries[org].fields["based_in"]),
                                         "opposes": ["secure-communities"]}
            if len(orgs) > 1:
                fields["supported_by"] = [orgs[(k + 1) % len(orgs)]]
            add(Entry(campaign, "campaign", f"{self.entries[org].name} campaign against Secure Communities", [], fields))

        # news organizations, their journalists, and registry reports (derived from datasets)
        for name in NEWS_NAMES[: 3 + n // 2000]:
            news = self.unique_id(slug(name))
            add(Entry(news, "news-organization", name, [name.removeprefix("The ")] if name.startswith("The ") else []))
            self.journalists[news] = [self.person("journalist", member_of=news) for _ in range(2 + n // 2500)]
        newsrooms = list(self.journalists)
        pilots = list(self.pilot_of.values())
        for k in range(3 + n // 500):
            pilot = pilots[k % len(pilots)]
            city = self.entries[pilot].fields["location"][0]
            news = newsrooms[k % len(newsrooms)]
            report = self.unique_id(f"{news}-report-{k + 1}")
            source = self.summary_of.get(self.state_of_city[city], self.dataset_of[pilot]) if k % 2 else self.dataset_of[pilot]
            add(Entry(report, "news-article", f"{self.entries[news].name} report on deportations under the {self.entries[city].name} pilot",
                      [], {"publisher": [news], "derived_from": [source], "date": f"2011-{1 + k % 6:02d}-{1 + k % 28:02d}"}))
            self.reports_on.setdefault(pilot, []).append(report)

        # statistics: each about one pilot, sourced from its figures (a few from the ACLU or a summary)
        plan = [("boston", 0, 0.25, True), ("boston", 1, 0.54, False), ("boston", 2, 0.5, False), ("boston", 3, 412, True)]
        cities = list(self.pilot_of)
        for k in range(12 + n // 50):
            if k < len(plan):
                city, measure_index, number, approximate = plan[k]
            else:
                city = cities[0] if rng.random() < 0.25 else rng.choice(cities)
                measure_index = rng.randrange(len(MEASURES))
                approximate = rng.random() < 0.3
                number = None
            key, measure, unit, kind, clause = MEASURES[measure_index]
            if number is None:
                if unit == "proportion":
                    number = 0.5 if kind == "lower" else rng.choice([0.2, 0.25, 0.3, 0.4, 0.6, 0.75]) if approximate \
                        else round(rng.randint(11, 89) / 100, 2)
                else:
                    number = rng.randrange(100, 5000, 10 if kind == "value" else 100)
            figure = _figure_text(unit, kind, number, approximate, rng)
            pilot = self.pilot_of[city]
            stat_id = self.unique_id(f"{pilot}-{key}")
            source = self.dataset_of[pilot]
            if city == "boston" and k % 5 == 4:
                source = "aclu-deportation-analysis"
            elif k % 7 == 6 and self.state_of_city[city] in self.summary_of:
                source = self.summary_of[self.state_of_city[city]]
            population = f"people deported under the {self.entries[pilot].name}"
            self.stats.append(Stat(stat_id, measure, unit, kind, number, approximate, pilot, city, source, clause, figure, population))
        # Zipf-like popularity, Boston's figures first
        self.stat_weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(self.stats))]

    def registry_yaml(self) -> str:
        lines = ["# Synthetic registry generated by bench/generate.py: shared entities and statistics.", "", "entities:"]
        for entry in self.entries.values():
            lines.append(f"  - id: {entry.id}")
            lines.append(f"    type: {entry.type}")
            lines.append(f"    name: {q(entry.name)}")
            if entry.aliases:
                lines.append(f"    aliases: [{', '.join(q(a) for a in entry.aliases)}]")
            for key, value in entry.fields.items():
                if isinstance(value, list):
                    lines.append(f"    {key}: {ids(value)}")
                else:
                    lines.append(f"    {key}: {q(str(value))}" if key == "date" else f"    {key}: {value}")
        lines += ["", "statistics:"]
        for stat in self.stats:
            number = f"{stat.number:g}" if stat.unit == "proportion" else str(int(stat.number))
            lines.append(f"  - id: {stat.id}")
            lines.append(f"    measure: {q(stat.measure)}")
            lines.append(f"    population: {q(stat.population)}")
            lines.append(f"    place: {stat.city}")
            lines.append(f"    {'value' if stat.kind == 'value' else 'lower_bound'}: {number}")
            if stat.approximate:
                lines.append("    approximate: true")
            lines.append(f"    unit: {stat.unit}")
            lines.append(f"    concerns: [{stat.pilot}]")
            lines.append(f"    source: {stat.source}")
        return "\n".join(lines) + "\n"


def _figure_text(unit: str, kind: str, number: float, approximate: bool, rng: random.Random) -> str:
    if unit == "proportion":
        if kind == "lower":
            return "more than half"
        if approximate and number in (0.2, 0.25):
            return f"about 1 in {round(1 / number)}"
        percent = round(number * 100)
        return f"about {percent}{NBSP}percent" if approximate else f"{percent} percent"
    text = f"{int(number):,}"
    if kind == "lower":
        return f"more than {text}"
    return f"nearly {text}" if approximate else text


# ----------------------------------------------------------------------------- articles


class Text:
    """An article's verbatim text, built piece by piece, remembering where annotated pieces sit."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def add(self, piece: str) -> tuple[int, int]:
        start = self.length
        self.parts.append(piece)
        self.length += len(piece)
        return start, self.length

    def value(self) -> str:
        return "".join(self.parts)


def _locate(normalised: NormalisedText, back: dict[int, int], span: tuple[int, int]) -> dict[str, str]:
    """The quote (plain ASCII) for the verbatim span, with the shortest prefix or suffix that makes it unique."""
    start, end = span
    text = normalised.original
    quote = normalise(text[start:end])
    try:
        found = anchor(normalised, quote)
        if found.start == start:
            return {"quote": quote}
    except AnchorAmbiguous:
        pass
    begin = back[start]
    before = normalised.text[:begin].split()
    after = normalised.text[begin + len(quote):].split()
    for k in range(1, 13):  # the shortest context first, prefix before suffix
        for key, words in (("prefix", before), ("suffix", after)):
            if k > len(words):
                continue
            context = " ".join(words[-k:] if key == "prefix" else words[:k])
            try:
                found = anchor(normalised, quote, **{key: context})
            except (AnchorAmbiguous, AnchorNotFound):
                continue
            if found.start == start:
                return {"quote": quote, key: context}
    raise RuntimeError(f"cannot anchor {quote!r} at {start} uniquely")


def _date_text(iso: str, nbsp: bool) -> str:
    year, month, day = (int(x) for x in iso.split("-"))
    return f"{MONTHS[month - 1]}{NBSP if nbsp else ' '}{day}, {year}"


def _short_date(iso: str) -> str:
    _, month, day = (int(x) for x in iso.split("-"))
    return f"{MONTHS[month - 1]} {day}"


@dataclass
class Quotable:
    article: str
    statement: str
    speaker: str
    words: str  # verbatim words (curly apostrophes kept)
    cites: list[str]
    about: list[str]
    publisher: str
    date: str


def _article(i: int, n: int, world: World, rng: random.Random, quotables: list[Quotable]) -> tuple[str, str]:
    """The verbatim text and the annotation YAML of article i."""
    article_id = f"article-{i:05d}"
    e = world.entries
    stat1 = rng.choices(world.stats, weights=world.stat_weights)[0]
    city, pilot = stat1.city, stat1.pilot
    state = world.state_of_city[city]
    same_pilot = [s for s in world.stats if s.pilot == pilot and s.id != stat1.id]
    stat2 = None
    if rng.random() < 0.5:
        stat2 = rng.choice(same_pilot) if same_pilot and rng.random() < 0.7 else rng.choice(world.stats)
        if stat2.id == stat1.id:
            stat2 = None
    governor = world.governor_of[state]
    decision, kind_index, event_dates = world.decision_of[state]
    _, verb, headline = DECISIONS[kind_index]
    orgs_here = world.orgs_in.get(state) or list(world.directors)
    org = rng.choice(orgs_here)
    news = rng.choice(list(world.journalists))
    kind = rng.choices(["news-article", "blog-post", "press-release", "opinion"], weights=[70, 12, 10, 8])[0]
    if kind in ("press-release", "opinion"):
        publisher, author = org, world.directors[org]
    else:
        publisher, author = news, rng.choice(world.journalists[news])
    # publication dates run from June 2011 over a year, in article order (a re-quotation quotes the past)
    date = (dt.date(2011, 6, 1) + dt.timedelta(days=(i - 1) * 365 // n)).isoformat()
    reports = world.reports_on.get(pilot, [])
    doc_derived = [rng.choice(reports)] if reports and rng.random() < 0.6 else []
    speaker2 = rng.choice([world.secretary_of[state], world.directors[org], governor])
    speaker3 = rng.choice([world.directors[org], governor, world.secretary_of[state]])
    city_name, state_name = e[city].name, e[state].name
    pilot_name = f"{city_name} pilot"
    number = 100 + i  # makes every article's sentences different from every other article's

    text = Text()
    spans: dict[str, tuple[int, int]] = {}
    mentions: list[tuple[str, tuple[int, int]]] = []
    add = text.add

    def mention(entity: str, piece: str) -> None:
        mentions.append((entity, add(piece)))

    spans["title"] = add(f"{'Mass.' if state == 'massachusetts' else state_name} {headline}: {city_name} Pilot Figures Under Review")
    add("\n\nBy ")
    spans["author"] = add(e[author].name)
    add("\n")
    spans["publisher"] = add(e[publisher].name)
    add(" \u00b7 ")
    spans["date"] = add(_date_text(date, nbsp=rng.random() < 0.5))
    add("\n\n")

    # statement 1: the article's own report of the decision
    mention(city, city_name.upper())
    add(f" {DASH} ")
    event_date = _event_date(rng, event_dates)
    s1 = [add("")[0]]
    mention(governor, world.persons[governor].surface)
    add(" ")
    mention(decision, verb)
    add(" ")
    mention("secure-communities", "Secure Communities")
    add(f" on {_short_date(event_date)}, according to records reviewed for this report (no.{NBSP}{number}).")
    s1.append(text.length)
    spans["s1"] = tuple(s1)
    add("\n\n")

    # statement 2: someone cites the first figure, indirectly
    s2 = [add("")[0]]
    mention(speaker2, world.persons[speaker2].surface)
    add(" said ")
    mention(stat1.source, "official figures")
    add(" showed that ")
    fig_pieces: dict[str, tuple[int, int]] = {}

    def clause(stat: Stat, tag: str, mention_pilot: bool) -> None:
        label = f"{e[stat.city].name} pilot"
        for token in re.split(r"(\{fig\}|\{pilot\})", stat.clause):
            if token == "{fig}":
                fig_pieces[tag] = add(stat.figure_text)
            elif token == "{pilot}" and mention_pilot:
                mention(stat.pilot, label)
            elif token == "{pilot}":
                add(label)
            elif token:
                add(token)

    clause(stat1, "fig1", mention_pilot=True)
    add(f", a count covering {number} case files.")
    s2.append(text.length)
    spans["s2"] = tuple(s2)
    add("\n\n")

    # context: an organization and its acronym, the state
    mention(org, e[org].name)
    add(" (")
    mention(org, world.acronym[org])
    add("), which has campaigned against the program in ")
    mention(state, state_name)
    add(f" since {2006 + i % 5}, called the decision overdue.\n\n")

    # statement 3: a direct quotation (with the second figure), or a letter
    third = "direct" if stat2 or rng.random() < 0.6 else "letter"
    if third == "direct":
        add(LQ)
        s3 = [add("")[0]]
        if stat2:
            add("The numbers speak for themselves: ")
            clause(stat2, "fig2", mention_pilot=False)
            add(f", and {number} families have asked us for help")
        else:
            add(f"We{APOS}re going to keep pressing {state_name} until the last of the {number} cases we are tracking is resolved")
        s3.append(text.length)
        spans["s3"] = tuple(s3)
        medium, medium_text = rng.choice(MEDIA)
        add(f",{RQ} {world.persons[speaker3].last} said{medium_text}.\n\n")
    else:
        addressee = rng.choice(["ice", "dhs"])
        speaker3 = world.secretary_of[state]
        s3 = [add("")[0]]
        add("In a letter to ")
        mention(addressee, "Immigration and Customs Enforcement" if addressee == "ice" else "the Department of Homeland Security")
        add(f", {world.persons[speaker3].surface} said the state would not sign a memorandum of agreement for the program (ref.{NBSP}{number}).")
        s3.append(text.length)
        spans["s3"] = tuple(s3)
        add("\n\n")

    # statement 4: a re-quotation of an earlier article's direct quotation (quotation chains)
    earlier = None
    if quotables and rng.random() < 0.45:
        window = quotables[-40:]
        earlier = rng.choice(window)
        add(f"As {e[earlier.speaker].name} told {e[earlier.publisher].name} on {_short_date(earlier.date)}, {LQ}")
        spans["s4"] = add(earlier.words)
        add(f".{RQ}\n\n")

    add(rng.choice(FILLERS) + " Under the program, fingerprints taken by local police are checked against ")
    mention("ice", "ICE")
    add(" databases.\n")
    text_value = text.value()

    # ------------------------------------------------------------------ annotations
    normalised = NormalisedText(text_value)
    back: dict[int, int] = {}
    for index, origin in enumerate(normalised.origin):
        back.setdefault(origin, index)

    def where(span: tuple[int, int]) -> str:
        return ", ".join(f"{k}: {q(v)}" for k, v in _locate(normalised, back, span).items())

    digest = hashlib.sha256(text_value.encode("utf-8")).hexdigest()
    out = [f"# Synthetic article {i} generated by bench/generate.py.", "document:", f"  id: {article_id}",
           f"  text: {article_id}.txt", f"  original_name: {article_id}.txt", f"  sha256: {digest}", f"  kind: {kind}",
           f"  title: {{{where(spans['title'])}}}",
           f"  publisher: {{entity: {publisher}, {where(spans['publisher'])}}}",
           f"  author: {{entity: {author}, {where(spans['author'])}}}",
           f"  date: {{value: {date}, {where(spans['date'])}}}"]
    if doc_derived:
        out.append(f"  derived_from: [{', '.join(doc_derived)}]")
    keep = rng.randint(5, 8)
    chosen = sorted(rng.sample(range(len(mentions)), min(keep, len(mentions))))
    out += ["", "mentions:"]
    out += [f"  - {{entity: {mentions[k][0]}, {where(mentions[k][1])}}}" for k in chosen]

    out += ["", "statements:"]

    def statement(sid: str, speaker: str, span: tuple[int, int], claim: str, form: str, about: list[str], **extra) -> None:
        out.append(f"  - id: {sid}")
        out.append(f"    speaker: {speaker}")
        for key, value in _locate(normalised, back, span).items():
            out.append(f"    {key}: {q(value)}")
        out.append(f"    claim: {q(claim)}")
        out.append(f"    form: {form}")
        for key, value in extra.items():
            if value:
                out.append(f"    {key}: {ids(value) if isinstance(value, list) else q(value) if key.endswith('date') else value}")
        out.append(f"    about: [{', '.join(about)}]")

    statement("decision-report", author if kind not in ("press-release",) else publisher, spans["s1"],
              f"{e[governor].name} {verb} Secure Communities.", "report",
              [decision, "secure-communities"], medium="news-report", date=date, event_date=event_date)
    statement(f"{slug(world.persons[speaker2].last)}-figures", speaker2, spans["s2"],
              f"Official figures on the {pilot_name}: {stat1.measure} is {normalise(stat1.figure_text)}.",
              "indirect", [pilot, "secure-communities"], date=date, cites=[stat1.id],
              names_source=[stat1.source], derived_from=doc_derived or [stat1.source])
    if third == "direct":
        sid = f"{slug(world.persons[speaker3].last)}-quote"
        statement(sid, speaker3, spans["s3"],
                  f"{e[speaker3].name} criticised the program" + (f" citing {stat2.measure}." if stat2 else "."),
                  "direct", [stat2.pilot if stat2 else pilot], medium=medium, date=date,
                  cites=[stat2.id] if stat2 else [])
        quotables.append(Quotable(article_id, sid, speaker3, text_value[spans["s3"][0]:spans["s3"][1]],
                                  [stat2.id] if stat2 else [], [stat2.pilot if stat2 else pilot], publisher, date))
    else:
        statement("letter", speaker3, spans["s3"], "The state will not sign a memorandum of agreement for Secure Communities.",
                  "indirect", [decision], medium="letter", addressee=addressee, date=date,
                  event_date=_event_date(rng, event_dates))
    if earlier:
        statement("requote", earlier.speaker, spans["s4"], f"{e[earlier.speaker].name} repeated an earlier quotation.",
                  "direct", earlier.about, date=date, cites=earlier.cites,
                  derived_from=[f"{earlier.article}#{earlier.statement}"])
        quotables.append(Quotable(article_id, "requote", earlier.speaker, earlier.words, earlier.cites, earlier.about,
                                  publisher, date))

    out += ["", "figures:"]
    out.append(f"  - {{statistic: {stat1.id}, {where(fig_pieces['fig1'])}}}")
    if "fig2" in fig_pieces:
        out.append(f"  - {{statistic: {stat2.id}, {where(fig_pieces['fig2'])}}}")
    yaml_text = "\n".join(out) + "\n"
    return text_value, yaml_text


def _event_date(rng: random.Random, dates: list[str]) -> str:
    """Most sources agree on when a decision was made; about one in fifty is a day off, as in the seeds,
    so where-sources-disagree finds real disagreements without every pair of articles being one."""
    return rng.choices(dates, weights=[49, 1])[0]


# ----------------------------------------------------------------------------- entry points


def marker(n: int, seed: int) -> str:
    """What the marker file of a generated corpus holds: its size, seed and this generator's version."""
    version = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    return f"n={n} seed={seed} generator={version}\n"


def generate(n: int, out: Path, seed: int = 0) -> Path:
    """Write a synthetic kg project of `n` articles to `out`; return `out`."""
    out = Path(out)
    seeds = out / "seeds"
    if seeds.exists() and not (out / MARKER).exists():
        raise FileExistsError(f"{out} already holds a seeds/ directory not made by bench/generate.py; refusing to overwrite it")
    for name in ("seeds", "ontology", "queries"):
        if (out / name).exists():
            shutil.rmtree(out / name)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text(marker(n, seed))
    seeds.mkdir()
    rng = random.Random(f"kg-bench-{seed}")
    world = World(n, rng)
    (seeds / "registry.yaml").write_text(world.registry_yaml(), encoding="utf-8")
    quotables: list[Quotable] = []
    for i in range(1, n + 1):
        text, annotation = _article(i, n, world, random.Random(f"kg-bench-{seed}-{i}"), quotables)
        (seeds / f"article-{i:05d}.txt").write_bytes(text.encode("utf-8"))
        (seeds / f"article-{i:05d}.yaml").write_text(annotation, encoding="utf-8")
    shutil.copytree(REPO / "ontology", out / "ontology")
    shutil.copytree(REPO / "queries", out / "queries")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of articles")
    parser.add_argument("outdir", type=Path, help="project directory to create")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0); the same seed gives the same bytes")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    generate(args.n, args.outdir, args.seed)
    registry = (args.outdir / "seeds" / "registry.yaml").read_text()
    print(f"wrote {args.n} articles, {registry.count(chr(10) + '  - id: ')} registry entries -> {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
