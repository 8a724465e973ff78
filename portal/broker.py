"""The embedded Celery broker: kombu's SQLAlchemy transport on a SQLite file under `var/`.

A laptop run needs a broker without a server. kombu's filesystem transport can hand a worker a
message file another process is still writing (kombu issue #1551), and the worker dies of it;
SQLite stores a message whole or not at all. On top of kombu's transport this adds:

- WAL and a busy timeout, so the web process, beat and the worker wait for each other's short
  writes instead of failing on "database is locked";
- a delivered message is deleted rather than kept hidden, so the file does not grow forever;
- a message handed back (a worker stopping mid-task) is marked redelivered, as Redis marks it,
  so the task knows that an earlier run of it stopped and may take its work over at once;
- two processes declaring the same new queue at once (a worker starting while the web process
  sends to it) both get it: kombu's guard is a lock within one process;
- two processes opening a new file at once both get its tables;
- a send whose channel kombu closed under it (see `basic_publish`) is retried, not lost.

Selected by `CELERY_BROKER_URL=sqla+sqlite:///…` (see `portal/settings.py`).
"""

from __future__ import annotations

import os
import time
from json import loads
from queue import Empty
from typing import Any

from kombu.transport import sqlalchemy as kombu_sqla
from kombu.utils.encoding import bytes_to_str
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

# Seconds a connection waits for another process's write before "database is locked".
BUSY_TIMEOUT = 30.0
# Tries at creating the tables of a new file; each failure means another process made one.
TABLE_ATTEMPTS = 3


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers never wait for the writer; NORMAL: no fsync per message, still no torn writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Channel(kombu_sqla.Channel):
    """kombu's SQLAlchemy channel, for SQLite: tuned connections, deleted deliveries."""

    def _engine_from_config(self) -> Engine:
        # Only the URL: kombu would pass Celery's transport options (polling_interval, …)
        # on to create_engine, which refuses them.
        url = str(self.connection.client.hostname)  # type: ignore[union-attr]
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT})
        event.listen(engine, "connect", _tune_sqlite)
        return engine

    def _open(self) -> Any:
        """kombu's (engine, Session), with the file's tables made even when processes race."""
        for _ in range(TABLE_ATTEMPTS - 1):
            try:
                return super()._open()  # type: ignore[misc]
            except OperationalError as exc:
                # kombu looks for its tables, then creates those it did not find: a process
                # starting at the same moment (a worker, while the web process sends) can create
                # one in between, and this CREATE fails. The next look finds it.
                if "already exists" not in str(exc):
                    raise
        return super()._open()  # type: ignore[misc]

    def basic_publish(self, message: Any, exchange: str, routing_key: str, **kwargs: Any) -> Any:
        if self.connection is None:
            # kombu retries a failed declare inside a publish on a new connection, closing the
            # channel the publish already holds. Failing as a lost connection (not on the closed
            # channel's missing attributes) lets the publish retry on the new one as well.
            raise OperationalError("publish", None, ConnectionError("the channel was closed"))
        return super().basic_publish(message, exchange, routing_key, **kwargs)

    def _get_or_create(self, queue: str) -> Any:
        """The queue's row; created if missing, by this process or, meanwhile, another."""
        try:
            return super()._get_or_create(queue)  # type: ignore[misc]
        except IntegrityError:  # another process inserted the same name first
            self.session.rollback()
            queues = self.queue_cls  # type: ignore[attr-defined]
            return self.session.query(queues).filter(queues.name == queue).one()

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        queue_row = self._get_or_create(queue)
        message_cls = self.message_cls
        waiting = message_cls.queue_id == queue_row.id, message_cls.visible != False  # noqa: E712
        # A poll of an empty queue only reads (in WAL, a read never waits for a writer): the
        # write lock, which a sender would have to wait for, is taken when there is a message.
        try:
            if self.session.query(message_cls.id).filter(*waiting).limit(1).first() is None:
                raise Empty()
        finally:
            self.session.commit()
        # One writer at a time from here, so two consumers never take the same message.
        self.session.execute(text("BEGIN IMMEDIATE TRANSACTION"))
        try:
            message = (
                self.session.query(message_cls)
                .filter(*waiting)
                .order_by(message_cls.id)
                .limit(1)
                .first()
            )
            if message is None:
                raise Empty()
            payload = loads(bytes_to_str(message.payload))
            self.session.delete(message)
            return payload
        finally:
            self.session.commit()

    def _restore(self, message: Any) -> None:
        payload = message.serializable()
        properties = dict(payload["properties"])
        properties["delivery_info"] = {**message.delivery_info, "redelivered": True}
        payload["properties"] = properties
        payload["headers"] = {**payload["headers"], "redelivered": True}
        for queue in self._lookup(
            message.delivery_info["exchange"], message.delivery_info["routing_key"]
        ):
            self._put(queue, payload)


class Transport(kombu_sqla.Transport):
    """The embedded broker's transport (`CELERY_BROKER_TRANSPORT`)."""

    Channel = Channel

    def drain_events(self, connection: Any, timeout: float | None = None) -> Any:  # type: ignore[override]
        # Celery's loop for polling transports waits up to 2 s here. Once a stopping worker
        # has cancelled its consumers nothing can arrive, and those seconds only delay its exit.
        if not any(channel._consumers for channel in self.channels or ()):
            time.sleep(self.polling_interval or 0.1)  # never a busy loop
            raise TimeoutError()
        return super().drain_events(connection, timeout=timeout)


def _forget_engines_after_fork() -> None:
    """A forked process (a pool child) must not share the parent's SQLite connections."""
    for engine, _session in Channel._engines.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_engines_after_fork)
