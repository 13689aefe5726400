"""The Store: the one door to a node's data. Every method takes the acting viewer.

Reads compile the viewer's sharing rights into the SQL (see ``visibility``); writes only
accept statements owned by the writer's agency; every read, search, export and write of
entity data appends to the audit chain in the same transaction.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from palermo.access.credentials import check_password, hash_password
from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.model.schemata import model
from palermo.model.statement import Statement
from palermo.store import audit, bulk, directory, migrate, search_index, visibility
from palermo.store.change_feed import DATA, DIRECTORY, TOKENS, ChangeFeed
from palermo.store.engine import create_engine
from palermo.store.purpose_view import entity_for_purpose
from palermo.store.tables import metadata, statement
from palermo.store.views import Entity, assemble
from palermo.store.visibility import visible_statements

NAME_PROPS = (
    "name",
    "alias",
    "weakAlias",
    "previousName",
    "firstName",
    "lastName",
    "number",
    "caseNumber",
    "registrationNumber",
    "iban",
    "accountNumber",
)


class _Bound:
    """The type of :data:`BOUND`."""

    def __repr__(self) -> str:
        return "BOUND"


# The default ``purpose`` of a read: the purpose the store is bound to (`Store.for_purpose`;
# None, every value, on the node's store). A caller that must read every value whatever
# store it was handed (an access decision, a write) says ``purpose=None``.
BOUND = _Bound()
Purpose = str | None | _Bound

DIRECTORY_KEY = "palermo_directory_changed"  # conn.info: `announce_directory` was called
TOKEN_TTL = 5.0  # seconds a valid API token is remembered (see Store.viewer_for_token)
SESSION_LABEL = "web session"  # the label of tokens made by a web login


class Store:
    # The H0 purpose reads default to (ADR 0051, amendment): None on the node's store (every
    # value, for internal callers); a declared purpose on a copy made by `for_purpose`.
    read_purpose: str | None = None

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._known_policies: set[str] = set()
        # Called after each committed local write (e.g. to wake the exchange worker).
        self.write_listeners: list[Callable[[], None]] = []
        # Called after a committed change of the agency directory or of a follow-up
        # deadline, in every process (`announce_directory`); not a data write.
        self.directory_listeners: list[Callable[[], None]] = []
        self._tokens: dict[str, tuple[float, Viewer]] = {}
        self._group = audit.GroupCommit(self.transaction)
        self._writer: AbstractContextManager[Any] = (
            threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()
        )
        # Other worker processes of this node learn of writes through PostgreSQL; SQLite is
        # the embedded single-process store and needs no feed.
        self.feed = (
            ChangeFeed(engine, self._apply_change) if engine.dialect.name == "postgresql" else None
        )

    def listen_for_changes(self) -> None:
        """Drop this process's caches when another process of the node writes (serve
        starts this; a CLI command that exits at once does not need it)."""
        if self.feed is not None:
            self.feed.start()

    def _apply_change(self, kind: str) -> None:
        if kind == TOKENS:
            self._tokens.clear()
            return
        if kind == DIRECTORY:
            for listener in self.directory_listeners:
                listener()
            return
        for listener in self.write_listeners:
            listener()

    def _forget_tokens(self) -> None:
        """Roles, revocations or disabled users changed: no process may use a cached token."""
        self._tokens.clear()
        if self.feed is not None:
            self.feed.publish(TOKENS)

    def audit_backlog(self) -> int:
        """Audit events submitted but not yet committed (a metric: it grows when the
        database cannot keep up)."""
        return self._group.depth()

    @classmethod
    def open(cls, url: str | None = None, upgrade: bool = True) -> Store:
        engine = create_engine(url)
        if upgrade:
            migrate.upgrade(engine)
        return cls(engine)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One database transaction; listeners queued inside it run after it commits.

        SQLite has one writer at a time and makes the others wait in sleeps of up to 100 ms;
        every transaction here writes (at least its audit row), so on SQLite this process's
        transactions queue on a lock instead, which hands over in microseconds."""
        try:
            with self._writer, self.engine.begin() as conn:
                try:
                    yield conn
                except BaseException:
                    conn.info.pop("palermo_after_commit", None)  # nothing to announce
                    conn.info.pop(DIRECTORY_KEY, None)
                    raise
                pending = conn.info.pop("palermo_after_commit", None)
                directory_changed = conn.info.pop(DIRECTORY_KEY, None)
                # A write happened (even if this process has no listeners, e.g. the CLI):
                if pending is not None and self.feed is not None:
                    self.feed.publish(DATA, conn)  # delivered to the other workers on commit
        except BaseException:
            # Rolled back: policies inserted inside it are gone again, so the cache of stored
            # policies must forget them (else a later write fails on the foreign key).
            self._known_policies.clear()
            raise
        for listener in pending or ():
            listener()
        for listener in self.directory_listeners if directory_changed else ():
            listener()

    def announce_directory(self, conn: Connection) -> None:
        """This transaction (of `transaction`) changes the agency directory or a follow-up
        deadline: once it commits, this process's ``directory_listeners`` run and the other
        processes' run when the change feed delivers the notice, which PostgreSQL sends on
        commit and never on rollback (the cache of `coordination.notice_directory`)."""
        conn.info[DIRECTORY_KEY] = True
        if self.feed is not None:
            self.feed.publish(DIRECTORY, conn)

    def close(self) -> None:
        self.engine.dispose()

    # --- directory -------------------------------------------------------------------

    def add_agency(self, actor: Viewer, new: directory.Agency) -> None:
        actor.require_admin("add agencies", agency=None if actor.is_system else "*")
        with self.transaction() as conn:
            directory.add_agency(conn, new)
            self._audit(conn, actor, "agency.add", new.code, {"country": new.country})
            self.announce_directory(conn)

    def join_group(self, actor: Viewer, group: str, agency_code: str) -> None:
        actor.require_admin("change groups", agency=None if actor.is_system else "*")
        with self.transaction() as conn:
            directory.join_group(conn, group, agency_code)
            self._audit(conn, actor, "group.join", agency_code, {"group": group})

    def add_user(
        self,
        actor: Viewer,
        username: str,
        agency: str,
        roles: str | list[str],
        display_name: str | None = None,
        password: str | None = None,
    ) -> directory.User:
        actor.require_admin("add users", agency=agency)
        self._forget_tokens()
        with self.transaction() as conn:
            user = directory.add_user(conn, username, agency, roles, display_name, password)
            self._audit(conn, actor, "user.add", username, {"roles": sorted(user.roles)})
        return user

    def create_token(
        self, actor: Viewer, username: str, label: str, expires_at: datetime | None = None
    ) -> str:
        with self.transaction() as conn:
            user = directory.get_user(conn, username)
            if user is None:
                raise directory.DirectoryError(f"username: no user {username!r}")
            if actor.username != username:
                actor.require_admin("create tokens for others", agency=user.agency)
            token = directory.create_token(conn, username, label, expires_at)
            self._audit(conn, actor, "token.create", username, {"label": label})
        return token

    def users(self, agency: str | None = None) -> list[directory.User]:
        with self.engine.connect() as conn:
            return directory.list_users(conn, agency)

    def tokens(self, username: str | None = None) -> list[directory.TokenInfo]:
        with self.engine.connect() as conn:
            return directory.list_tokens(conn, username)

    def revoke_tokens(
        self,
        actor: Viewer,
        username: str | None = None,
        token_id: str | None = None,
        label: str | None = None,
    ) -> int:
        """Revoke tokens by user, token id (hash prefix) and/or label; they stop working at
        once in this process and, on PostgreSQL, in the node's other processes (the change
        feed drops their token caches)."""
        with self.transaction() as conn:
            owners = directory.revoke_tokens(conn, username, token_id, label)
            named = {username} if username is not None else set()
            for owner in sorted((named | set(owners)) - {actor.username}):
                user = directory.get_user(conn, owner)
                agency = user.agency if user is not None else None
                actor.require_admin("revoke tokens of others", agency=agency)
            detail = {"count": len(owners), "token_id": token_id, "label": label}
            target = username or ",".join(sorted(set(owners)))
            self._audit(conn, actor, "token.revoke", target, detail)
        self._forget_tokens()
        return len(owners)

    def end_session(self, token: str) -> bool:
        """Logout: revoke the session's own token server-side (not just the cookie)."""
        with self.transaction() as conn:
            owner = directory.token_owner(conn, token)
            if owner is None:
                return False
            directory.revoke_tokens(conn, token=token)
            user = directory.get_user(conn, owner)
            agency = user.agency if user is not None else "-"
            self._audit(conn, Viewer(agency, owner), "logout", owner, {})
        self._forget_tokens()
        return True

    def set_user_disabled(self, actor: Viewer, username: str, disabled: bool) -> None:
        """Disable a user: login is refused and every token stops working at once."""
        with self.transaction() as conn:
            user = directory.get_user(conn, username)
            if user is None:
                raise directory.DirectoryError(f"username: no user {username!r}")
            actor.require_admin("disable users", agency=user.agency)
            directory.set_disabled(conn, username, disabled)
            action = "user.disable" if disabled else "user.enable"
            self._audit(conn, actor, action, username, {})
        self._forget_tokens()

    def set_password(self, actor: Viewer, username: str, password: str) -> None:
        """A new password; the user's web sessions end (a reset locks out whoever had one)."""
        with self.transaction() as conn:
            user = directory.get_user(conn, username)
            if user is None:
                raise directory.DirectoryError(f"username: no user {username!r}")
            if actor.username != username:
                actor.require_admin("set passwords of others", agency=user.agency)
            directory.set_password(conn, username, password)
            directory.revoke_tokens(conn, username=username, label=SESSION_LABEL)
            self._audit(conn, actor, "user.password", username, {})
        self._forget_tokens()

    def agencies(self) -> list[directory.Agency]:
        with self.engine.connect() as conn:
            return directory.list_agencies(conn)

    def user(self, username: str) -> directory.User | None:
        with self.engine.connect() as conn:
            return directory.get_user(conn, username)

    def viewer(self, username: str) -> Viewer:
        user = self.user(username)
        if user is None:
            raise AccessDenied(f"no user {username!r}")
        return user.viewer()

    def cached_viewer(self, token: str) -> Viewer | None:
        """The token's user if it was looked up in the last TOKEN_TTL seconds (no I/O)."""
        cached = self._tokens.get(token)
        if cached is not None and time.monotonic() - cached[0] < TOKEN_TTL:
            return cached[1]
        return None

    def viewer_for_token(self, token: str) -> Viewer | None:
        """The token's user; valid tokens are remembered for TOKEN_TTL seconds, so a busy
        API does not look every request's token up (a change of roles or a revocation made
        by another process takes effect within that time)."""
        now = time.monotonic()
        cached = self._tokens.get(token)
        if cached is not None and now - cached[0] < TOKEN_TTL:
            return cached[1]
        with self.engine.connect() as conn:
            user = directory.user_for_token(conn, token)
        if user is None:
            self._tokens.pop(token, None)
            return None
        viewer = user.viewer()
        if len(self._tokens) > 10_000:
            self._tokens.clear()
        self._tokens[token] = (now, viewer)
        return viewer

    def login(self, username: str, password: str) -> Viewer | None:
        """The user if the password is right and the user is enabled. An unknown user (or
        one without a password) is checked against a dummy hash, so the answer takes as
        long as for a real user and timing does not tell which usernames exist."""
        with self.engine.connect() as conn:
            stored = directory.password_hash_of(conn, username)
            user = directory.get_user(conn, username)
        ok = check_password(password, stored if stored else _dummy_hash())
        if user is None or not stored or not ok or user.disabled:
            return None
        return user.viewer()

    # --- writing ---------------------------------------------------------------------

    def write(
        self,
        writer: Viewer,
        stmts: Iterable[Statement],
        action: str = "write",
        target: str = "",
        conn: Connection | None = None,
    ) -> int:
        """Append statements owned by the writer's agency, atomically, with one audit row."""
        writer.require_data_role("write entity data")
        checked = _owned_by(writer, stmts)
        if conn is not None:
            count = self._write(conn, writer, checked, action, target)
            conn.info.setdefault("palermo_after_commit", []).extend(self.write_listeners)
            return count
        with self.transaction() as own:
            count = self._write(own, writer, checked, action, target)
            own.info.setdefault("palermo_after_commit", []).extend(self.write_listeners)
        return count

    def _write(
        self, conn: Connection, writer: Viewer, stmts: Iterable[Statement], action: str, target: str
    ) -> int:
        digest = hashlib.sha256()
        entity_ids: set[str] = set()

        def seen(batch: Sequence[Statement], sids: Sequence[str]) -> None:
            # One update per batch: the digest of the ids joined is that of the ids one
            # by one (a hash reads its input as one stream).
            digest.update("".join(sids).encode())
            entity_ids.update(stmt.entity_id for stmt in batch)

        try:
            # The bulk path (store.bulk, ADR 0019): writer's rules, search terms included.
            count = bulk.append_bulk(conn, stmts, self._known_policies, seen=seen)
            _check_foreign_ids(conn, writer, entity_ids)
        except BaseException:
            # The transaction rolls back: policies it inserted are gone again, so the cache
            # of stored policies must not remember them (else: a foreign-key error later).
            self._known_policies.clear()
            raise
        detail = {"statements": count, "entities": len(entity_ids), "digest": digest.hexdigest()}
        self._audit(conn, writer, action, target or _sample(entity_ids), detail)
        return count

    def receive(self, conn: Connection, stmts: list[Statement], sender_node: str) -> int:
        """Store statements another node sent, keeping their agency and sharing.

        Only the exchange inbox calls this, after it verified the batch's signature, that the
        sender owns every statement and that every statement's sharing reaches this node.
        """
        try:
            # The bulk path, as local writes take (store.bulk, ADR 0019 and ADR 0027).
            count = bulk.append_bulk(conn, stmts, self._known_policies, received_from=sender_node)
        except BaseException:
            self._known_policies.clear()  # as in _write: the rollback removes its policies
            raise
        conn.info.setdefault("palermo_after_commit", []).extend(self.write_listeners)
        detail = {"statements": count, "from": sender_node}
        self._audit(
            conn,
            Viewer(sender_node, "exchange"),
            "exchange.receive",
            _sample({s.entity_id for s in stmts}),
            detail,
        )
        return count

    def retract(self, writer: Viewer, entity_id: str, prop: str | None = None) -> int:
        """Withdraw the writer agency's current values of an entity (or of one property)."""
        writer.require_data_role("retract entity data")
        own = self.own_current(writer, entity_id, prop)
        return self.write(writer, [s.retraction() for s in own], action="retract", target=entity_id)

    def own_current(self, writer: Viewer, entity_id: str, prop: str | None) -> list[Statement]:
        """The writer agency's current statements of the entity it knows as ``entity_id``
        (its alias, if it is opaque for the writer), unmasked: what retractions, corrections
        and team changes withdraw and re-write. Never shown to a person as they are."""
        from palermo.store.rows import statement_from_row

        with self.engine.connect() as conn:
            candidates = _with_real_ids(conn, [entity_id])
            real = conn.execute(visibility.resolve_shown_id(writer, entity_id, candidates)).scalar()
            if real is None:
                return []
            query = visibility.own_current_statements(writer, real)
            if prop is not None:
                query = query.where(statement.c.prop == prop)
            return [statement_from_row(dict(r._mapping)) for r in conn.execute(query)]

    # --- reading ---------------------------------------------------------------------

    def for_purpose(self, purpose: str) -> Store:
        """This store with its reads bound to a declared H0 ``purpose`` (ADR 0051,
        amendment): `entities`, `entity`, `referencing` and `search` without an explicit
        ``purpose`` read for it. A page hands this to the coordination functions that
        gather what it shows (a case file, an operation's board, an inbox), so every read
        they make declares the session's purpose without each taking one. A shallow copy:
        the engine, caches, audit writer and listeners are the same objects."""
        bound = copy.copy(self)
        bound.read_purpose = purpose
        return bound

    def _purpose(self, purpose: Purpose) -> str | None:
        return self.read_purpose if isinstance(purpose, _Bound) else purpose

    def entities(
        self,
        viewer: Viewer,
        ids: Sequence[str] | None = None,
        schema: str | None = None,
        limit: int = 100,
        offset: int = 0,
        after: str | None = None,
        purpose: Purpose = BOUND,
    ) -> list[Entity]:
        """Entities as the viewer may see them; an entity it may not see does not exist.

        ``after`` pages by key (ids greater than it), which stays fast deep into a large
        store where ``offset`` makes the database count its way past every earlier row.
        ``purpose`` is a read's declared H0 purpose (`purpose_view.read_purpose`; ADR
        0051): values it may not use are left out and named in ``Entity.withheld``, and the
        audit row records it. None reads every value, for callers that apply H0 themselves
        (exports refuse lines, the analysis and screening caches keep the copies); left
        out, the store's bound purpose (`for_purpose`; None on the node's store)."""
        purpose = self._purpose(purpose)
        viewer.require_data_role("read entity data")
        kinds = _descendants(schema) if schema is not None else None
        with self.transaction() as conn:
            _no_jit(conn)
            candidates = visibility.visible_entities(viewer)
            if ids is not None:
                named = list(ids)
                candidates = visibility.for_ids(
                    candidates, viewer, named, _with_real_ids(conn, named)
                )
            if kinds is not None:
                candidates = candidates.where(statement.c.schema.in_(kinds))
            listed = candidates.subquery()
            page = sa.select(listed.c.entity_id)
            if after is not None:
                page = page.where(listed.c.entity_id > after)
            page = page.order_by(listed.c.entity_id).limit(limit).offset(offset)
            entity_ids = list(conn.execute(page).scalars())
            result = self._read(conn, viewer, entity_ids, purpose)
            _audit_read(conn, viewer, entity_ids, purpose, result)
        return result

    def entity(self, viewer: Viewer, entity_id: str, purpose: Purpose = BOUND) -> Entity | None:
        found = self.entities(viewer, ids=[entity_id], limit=1, purpose=purpose)
        return found[0] if found else None

    def search(
        self,
        viewer: Viewer,
        text: str,
        schema: str | None = None,
        limit: int = 20,
        offset: int = 0,
        agency: str | None = None,
        country: str | None = None,
        topic: str | None = None,
        purpose: Purpose = BOUND,
    ) -> search_index.SearchResults:
        """Names (any script, folded) and identifiers (any spacing or format) the viewer
        may read unmasked, through the search index (ADR 0013): every word must match, the
        last one as a prefix; exact identifier matches rank first, then entities matching
        more terms. ``total`` and ``facets`` count every visible match, not just the page.

        One audit row per search, whether anything was found or not: the text, the number
        of matches and the ids of the entities handed out. It is a standalone event, group
        committed (ADR 0006): the search itself only reads, so it neither holds the write
        lock nor waits for a commit of its own. The row is handed to the group writer as
        soon as the page's ids are known and commits while the page is read; the results
        are returned only once it is in (ADR 0032).

        With a declared ``purpose`` (ADR 0051) a hit is still listed, without the values
        H0 withholds from that purpose (``Entity.withheld`` names their owners); the
        audit row records the purpose. Its facets and facet filters then use only the
        values that purpose may use (a withheld country is no facet; a hit found only
        through withheld values counts under its type, under no agency)."""
        purpose = self._purpose(purpose)
        viewer.require_data_role("search")
        _check_search_input(text, limit, offset)
        query = search_index.parse(text)
        filters = search_index.Filters(
            _descendants(schema) if schema is not None else None, agency, country, topic
        )
        with self.engine.connect() as conn:
            _no_jit(conn)
            outcome = (
                search_index.run(conn, viewer, query, filters, purpose) if not query.empty else None
            )
            matches = outcome.matches if outcome is not None else []
            page = [m.entity_id for m in matches[offset : offset + limit]]
            detail: dict[str, Any] = {"hits": len(matches), "entities": page}
            if purpose is not None:
                detail["purpose"] = purpose or None
            # The audit row commits while the page is read; the answer waits for both.
            audited = self._group.enqueue((viewer.agency, viewer.username, "search", text, detail))
            found = {e.id: e for e in self._read(conn, viewer, page, purpose)}
        self._group.wait(audited)
        return search_index.SearchResults(
            [found[i] for i in page if i in found],
            total=len(matches),
            facets=outcome.facets if outcome is not None else None,
            offset=offset,
            limit=limit,
            truncated=outcome.truncated if outcome is not None else False,
        )

    def _read(
        self, conn: Connection, viewer: Viewer, ids: list[str], purpose: str | None = None
    ) -> list[Entity]:
        """These entities as the viewer may see them (masked, aliased), in id order, with
        the values a declared ``purpose`` may not use left out (H0, ADR 0051); the caller
        audits the read (``entities``, or ``search`` with its own event)."""
        if not ids:
            return []
        visible = visibility.for_ids(
            visible_statements(viewer), viewer, ids, _with_real_ids(conn, ids)
        ).subquery()
        rows = conn.execute(sa.select(visible).order_by(visible.c.entity_id, visible.c.seq))
        found = assemble(dict(r._mapping) for r in rows)
        if purpose is None:
            return found
        return [entity_for_purpose(e, viewer, purpose) for e in found]

    def referencing(
        self,
        viewer: Viewer,
        target_id: str,
        schema: str | None = None,
        limit: int = 1000,
        purpose: Purpose = BOUND,
    ) -> list[Entity]:
        """Entities the viewer may see that point at ``target_id`` (tasks of a case, ...)."""
        purpose = self._purpose(purpose)
        viewer.require_data_role("read entity data")
        kinds = _descendants(schema) if schema is not None else None
        with self.engine.connect() as conn:
            _no_jit(conn)
            candidates = visibility.referring_to(
                visible_statements(viewer), viewer, target_id, _with_real_ids(conn, [target_id])
            )
            if kinds is not None:
                candidates = candidates.where(statement.c.schema.in_(kinds))
            visible = candidates.subquery()
            query = sa.select(visible.c.entity_id).distinct().where(visible.c.value == target_id)
            ids = list(conn.execute(query.limit(limit)).scalars())
        return self.entities(viewer, ids=ids, limit=limit, purpose=purpose) if ids else []

    def export(
        self, viewer: Viewer, schema: str | None = None, batch: int = 1000
    ) -> Iterator[Entity]:
        """Every entity the viewer may see, page by page (each page is audited as a read).

        Pages are keyed by the stored entity id (`visibility.visible_entity_keys`), so each
        page reads only its own entities' statements from the index: keyed by the shown id,
        every page grouped every statement of the schema first (measured at 1M document
        reports on PostgreSQL: 4.5 s a page of 5,000, the whole build quadratic)."""
        viewer.require_data_role("read entity data")
        kinds = _descendants(schema) if schema is not None else None
        after: str | None = None
        while True:
            with self.transaction() as conn:
                _no_jit(conn)
                candidates = visibility.visible_entity_keys(viewer)
                if kinds is not None:
                    candidates = candidates.where(statement.c.schema.in_(kinds))
                if after is not None:
                    candidates = candidates.where(statement.c.entity_id > after)
                rows = conn.execute(candidates.order_by(statement.c.entity_id).limit(batch)).all()
                entity_ids = [row.entity_id for row in rows]
                page = self._read(conn, viewer, entity_ids, None) if rows else []
                if rows:
                    _audit_read(conn, viewer, entity_ids, None, page)
            if not rows:
                return
            yield from page
            after = rows[-1].key

    def analyze(self) -> None:
        """Refresh the planner's statistics; after a bulk load PostgreSQL otherwise keeps
        planning for an empty table (measured: 55 ms vs 5 ms per entity read)."""
        with self.engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))

    def count_statements(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(statement)).scalar_one())

    # --- audit -----------------------------------------------------------------------

    def audit_verify(self) -> audit.AuditReport:
        """The audit chain, then every statement's content id (a value edited in place)."""
        from palermo.store.integrity import verify_statements

        with self.engine.connect() as conn:
            report = audit.verify(conn)
            if not report.ok:
                return report
            statements = verify_statements(conn)
        if statements.ok:
            return replace(report, statements_checked=statements.checked)
        return audit.AuditReport(
            False,
            report.rows_checked,
            None,
            statements.reason,
            statements_checked=statements.checked,
            broken_statement_seq=statements.broken_seq,
        )

    def audit_entries(self, since: int = 0) -> list[audit.AuditEntry]:
        with self.engine.connect() as conn:
            return list(audit.entries(conn, since))

    def audit_event(self, actor: Viewer, action: str, target: str, detail: dict[str, Any]) -> None:
        """Record an event that changed no data (a screening, a rejected import) on its own;
        returns once it is committed (in a group with other requests' events)."""
        self._group.submit((actor.agency, actor.username, action, target, detail))

    async def audit_event_async(
        self, actor: Viewer, action: str, target: str, detail: dict[str, Any]
    ) -> None:
        """`audit_event` for async handlers: waits on the event loop, not in a thread."""
        await self._group.submit_async((actor.agency, actor.username, action, target, detail))

    def _audit(
        self, conn: Connection, actor: Viewer, action: str, target: str, detail: dict[str, Any]
    ) -> None:
        audit.append(conn, actor.agency, actor.username, action, target, detail)

    def reset(self) -> None:
        """Drop and recreate every table (tests and demos only)."""
        metadata.drop_all(self.engine)
        with self.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        migrate.upgrade(self.engine)
        self._known_policies.clear()


def _purpose_detail(purpose: str | None, found: list[Entity]) -> dict[str, Any]:
    """A read's declared purpose and the records it withheld values of, for its audit row."""
    if purpose is None:
        return {}
    held = [e.id for e in found if e.withheld]
    return {"purpose": purpose or None, **({"withheld": held} if held else {})}


@functools.cache
def _dummy_hash() -> str:
    """A scrypt hash of a random password, checked for unknown users (see Store.login)."""
    return hash_password(secrets.token_urlsafe(16))


def _owned_by(writer: Viewer, stmts: Iterable[Statement]) -> Iterator[Statement]:
    for stmt in stmts:
        if stmt.agency != writer.agency:
            raise AccessDenied(
                f"{writer.username}@{writer.agency} may not write a statement owned by "
                f"{stmt.agency} (entity {stmt.entity_id})"
            )
        if stmt.entity_id.startswith(visibility.ALIAS_PREFIX):
            # Such an entity would be shown under another entity's alias (finding 3).
            raise ValueError(
                f"id: {stmt.entity_id!r}: ids starting with "
                f"{visibility.ALIAS_PREFIX!r} are reserved for masked entities"
            )
        yield stmt


def _audit_read(
    conn: Connection,
    viewer: Viewer,
    entity_ids: list[str],
    purpose: str | None,
    result: list[Entity],
) -> None:
    """The audit row of one page of entities read. Read-only: the transaction writes no
    statement, so it need not wait for the statement-order lock behind an import
    (ADR 0040)."""
    audit.append(
        conn,
        viewer.agency,
        viewer.username,
        "read",
        _sample(entity_ids),
        {"entities": entity_ids, **_purpose_detail(purpose, result)},
        read_only=True,
    )


def _no_jit(conn: Connection) -> None:
    """PostgreSQL's JIT compiles the visibility query's many small subplans for seconds
    when a page is estimated as costly (2.4 s of JIT for a 0.35 s list); the rest of this
    transaction runs without it."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SET LOCAL jit = off"))


def _with_real_ids(conn: Connection, ids: Sequence[str]) -> list[str]:
    """``ids`` plus the real ids behind any aliases among them: what to look up on the
    ``entity_id`` index (visibility decides which of them the viewer may name so)."""
    if not any(i.startswith(visibility.ALIAS_PREFIX) for i in ids):
        return list(ids)
    return [*ids, *conn.execute(visibility.behind_aliases(ids)).scalars()]


def _check_foreign_ids(conn: Connection, writer: Viewer, entity_ids: Iterable[str]) -> None:
    """Refuse statements on another agency's entity id unless the writer may read that
    entity by this id from what another agency said (e.g. an MLA answer on a request sent
    to it). Otherwise writing a note on a guessed id and seeing masked statements join it
    would tell whether an opaque entity has that id (finding 3); an id that does not exist
    and one that is opaque are refused alike. Runs after the insert: raising rolls the
    transaction back."""
    own = f"{writer.agency.lower()}."
    foreign = sorted(e for e in entity_ids if not e.startswith(own))
    if not foreign:
        return
    known = set(conn.execute(visibility.readable_from_others(writer, foreign)).scalars())
    unknown = [e for e in foreign if e not in known]
    if unknown:
        raise NotVisible(f"entity_id: no visible entity {unknown[0]!r}")


MAX_QUERY = 500  # characters of a search text


def _check_search_input(text: str, limit: int, offset: int) -> None:
    """Bad search input is a clear error naming the field, not a database error."""
    if "\x00" in text:
        raise ValueError("q: must not contain NUL characters")
    if len(text) > MAX_QUERY:
        raise ValueError(f"q: at most {MAX_QUERY} characters")
    if limit < 1 or limit > 1000:
        raise ValueError("limit: must be between 1 and 1000")
    if offset < 0:
        raise ValueError("offset: must not be negative")


def _descendants(schema: str) -> list[str]:
    found = model.get(schema)
    if found is None:
        raise ValueError(f"schema: no schema named {schema!r}")
    return [*sorted(s.name for s in found.descendants), found.name]


def like_escape(text: str) -> str:
    """The text as a literal inside a LIKE pattern: ``%``, ``_`` and the escape ``\\``
    match themselves (so ``q=%%`` or ``q=__`` cannot match everything)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sample(ids: Iterable[str], size: int = 5) -> str:
    items = sorted(ids)
    more = f" (+{len(items) - size})" if len(items) > size else ""
    return ",".join(items[:size]) + more
