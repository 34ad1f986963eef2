"""The symbol index of a repository and its on-disk cache.

Cache layout (in cache_dir, default <root>/.suture/index):
  manifest.marshal  {"format", "pack", "files": {path: row}} with
                    row = (language, content_hash, size, mtime_ns, line_count,
                           syntax_errors, sym_offset, sym_length, ref_offset, ref_length)
  pack-<id>.bin     the marshalled symbol and reference tuples of every file, back to back

A warm build loads only the manifest and stats the files; a file's records are
read from the pack (by offset) and decoded the first time someone asks for
them. Each write goes to a fresh pack name and the manifest is replaced
atomically, so a reader never sees a manifest pointing into a half-written pack.
marshal rather than pickle or JSON: the records are plain tuples of str/int/None,
and marshal is the fastest codec for exactly that.

marshal is not meant for untrusted bytes, and a cache inside a repository could
have been committed by someone else. So the manifest starts with a stamp naming
the device and inode of the cache directory that wrote it: a directory that
came out of a clone or checkout has an inode its author could not know, and
its cache is ignored (rebuilt) without ever being unmarshalled.
"""

from __future__ import annotations

import marshal
import os
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

from .files import SourceFile, list_source_files, read_source, source_encoding
from .model import FileIndex, IndexStats, Reference, RetrievalError, Symbol

# parse (and with it tree_sitter), hashlib and multiprocessing are imported where
# they are used: a warm build of an unchanged repo needs none of them, and a
# fresh `suture` process pays for every import.

# Bump whenever parse.py's output or the row layout changes: old caches are then rebuilt.
CACHE_FORMAT = "suture-index-3"
MANIFEST_NAME = "manifest.marshal"
# Below this many files to parse, starting worker processes costs more than it saves.
MIN_FILES_FOR_POOL = 32
CHUNK_SIZE = 8

Row = tuple  # (language, hash, size, mtime_ns, lines, errors, sym_off, sym_len, ref_off, ref_len)
_ROW_LENGTH = 10


def content_hash(data: bytes) -> str:
    """git's blob id of `data`, so the hash can be compared with `git ls-files -s`."""
    import hashlib

    digest = hashlib.sha1(b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


def _index_one(job: tuple[str, str, str, int, int, int]) -> tuple:
    """Worker: read, hash and parse one file.

    Returns (path, language, hash, size, mtime_ns, lines, errors, sym_blob, ref_blob),
    or (path, reason) when the file is skipped. Plain tuples and bytes keep the
    trip back to the parent process cheap; the parent never decodes them.
    """
    from .parse import parse_tuples

    root, path, language, size, mtime_ns, max_file_bytes = job
    data, reason = read_source(Path(root), path, max_file_bytes)
    if data is None:
        return (path, reason)
    try:
        symbols, references, errors, lines = parse_tuples(language, data)
    except Exception:  # noqa: BLE001 - one pathological file must not sink the index
        return (path, "parse_error")
    return (
        path, language, content_hash(data), size, mtime_ns, lines, errors,
        marshal.dumps(symbols), marshal.dumps(references),
    )


def _index_chunk(jobs: list[tuple]) -> list[tuple]:
    return [_index_one(job) for job in jobs]


def _parse_files(
    root: Path,
    jobs: list[SourceFile],
    workers: int,
    max_file_bytes: int,
    on_result: Callable[[tuple], None],
) -> None:
    args = [(str(root), f.path, f.language, f.size, f.mtime_ns, max_file_bytes) for f in jobs]
    if workers <= 1 or len(args) < MIN_FILES_FOR_POOL:
        for job in args:
            on_result(_index_one(job))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    from . import parse

    # Load grammars and compile queries once here; forked workers inherit them
    # instead of each importing grammar modules while the parent may run threads.
    for language in {job[2] for job in args}:
        parse.prepare(language)

    # Biggest files first so no worker is left with a large file at the end;
    # small chunks keep the progress callback lively and the load balanced.
    args.sort(key=lambda job: -job[3])
    chunks = [args[i : i + CHUNK_SIZE] for i in range(0, len(args), CHUNK_SIZE)]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    pending = set(range(len(chunks)))
    try:
        # concurrent.futures rather than multiprocessing.Pool: a worker that
        # dies raises BrokenProcessPool here instead of hanging the build.
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            futures = {pool.submit(_index_chunk, chunk): n for n, chunk in enumerate(chunks)}
            for future in as_completed(futures):
                for result in future.result():
                    on_result(result)
                pending.discard(futures[future])
    except (OSError, BrokenProcessPool):
        # No processes allowed here, or a worker was killed: finish in-process.
        for n in sorted(pending):
            for job in chunks[n]:
                on_result(_index_one(job))


class _Pack:
    """Read access to one pack file; the descriptor stays open so a concurrent
    build replacing the pack cannot pull it away from under a live index."""

    def __init__(self, path: Path):
        self.fd = os.open(path, os.O_RDONLY)
        self.size = os.fstat(self.fd).st_size
        self._finalizer = weakref.finalize(self, os.close, self.fd)

    def read(self, offset: int, length: int) -> bytes:
        data = os.pread(self.fd, length, offset)
        if len(data) != length:
            raise ValueError("pack truncated")
        return data


class _Cache:
    def __init__(self, directory: Path):
        self.directory = directory
        self.manifest = directory / MANIFEST_NAME

    def _stamp(self) -> bytes:
        """The first line of a manifest this directory may trust (see the module docstring)."""
        info = os.stat(self.directory)
        return b"%s %d %d\n" % (CACHE_FORMAT.encode(), info.st_dev, info.st_ino)

    def load(self) -> tuple[dict[str, Row], _Pack | None]:
        """The cached rows and their pack; ({}, None) for a missing, old, foreign or corrupt cache."""
        try:
            stamp, _, body = self.manifest.read_bytes().partition(b"\n")
            if stamp + b"\n" != self._stamp():
                return {}, None
            manifest = marshal.loads(body)
            if not isinstance(manifest, dict) or manifest.get("format") != CACHE_FORMAT:
                return {}, None
            rows = manifest["files"]
            pack = _Pack(self.directory / manifest["pack"])
            if not all(isinstance(row, tuple) and len(row) == _ROW_LENGTH for row in rows.values()):
                return {}, None
            end = max((max(row[6] + row[7], row[8] + row[9]) for row in rows.values()), default=0)
            if end > pack.size:
                return {}, None
            return rows, pack
        except Exception:  # noqa: BLE001 - any unreadable cache just means a full rebuild
            return {}, None

    def save(self, index: SymbolIndex) -> _Pack | None:
        """Write index's records as a new pack + manifest; None when the directory is not writable."""
        pack_name = f"pack-{os.getpid()}-{time.time_ns()}.bin"
        pack_path = self.directory / pack_name
        tmp = self.manifest.with_name(f"{MANIFEST_NAME}.{os.getpid()}.tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():  # keeps the cache out of `git status` without touching .git
                ignore.write_text("*\n")
            rows: dict[str, Row] = {}
            offset = 0
            with open(pack_path, "wb") as out:
                for path in index.paths():
                    symbols_blob, references_blob = index._blobs_of(path)
                    out.write(symbols_blob)
                    out.write(references_blob)
                    rows[path] = index._rows[path][:6] + (
                        offset, len(symbols_blob), offset + len(symbols_blob), len(references_blob),
                    )
                    offset += len(symbols_blob) + len(references_blob)
            manifest = {"format": CACHE_FORMAT, "pack": pack_name, "files": rows}
            tmp.write_bytes(self._stamp() + marshal.dumps(manifest))
            os.replace(tmp, self.manifest)
            pack = _Pack(pack_path)
        except OSError:  # read-only tree, full disk: the index lives on in memory
            for leftover in (pack_path, tmp):
                try:
                    leftover.unlink(missing_ok=True)
                except OSError:
                    pass
            return None
        for old in self.directory.glob("pack-*.bin"):
            if old.name != pack_name:
                try:
                    old.unlink()
                except OSError:
                    pass
        index._rows = rows
        return pack


class SymbolIndex:
    """Classes, functions, methods and references of every indexed file of a repo."""

    def __init__(self, root: Path, rows: dict[str, Row], blobs: dict[str, tuple[bytes, bytes]],
                 pack: _Pack | None, stats: IndexStats):
        self.root = root
        self.stats = stats
        self._rows = rows  # path -> Row; offsets point into self._pack unless the path is in _blobs
        self._blobs = blobs  # path -> (symbols blob, references blob) not (yet) in the pack
        self._pack = pack
        self._symbols: dict[str, list[Symbol]] = {}
        self._by_name: dict[str, list[Symbol]] | None = None
        self._fingerprint: str | None = None
        self._sorted_paths: list[str] | None = None

    # ------------------------------------------------------------- building

    @classmethod
    def build(
        cls,
        root: str | os.PathLike[str],
        *,
        cache_dir: Path | None = None,
        workers: int | None = None,
        max_file_bytes: int = 1_000_000,
        use_cache: bool = True,
        progress: Callable[[int, int], None] | None = None,
    ) -> SymbolIndex:
        """Index `root`, re-parsing only files whose content changed since the cached build.

        workers: parser processes (None: up to 2; 1: parse in this process).
        progress(done, total): called as files finish; total counts every indexable
        file and files taken from the cache are done from the first call.
        Raises RetrievalError when root is missing or not a directory. A cache
        that cannot be read is rebuilt; one that cannot be written is skipped.
        """
        started = time.perf_counter()
        root = _checked_root(root)
        if workers is None:
            workers = min(2, os.cpu_count() or 1)
        listing = list_source_files(root, max_file_bytes)
        stats = IndexStats(skipped=dict(listing.skipped))
        cache = _Cache(Path(cache_dir) if cache_dir is not None else root / ".suture" / "index") if use_cache else None
        old_rows, old_pack = cache.load() if cache else ({}, None)

        rows, to_parse, dirty = _reusable_rows(root, listing.files, old_rows, stats, max_file_bytes)
        blobs: dict[str, tuple[bytes, bytes]] = {}
        stats.reused = len(rows)
        current = {source.path for source in listing.files}
        stats.removed = sum(1 for path in old_rows if path not in current)

        total = len(listing.files)
        done = stats.reused

        def on_result(result: tuple) -> None:
            nonlocal done
            done += 1
            if len(result) == 2:
                path, reason = result
                stats.skipped[reason] = stats.skipped.get(reason, 0) + 1
            else:
                path = result[0]
                rows[path] = result[1:7] + (0, 0, 0, 0)
                blobs[path] = (result[7], result[8])
                stats.parsed += 1
            if progress is not None:
                progress(done, total)

        if progress is not None:
            progress(done, total)
        _parse_files(root, to_parse, workers, max_file_bytes, on_result)

        index = cls(root, rows, blobs, old_pack, stats)
        if cache is not None and (dirty or to_parse or stats.removed or old_pack is None):
            new_pack = cache.save(index)
            if new_pack is not None:
                index._pack = new_pack
                index._blobs = {}
        stats.files = len(rows)
        stats.seconds = time.perf_counter() - started
        return index

    @classmethod
    def from_files(cls, root: str | os.PathLike[str], files: list[FileIndex]) -> SymbolIndex:
        """An in-memory index of already parsed files (no disk access, no cache)."""
        rows: dict[str, Row] = {}
        blobs: dict[str, tuple[bytes, bytes]] = {}
        for item in files:
            rows[item.path] = (item.language, item.content_hash, item.size, item.mtime_ns,
                               item.line_count, item.syntax_errors, 0, 0, 0, 0)
            blobs[item.path] = (
                marshal.dumps([_symbol_row(s) for s in item.symbols]),
                marshal.dumps([(r.name, r.kind, r.line, r.scope, r.module) for r in item.references]),
            )
        return cls(Path(root).absolute(), rows, blobs, None, IndexStats(files=len(rows)))

    # ---------------------------------------------------------------- reading

    def _blobs_of(self, path: str) -> tuple[bytes, bytes]:
        blobs = self._blobs.get(path)
        if blobs is not None:
            return blobs
        row = self._rows[path]
        try:
            if self._pack is None:
                raise ValueError("no pack")
            return self._pack.read(row[6], row[7]), self._pack.read(row[8], row[9])
        except (OSError, ValueError):
            return self._reparse(path)

    def _reparse(self, path: str) -> tuple[bytes, bytes]:
        # The pack went bad under us (truncated, deleted and not held open): the
        # file on disk is the best remaining source of truth.
        from .parse import parse_tuples

        data, _ = read_source(self.root, path, max(self._rows[path][2], 1) * 2 + 1024)
        if data is None:
            return marshal.dumps([]), marshal.dumps([])
        symbols, references, _, _ = parse_tuples(self._rows[path][0], data)
        blobs = (marshal.dumps(symbols), marshal.dumps(references))
        self._blobs[path] = blobs
        return blobs

    def _decode(self, blob: bytes) -> list[tuple]:
        try:
            return marshal.loads(blob)
        except (ValueError, EOFError, TypeError):
            return []

    def paths(self) -> list[str]:
        """Indexed repo-relative paths, sorted."""
        if self._sorted_paths is None:
            self._sorted_paths = sorted(self._rows)
        return list(self._sorted_paths)

    def symbols_in(self, path: str) -> list[Symbol]:
        symbols = self._symbols.get(path)
        if symbols is None:
            if path not in self._rows:
                return []
            language = self._rows[path][0]
            rows = self._decode(self._blobs_of(path)[0])
            # row: (name, qualname, kind, start, end, signature, docstring, parent, parent_class)
            symbols = [Symbol(path, r[0], r[1], r[2], language, r[3], r[4], r[5], r[6], r[7], r[8]) for r in rows]
            symbols.sort(key=lambda symbol: symbol.start_line)
            self._symbols[path] = symbols
        return list(symbols)

    def _references_in(self, path: str) -> list[Reference]:
        # row: (name, kind, line, scope, module)
        return [_reference(path, row) for row in self._decode(self._blobs_of(path)[1])]

    def file(self, path: str) -> FileIndex | None:
        row = self._rows.get(path)
        if row is None:
            return None
        language, digest, size, mtime_ns, lines, errors = row[:6]
        return FileIndex(path, language, digest, size, mtime_ns, lines, errors,
                         self.symbols_in(path), self._references_in(path))

    def symbols(self) -> Iterator[Symbol]:
        """Every symbol of every file, in path order, then by start line."""
        for path in self.paths():
            yield from self.symbols_in(path)

    def references(self) -> Iterator[Reference]:
        # Not cached: all references of a large repo are far bigger than its symbols.
        for path in self.paths():
            yield from self._references_in(path)

    def references_to(self, name: str) -> list[Reference]:
        """References whose name is exactly `name`, in path then line order.

        Much cheaper than filtering references(): a file whose marshalled
        records do not even contain the name's bytes is never decoded.
        """
        needle = name.encode("utf-8", "surrogatepass")
        found: list[Reference] = []
        for path in self.paths():
            blob = self._blobs_of(path)[1]
            if needle not in blob:
                continue
            found.extend(_reference(path, row) for row in self._decode(blob) if row[0] == name)
        return found

    def find(self, name: str) -> list[Symbol]:
        """Symbols whose bare name or qualified name is exactly `name`."""
        if self._by_name is None:
            by_name: dict[str, list[Symbol]] = {}
            for symbol in self.symbols():
                by_name.setdefault(symbol.name, []).append(symbol)
                if symbol.qualname != symbol.name:
                    by_name.setdefault(symbol.qualname, []).append(symbol)
            self._by_name = by_name
        return list(self._by_name.get(name, ()))

    def read_text(self, path: str) -> str:
        """The file's current text on disk (in its PEP 263 declared encoding, else utf-8; undecodable
        bytes replaced)."""
        full = (self.root / path).resolve()
        if not full.is_relative_to(self.root):
            raise RetrievalError(f"{path} is outside the repository {self.root}.")
        try:
            data = full.read_bytes()
            return data.decode(source_encoding(data, path), "replace")
        except OSError as error:
            raise RetrievalError(f"Cannot read {path}: {error.strerror or error}.") from None

    def fingerprint(self) -> str:
        """A digest over (path, content hash) of every file: the key for data derived from the index."""
        if self._fingerprint is None:
            import hashlib

            digest = hashlib.sha1(CACHE_FORMAT.encode())
            for path in self.paths():
                digest.update(f"{path}\0{self._rows[path][1]}\n".encode("utf-8", "surrogateescape"))
            self._fingerprint = digest.hexdigest()
        return self._fingerprint


def _make_reference_factory() -> Callable[[str, tuple], Reference]:
    """Build Reference records from cached rows about twice as fast as Reference(...).

    A large repository has hundreds of thousands of references and the repo map
    reads them all; a frozen dataclass's __init__ goes through object.__setattr__
    per field, while the slot descriptors can be set directly. Falls back to the
    plain constructor if the model ever stops using slots.
    """
    names = ("path", "name", "kind", "line", "scope", "module")
    descriptors = [getattr(Reference, name, None) for name in names]
    if tuple(f for f in getattr(Reference, "__dataclass_fields__", {})) != names or not all(
        type(d).__name__ == "member_descriptor" for d in descriptors
    ):
        return lambda path, row: Reference(path, *row)
    set_path, set_name, set_kind, set_line, set_scope, set_module = (d.__set__ for d in descriptors)
    new = object.__new__

    def make(path: str, row: tuple) -> Reference:
        reference = new(Reference)
        set_path(reference, path)
        set_name(reference, row[0])
        set_kind(reference, row[1])
        set_line(reference, row[2])
        set_scope(reference, row[3])
        set_module(reference, row[4])
        return reference

    return make


_reference = _make_reference_factory()


def _symbol_row(symbol: Symbol) -> tuple:
    return (symbol.name, symbol.qualname, symbol.kind, symbol.start_line, symbol.end_line,
            symbol.signature, symbol.docstring, symbol.parent, symbol.parent_class)


def _checked_root(root: str | os.PathLike[str]) -> Path:
    path = Path(root).expanduser()
    if not path.exists():
        raise RetrievalError(f"The path {path} does not exist.")
    if not path.is_dir():
        raise RetrievalError(f"The path {path} is not a directory.")
    return path.resolve()


def _reusable_rows(
    root: Path, files: list[SourceFile], old_rows: dict[str, Row], stats: IndexStats, max_file_bytes: int
) -> tuple[dict[str, Row], list[SourceFile], bool]:
    """(rows reused from the cache, files to parse, whether a reused row changed): a file keeps its
    row when its language, size and mtime match, or when only the mtime moved and the content did not."""
    rows: dict[str, Row] = {}
    to_parse: list[SourceFile] = []
    dirty = False
    for source in files:
        row = old_rows.get(source.path)
        if row is not None and row[0] == source.language and row[2] == source.size:
            if row[3] == source.mtime_ns:
                rows[source.path] = row
                continue
            # Same size, new mtime: compare contents before paying for a parse.
            data, reason = read_source(root, source.path, max_file_bytes)
            if data is None:
                stats.skipped[reason] = stats.skipped.get(reason, 0) + 1
                continue
            if content_hash(data) == row[1]:
                rows[source.path] = row[:3] + (source.mtime_ns,) + row[4:]
                dirty = True
                continue
        to_parse.append(source)
    return rows, to_parse, dirty
