"""The words of the annotation format and the ontology terms they stand for.

One table, shared by the reader (which checks annotations against it) and the graph
emitter (which turns them into triples), so the two can never disagree.
"""
from __future__ import annotations

from rdflib import Namespace

from . import prefixes

# The prefix table itself lives in kg/prefixes.py (plain strings, for the rdflib-free query path).
PREFIXES = {prefix: Namespace(iri) for prefix, iri in prefixes.PREFIXES.items()}
KG, KGR, GRAPH, OA, PROV = (PREFIXES[p] for p in ("kg", "kgr", "kgg", "oa", "prov"))
_GRAPH_PREFIX = str(GRAPH)
SCHEMA, CITO, SKOS, DCTERMS, FOAF = (PREFIXES[p] for p in ("schema", "cito", "skos", "dcterms", "foaf"))

ONTOLOGY_GRAPH = GRAPH["ontology"]
REGISTRY_GRAPH = GRAPH["registry"]
INFERRED_GRAPH = GRAPH["inferred"]


def article_graph(document_id: str):
    return GRAPH[f"article/{document_id}"]


def article_graph_name(document_id: str) -> str:
    """str(article_graph(document_id)), without making an rdflib term (10,000 of them cost 0.2 s)."""
    return f"{_GRAPH_PREFIX}article/{document_id}"


AGENT_TYPES = {
    "person": "Person",
    "organization": "Organization",
    "government-agency": "GovernmentAgency",
    "government-body": "GovernmentBody",
    "advocacy-group": "AdvocacyGroup",
    "news-organization": "NewsOrganization",
    "academic-institution": "AcademicInstitution",
}
PLACE_TYPES = {"country": "Country", "state": "State", "city": "City", "region": "Region"}
DOCUMENT_TYPES = {
    "document": "Document",
    "letter": "Letter",
    "report": "Report",
    "news-article": "NewsArticle",
    "blog-post": "BlogPost",
    "press-release": "PressRelease",
    "petition": "Petition",
    "opinion": "OpinionPiece",
}
OTHER_TYPES = {
    "post": "Post",
    "program": "Program",
    "campaign": "Campaign",
    "decision": "Decision",
    "dataset": "Dataset",
}
ENTITY_TYPES = {**AGENT_TYPES, **PLACE_TYPES, **DOCUMENT_TYPES, **OTHER_TYPES}

ORGANIZATION_TYPES = set(AGENT_TYPES) - {"person"}
SOURCE_TYPES = set(DOCUMENT_TYPES) | {"dataset"}

# What each kind of target may be, by name, for "wrong kind of thing" checks.
AGENT = set(AGENT_TYPES)
PLACE = set(PLACE_TYPES)
ANY = None  # any registry entity

#: relation key -> (ontology property, allowed target entity types or ANY)
RELATIONS = {
    "holds": ("holdsPost", {"post"}),
    "member_of": ("memberOf", ORGANIZATION_TYPES),
    "part_of": ("partOf", ANY),
    "based_in": ("basedIn", PLACE),
    "jurisdiction": ("jurisdiction", PLACE),
    "organization": ("postIn", ORGANIZATION_TYPES),
    "operated_by": ("operatedBy", ORGANIZATION_TYPES),
    "location": ("location", PLACE),
    "led_by": ("ledBy", AGENT),
    "supported_by": ("supportedBy", AGENT),
    "opposes": ("opposes", {"program", "decision"}),
    "located_in": ("locatedIn", PLACE),
    "decided_by": ("decidedBy", AGENT),
    "program": ("concernsProgram", {"program"}),
    "produced_by": ("producedBy", AGENT),
    "derived_from": ("derivedFrom", SOURCE_TYPES),
    "concerns": ("concerns", ANY),
    "author": ("author", AGENT),
    "publisher": ("publisher", AGENT),
}

_ORG_RELATIONS = {"part_of", "based_in"}
#: entity type -> relation keys it may carry (besides id, type, name, aliases, description)
TYPE_RELATIONS: dict[str, set[str]] = {
    "person": {"holds", "member_of"},
    **{t: _ORG_RELATIONS for t in ORGANIZATION_TYPES},
    "post": {"jurisdiction", "organization"},
    "program": {"operated_by", "part_of", "location"},
    "campaign": {"led_by", "supported_by", "location", "opposes"},
    **{t: {"located_in"} for t in PLACE_TYPES},
    "decision": {"decided_by", "program", "jurisdiction"},
    "dataset": {"produced_by", "derived_from", "concerns"},
    **{t: {"author", "publisher", "derived_from"} for t in DOCUMENT_TYPES},
}
#: entity type -> scalar keys it may carry, with their allowed values (None = free text / a date)
TYPE_SCALARS: dict[str, dict[str, set[str] | None]] = {
    "post": {"post_kind": {"governor", "secretary", "director", "police-chief", "president", "other"}},
    "decision": {"decision": {"declined", "withdrew", "joined", "agreed-to-join", "rescinded", "opted-out", "signed"}},
    **{t: {"date": None} for t in DOCUMENT_TYPES},
}

DECISION_KINDS = {
    "declined": "Declined",
    "withdrew": "Withdrew",
    "joined": "Joined",
    "agreed-to-join": "AgreedToJoin",
    "rescinded": "Rescinded",
    "opted-out": "OptedOut",
    "signed": "Signed",
}
STATEMENT_FORMS = {"direct": "DirectQuotation", "indirect": "IndirectSpeech", "report": "ArticleAssertion"}
MEDIA = {
    "letter": "LetterMedium",
    "petition": "PetitionMedium",
    "press-release": "PressReleaseMedium",
    "interview": "InterviewMedium",
    "statement": "StatementMedium",
    "speech": "SpeechMedium",
    "news-report": "NewsReportMedium",
    "sign-on-letter": "SignOnLetterMedium",
    "testimony": "TestimonyMedium",
    "blog-post": "BlogPostMedium",
    "announcement": "AnnouncementMedium",
}
UNITS = {
    "proportion": "Proportion",
    "count": "Count",
    "percent-point": "PercentagePoint",
    "usd": "USDollar",
    "year": "Year",
}
ARTICLE_KINDS = {k: DOCUMENT_TYPES[k] for k in ("news-article", "blog-post", "press-release", "petition", "opinion")}
