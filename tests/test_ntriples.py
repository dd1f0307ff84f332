"""The build's N-Triples text (kg/ntriples.py) against rdflib's own serialiser: byte for byte."""
from __future__ import annotations

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.plugins.serializers.nt import _nt_row

from conftest import REPO, load_generator
from kg.annotations import read_corpus
from kg.build import assemble, read_project, serialise_nquads
from kg.ntriples import TripleLines, nquads, parse_term, term
from kg.project import open_project


def _both(root):
    project = open_project(root)
    corpus = read_corpus(project.seeds, project.root)
    graphs, origins = assemble(project, corpus)
    _corpus, lines, line_origins = read_project(project, use_cache=False, writable_cache=False)
    return graphs, origins, lines, line_origins


def test_the_seeds_write_the_same_bytes_as_rdflib():
    graphs, origins, lines, line_origins = _both(REPO)
    assert nquads(lines) == serialise_nquads(graphs)
    assert line_origins.lines == origins.lines
    assert {name: len(found) for name, found in lines.items()} == {str(name): len(graph) for name, graph in graphs.items()}


def test_a_generated_corpus_writes_the_same_bytes_as_rdflib(tmp_path):
    root = load_generator().generate(60, tmp_path / "corpus", seed=3)
    graphs, _origins, lines, _line_origins = _both(root)
    assert len(lines) > 60
    assert nquads(lines) == serialise_nquads(graphs)


@pytest.mark.parametrize("node", [
    URIRef("https://w3id.org/kg/id/a"), BNode("b0"), Literal("plain"), Literal("quote \" and \\ and\nnewline\r"),
    Literal("Gov.\u00a0Patrick’s “words”"), Literal("en", lang="en"), Literal(5), Literal("0.5", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal")),
    Literal(True),
])
def test_each_kind_of_term_is_written_as_rdflib_writes_it(node):
    triple = (URIRef("urn:s"), URIRef("urn:p"), node)
    sink = TripleLines()
    sink.add(triple)
    assert [line + " .\n" for line in sink.lines] == [_nt_row(triple)]
    assert term(node) in _nt_row(triple)


def test_an_iri_rdflib_would_refuse_is_refused():
    with pytest.raises(ValueError):
        term(URIRef("https://w3id.org/kg/id/not an iri"))


def test_the_same_triple_is_kept_once():
    sink = TripleLines()
    sink.add((URIRef("urn:s"), URIRef("urn:p"), Literal("x")))
    sink.add((URIRef("urn:s"), URIRef("urn:p"), Literal("x")))
    assert len(sink) == 1


@pytest.mark.parametrize("node", [
    URIRef("https://w3id.org/kg/id/a"), BNode("b0"), Literal("plain"), Literal("quote \" and \\ and\nnewline\r \\n"),
    Literal("en", lang="en"), Literal(5), Literal("0.5", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal")),
    Literal("x7", datatype=URIRef("http://www.w3.org/2001/XMLSchema#nonNegativeInteger")),
])
def test_parse_term_reads_back_what_term_wrote(node):
    back = parse_term(term(node))
    assert back == node and type(back) is type(node) and str(back) == str(node)


def test_documents_and_text_stream_load_what_one_document_loads():
    """The build streams its lines into pyoxigraph in batches (no text of the whole dataset): the store
    gets the same triples, non-ASCII and multi-byte characters split across reads included."""
    import io

    import pyoxigraph as ox

    from kg.ntriples import documents
    from kg.streams import ChunkStream

    lines = [f'<https://w3id.org/kg/id/s{n}> <https://w3id.org/kg/id/p> "Gov.\u00a0Patrick’s “{n}” 𝄞"' for n in range(2500)]
    batches = list(documents(lines, batch=1000))
    assert [batch.count(" .\n") for batch in batches] == [1000, 1000, 500]
    assert "".join(batches) == "".join(line + " .\n" for line in lines)
    assert list(documents([])) == []
    stream = ChunkStream(batches)
    assert b"".join(iter(lambda: stream.read(7), b"")) == "".join(batches).encode("utf-8")  # 7 bytes: splits characters
    streamed, whole = ox.Store(), ox.Store()
    streamed.bulk_load(ChunkStream(documents(lines, batch=333)), format=ox.RdfFormat.N_TRIPLES)
    whole.load("".join(batches).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    assert set(map(str, streamed)) == set(map(str, whole)) and len(whole) == 2500
    assert isinstance(ChunkStream([]), io.RawIOBase) and ChunkStream([]).read() == b""


_AWKWARD = ["plain", 'quote " and \\ and\nnewline\r and \\n', "tab\there", "Gov.\u00a0Patrick’s “words”", "astral 𝄞", "", "@en", '"^^<x>']


@pytest.mark.parametrize("text", _AWKWARD)
def test_literals_written_from_strings_are_the_terms_rdflib_writes(text):
    from kg.ntriples import lang_literal, plain_literal

    assert plain_literal(text) == term(Literal(text))
    assert lang_literal(text, "en") == term(Literal(text, lang="en"))


@pytest.mark.parametrize("value, datatype", [
    (0, "nonNegativeInteger"), (4711, "nonNegativeInteger"), (True, "boolean"), (False, "boolean"), ("0.25", "decimal"),
    ("12", "decimal"), ("2011", "gYear"), ("2011-05", "gYearMonth"), ("2011-05-03", "date"),
])
def test_typed_literals_are_rdflibs_own(value, datatype):
    from kg.ntriples import typed_literal

    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert typed_literal(value, xsd + datatype) == term(Literal(value, datatype=URIRef(xsd + datatype)))
    assert typed_literal(1, xsd + "boolean") != typed_literal(True, xsd + "boolean")  # equal keys, other terms


def test_iris_written_from_strings_are_refused_as_term_refuses_them():
    from kg.ntriples import iri

    assert iri("https://w3id.org/kg/id/a/anchor/1-2") == term(URIRef("https://w3id.org/kg/id/a/anchor/1-2"))
    for bad in "<>\" {}|\\^`":
        with pytest.raises(ValueError, match="does not look like a valid URI"):
            iri(f"https://w3id.org/kg/id/a{bad}b")
        with pytest.raises(ValueError):
            term(URIRef(f"https://w3id.org/kg/id/a{bad}b"))


def test_a_graph_block_sorts_its_lines_as_the_whole_quads_sort():
    # Lines sorted before the graph's name is added, in the order of the quads themselves: where one
    # line starts another (a literal and the same with a language or a datatype, blank nodes _:b1 and
    # _:b10), the longer one goes on with a character above the suffix's space.
    import random

    from kg.ntriples import graph_block, graph_block_pieces

    rng = random.Random(11)
    subjects = ["<http://e.org/a>", "<http://e.org/a1>", "_:b1", "_:b10", "_:b1a"]
    objects = ['"x"', '"x"@en', '"x"@en-gb', '"x"^^<http://www.w3.org/2001/XMLSchema#string>', '"x y"', '"x\\ty"', '"x\\"y"',
               '"é"', '"\u00a0"', '"𝔘"', "<http://e.org/o>", "<http://e.org/o2>", "_:b1", "_:b10", '""', '"x\\n"']
    name = "https://w3id.org/kg/graph/inferred"
    for _ in range(200):
        lines = {f"{rng.choice(subjects)} <http://e.org/p> {rng.choice(objects)}" for _ in range(rng.randrange(0, 30))}
        expected = "".join(sorted(f"{line} <{name}> .\n" for line in lines)).encode("utf-8")
        assert graph_block(lines, name) == expected
        pieces = graph_block_pieces(lines, name, piece_lines=4)  # whole lines, at most four a piece
        assert b"".join(pieces) == expected and all(piece.endswith(b" .\n") and 1 <= piece.count(b"\n") <= 4 for piece in pieces)
