"""The build directory: the built dataset, its manifest, atomic writes and the build lock.

A build is current when the manifest's digest of the inputs matches the inputs on disk
and the dataset file is the one the manifest describes; then nothing is redone.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .errors import Problem, ProjectError
from .project import Project

if TYPE_CHECKING:
    from .segments import Layout

MANIFEST_FILE = "manifest.json"
SEEN_FILE = "dataset.seen.json"  # the identity of the dataset's files last hashed, to skip hashing them again
LOCK_FILE = ".lock"
FORMAT_VERSION = "3"  # bump when the build's output changes for the same inputs (3: kg/segments.py layout format 2)


class Manifest(NamedTuple):
    inputs_sha256: str
    dataset_sha256: str
    graphs: dict[str, int]  # graph IRI -> triple count
    # digest of what the dataset is derived from: every asserted triple, the shapes and kg's code (build.py)
    derivation_sha256: str = ""
    dataset_length: int = 0  # in bytes: whether a query loads it into memory, without reading its layout

    def to_json(self) -> str:
        return json.dumps(
            {"format": FORMAT_VERSION, "inputs_sha256": self.inputs_sha256, "dataset_sha256": self.dataset_sha256, "graphs": self.graphs,
             "derivation_sha256": self.derivation_sha256, "dataset_length": self.dataset_length},
            indent=2,
            sort_keys=True,
        ) + "\n"


def file_sha256(path: str | Path) -> bytes:
    """The SHA-256 of a file's bytes. os.read on a descriptor, no buffered file object: a third of the
    time of Path.read_bytes on 20,000 small files."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        digest = hashlib.sha256()
        while chunk := os.read(descriptor, 1 << 20):
            digest.update(chunk)
        return digest.digest()
    finally:
        os.close(descriptor)


def input_digests(project: Project, trust_seen: bool = True) -> dict[str, bytes]:
    """The SHA-256 of every input file by its name in the project, in the order inputs_digest takes
    them. A build reads each input once, here: the article stage keys its cache by these digests.

    A file whose identity (inode, size, modification and change times) is the one recorded when it
    was last hashed is not read again (build/inputs.seen.json, see _SeenInputs): at 10,000 articles
    hashing 20,000 files is half a second of every build and cold query. `trust_seen=False` (kg build
    --force) hashes every file."""
    root = str(project.root)
    seen = _SeenInputs.read(project) if trust_seen else _SeenInputs({})
    digests = {}
    for name in project.input_names():
        path = f"{root}/{name}"
        try:
            digest = seen.digest(name, os.stat(path))
            if digest is None:
                digest = file_sha256(path)
                seen.hashed(name, os.stat(path), digest)
            digests[name] = digest
        except OSError as error:  # removed or made unreadable since it was listed
            raise ProjectError(Problem(name, None, None, f"cannot read the file: {error.strerror or error}",
                                       "check that it exists and is readable, then run kg again", "project")) from None
    with contextlib.suppress(OSError):  # only a shortcut for later runs
        seen.save(project, digests)
    return digests


class _SeenInputs:
    """The digest each input file had when it was last hashed, with the identity it had then.

    A file written again gets a new change time (ctime), which no program can set back; with the
    inode, size and modification time it tells a rewritten file from the one hashed, as git's index
    does. A file changed within _RACY_NS of being hashed is not recorded: a second write in the same
    tick of a coarse filesystem clock could leave every field as it was (git's "racy clean" entries).
    Only files on a local disk file system are trusted to their record (see _LOCAL_FILE_SYSTEMS).
    The record is a cache: one that is damaged or from another format is ignored. It is rewritten only
    when enough files were hashed again to be worth it (_SAVE_AFTER, or a _SAVE_SHARE of the record):
    at 10,000 articles the record holds 20,000 entries, and rewriting it after each edit of one file took
    longer than hashing that file again at the next run."""

    FILE = "inputs.seen.json"
    FORMAT = 1
    _RACY_NS = 2_000_000_000  # coarser than any filesystem's timestamps (FAT: 2 s)
    _SAVE_AFTER = 32
    _SAVE_SHARE = 1 / 16

    def __init__(self, entries: dict[str, list]) -> None:
        self.entries = entries  # name -> [inode, device, size, mtime_ns, ctime_ns, sha256 hex]
        self.recorded = 0  # entries added or renewed since read
        self.started_ns = time.time_ns()

    @classmethod
    def read(cls, project: Project) -> _SeenInputs:
        try:
            payload = checked((project.build / cls.FILE).read_bytes(), cls.FILE)
            data = json.loads(payload) if payload is not None else None
            if isinstance(data, dict) and data.get("format") == cls.FORMAT and isinstance(data.get("files"), dict):
                return cls(data["files"])
        except (OSError, ValueError):
            pass
        return cls({})

    def digest(self, name: str, stat: os.stat_result) -> bytes | None:
        entry = self.entries.get(name)
        if entry is None or entry[:5] != _input_identity(stat) or stat.st_dev not in _local_devices():
            return None
        try:
            return bytes.fromhex(entry[5])
        except (TypeError, ValueError):
            return None

    def hashed(self, name: str, stat: os.stat_result, digest: bytes) -> None:
        """Record `digest` for the file as `stat` found it after hashing (a write during the hashing
        changes ctime, so the record then does not match the file and it is hashed again)."""
        if max(stat.st_mtime_ns, stat.st_ctime_ns) > self.started_ns - self._RACY_NS:
            return  # an entry it had did not vouch for it (digest() said so), so keeping that entry changes nothing
        self.entries[name] = [*_input_identity(stat), digest.hex()]
        self.recorded += 1

    def save(self, project: Project, digests: dict[str, bytes]) -> None:
        gone = self.entries.keys() - digests.keys()
        worth_it = self.recorded >= min(self._SAVE_AFTER, max(1, self._SAVE_SHARE * len(self.entries)))
        if not (worth_it or gone) or not project.build.is_dir():
            return
        files = {name: entry for name, entry in self.entries.items() if name in digests}
        payload = json.dumps({"format": self.FORMAT, "files": files}, separators=(",", ":"), sort_keys=True).encode()
        write_atomically(project.build / self.FILE, with_checksum(payload, self.FILE))


def _input_identity(stat: os.stat_result) -> list[int]:
    return [stat.st_ino, stat.st_dev, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]


# Disk file systems whose stat() describes the file as it is now. On a network file system (NFS, SMB,
# sshfs) stat() may answer from attributes cached before another machine's edit, so files there are
# always hashed; so are files anywhere /proc/self/mountinfo cannot tell (not Linux).
_LOCAL_FILE_SYSTEMS = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "tmpfs", "overlay", "jfs", "reiserfs",
                                 "bcachefs", "nilfs2"})
_local_device_ids: frozenset[int] | None = None


def _local_devices() -> frozenset[int]:
    global _local_device_ids
    if _local_device_ids is None:
        devices = set()
        with contextlib.suppress(OSError, ValueError):
            with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as mounts:
                for line in mounts:  # "ID PARENT MAJOR:MINOR ROOT POINT OPTIONS ... - TYPE SOURCE OPTIONS"
                    fields, _, tail = line.partition(" - ")
                    major, minor = fields.split()[2].split(":")
                    if tail.split(" ", 1)[0] in _LOCAL_FILE_SYSTEMS:
                        devices.add(os.makedev(int(major), int(minor)))
        _local_device_ids = frozenset(devices)
    return _local_device_ids


def inputs_digest(project: Project, digests: dict[str, bytes] | None = None) -> str:
    """A digest of every input file's name and bytes, plus the kg build format."""
    digest = hashlib.sha256(f"kg-build-{FORMAT_VERSION}\n".encode())
    for name, file_digest in (input_digests(project) if digests is None else digests).items():
        digest.update(name.encode() + b"\0")
        digest.update(file_digest)
    return digest.hexdigest()


# The process's umask, read once at import (setting it to read it is not safe while threads create files)
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_atomically(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename over `path`.
    `data` may come in chunks, so a large file need not be in memory all at once."""
    import tempfile  # here, not at the top: the cold `kg query` path imports this module but writes nothing

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); the file it replaces keeps its mode, a new one gets what
        # open() would have given it, so an export others read stays readable to them
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o666 & ~_UMASK
        with contextlib.suppress(OSError):  # a file system without modes (FAT) keeps its own
            os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as stream:
            for chunk in [data] if isinstance(data, bytes) else data:
                stream.write(chunk)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


_CHECKSUM = hashlib.sha256().digest_size


def with_checksum(payload: bytes, name: str) -> bytes:
    """A cache file's bytes: the SHA-256 of its name and payload, then the payload (see checked)."""
    return _checksum(payload, name) + payload


def checked(data: bytes, name: str) -> bytes | None:
    """The payload of a file written by with_checksum under `name`, or None if it is not intact or
    was written under another name (an entry copied or renamed to another key is not that key's)."""
    payload = data[_CHECKSUM:]
    return payload if len(data) >= _CHECKSUM and _checksum(payload, name) == data[:_CHECKSUM] else None


def read_entry(path: Path) -> bytes | None:
    """The payload of a cache entry that keep_entry wrote at `path`, or None if there is none or it is
    damaged or another key's."""
    try:
        return checked(path.read_bytes(), path.name)
    except OSError:
        return None


def keep_entry(path: Path, payload: bytes) -> None:
    """Keep `payload` as the cache entry at `path` (its name is its key), and remove the other entries of
    its directory with its suffix: the caches that use this hold one entry per project (an ontology, a
    set of shapes), so an older one only takes room. A directory that cannot be written keeps nothing."""
    try:
        write_atomically(path, with_checksum(payload, path.name))
        for other in path.parent.glob(f"*{path.suffix}"):
            if other != path:
                other.unlink(missing_ok=True)
    except OSError:
        pass


def _checksum(payload: bytes, name: str) -> bytes:
    digest = hashlib.sha256(name.encode() + b"\0")
    digest.update(payload)
    return digest.digest()


@contextlib.contextmanager
def build_lock(project: Project) -> Iterator[None]:
    """Serialise builds of one project: a second `kg build` waits for the first to finish."""
    project.build.mkdir(parents=True, exist_ok=True)
    with open(project.build / LOCK_FILE, "w") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def remove_stale_temporaries(project: Project) -> None:
    """Temporary files a killed build left behind (only called while holding the build lock)."""
    import shutil

    for leftover in [*project.build.glob(".*.tmp"), *project.build.glob("cache/.*.tmp"), *project.build.glob("cache/*/.*.tmp"),
                     *project.build.glob("dataset/.*.tmp")]:
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    for store in project.build.glob(".oxigraph-*.partial"):  # a query store being made or updated (kg/query_store_update.py)
        shutil.rmtree(store, ignore_errors=True)


def read_manifest(project: Project) -> Manifest | None:
    try:
        data = json.loads((project.build / MANIFEST_FILE).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT_VERSION:
            return None
        return Manifest(data["inputs_sha256"], data["dataset_sha256"], dict(data["graphs"]), str(data["derivation_sha256"]),
                        int(data["dataset_length"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_current(project: Project, manifest: Manifest | None = None, digests: dict[str, bytes] | None = None) -> bool:
    """`digests`: input_digests(project), if the caller has them already."""
    manifest = manifest or read_manifest(project)
    if manifest is None or manifest.inputs_sha256 != inputs_digest(project, digests):
        return False
    return dataset_intact(project, manifest)


def dataset_intact(project: Project, manifest: Manifest) -> bool:
    """Whether the dataset on disk (kg/segments.py) is the one the manifest describes. Once its blocks
    have been hashed, the identity of its layout and segments is kept (as save does), so a build
    directory copied or restored from a backup is hashed once, not by every query."""
    if _seen_unchanged(project, manifest):
        return True
    from .segments import MappedDataset, read_layout

    layout = read_layout(project.build)
    if layout is None or layout.dataset_sha256 != manifest.dataset_sha256:
        return False
    try:
        identities = _identities(project, layout.segments())  # of the files read, taken before reading them
        with MappedDataset(project.build, layout) as mapped:
            if not mapped.intact():
                return False
    except OSError:
        return False
    with contextlib.suppress(OSError):  # only a shortcut for later checks
        _record_seen(project, manifest, identities)
    return True


def _identity_of(stat: os.stat_result) -> list[int]:
    """What changes whenever the file is replaced: write_atomically renames a new file (a new inode)
    over it, so inode, size and modification time together tell a new file from the one hashed."""
    return [stat.st_ino, stat.st_dev, stat.st_size, stat.st_mtime_ns]


def _identities(project: Project, segments: list[str]) -> dict[str, list[int]]:
    """The identity of the layout and of each segment it uses, by their names in the build directory."""
    from .segments import LAYOUT_FILE, SEGMENT_DIR

    names = [LAYOUT_FILE] + [f"{SEGMENT_DIR}/{segment}" for segment in segments]
    return {name: _identity_of(os.stat(project.build / name)) for name in names}


def _record_seen(project: Project, manifest: Manifest, identities: dict[str, list[int]]) -> None:
    write_atomically(project.build / SEEN_FILE, json.dumps({"dataset_sha256": manifest.dataset_sha256, "identities": identities}).encode())


def _seen_unchanged(project: Project, manifest: Manifest) -> bool:
    """True if the layout and the segments are the very files whose blocks were hashed for this
    manifest, so they need not be hashed again (95 MB at 1,000 articles: 0.4 s of every cold query).
    The layout is not even read: being the same file, it names the same segments."""
    try:
        seen = json.loads((project.build / SEEN_FILE).read_text(encoding="utf-8"))
        identities = seen["identities"]
        return seen["dataset_sha256"] == manifest.dataset_sha256 and bool(identities) and all(
            _identity_of(os.stat(project.build / name)) == identity for name, identity in identities.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def save(project: Project, write: Callable[[], Layout], manifest_for: Callable[[str], Manifest]) -> Manifest:
    """The dataset's new segment and its layout first (`write()`: kg/segments.py write_dataset, or the
    end of a kg/background_write.py BackgroundWrite), then the files' identities, so later checks can
    skip hashing them (see _seen_unchanged), manifest last: a build killed before leaves a manifest
    that no longer matches. Then the old segments the new layout does not use are removed.
    `manifest_for(dataset_sha256)` makes the manifest."""
    from .segments import remove_unused

    layout = write()
    manifest = manifest_for(layout.dataset_sha256)._replace(dataset_length=layout.length)
    # recorded before the manifest names the dataset: once it does, a killed build must have left no
    # temporary file, since a query finds the build current and runs no build that would remove it
    _record_seen(project, manifest, _identities(project, layout.segments()))
    write_atomically(project.build / MANIFEST_FILE, manifest.to_json().encode())
    remove_unused(project.build, layout)
    for legacy in _LEGACY_FILES:  # the one-file dataset of kg before segments, and its index
        with contextlib.suppress(FileNotFoundError):
            (project.build / legacy).unlink()
    return manifest


_LEGACY_FILES = ("dataset.nq", "dataset.graphs.json")


def save_manifest(project: Project, manifest: Manifest) -> None:
    """A new manifest for the dataset already on disk (the inputs changed, the dataset did not)."""
    write_atomically(project.build / MANIFEST_FILE, manifest.to_json().encode())


def dataset_bytes(project: Project, manifest: Manifest | None = None) -> bytes:
    """The built dataset's N-Quads (the bytes of its blocks, in order); given the `manifest`, checked to
    be its dataset. Raise ProjectError if there is none (or not that one)."""
    from .segments import dataset_bytes as read

    data = read(project.build, manifest.dataset_sha256 if manifest is not None else None)
    if data is None:
        raise ProjectError(Problem(project.relative(project.build), None, None, "the built dataset is missing or damaged",
                                 "run kg build (kg build --force if it persists)", "project"))
    return data


def oxigraph_store_path(project: Project, manifest: Manifest) -> Path:
    """The on-disk pyoxigraph store of this build's dataset (kg/oxigraph_engine.py): named by the
    dataset's digest, so the store of another build is never taken for this one, and by the store's
    layout (v2: the default graph holds the merge of the named graphs), so neither is an older kind of store."""
    return project.build / f"oxigraph-v2-{manifest.dataset_sha256[:32]}"
