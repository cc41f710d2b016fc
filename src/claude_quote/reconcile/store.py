"""Per-request records kept on disk, so that joining a batch's requests with its results takes memory
that does not grow with the batch: ``reconcile --requests`` and ``calibrate`` on a million requests.

:class:`Records` holds a record per custom_id (an estimate), found again by id in any order;
:class:`Rows` holds records in the order they were added (the compared requests, in results order).
Both live in one SQLite database in a temporary directory, removed when the last user of it is
garbage-collected (or :meth:`Store.close`). A record is any value :mod:`marshal` writes (tuples of
str, int, float, None): integers of any size, exactly.

A table holds its first :data:`_BATCH` records in memory (marshalled, as the database would keep them)
and moves to the database when it grows past them; the database (and :mod:`sqlite3`) is opened only
then. A small batch (the usual ``calibrate`` of a few hundred requests) never touches the disk, and
the memory stays bounded: at most :data:`_BATCH` records per table before they go to disk.
"""

from __future__ import annotations

import marshal
import weakref
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3
    import tempfile

__all__ = ["Records", "Rows", "Store"]

_BATCH = 4096
"""Records written per statement, and the records a table keeps in memory before it goes to disk."""


def _insert(db: sqlite3.Connection, statement: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """Run ``statement`` for every row, in one transaction."""
    db.execute("BEGIN")
    db.executemany(statement, rows)
    db.execute("COMMIT")


def _key(custom_id: str) -> bytes:
    """An id as the database keeps it (any Python string, lone surrogates included)."""
    return custom_id.encode("utf-8", "surrogatepass")


def _cleanup(connection: sqlite3.Connection, folder: tempfile.TemporaryDirectory[str]) -> None:
    connection.close()
    folder.cleanup()


class Store:
    """One temporary database, opened when a table first needs it: make :class:`Records` and
    :class:`Rows` in it."""

    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = None
        self._tables = 0
        self._close: weakref.finalize[Any, Any] | None = None

    @property
    def db(self) -> sqlite3.Connection:
        """The database (made on first use)."""
        if self._db is None:
            import sqlite3
            import tempfile
            from pathlib import Path

            folder = tempfile.TemporaryDirectory(prefix="claude-quote-join-")
            # One thread uses it; check_same_thread=False only lets the finalizer close it from any thread.
            self._db = sqlite3.connect(
                str(Path(folder.name) / "join.sqlite3"), isolation_level=None, check_same_thread=False
            )
            for pragma in (
                "journal_mode = OFF",
                "synchronous = OFF",
                "temp_store = FILE",
                "cache_size = -8192",
            ):
                self._db.execute(f"PRAGMA {pragma}")
            self._close = weakref.finalize(self, _cleanup, self._db, folder)
        return self._db

    def records(self) -> Records:
        """A new table of records by custom_id."""
        return Records(self, self._table())

    def rows(self) -> Rows:
        """A new table of records in order."""
        return Rows(self, self._table())

    def _table(self) -> str:
        self._tables += 1
        return f"t{self._tables}"

    def close(self) -> None:
        """Remove the database now (if it was made)."""
        if self._close is not None:
            self._close()


class Records:
    """Records by custom_id, each id once (the readers refused repeats), in the order they came."""

    def __init__(self, store: Store, name: str) -> None:
        self.store, self.name = store, name
        self._memory: dict[bytes, list[Any]] | None = {}
        """Until the table goes to disk: each id's record (marshalled) and whether it was taken."""
        self._pending: list[tuple[bytes, bytes]] = []

    def add(self, custom_id: str, record: Any) -> None:
        key, value = _key(custom_id), marshal.dumps(record)
        memory = self._memory
        if memory is not None:
            if len(memory) < _BATCH and key not in memory:
                memory[key] = [value, False]
                return
            self._to_disk()  # a repeated id is the database's error, as it always was
        self._pending.append((key, value))
        if len(self._pending) >= _BATCH:
            self._flush()

    def _to_disk(self) -> None:
        assert self._memory is not None
        db = self.store.db
        db.execute(
            f"CREATE TABLE {self.name} (id BLOB NOT NULL UNIQUE, rec BLOB NOT NULL, used INTEGER DEFAULT 0)"
        )
        _insert(
            db,
            f"INSERT INTO {self.name} (id, rec, used) VALUES (?, ?, ?)",
            ((key, rec, int(used)) for key, (rec, used) in self._memory.items()),
        )
        self._memory = None

    def _flush(self) -> None:
        if self._pending:
            _insert(self.store.db, f"INSERT INTO {self.name} (id, rec) VALUES (?, ?)", self._pending)
            self._pending = []

    def take(self, custom_id: str) -> Any | None:
        """The record of ``custom_id`` (None if there is none), marking it used."""
        if self._memory is not None:
            found = self._memory.get(_key(custom_id))
            if found is None:
                return None
            found[1] = True
            return marshal.loads(found[0])
        self._flush()
        row = self.store.db.execute(
            f"UPDATE {self.name} SET used = 1 WHERE id = ? RETURNING rec", (_key(custom_id),)
        ).fetchone()
        return None if row is None else marshal.loads(row[0])

    def get(self, custom_id: str) -> Any | None:
        """The record of ``custom_id`` (None if there is none)."""
        if self._memory is not None:
            found = self._memory.get(_key(custom_id))
            return None if found is None else marshal.loads(found[0])
        self._flush()
        row = self.store.db.execute(
            f"SELECT rec FROM {self.name} WHERE id = ?", (_key(custom_id),)
        ).fetchone()
        return None if row is None else marshal.loads(row[0])

    def unused(self, first: int) -> tuple[int, list[Any]]:
        """How many records were never taken, and the first ``first`` of them in the order they came."""
        if self._memory is not None:
            left = [rec for rec, used in self._memory.values() if not used]
            return len(left), [marshal.loads(rec) for rec in left[: max(first, 0)]]
        self._flush()
        db = self.store.db
        (count,) = db.execute(f"SELECT count(*) FROM {self.name} WHERE used = 0").fetchone()
        shown = db.execute(f"SELECT rec FROM {self.name} WHERE used = 0 ORDER BY rowid LIMIT ?", (first,))
        return count, [marshal.loads(rec) for (rec,) in shown]

    def __len__(self) -> int:
        if self._memory is not None:
            return len(self._memory)
        self._flush()
        (count,) = self.store.db.execute(f"SELECT count(*) FROM {self.name}").fetchone()
        return int(count)

    def __iter__(self) -> Iterator[Any]:
        """Every record, in the order they came."""
        if self._memory is not None:
            for rec, _ in list(self._memory.values()):
                yield marshal.loads(rec)
            return
        self._flush()
        cursor = self.store.db.cursor()
        for (rec,) in cursor.execute(f"SELECT rec FROM {self.name} ORDER BY rowid"):
            yield marshal.loads(rec)


class Rows:
    """Records in the order they were added; read in that order, or the ``i``-th."""

    def __init__(self, store: Store, name: str) -> None:
        self.store, self.name = store, name
        self._memory: list[bytes] | None = []
        """Until the table goes to disk: the records (marshalled)."""
        self._pending: list[tuple[bytes]] = []
        self._length = 0

    def append(self, record: Any) -> None:
        value = marshal.dumps(record)
        self._length += 1
        memory = self._memory
        if memory is not None:
            if len(memory) < _BATCH:
                memory.append(value)
                return
            self._to_disk()
        self._pending.append((value,))
        if len(self._pending) >= _BATCH:
            self._flush()

    def extend(self, records: Iterable[Any]) -> None:
        for record in records:
            self.append(record)

    def _to_disk(self) -> None:
        assert self._memory is not None
        db = self.store.db
        db.execute(f"CREATE TABLE {self.name} (rec BLOB NOT NULL)")
        _insert(db, f"INSERT INTO {self.name} (rec) VALUES (?)", ((rec,) for rec in self._memory))
        self._memory = None

    def _flush(self) -> None:
        if self._pending:
            _insert(self.store.db, f"INSERT INTO {self.name} (rec) VALUES (?)", self._pending)
            self._pending = []

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Any]:
        if self._memory is not None:
            for rec in self._memory[: self._length]:
                yield marshal.loads(rec)
            return
        self._flush()
        cursor = self.store.db.cursor()  # its own cursor: reading may go on while other tables are written
        for (rec,) in cursor.execute(f"SELECT rec FROM {self.name} ORDER BY rowid"):
            yield marshal.loads(rec)

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        if self._memory is not None:
            return marshal.loads(self._memory[index])
        self._flush()
        (rec,) = self.store.db.execute(
            f"SELECT rec FROM {self.name} WHERE rowid = ?", (index + 1,)
        ).fetchone()
        return marshal.loads(rec)
