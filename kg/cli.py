"""The `kg` command line: parse options, call one library function, print.

Exit codes: 0 success; 1 problems in the project's files (annotations, ontology, saved
queries, inconsistency); 2 usage (unknown option, query or parameter, bad parameter value).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .deadline import DEFAULT_QUERY_TIMEOUT
from .errors import KgError
from .results import FORMATS


class KgClickError(click.ClickException):
    """A KgError at the CLI edge: one line per problem, no traceback."""

    def __init__(self, error: KgError):
        super().__init__(error.summary())
        self.exit_code = error.cli_exit_code()

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


def _project(context: click.Context):
    from .project import open_project

    return open_project(context.obj["project"])


def _write_output(data: bytes, output: str) -> None:
    """Bytes to standard output (`-`) or atomically to a file, saying so on stderr."""
    from .export import write_export

    if output == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        write_export(data, Path(output))
        click.echo(f"wrote {len(data)} bytes to {output}", err=True)


def _guard(function):
    """Run a command body, turning kg's own errors into clean exits."""
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except KgError as error:
            raise KgClickError(error) from None

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--project", "-p", "project", default=".", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Project directory holding seeds/, ontology/ and queries/.")
@click.option("--allow-network", is_flag=True,
              help="Let parsing and queries reach the network (SERVICE, remote FROM, remote JSON-LD contexts). Off by default.")
@click.version_option(package_name="kg-claims", prog_name="kg")
@click.pass_context
def cli(context: click.Context, project: Path, allow_network: bool) -> None:
    """kg: a knowledge graph of who said what, citing which figures, traced to the words of its sources."""
    context.ensure_object(dict)
    context.obj["project"] = project
    context.obj["allow_network"] = allow_network


@cli.command()
@click.option("--force", is_flag=True, help="Rebuild even if the inputs have not changed.")
@click.option("--timings", is_flag=True, help="Print the wall time of each build stage.")
@click.option("--reasoner", type=click.Choice(["rules", "owlrl"]), default="rules", show_default=True,
              help="OWL 2 RL by the ontology's rules in pyoxigraph (fast), or by owlrl's full closure (the reference; same triples).")
@click.pass_context
@_guard
def build(context: click.Context, force: bool, timings: bool, reasoner: str) -> None:
    """Validate the annotations, build the RDF dataset and run OWL 2 RL reasoning."""
    from .build import build as run_build
    from .progress import BuildProgress

    progress = BuildProgress()
    try:
        result = run_build(_project(context), force=force, allow_network=context.obj["allow_network"], reasoner=reasoner, progress=progress)
    finally:
        progress.finish()
    state = "built" if result.rebuilt else "up to date"
    click.echo(f"{state}: {result.asserted_count} asserted and {result.inferred_count} inferred triples "
               f"in {len(result.manifest.graphs)} graphs -> {result.path}")
    if timings:
        for stage, seconds in result.stages.items():
            click.echo(f"  {stage:<30} {seconds:8.2f} s")


@cli.command()
@click.option("--format", "form", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--data", "data", type=click.Path(dir_okay=False, exists=True, path_type=Path), metavar="FILE",
              help="Check this RDF file against the ontology and shapes instead of the project's annotations.")
@click.pass_context
def validate(context: click.Context, form: str, data: Path | None) -> None:
    """Check annotations, consistency, shapes and anchors; report every problem (exit 1 if any)."""
    from .build import validate_data, validate_project

    try:
        project = _project(context)
        if data:
            counts = {"triples": validate_data(project, data)}
        else:
            corpus = validate_project(project, context.obj["allow_network"])
            counts = {
                "articles": len(corpus.articles),
                "entities": len(corpus.registry.entities),
                "statistics": len(corpus.registry.statistics),
                "statements": sum(len(a.statements) for a in corpus.articles),
                "mentions": sum(len(a.mentions) + len(a.figures) for a in corpus.articles),
            }
    except KgError as error:
        if form == "json":
            click.echo(json.dumps({"ok": False, "problems": [p.as_dict() for p in error.problems]}, indent=2))
            sys.exit(2 if any(p.kind == "usage" for p in error.problems) else 1)
        raise KgClickError(error) from None
    if form == "json":
        click.echo(json.dumps({"ok": True, "problems": [], "counts": counts}, indent=2))
    else:
        click.echo("ok: " + ", ".join(f"{n} {k}" for k, n in counts.items()))


@cli.command(name="queries")
@click.pass_context
@_guard
def list_queries(context: click.Context) -> None:
    """List the saved queries with their summaries and parameters."""
    from .querying import saved_queries

    for query in saved_queries(_project(context)):
        click.echo(f"{query.name}")
        click.echo(f"    {query.summary}")
        for parameter in query.parameters:
            default = f" (default {parameter.default})" if parameter.default is not None else " (required)"
            click.echo(f"    --param {parameter.name}=<{parameter.type}>{default}  {parameter.description}")


@cli.command()
@click.argument("name")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A query parameter; repeat for several.")
@click.option("--format", "form", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--endpoint", metavar="URL", help="Run against this SPARQL 1.1 query endpoint instead of the local build.")
@click.option("--graph", "graphs", multiple=True, metavar="IRI", help="With --endpoint: a graph to use as default graph (repeatable).")
@click.option("--auth", type=click.Choice(["auto", "basic", "digest", "none"]), default="auto", show_default=True, help="With --endpoint: how to answer a login challenge.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_QUERY_TIMEOUT, show_default=True, help="Seconds the query may run (locally or at the endpoint).")
@click.option("--explain", is_flag=True, help="For every answer: the supporting quotes in context, and how reasoning derived inferred facts (runs on rdflib).")
@click.option("--engine", type=click.Choice(["oxigraph", "rdflib"]), default="oxigraph", show_default=True,
              help="The local SPARQL engine; both give the same answers (oxigraph starts much faster).")
@click.pass_context
@_guard
def query(context: click.Context, name: str, params: tuple[str, ...], form: str, endpoint: str | None, graphs: tuple[str, ...], auth: str, timeout: float,
          explain: bool, engine: str) -> None:
    """Run the saved query NAME (building first if needed) and print its answers."""
    # The default path (oxigraph, no --explain) must not import rdflib, owlrl, pyshacl or yaml:
    # see tests/test_cold_query.py. Import what the other paths need inside their branches.
    from .queries import parse_param_options
    from .results import render

    given = parse_param_options(params)
    if endpoint:
        from .http import StoreClient
        from .querying import find_query
        from .remote import run_remote

        result = run_remote(StoreClient(timeout=timeout, auth=auth), endpoint, find_query(_project(context), name), given, graphs)
    else:
        def announce() -> None:
            click.echo("building the graph first (annotations changed or no build yet)...", err=True)

        if engine == "rdflib" or explain:
            from .querying import run_saved_query
        else:
            from .oxigraph_engine import run_saved_query
        result = run_saved_query(_project(context), name, given, on_build=announce, timeout=timeout, allow_network=context.obj["allow_network"])
    if explain:
        from .explain import Explainer, render as render_explanations
        from .querying import find_query, load_dataset
        from .store import dataset_bytes

        project = _project(context)
        explainer = Explainer(load_dataset(dataset_bytes(project)), project.root)
        explanations = explainer.explain(result, find_query(project, name).text)
        click.echo(render_explanations(explanations, explainer, color=sys.stdout.isatty()))
        return
    click.echo(render(result, form), nl=False)


@cli.command()
@click.option("--store-type", type=click.Choice(["oxigraph", "virtuoso", "fuseki", "graphdb", "generic"]), default="generic", show_default=True,
              help="Derive the endpoints from --store for this kind of store.")
@click.option("--store", "base", metavar="URL", help="The store's base URL, e.g. http://127.0.0.1:7878 for Oxigraph.")
@click.option("--gsp", metavar="URL", help="Graph Store Protocol endpoint (overrides --store-type).")
@click.option("--update", "update_url", metavar="URL", help="SPARQL 1.1 Update endpoint (overrides --store-type).")
@click.option("--query-endpoint", metavar="URL", help="SPARQL query endpoint used to check the counts (overrides --store-type).")
@click.option("--method", type=click.Choice(["auto", "gsp", "update"]), default="auto", show_default=True,
              help="gsp: PUT per graph; update: DROP + batched INSERT DATA; auto: gsp when there is a graph store endpoint.")
@click.option("--auth", type=click.Choice(["auto", "basic", "digest", "none"]), default="auto", show_default=True,
              help="Credentials come from KG_STORE_USER/KG_STORE_PASSWORD or ~/.netrc, never from options.")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds to wait for each request.")
@click.option("--retries", type=click.IntRange(0, 10), default=3, show_default=True, help="Retries on connection errors and 5xx answers.")
@click.option("--dry-run", is_flag=True, help="Show the requests that would be sent; send nothing.")
@click.option("--format", "form", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
@_guard
def load(context: click.Context, store_type: str, base: str | None, gsp: str | None, update_url: str | None, query_endpoint: str | None,
         method: str, auth: str, timeout: float, retries: int, dry_run: bool, form: str) -> None:
    """Load the built dataset into an external triple store, one named graph at a time."""
    from .http import StoreClient
    from .load import as_json, describe, graphs_to_load, load as run_load, plan, summary
    from .stores import endpoints

    targets = endpoints(store_type, base, gsp, update_url, query_endpoint)
    graphs = graphs_to_load(_project(context))
    if dry_run:
        click.echo(describe(plan(graphs, targets, method)), nl=False)
        return
    total = sum(len(g) for g in graphs.values())
    with click.progressbar(length=total, label="loading", file=sys.stderr) as bar:
        loads = run_load(graphs, targets, StoreClient(timeout=timeout, retries=retries, auth=auth), method,
                         progress=lambda graph, count: bar.update(count))
    click.echo(as_json(loads) if form == "json" else summary(loads), nl=False)
    if not all(item.ok or item.remote is None for item in loads):
        raise click.ClickException("the store holds a different number of triples than was loaded (see MISMATCH above)")


@cli.command()
@click.option("--format", "form", type=click.Choice(["turtle", "ntriples", "nquads", "trig", "jsonld", "xml"]), default="turtle", show_default=True)
@click.option("--asserted", "selection", flag_value="asserted", help="Only the asserted graphs (ontology, registry, articles).")
@click.option("--inferred", "selection", flag_value="inferred", help="Only the inferred graph.")
@click.option("--output", "-o", default="-", show_default=True, help="File to write, or - for standard output.")
@click.option("--bundle", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Write a bulk-load bundle instead: N-Quads, TriG, one N-Triples file per graph and a manifest.")
@click.pass_context
@_guard
def export(context: click.Context, form: str, selection: str | None, output: str, bundle: Path | None) -> None:
    """Export the built dataset in a W3C RDF syntax (deterministic bytes)."""
    from .export import export as run_export

    if bundle:
        from .bundle import write_bundle

        manifest = write_bundle(_project(context), bundle)
        for entry in manifest["graphs"]:
            click.echo(f"{entry['file']}  {entry['triples']:>6} triples  <{entry['graph']}>")
        click.echo(f"wrote the bundle to {bundle} (manifest.json lists every file with its sha256)")
        return
    data = run_export(_project(context), form, selection or "all")
    _write_output(data, output)


@cli.command()
@click.option("--format", "form", type=click.Choice(["svg", "png", "dot"]), default="svg", show_default=True)
@click.option("--output", "-o", required=True, help="File to write, or - for standard output.")
@click.pass_context
@_guard
def graph(context: click.Context, form: str, output: str) -> None:
    """Draw the citation network: who cites which figure, reported where, originating where."""
    from .citation_graph import citation_graph

    data = citation_graph(_project(context), form)
    _write_output(data, output)


@cli.command()
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path), metavar="DIR",
              help="Directory to write; replaced if an earlier 'kg site' wrote it, refused if it holds anything else.")
@click.pass_context
@_guard
def site(context: click.Context, output: Path) -> None:
    """Write a static evidence site (HTML, works from file://): articles with highlights, entities, statements, figures, queries."""
    from .site import write_site

    result = write_site(_project(context), output, allow_network=context.obj["allow_network"])
    click.echo(f"wrote {result.pages} pages ({result.files} files) to {result.path}")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--title", required=True, help="The article's title (anchored if the text contains it).")
@click.option("--date", help="Publication date, YYYY-MM-DD.")
@click.option("--publisher", metavar="ID", help="Registry id of the publisher.")
@click.option("--kind", type=click.Choice(["news-article", "blog-post", "press-release", "petition", "opinion"]), default="news-article", show_default=True)
@click.option("--name", help="File name stem in seeds/ (default: from the title).")
@click.pass_context
@_guard
def add(context: click.Context, file: Path, title: str, date: str | None, publisher: str | None, kind: str, name: str | None) -> None:
    """Copy an article into seeds/ and write a starter annotation file proposing mentions and candidates."""
    from .add import add_article

    project = _project(context)
    added = add_article(project, file, title, date, publisher, kind, name)
    click.echo(f"copied the text to {project.relative(added.text_path)}")
    click.echo(f"wrote {project.relative(added.annotation_path)}: {added.mentions} proposed mentions, "
               f"{added.candidate_statements} candidate statements, {added.candidate_figures} candidate figures to confirm")
    click.echo("next: edit the annotation file, then run 'kg validate'")


def main() -> None:  # console entry point
    cli(obj={})


if __name__ == "__main__":
    main()
