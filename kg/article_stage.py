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
_CACHE_FORMAT = b"kg-article-cache-1"
# The modules whose code decides an article's triples: a change to any of them is a new cache.
_CODE = ("annotations.py", "anchoring.py", "graph.py", "ntriples.py", "prefixes.py", "vocabulary.py", "yamlfile.py", "article_stage.py")
_PARALLEL_FROM = 64  # below this many articles, starting workers costs more than it saves


@dataclass
class ArticleResult:
    article: Article | None  # may come with problems: the corpus-wide checks still look at it
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
    return ArticleResult(article, sink.lines, origins.lines)


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
                result = pickle.load(stream)
            text = result.article.text_path.read_bytes()
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError):
            return None
        return result if hashlib.sha256(text).hexdigest() == result.article.sha256 else None

    def put(self, key: str, result: ArticleResult) -> None:
        from .store import write_atomically

        write_atomically(self.directory / key, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))

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


def process_articles(jobs: list[tuple[Path, str]], registry: Registry, cache: ArticleCache | None,
                     on_file: Callable[[int, int], None] | None = None, workers: int | None = None) -> list[ArticleResult]:
    """ArticleResults for (path, display) in the order given, from the cache where possible."""
    global _shared
    report = on_file or (lambda done, total: None)
    keys = [cache.key(path, display) if cache else None for path, display in jobs]
    results: list[ArticleResult | None] = [cache.get(key) if cache and cache.readable and key else None for key in keys]
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
