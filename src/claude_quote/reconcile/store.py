"""Per-request records kept on disk, so that joining a batch's requests with its results takes memory
that does not grow with the batch: ``reconcile --requests`` and ``calibrate`` on a million requests.

:class:`Records` holds a record per custom_id (an estimate), found again by id in any order;
:class:`Rows` holds records in the order they were added (the compared requests, in results order).
Both live in one SQLite database in a temporary directory, removed when the last user of it is
garbage-collected (or :meth:`Store.close`). A record is any value :mod:`marshal` writes (tuples of
str, int, float, None): integers of any size, exactly.
"""

from __future__ import annotations

import marshal
import sqlite3
import tempfile
import weakref
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["Records", "Rows", "Store"]

_BATCH = 4096
"""Records written per statement."""


def _key(custom_id: str) -> bytes:
    """An id as the database keeps it (any Python string, lone surrogates included)."""
    return custom_id.encode("utf-8", "surrogatepass")


def _cleanup(connection: sqlite3.Connection, folder: tempfile.TemporaryDirectory[str]) -> None:
    connection.close()
    folder.cleanup()


class Store:
    """One temporary database: make :class:`Records` and :class:`Rows` in it."""

    def __init__(self) -> None:
        folder = tempfile.TemporaryDirectory(prefix="claude-quote-join-")
        # One thread uses it; check_same_thread=False only lets the finalizer close it from any thread.
        self.db = sqlite3.connect(
            str(Path(folder.name) / "join.sqlite3"), isolation_level=None, check_same_thread=False
        )
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "temp_store = FILE", "cache_size = -8192"):
            self.db.execute(f"PRAGMA {pragma}")
        self._tables = 0
        self._close = weakref.finalize(self, _cleanup, self.db, folder)

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
        """Remove the database now."""
        self._close()


class Records:
    """Records by custom_id, each id once (the readers refused repeats), in the order they came."""

    def __init__(self, store: Store, name: str) -> None:
        self.store, self.name = store, name
        store.db.execute(
            f"CREATE TABLE {name} (id BLOB NOT NULL UNIQUE, rec BLOB NOT NULL, used INTEGER DEFAULT 0)"
        )
        self._pending: list[tuple[bytes, bytes]] = []

    def add(self, custom_id: str, record: Any) -> None:
        self._pending.append((_key(custom_id), marshal.dumps(record)))
        if len(self._pending) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            db = self.store.db
            db.execute("BEGIN")
            db.executemany(f"INSERT INTO {self.name} (id, rec) VALUES (?, ?)", self._pending)
            db.execute("COMMIT")
            self._pending = []

    def take(self, custom_id: str) -> Any | None:
        """The record of ``custom_id`` (None if there is none), marking it used."""
        self._flush()
        row = self.store.db.execute(
            f"UPDATE {self.name} SET used = 1 WHERE id = ? RETURNING rec", (_key(custom_id),)
        ).fetchone()
        return None if row is None else marshal.loads(row[0])

    def get(self, custom_id: str) -> Any | None:
        """The record of ``custom_id`` (None if there is none)."""
        self._flush()
        row = self.store.db.execute(
            f"SELECT rec FROM {self.name} WHERE id = ?", (_key(custom_id),)
        ).fetchone()
        return None if row is None else marshal.loads(row[0])

    def unused(self, first: int) -> tuple[int, list[Any]]:
        """How many records were never taken, and the first ``first`` of them in the order they came."""
        self._flush()
        db = self.store.db
        (count,) = db.execute(f"SELECT count(*) FROM {self.name} WHERE used = 0").fetchone()
        shown = db.execute(f"SELECT rec FROM {self.name} WHERE used = 0 ORDER BY rowid LIMIT ?", (first,))
        return count, [marshal.loads(rec) for (rec,) in shown]

    def __len__(self) -> int:
        self._flush()
        (count,) = self.store.db.execute(f"SELECT count(*) FROM {self.name}").fetchone()
        return int(count)

    def __iter__(self) -> Iterator[Any]:
        """Every record, in the order they came."""
        self._flush()
        cursor = self.store.db.cursor()
        for (rec,) in cursor.execute(f"SELECT rec FROM {self.name} ORDER BY rowid"):
            yield marshal.loads(rec)


class Rows:
    """Records in the order they were added; read in that order, or the ``i``-th."""

    def __init__(self, store: Store, name: str) -> None:
        self.store, self.name = store, name
        store.db.execute(f"CREATE TABLE {name} (rec BLOB NOT NULL)")
        self._pending: list[tuple[bytes]] = []
        self._length = 0

    def append(self, record: Any) -> None:
        self._pending.append((marshal.dumps(record),))
        self._length += 1
        if len(self._pending) >= _BATCH:
            self._flush()

    def extend(self, records: Iterable[Any]) -> None:
        for record in records:
            self.append(record)

    def _flush(self) -> None:
        if self._pending:
            db = self.store.db
            db.execute("BEGIN")
            db.executemany(f"INSERT INTO {self.name} (rec) VALUES (?)", self._pending)
            db.execute("COMMIT")
            self._pending = []

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Any]:
        self._flush()
        cursor = self.store.db.cursor()  # its own cursor: reading may go on while other tables are written
        for (rec,) in cursor.execute(f"SELECT rec FROM {self.name} ORDER BY rowid"):
            yield marshal.loads(rec)

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        self._flush()
        (rec,) = self.store.db.execute(
            f"SELECT rec FROM {self.name} WHERE rowid = ?", (index + 1,)
        ).fetchone()
        return marshal.loads(rec)
