"""The per-article part of a build — read, check, anchor, emit — cached by content, run in parallel.

An article's triples depend only on its annotation file, its verbatim text, the registry and
kg's own code, so they are kept in build/cache/articles/ under a digest of exactly those: an
edited file gets a new digest and is redone, and a stale entry can never be used. On a hit the
text file is hashed again and compared with the digest recorded in the entry.

The articles that do need work are spread over the machine's cores (fork, so the registry is
shared with the workers for free); results come back in file order, so the output never
depends on which worker finished first.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .annotations import Article, Registry, read_article
from .errors import Problem, ProblemCollector
from .graph import Origins, article_graph
from .ntriples import TripleLines

CACHE_DIR = Path("cache") / "articles"
_CACHE_FORMAT = b"kg-article-cache-3"
# The modules whose code decides an article's triples: a change to any of them is a new cache.
_CODE = ("annotations.py", "anchoring.py", "graph.py", "ntriples.py", "prefixes.py", "vocabulary.py", "yamlfile.py", "article_stage.py")
_PARALLEL_FROM = 64  # below this many articles, starting workers costs more than it saves


@dataclass(frozen=True)
class StatementSummary:
    id: str
    line: int
    derived_from: tuple[str, ...]


@dataclass(frozen=True)
class ArticleSummary:
    """What the corpus-wide checks and the counts need of an article: cheap to cache and to load."""

    id: str
    annotation_path: str
    text_path: Path
    sha256: str
    statements: tuple[StatementSummary, ...]
    mentions: tuple[str, ...]  # the ids mentioned
    figures: tuple[str, ...]  # the statistics quoted

    @classmethod
    def of(cls, article: Article) -> "ArticleSummary":
        return cls(article.id, article.annotation_path, article.text_path, article.sha256,
                   tuple(StatementSummary(s.id, s.line, tuple(s.derived_from)) for s in article.statements),
                   tuple(m.target for m in article.mentions), tuple(f.target for f in article.figures))


@dataclass
class ArticleResult:
    article: Article | ArticleSummary | None  # may come with problems: the corpus-wide checks still look at it
    lines: set[str] = field(default_factory=set)  # only when there are no problems
    origins: dict = field(default_factory=dict)  # node IRI -> (file, line), first note wins
    problems: list[Problem] = field(default_factory=list)


def process_article(path: Path, display: str, registry: Registry) -> ArticleResult:
    problems = ProblemCollector()
    article = read_article(path, display, registry, problems)
    if article is None or problems:
        return ArticleResult(article, problems=problems.problems)
    origins = Origins()
    sink = TripleLines()
    article_graph(article, origins, into=sink)
    return ArticleResult(ArticleSummary.of(article), sink.lines, origins.lines)


def _code_digest() -> bytes:
    digest = hashlib.sha256(_CACHE_FORMAT)
    here = Path(__file__).parent
    for name in _CODE:
        digest.update((here / name).read_bytes())
    return digest.digest()


class ArticleCache:
    """build/cache/articles/KEY: one pickled ArticleResult per article that built without problems."""

    def __init__(self, build_dir: Path, registry_bytes: bytes, readable: bool = True, writable: bool = True):
        self.directory = build_dir / CACHE_DIR
        self.readable = readable  # `kg build --force` redoes every article (and refills the cache)
        self.writable = writable  # `kg validate` reads the cache but leaves it to `kg build`, which holds the lock
        self.base = hashlib.sha256(_code_digest() + hashlib.sha256(registry_bytes).digest())

    def key(self, path: Path, display: str) -> str | None:
        try:
            data = path.read_bytes()
        except OSError:
            return None
        digest = self.base.copy()
        digest.update(display.encode() + b"\0" + data)
        return digest.hexdigest()

    def get(self, key: str) -> ArticleResult | None:
        try:
            with open(self.directory / key, "rb") as stream:
                article, lines, origins = pickle.load(stream)
            text = article.text_path.read_bytes()
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError):
            return None
        if hashlib.sha256(text).hexdigest() != article.sha256:
            return None
        return ArticleResult(article, set(lines.split("\n")) if lines else set(), dict(origins))

    def put(self, key: str, result: ArticleResult) -> None:
        from .store import write_atomically

        # The lines as one string: far fewer objects to pickle and load than a set of them.
        entry = (result.article, "\n".join(result.lines), list(result.origins.items()))
        write_atomically(self.directory / key, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))

    def keep_only(self, keys: set[str]) -> None:
        """Forget entries no current article uses, so the cache does not grow with every edit."""
        if self.directory.is_dir():
            for entry in self.directory.iterdir():
                if entry.name not in keys:
                    with contextlib.suppress(OSError):
                        entry.unlink()


_shared: tuple[Registry, list[tuple[Path, str]]] | None = None  # set before forking, read by the workers


def _work(index: int) -> ArticleResult:
    registry, jobs = _shared
    path, display = jobs[index]
    return process_article(path, display, registry)


def _load(cache: "ArticleCache", keys: list[str | None]) -> list[ArticleResult | None]:
    import gc

    # Loading thousands of entries allocates millions of objects, none of them garbage: without
    # this the cyclic collector re-walks them all again and again (a third of the time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [cache.get(key) if key else None for key in keys]
    finally:
        if enabled:
            gc.enable()


def process_articles(jobs: list[tuple[Path, str]], registry: Registry, cache: ArticleCache | None,
                     on_file: Callable[[int, int], None] | None = None, workers: int | None = None) -> list[ArticleResult]:
    """ArticleResults for (path, display) in the order given, from the cache where possible."""
    global _shared
    report = on_file or (lambda done, total: None)
    keys = [cache.key(path, display) if cache else None for path, display in jobs]
    results = _load(cache, keys) if cache and cache.readable else [None] * len(jobs)
    todo = [i for i, result in enumerate(results) if result is None]
    done = len(jobs) - len(todo)
    report(done, len(jobs))
    workers = workers or min(len(os.sched_getaffinity(0)), 8)
    if len(todo) >= _PARALLEL_FROM and workers > 1:
        import multiprocessing

        _shared = (registry, jobs)
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for index, result in zip(todo, pool.imap(_work, todo, chunksize=16)):
                    results[index] = result
                    done += 1
                    report(done, len(jobs))
        finally:
            _shared = None
    else:
        for index in todo:
            path, display = jobs[index]
            results[index] = process_article(path, display, registry)
            done += 1
            report(done, len(jobs))
    if cache and cache.writable:
        for index in todo:
            result = results[index]
            if result.article is not None and not result.problems and keys[index]:
                cache.put(keys[index], result)
        cache.keep_only({key for key in keys if key})
    return results
