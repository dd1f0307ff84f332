"""Writing answers (kg/results.py): prefixed names, and one term on many rows in every format."""
import csv
import io
import json

import pytest

from kg.prefixes import PREFIXES
from kg.results import QueryResult, as_csv, as_json, as_table, as_tsv, short

pyoxigraph = pytest.importorskip("pyoxigraph")


def longest_prefix(iri: str) -> str:
    """The longest known namespace that the IRI starts with, found the slow way."""
    fitting = [(prefix, namespace) for prefix, namespace in PREFIXES.items() if iri.startswith(namespace)]
    if not fitting:
        return f"<{iri}>"
    prefix, namespace = max(fitting, key=lambda item: len(item[1]))
    return f"{prefix}:{iri[len(namespace):]}"


@pytest.mark.parametrize("iri", [
    "https://w3id.org/kg/id/deval-patrick", "https://w3id.org/kg/id/article-1/mention/1-2/x", "https://w3id.org/kg/ontology#Statement",
    "https://w3id.org/kg/ontology#a/b", "https://w3id.org/kg/idx", "https://w3id.org/kg/", "https://w3id.org/kg/graph/article/a#b",
    "http://www.w3.org/ns/oa#", "https://schema.org/", "https://schema.org//x", "urn:x", "http://example.org/a#b/c", "",
])
def test_prefixed_names_are_the_longest_namespace_that_fits(iri):
    assert short(pyoxigraph.NamedNode(iri) if iri else None) == (longest_prefix(iri) if iri else "")


def test_a_term_on_many_rows_is_written_alike_in_every_format():
    speaker, words = pyoxigraph.NamedNode("https://w3id.org/kg/id/carol-rose"), pyoxigraph.Literal("a\tb\nc")
    result = QueryResult(("who", "said"), tuple((speaker, words if n % 2 else None) for n in range(4)))
    assert as_table(result).splitlines()[2:] == ["kgr:carol-rose", "kgr:carol-rose  a b c"] * 2 + ["(4 rows)"]
    assert list(csv.reader(io.StringIO(as_csv(result))))[1:] == [["https://w3id.org/kg/id/carol-rose", ""],
                                                                 ["https://w3id.org/kg/id/carol-rose", "a\tb\nc"]] * 2
    assert as_tsv(result).splitlines()[1:] == ["<https://w3id.org/kg/id/carol-rose>\t", '<https://w3id.org/kg/id/carol-rose>\t"""a\\tb\\nc"""'] * 2
    bindings = json.loads(as_json(result))["results"]["bindings"]
    assert bindings == [{"who": {"type": "uri", "value": "https://w3id.org/kg/id/carol-rose"}},
                        {"who": {"type": "uri", "value": "https://w3id.org/kg/id/carol-rose"}, "said": {"type": "literal", "value": "a\tb\nc"}}] * 2
