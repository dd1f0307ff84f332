"""kg site: a static evidence site — verbatim texts with highlights, pages for everything, no links out."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag

import pytest
from click.testing import CliRunner

from kg.cli import cli
from kg.highlighting import Span, highlight
from kg.site import MARKER, write_tree
from conftest import built_dataset

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def kg(project: Path, *args: str):
    return CliRunner().invoke(cli, ["--project", str(project), *args], obj={})


class Page(HTMLParser):
    """The ids, links and resource references of one page, the text of the verbatim region, and the text under each id."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []  # every href
        self.resources: list[str] = []  # src= and <link href=>
        self.text_links: list[str] = []  # hrefs inside the verbatim text
        self.highlights: list[tuple[str, str]] = []  # (id, class) of highlights in the verbatim text
        self.text = ""
        self.under: dict[str, str] = {}  # id -> its text, for elements inside the verbatim region
        self._stack: list[str | None] = []  # ids of the open elements (None when it has none)
        self._in_text = 0  # depth inside <div id="text">, 0 outside
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        element_id = attributes.get("id")
        if element_id:
            self.ids.add(element_id)
        for name in ("href", "xlink:href"):
            if name in attributes:
                self.links.append(attributes[name])
                if self._in_text:
                    self.text_links.append(attributes[name])
        if "src" in attributes:
            self.resources.append(attributes["src"])
        if tag == "link" and "href" in attributes:
            self.resources.append(attributes["href"])
        if tag in VOID:
            return
        if self._in_text:
            self._in_text += 1
            if element_id and "hl" in (attributes.get("class") or "").split():
                self.highlights.append((element_id, attributes["class"]))
        elif tag == "div" and element_id == "text":
            self._in_text = 1
        self._stack.append(element_id if self._in_text else None)
        if self._in_text and element_id:
            self.under[element_id] = ""

    def handle_startendtag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        for name in ("href", "xlink:href"):
            if name in attributes:
                self.links.append(attributes[name])
        if "src" in attributes:
            self.resources.append(attributes["src"])

    def handle_endtag(self, tag):
        if tag in VOID or not self._stack:
            return
        self._stack.pop()
        if self._in_text:
            self._in_text -= 1

    def handle_data(self, data):
        if self._in_text:
            self.text += data
            for element_id in self._stack:
                if element_id and element_id in self.under:
                    self.under[element_id] += data


def parse(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


def site_files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def mini_site(mini_project, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("mini-site") / "site"
    result = kg(mini_project, "site", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"wrote \d+ pages \(\d+ files\) to .*site\n", result.output)
    return target


@pytest.fixture(scope="module")
def seeds_site(seeds_project, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("seeds-site") / "site"
    result = kg(seeds_project, "site", "-o", str(target))
    assert result.exit_code == 0, result.output
    return target


def test_a_page_for_every_article_entity_statistic_statement_and_query(mini_site, mini_project):
    for name in ("index.html", "citations.html", "site.css", MARKER, "articles/town-note.html", "entities/lee-park.html",
                 "entities/ana-ruiz.html", "entities/town-pilot.html", "entities/freedonia.html", "entities/governor-of-freedonia.html",
                 "statistics/pilot-resolved-share.html", "statements/town-note/park-praise.html", "statements/town-note/park-figures.html"):
        assert (mini_site / name).is_file(), name
    for query in sorted((mini_project / "queries").glob("*.rq")):
        assert (mini_site / "queries" / f"{query.stem}.html").is_file(), query.name
    index = parse(mini_site / "index.html")
    for target in ("articles/town-note.html", "entities/lee-park.html", "statistics/pilot-resolved-share.html",
                   "queries/statements-by.html", "citations.html", "statements/town-note/park-figures.html"):
        assert target in index.links


def test_seeds_site_has_every_article_entity_and_query(seeds_site, seeds_project):
    from rdflib import RDF

    from kg import vocabulary as V
    from kg.querying import load_dataset

    dataset = load_dataset(built_dataset(seeds_project))
    registry = dataset.graph(V.REGISTRY_GRAPH)
    for subject in set(registry.subjects(RDF.type, None)):
        local = str(subject)[len(str(V.KGR)):]
        folder = "statistics" if (subject, RDF.type, V.KG.Statistic) in registry else "entities"
        assert (seeds_site / folder / f"{local}.html").is_file(), local
    articles = sorted((seeds_project / "seeds").glob("*.txt"))
    assert len(list((seeds_site / "articles").glob("*.html"))) == len(articles) == 5
    assert len(list((seeds_site / "statements").rglob("*.html"))) == 80
    for query in sorted((seeds_project / "queries").glob("*.rq")):
        assert (seeds_site / "queries" / f"{query.stem}.html").is_file()


@pytest.mark.parametrize("which", ["mini", "seeds"])
def test_article_text_is_verbatim(which, request):
    site = request.getfixturevalue(f"{which}_site")
    project = request.getfixturevalue(f"{which}_project")
    pages = sorted((site / "articles").glob("*.html"))
    assert pages
    texts = {p.read_bytes().decode("utf-8") for p in (project / "seeds").glob("*.txt")}
    for page in pages:
        text = parse(page).text
        assert text in texts, page.name
        texts.discard(text)
    assert not texts  # every article has its page


def test_highlights_nest_and_cover_exactly_their_words(mini_site):
    page = parse(mini_site / "articles" / "town-note.html")
    assert page.under["st-park-figures"] == "Park cited figures showing about one in three cases were resolved."
    assert page.under["m-94-98-mention-lee-park"] == "Park"
    assert page.under["m-121-139-figure-pilot-resolved-share"] == "about one in three"
    assert page.under["st-park-praise"] == "works well."
    html = (mini_site / "articles" / "town-note.html").read_text()
    # the mention and the figure are inside the statement's element
    statement = html.index('id="st-park-figures"')
    assert statement < html.index('id="m-94-98-mention-lee-park"') < html.index('id="m-121-139-figure-pilot-resolved-share"')
    kinds = dict(page.highlights)
    assert "k-person" in kinds["m-44-57-mention-lee-park"] and "k-statistic" in kinds["m-121-139-figure-pilot-resolved-share"]
    assert "k-statement" in kinds["st-park-praise"] and "k-program" in kinds["m-74-79-mention-town-pilot"]


def test_highlights_sit_at_the_anchor_offsets(seeds_site, seeds_project):
    for page_path in sorted((seeds_site / "articles").glob("*.html")):
        page = parse(page_path)
        for element_id, _ in page.highlights:
            found = re.match(r"m-(\d+)-(\d+)-", element_id)
            if found:
                start, end = int(found[1]), int(found[2])
                assert page.under[element_id] == page.text[start:end], element_id


def _resolve(site: Path, page: Path, href: str) -> tuple[Path, str]:
    target, fragment = urldefrag(href)
    path = (page.parent / unquote(target)).resolve() if target else page
    assert path.is_relative_to(site.resolve()), f"{page}: {href} leaves the site"
    return path, fragment


@pytest.mark.parametrize("which", ["mini", "seeds"])
def test_every_link_resolves_to_a_file_and_id(which, request):
    site = request.getfixturevalue(f"{which}_site")
    parsed: dict[Path, Page] = {}

    def page_of(path: Path) -> Page:
        if path not in parsed:
            parsed[path] = parse(path)
        return parsed[path]

    highlight_links = 0
    for page_path in sorted(site.rglob("*.html")):
        page = page_of(page_path)
        for href in page.links:
            if href.startswith("data:"):
                continue
            assert not re.match(r"^[a-z][a-z0-9+.-]*:", href), f"{page_path}: {href} is not a link inside the site"
            path, fragment = _resolve(site, page_path, href)
            assert path.is_file(), f"{page_path}: {href}"
            if fragment and path.suffix == ".html":
                assert fragment in page_of(path).ids, f"{page_path}: {href} has no element with that id"
        highlight_links += len(page.text_links)
        for element_id, _ in page.highlights:  # every highlight is listed, and linked to, below the text
            assert f"#{element_id}" in page.links
    assert highlight_links > 0


def test_statement_page_links_back_to_the_highlight(mini_site):
    article = parse(mini_site / "articles" / "town-note.html")
    assert "../statements/town-note/park-figures.html" in article.text_links
    statement = parse(mini_site / "statements" / "town-note" / "park-figures.html")
    assert "../../articles/town-note.html#st-park-figures" in statement.links
    assert "../../entities/lee-park.html" in statement.links and "../../statistics/pilot-resolved-share.html" in statement.links
    statistic = parse(mini_site / "statistics" / "pilot-resolved-share.html")
    assert "../articles/town-note.html#m-121-139-figure-pilot-resolved-share" in statistic.links
    assert "../articles/town-note.html#st-park-figures" in statistic.links


def test_entity_page_says_what_they_said_cited_and_where_they_are_named(mini_site):
    html = (mini_site / "entities" / "lee-park.html").read_text()
    page = parse(mini_site / "entities" / "lee-park.html")
    assert "<li>Gov. Lee Park</li>" in html and "<li>Park</li>" in html  # aliases
    assert "“works well.”" in html and "../articles/town-note.html#st-park-praise" in page.links
    assert "../statistics/pilot-resolved-share.html" in page.links  # figures cited
    assert "../articles/town-note.html#m-44-57-mention-lee-park" in page.links  # mentioned in
    assert "governor-of-freedonia.html" in page.links  # facts: holds post (same folder)
    assert "governor (inferred)" in html  # from the someValuesFrom restriction


def test_entity_page_in_the_seeds(seeds_site):
    html = (seeds_site / "entities" / "mary-beth-heffernan.html").read_text()
    page = parse(seeds_site / "entities" / "mary-beth-heffernan.html")
    assert "../articles/wgbh-2011-06-06.html#st-heffernan-statistics" in page.links
    assert "../statistics/boston-pilot-serious-crime-share.html" in page.links
    assert "<li>Mary Heffernan</li>" in html
    aclu = parse(seeds_site / "entities" / "aclu.html")
    assert any(link.startswith("../statistics/") for link in aclu.links)


def test_query_pages_link_rows_to_their_evidence(seeds_site):
    page = parse(seeds_site / "queries" / "who-cited-boston-pilot-figures.html")
    html = (seeds_site / "queries" / "who-cited-boston-pilot-figures.html").read_text()
    assert "../entities/mary-beth-heffernan.html" in page.links
    assert any(link.startswith("../statements/") for link in page.links)
    assert "../statistics/boston-pilot-serious-crime-share.html" in page.links
    assert 'id="row-1"' in html
    governors = (seeds_site / "queries" / "governors-who-declined.html").read_text()
    assert "(3 rows)" in governors and "../entities/deval-patrick.html" in governors


def test_query_row_count_matches_kg_query(mini_project, mini_site):
    from kg.project import open_project
    from kg.querying import run_saved_query

    result = run_saved_query(open_project(mini_project), "statements-by", {"speaker": "kgr:mary-beth-heffernan"})
    html = (mini_site / "queries" / "statements-by.html").read_text()
    assert html.count('<tr id="row-') == len(result.rows)


def test_citation_network_is_drawn(mini_site):
    assert (mini_site / "citations.dot").read_text().startswith("digraph citations {")
    if not shutil.which("dot"):
        pytest.skip("Graphviz not installed (Debian package graphviz; .ci/run installs it)")
    html = (mini_site / "citations.html").read_text()
    assert "<svg" in html and "Lee Park" in html
    assert 'xlink:href="entities/lee-park.html"' in html or 'href="entities/lee-park.html"' in html
    assert (mini_site / "citations.svg").read_text().count("<svg") == 1


@pytest.mark.parametrize("which", ["mini", "seeds"])
def test_nothing_is_fetched_from_anywhere(which, request):
    site = request.getfixturevalue(f"{which}_site")
    for path in sorted(site.rglob("*")):
        if path.suffix not in (".html", ".svg", ".css"):
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text, re.I), path
        assert "<script" not in text and "@import" not in text and "url(" not in text, path
        if path.suffix == ".html":
            for resource in parse(path).resources:
                assert not re.match(r"^(https?:)?//", resource), (path, resource)


def test_same_inputs_give_identical_files(mini_project, mini_site, tmp_path):
    again = tmp_path / "again"
    assert kg(mini_project, "site", "-o", str(again)).exit_code == 0
    assert site_files(again) == site_files(mini_site)


def test_identical_files_in_another_process(seeds_project, seeds_site, tmp_path):
    """Another hash seed changes the order rdflib returns rows and set members in: the site must not change."""
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    again = tmp_path / "again"
    completed = subprocess.run([sys.executable, "-m", "kg.cli", "--project", str(seeds_project), "site", "-o", str(again)],
                               env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    first, second = site_files(seeds_site), site_files(again)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_refuses_to_overwrite_a_directory_it_did_not_write(mini_project, tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("precious")
    result = kg(mini_project, "site", "-o", str(foreign))
    assert result.exit_code == 2
    assert "not written by 'kg site'" in result.output and str(foreign) in result.output
    assert "Traceback" not in result.output
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"] and (foreign / "notes.txt").read_text() == "precious"
    a_file = tmp_path / "file.html"
    a_file.write_text("x")
    assert kg(mini_project, "site", "-o", str(a_file)).exit_code == 2 and a_file.read_text() == "x"


def test_replaces_its_own_earlier_site_and_empty_directories(mini_project, tmp_path):
    target = tmp_path / "out"
    target.mkdir()  # empty: fine
    assert kg(mini_project, "site", "-o", str(target)).exit_code == 0
    (target / "stale.html").write_text("left over")
    assert kg(mini_project, "site", "-o", str(target)).exit_code == 0
    assert not (target / "stale.html").exists() and (target / MARKER).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary directories left


def test_a_failed_write_keeps_the_previous_site(tmp_path):
    target = tmp_path / "site"
    write_tree(target, {MARKER: b"kg\n", "index.html": b"old"})
    with pytest.raises(OSError):
        write_tree(target, {MARKER: b"kg\n", "index.html": b"new", "index.html/impossible": b"x"})
    assert (target / "index.html").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert os.stat(target / "index.html").st_mode & 0o777 == 0o644


def test_the_leftovers_of_a_killed_writer_are_removed_and_a_running_ones_kept(tmp_path):
    import subprocess
    import sys

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(finished.stdout)  # a process that has ended (its id not reused this soon)
    target = tmp_path / "site"
    killed = [tmp_path / f".site.{dead}.abcd_123.site-tmp", tmp_path / f".site.{dead}.zz99yy88.old-site-tmp"]
    running = tmp_path / f".site.{os.getpid()}.qwertyui.site-tmp"
    unrelated = [tmp_path / f".site.1234.{dead}.abcdefgh.site-tmp",  # a temporary of a target named "site.1234"
                 tmp_path / f".other.{dead}.abcdefgh.site-tmp"]
    for directory in [*killed, running, *unrelated]:
        directory.mkdir()
        (directory / "index.html").write_text("partial")
    write_tree(target, {MARKER: b"kg\n", "index.html": b"new"})
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["site", running.name, *(p.name for p in unrelated)])


# ---------------------------------------------------------------------- highlighting


def _strip(markup: str) -> str:
    page = Page(f'<div id="text">{markup}</div>')
    return page.text


@pytest.mark.parametrize("spans", [
    [],
    [Span(0, 5, "a", "k")],
    [Span(0, 10, "outer", "k", "#o"), Span(2, 4, "inner", "k", "#i")],
    [Span(0, 6, "left", "k", "#l"), Span(3, 9, "right", "k", "#r")],  # crossing
    [Span(2, 6, "same1", "k", "#1", rank=1), Span(2, 6, "same2", "k", "#2", rank=2)],
    [Span(5, 50, "outside", "k")],
])
def test_highlight_keeps_the_text_and_every_id(spans):
    text = 'a<b & "c"\n\nd’e f'
    markup = highlight(text, spans)
    assert _strip(markup) == text
    page = Page(f'<div id="text">{markup}</div>')
    assert {s.element_id for s in spans if s.end <= len(text)} == {i for i, _ in page.highlights}
    assert markup.count("<span") == markup.count("</span>")
    assert "<a" not in re.sub(r"<a [^>]*>[^<]*</a>", "", markup)  # links hold text only, never other links


def test_crossing_spans_are_split_and_links_go_to_the_innermost():
    markup = highlight("0123456789", [Span(0, 6, "left", "k", "#l"), Span(3, 9, "right", "k", "#r")])
    assert markup == ('<span id="left" class="hl k"><a href="#l">012</a><span id="right" class="hl k"><a href="#r">345</a></span></span>'
                      '<span class="hl hl-cont k" data-part-of="right"><a href="#r">678</a></span>9')
