"""The per-article part of a build — read, check, anchor, emit — cached by content, run in parallel.

An article's triples depend only on its annotation file, its verbatim text, what its reading
looked up in the registry and kg's own code, so they are kept in build/cache/articles/ under a
digest of exactly those: an edited file gets a new digest and is redone, and a stale entry can
never be used. Of the registry, an article that reads without problems only asks what kind of
thing each id it names is (a person, a program, a statistic, or nothing): the reading is handed a
RegistryReads that notes those ids, and the key holds their kinds, so adding an alias or an
entity to the registry redoes no article, and retyping one redoes the articles that name it. A
reading that looked at more (an entry itself, or the list of ids) keys on the whole registry's
bytes. On a hit the text file's digest (taken with the build's other inputs) is compared with
the one recorded in the entry. Every entry starts with the SHA-256 of its key and the rest, so a
damaged entry, or one under another key's name, is never read.

build/cache/articles.index holds, for every entry of the last build, the little the rest of a
build needs before it knows whether any triple changed: the article's summary (for the
corpus-wide checks) and the digest of its sorted lines (for the derivation digest, kg/build.py);
and build/cache/articles.views, for each annotation file's bytes, the ids its reading looked up
and the key they gave with the registry of that build (worked out again only when the registry
changed).
An edit that changes no triple then reads that one file instead of every entry (10,000 at
10,000 articles, 470 MB); the lines are read only if the derivation did change (load_lines). A build
that changed up to _JOURNAL_UP_TO entries writes them to articles.index.journal, named by the
index's own checksum, rather than the whole index again.

The articles that do need work are spread over the machine's cores (fork, so the registry is
shared with the workers for free); results come back in file order, so the output never
depends on which worker finished first. A worker sends an article back as its cache entry (its
lines sorted once, for the digest and the entry alike) and writes that entry beside the others
under a temporary name; they are put under their keys once every article is made and the registry
is known to be the one their keys name, else removed. Entries are not flushed to disk one by one
(an fsync each cost more than making the article): one a crash left incomplete fails its checksum.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .annotations import Article, Registry, read_article
from .collector import collector_paused
from .errors import Problem, ProblemCollector
from .graph import Origins, article_graph
from .ntriples import TripleLines
from .store import checked, file_sha256, with_checksum, write_atomically

CACHE_DIR = Path("cache") / "articles"
INDEX_FILE = Path("cache") / "articles.index"
VIEWS_FILE = Path("cache") / "articles.views"
JOURNAL_FILE = Path("cache") / "articles.index.journal"
# Up to this many entries added to or removed from the index since it was written, a build writes them to
# the journal beside it rather than the whole index again (0.2 s of pickling at 10,000 articles).
_JOURNAL_UP_TO = 256
_CACHE_FORMAT = b"kg-article-cache-6"
# The modules whose code decides an article's triples: a change to any of them is a new cache.
_CODE = ("annotations.py", "anchoring.py", "graph.py", "ntriples.py", "prefixes.py", "vocabulary.py", "yamlfile.py", "article_stage.py")
_PARALLEL_FROM = 64  # below this many articles, starting workers costs more than it saves
_UNREADABLE = (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError, IndexError, KeyError, ImportError)


def graph_sha256(lines: Iterable[str]) -> bytes:
    """The digest of a graph's N-Triples lines, whatever order they come in."""
    return _lines_sha256(sorted(lines))


def _lines_sha256(sorted_lines: list[str]) -> bytes:
    return hashlib.sha256("\n".join(sorted_lines).encode("utf-8")).digest()


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
    text_file: str  # by its name in the project, like annotation_path: a copied project checks its own text
    sha256: str
    statements: tuple[StatementSummary, ...]
    mentions: tuple[str, ...]  # the ids mentioned
    figures: tuple[str, ...]  # the statistics quoted

    @classmethod
    def of(cls, article: Article) -> "ArticleSummary":
        text_file = str(Path(article.annotation_path).parent / article.text_name)  # as read_article names it
        return cls(article.id, article.annotation_path, text_file, article.sha256,
                   tuple(StatementSummary(s.id, s.line, tuple(s.derived_from)) for s in article.statements),
                   tuple(m.target for m in article.mentions), tuple(f.target for f in article.figures))


@dataclass
class ArticleResult:
    article: Article | ArticleSummary | None  # may come with problems: the corpus-wide checks still look at it
    lines: set[str] | None = field(default_factory=set)  # only when there are no problems; None: still in the cache (load_lines)
    origins: dict | None = field(default_factory=dict)  # node IRI -> (file, line), first note wins; None with lines
    problems: list[Problem] = field(default_factory=list)
    lines_sha256: bytes = b""  # graph_sha256 of the lines: all the derivation digest takes of them


@dataclass(frozen=True)
class MadeArticle:
    """An article made without problems, as its cache entry holds it (_entry_payload): what a worker
    sends back, pickled once for the entry and the journey alike."""

    payload: bytes
    staged: str | None = None  # a file holding its cache entry, not yet under its key; "": the entry is there already (ArticleCache.stage)
    key: str | None = None  # the entry's key, which the registry ids its reading looked up are part of
    looked_up: tuple[str, ...] | None = None  # those ids (RegistryReads.looked_up)


class _ReadTable(Mapping):
    """The registry's entities or statistics, as an article's reading sees them: an id tested for
    (`in`) is noted; an entry handed out, or the table listed, makes the whole registry count."""

    def __init__(self, table: Mapping, reads: "RegistryReads"):
        self._table, self._reads = table, reads

    def __contains__(self, identifier) -> bool:
        self._reads.ids.add(identifier)
        return identifier in self._table

    def __getitem__(self, identifier):
        self._reads.everything = True
        return self._table[identifier]

    def __iter__(self):
        self._reads.everything = True
        return iter(self._table)

    def __len__(self) -> int:
        self._reads.everything = True
        return len(self._table)


class RegistryReads:
    """The registry handed to an article's reading (kg/annotations.py read_article), noting what it looks
    at: the ids whose kind it asks (kind_of, `in`), or that it looked at more (`everything`)."""

    def __init__(self, registry: Registry):
        self._registry = registry
        self.path = registry.path
        self.ids: set[str] = set()
        self.everything = False
        self.entities = _ReadTable(registry.entities, self)
        self.statistics = _ReadTable(registry.statistics, self)

    def kind_of(self, identifier: str) -> str | None:
        self.ids.add(identifier)
        return self._registry.kind_of(identifier)

    def looked_up(self) -> tuple[str, ...] | None:
        """The ids looked up, sorted; None if the reading depends on more of the registry than their kinds."""
        return None if self.everything else tuple(sorted(self.ids))


def registry_view(registry: Registry, looked_up: tuple[str, ...]) -> bytes:
    """What a reading that looked up these ids saw of the registry: each one's kind."""
    return hashlib.sha256("\n".join(f"{identifier}\0{registry.kind_of(identifier) or ''}" for identifier in looked_up).encode("utf-8")).digest()


def process_article(path: Path, display: str, registry: Registry) -> ArticleResult | MadeArticle:
    """The article's triples, or its problems (an ArticleResult)."""
    problems = ProblemCollector()
    article = read_article(path, display, registry, problems)
    if article is None or problems:
        return ArticleResult(article, problems=problems.problems)
    origins = Origins()
    sink = TripleLines()
    article_graph(article, origins, into=sink)
    lines = sorted(sink.lines)  # once, for the digest and the entry alike
    return MadeArticle(_entry_payload(ArticleSummary.of(article), lines, origins.lines, _lines_sha256(lines)))


def _entry_payload(summary: ArticleSummary, lines: list[str], origins: dict, lines_sha256: bytes) -> bytes:
    # A list of lines loads four times faster than their text in one string split again (whose
    # curly quotes make all of it two bytes a character), and a set would be pickled unsorted.
    return pickle.dumps((summary, lines, list(origins.items()), lines_sha256), protocol=pickle.HIGHEST_PROTOCOL)


def _entry_result(payload: bytes) -> ArticleResult:
    article, lines, origins, lines_sha256 = pickle.loads(payload)
    return ArticleResult(article, set(lines), dict(origins), lines_sha256=lines_sha256)


# The libraries whose version can change what kg writes for the same inputs (parsing, reasoning, checks).
LIBRARIES = ("PyYAML", "rdflib", "owlrl", "pyoxigraph", "pyshacl")


@functools.cache
def library_versions() -> bytes:
    """The installed versions of LIBRARIES, for the cache keys: an upgrade is a new cache. Looked up once
    per process (10 ms each, and a build asks seven times); no upgrade lands in a running kg."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "-"

    return "\0".join(f"{name}={installed(name)}" for name in LIBRARIES).encode()


def _code_digest() -> bytes:
    return code_digest(_CACHE_FORMAT, _CODE)


def code_digest(cache_format: bytes, modules: Iterable[str]) -> bytes:
    """A digest of a cache's format, the code of the kg `modules` that decide what it holds and the
    libraries' versions: a change to any of them is a new cache."""
    digest = hashlib.sha256(cache_format)
    here = Path(__file__).parent
    for name in modules:
        digest.update((here / name).read_bytes())
    digest.update(library_versions())
    return digest.digest()


class ArticleCache:
    """build/cache/articles/KEY: one ArticleResult per article that built without problems;
    build/cache/articles.index: the summary and lines digest of each of them, with a journal of the few
    changed since it was written (articles.index.journal); build/cache/articles.views: what each annotation
    file's reading looked up in the registry (see the module's notes).

    `digests`: the input files' digests by name (kg/store.py input_digests), taken once per build;
    a file missing from them (a text outside seeds/) is hashed when needed. `registry`: the
    registry's name in the project, part of every key."""

    def __init__(self, root: Path, build_dir: Path, registry: str, digests: dict[str, bytes] | None = None,
                 readable: bool = True, writable: bool = True):
        self.root = root
        self.registry = registry
        self.directory = build_dir / CACHE_DIR
        self.index_path = build_dir / INDEX_FILE
        self.digests = digests or {}
        self.readable = readable  # `kg build --force` redoes every article (and refills the cache)
        self.writable = writable  # `kg validate` reads the cache but leaves it to `kg build`, which holds the lock
        self.registry_sha256 = self._file_sha256(registry) or b""
        self.base = hashlib.sha256(_code_digest() + registry.encode())
        self.index: dict[str, tuple[ArticleSummary, bytes]] = {}
        # reading key (kg's code and the annotation file's bytes) -> (entry key, the registry ids its reading looked up)
        self.views: dict[str, tuple[str, tuple[str, ...] | None]] = {}
        self._views_registry = b""  # the registry's digest the views' keys were worked out with
        self.views_path = build_dir / VIEWS_FILE
        self.journal_path = build_dir / JOURNAL_FILE
        self._base: tuple[bytes, frozenset[str]] | None = None  # the index file's checksum and keys, as written
        if readable:
            self.index = self._read_index()
            self.views, self._views_registry = self._read(self.views_path, ({}, b""))
        self._saved_keys, self._saved_views = set(self.index), (dict(self.views), self._views_registry)

    def _file_sha256(self, name: str) -> bytes | None:
        digest = self.digests.get(name)
        if digest is None:
            try:
                digest = file_sha256(self.root / name)
            except OSError:
                return None
        return digest

    def registry_unchanged(self) -> bool:
        """Whether the registry still has the bytes the keys were made with: articles made with
        another registry are not kept under those keys."""
        try:
            return file_sha256(self.root / self.registry) == self.registry_sha256
        except OSError:
            return not self.registry_sha256

    def _reading_key_of(self, display: str, annotation_sha256: bytes) -> str:
        digest = self.base.copy()
        digest.update(display.encode() + b"\0" + annotation_sha256)
        return digest.hexdigest()

    def reading_key(self, display: str) -> str | None:
        """The digest of kg's code and the annotation file's bytes: half an entry's key."""
        annotation = self._file_sha256(display)
        return None if annotation is None else self._reading_key_of(display, annotation)

    def key(self, reading_key: str, registry: Registry) -> str | None:
        """The entry key of the article whose file gave `reading_key`, if a build read those bytes before
        (else it is known once the article is read: key_for)."""
        view = self.views.get(reading_key)
        if view is None:
            return None
        key, looked_up = view
        if self._views_registry != self.registry_sha256:
            key = self.key_for(reading_key, looked_up, registry)
            self.views[reading_key] = (key, looked_up)
        return key

    def key_for(self, reading_key: str, looked_up: tuple[str, ...] | None, registry: Registry) -> str:
        """An entry's key: its reading key, and the kinds of the registry ids its reading looked up (None: the registry's bytes)."""
        digest = hashlib.sha256(reading_key.encode())
        digest.update(b"the whole registry\0" + self.registry_sha256 if looked_up is None else registry_view(registry, looked_up))
        return digest.hexdigest()

    def _text_intact(self, summary: ArticleSummary) -> bool:
        text = self._file_sha256(summary.text_file)
        return text is not None and text.hex() == summary.sha256

    def summary(self, key: str) -> ArticleResult | None:
        """The article's summary and lines digest from the index, its lines left in the cache (None)."""
        record = self.index.get(key)
        if record is None or not self._text_intact(record[0]):
            return None
        return ArticleResult(record[0], None, None, lines_sha256=record[1])

    def get(self, key: str) -> ArticleResult | None:
        try:
            payload = checked((self.directory / key).read_bytes(), key)
            if payload is None:
                return None
            result = _entry_result(payload)
        except _UNREADABLE:
            return None
        if not isinstance(result.article, ArticleSummary) or not self._text_intact(result.article):
            return None
        self.index[key] = (result.article, result.lines_sha256)
        return result

    def stage(self, reading_key: str, key: str, display: str, payload: bytes) -> str | None:
        """Write the entry of an article made from the file whose bytes gave `reading_key` beside the
        entries, to be put under `key` (keep) once the build knows the registry did not change meanwhile;
        "" if the entry under the key holds these bytes already (a forced rebuild writes no file it need
        not: creating one costs more than reading one). None if the file changed while it was being read:
        its result could belong to other bytes, and is not kept.

        Not flushed to disk: an entry a crash left incomplete fails its checksum and is made again."""
        try:
            if self._reading_key_of(display, file_sha256(self.root / display)) != reading_key:
                return None
        except OSError:
            return None
        entry = with_checksum(payload, key)
        with contextlib.suppress(OSError):
            if (self.directory / key).read_bytes() == entry:
                return ""
        handle, staged = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=self.directory)
        with os.fdopen(handle, "wb") as stream:
            stream.write(entry)
        return staged

    def keep(self, key: str, staged: str, result: ArticleResult, reading_key: str, looked_up: tuple[str, ...] | None) -> None:
        """Put a staged entry ("": one in place already) under its key."""
        if staged:
            os.replace(staged, self.directory / key)
        self.index[key] = (result.article, result.lines_sha256)
        self.views[reading_key] = (key, looked_up)

    def _read_index(self) -> dict[str, tuple[ArticleSummary, bytes]]:
        """The index as written, with the journal's changes since (a journal of another index is ignored)."""
        try:
            data = self.index_path.read_bytes()
        except OSError:
            return {}
        payload = checked(data, INDEX_FILE.name)
        index = self._unpickled(payload, {})
        if not index:
            return {}
        self._base = (data[:len(data) - len(payload)], frozenset(index))
        base, added, removed = self._read(self.journal_path, (b"", {}, set()))
        if base == self._base[0] and isinstance(added, dict) and isinstance(removed, (set, frozenset)):
            index.update(added)
            for key in removed:
                index.pop(key, None)
        return index

    def _read(self, path: Path, empty):
        """The views or the journal, as pickled (with their checksum); `empty` if missing, damaged or of another shape."""
        try:
            data = path.read_bytes()
        except OSError:
            return empty
        return self._unpickled(checked(data, path.name), empty)

    @staticmethod
    def _unpickled(payload: bytes | None, empty):
        if payload is None:
            return empty
        try:
            with collector_paused():
                value = pickle.loads(payload)
        except _UNREADABLE:
            return empty
        same_shape = type(value) is type(empty) and (not isinstance(empty, tuple) or (
            len(value) == len(empty) and all(isinstance(part, type(shape)) for part, shape in zip(value, empty))))
        return value if same_shape else empty

    def _write_index(self, index: dict) -> None:
        """The journal of what changed since the index was written, if short; else the index again."""
        if self._base is not None:
            base, base_keys = self._base
            added = {key: record for key, record in index.items() if key not in base_keys}
            removed = set(base_keys - index.keys())
            if len(added) + len(removed) <= _JOURNAL_UP_TO:
                journal = pickle.dumps((base, added, removed), protocol=pickle.HIGHEST_PROTOCOL)
                write_atomically(self.journal_path, with_checksum(journal, JOURNAL_FILE.name))
                return
        payload = pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL)
        data = with_checksum(payload, INDEX_FILE.name)
        write_atomically(self.index_path, data)
        self._base = (data[:len(data) - len(payload)], frozenset(index))
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.journal_path)

    def keep_only(self, keys: set[str], reading_keys: set[str]) -> None:
        """Forget entries no current article uses, so the cache does not grow with every edit; write the
        index of the entries kept, and the views, if they changed (not if the registry changed during the
        build: keys worked out again then may be of either registry). The two are apart because a
        registry edit changes only the views' registry digest, and the index is the larger by far."""
        index = {key: record for key, record in self.index.items() if key in keys}
        views = ({reading_key: view for reading_key, view in self.views.items() if reading_key in reading_keys}, self.registry_sha256)
        if (set(index) != self._saved_keys or views != self._saved_views) and self.registry_unchanged():
            if set(index) != self._saved_keys:
                self._write_index(index)
                self._saved_keys = set(index)
            if views != self._saved_views:
                write_atomically(self.views_path, with_checksum(pickle.dumps(views, protocol=pickle.HIGHEST_PROTOCOL), VIEWS_FILE.name))
                self._saved_views = views
        with contextlib.suppress(FileNotFoundError):
            for name in os.listdir(self.directory):
                if name not in keys:
                    with contextlib.suppress(OSError):
                        os.unlink(self.directory / name)


_shared: ArticleStage | None = None  # set before forking, read by the workers


def _work(index: int) -> ArticleResult | MadeArticle:
    return _shared.make(index)


class ArticleStage:
    """The articles of the annotation files `names` (in the project at `root`, `seeds/a.yaml`), in the
    order given, from the cache where possible. A Path is made only for a file that is read."""

    def __init__(self, root: Path, names: list[str], registry: Registry, cache: ArticleCache | None, workers: int | None = None):
        self.root = root
        self.names = names
        self.registry = registry
        self.cache = cache
        self.workers = workers or min(len(os.sched_getaffinity(0)), 8)
        self.reading_keys = [cache.reading_key(name) if cache else None for name in names]
        self.keys = [cache.key(reading_key, registry) if reading_key else None for reading_key in self.reading_keys]

    def results(self, on_file: Callable[[int, int], None] | None = None) -> list[ArticleResult]:
        """An article found in the cache's index comes without its lines and origins (None): enough
        to tell whether any triple changed; load_lines reads them if so."""
        report = on_file or (lambda done, total: None)
        results: list[ArticleResult | None] = [None] * len(self.names)
        if self.cache and self.cache.readable:
            with collector_paused():
                for index, key in enumerate(self.keys):
                    if key:
                        results[index] = self.cache.summary(key) or self.cache.get(key)
        todo = [index for index, result in enumerate(results) if result is None]
        self._process(todo, results, lambda done: report(len(self.names) - len(todo) + done, len(self.names)))
        if self.cache and self.cache.writable:
            self.cache.keep_only({key for key in self.keys if key}, {reading_key for reading_key in self.reading_keys if reading_key})
        return results

    def load_lines(self, results: list[ArticleResult]) -> None:
        """Fill in the lines and origins that results() left in the cache (None): from the entries,
        or made again where an entry is missing or damaged. Their lines_sha256 is then the entry's
        own, and the caller takes the digests again (kg/build.py _derive)."""
        left = [index for index, result in enumerate(results) if result.lines is None]
        with collector_paused():
            for index in left:
                results[index] = self.cache.get(self.keys[index]) or results[index]
        self._process([index for index in left if results[index].lines is None], results, lambda done: None)

    def _process(self, todo: list[int], results: list[ArticleResult | None], report: Callable[[int], None]) -> None:
        global _shared
        report(0)
        if todo and self.cache and self.cache.writable:
            self.cache.directory.mkdir(parents=True, exist_ok=True)  # for the entries the workers stage
        staged: list[tuple[int, str, tuple[str, ...] | None]] = []  # (article, file, ids looked up) of the entries the workers wrote
        _shared = self
        try:
            with _workers(self.workers if len(todo) >= _PARALLEL_FROM else 1) as each:
                for done, (index, made) in enumerate(zip(todo, each(_work, todo)), 1):
                    if isinstance(made, MadeArticle):
                        results[index] = _entry_result(made.payload)
                        if made.staged is not None:
                            self.keys[index] = made.key
                            staged.append((index, made.staged, made.looked_up))
                    else:
                        results[index] = made
                    report(done)
            # the articles were made with the registry read at the start: kept only if it still has the keys' bytes
            if staged and self.cache.registry_unchanged():
                for index, name, looked_up in staged:
                    self.cache.keep(self.keys[index], name, results[index], self.reading_keys[index], looked_up)
                staged = []
        finally:
            _shared = None
            for _index, name, _looked_up in staged:  # not kept (an entry in place already stays)
                if name:
                    with contextlib.suppress(OSError):
                        os.unlink(name)

    def make(self, index: int) -> ArticleResult | MadeArticle:
        """Read and emit one article (in a worker), its cache entry staged if it may be kept."""
        name, reading_key = self.names[index], self.reading_keys[index]
        reads = RegistryReads(self.registry)
        made = process_article(self.root / name, name, reads)
        if isinstance(made, MadeArticle) and reading_key and self.cache and self.cache.writable:
            looked_up = reads.looked_up()
            key = self.cache.key_for(reading_key, looked_up, self.registry)
            made = MadeArticle(made.payload, self.cache.stage(reading_key, key, name, made.payload), key, looked_up)
        return made


@contextlib.contextmanager
def _workers(count: int) -> Iterator[Callable]:
    """A map over `count` processes (fork, so they share what the parent holds), results in order; the
    plain map if one."""
    if count == 1:
        yield map
        return
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(count) as pool:
        yield lambda function, items: pool.imap(function, items, chunksize=16)
