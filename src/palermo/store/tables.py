"""The relational schema, in SQLAlchemy Core, shared by SQLite and PostgreSQL.

Sharing is normalised into *policies*: a statement points at the policy (audience +
handling codes) it was written under. A node holds many millions of statements but only a
handful of distinct policies, so the access filter is a small subquery over policies rather
than a join over per-statement grants.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# Integer primary keys that autoincrement on both backends (SQLite only does so for INTEGER).
BigSeq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

agency = sa.Table(
    "agency",
    metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

agency_group = sa.Table(
    "agency_group",
    metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
)

group_member = sa.Table(
    "group_member",
    metadata,
    sa.Column("group_code", sa.String(64), sa.ForeignKey("agency_group.code"), primary_key=True),
    sa.Column("agency_code", sa.String(64), sa.ForeignKey("agency.code"), primary_key=True),
)

app_user = sa.Table(
    "app_user",
    metadata,
    sa.Column("username", sa.String(128), primary_key=True),
    sa.Column("agency_code", sa.String(64), sa.ForeignKey("agency.code"), nullable=False),
    sa.Column("display_name", sa.String(255), nullable=False),
    sa.Column("roles", sa.String(255), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # A disabled user cannot log in and its tokens stop working (finding 8).
    sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
)

api_token = sa.Table(
    "api_token",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(128), sa.ForeignKey("app_user.username"), nullable=False),
    sa.Column("label", sa.String(255), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked", sa.Boolean(), nullable=False, default=False),
)

# Failed logins, counted per username and per client address for the lockout (finding 9).
login_failure = sa.Table(
    "login_failure",
    metadata,
    sa.Column("id", BigSeq, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(128), nullable=False, index=True),
    sa.Column("address", sa.String(64), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
)

policy = sa.Table(
    "policy",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("canonical", sa.Text(), nullable=False),
    sa.Column("everyone", sa.Boolean(), nullable=False),
    sa.Column("victim_sensitive", sa.Boolean(), nullable=False),
    sa.Column("no_onward", sa.Boolean(), nullable=False),
)

policy_agency = sa.Table(
    "policy_agency",
    metadata,
    sa.Column("policy_id", sa.String(40), sa.ForeignKey("policy.id"), primary_key=True),
    sa.Column("agency_code", sa.String(64), primary_key=True),
)

policy_group = sa.Table(
    "policy_group",
    metadata,
    sa.Column("policy_id", sa.String(40), sa.ForeignKey("policy.id"), primary_key=True),
    sa.Column("group_code", sa.String(64), primary_key=True),
)

statement = sa.Table(
    "statement",
    metadata,
    sa.Column("seq", BigSeq, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(40), nullable=False, unique=True),
    sa.Column("key", sa.String(40), nullable=False, index=True),
    sa.Column("entity_id", sa.String(255), nullable=False, index=True),
    sa.Column("schema", sa.String(64), nullable=False),
    sa.Column("prop", sa.String(64), nullable=False),
    sa.Column("value", sa.Text(), nullable=False),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("source_record_id", sa.String(255), nullable=False),
    sa.Column("policy_id", sa.String(40), sa.ForeignKey("policy.id"), nullable=False),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
    sa.Column("retracted", sa.Boolean(), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    # The node a statement arrived from through exchange; NULL for statements written here.
    sa.Column("received_from", sa.String(128), nullable=True),
    # The write (its audit row's ``write.id``) that inserted the row; NULL before 0007.
    sa.Column("write_id", sa.String(32), nullable=True),
    sa.Index("ix_statement_schema_entity", "schema", "entity_id"),
    sa.Index("ix_statement_agency_policy", "agency", "policy_id"),
    sa.Index("ix_statement_write_id", "write_id"),  # migration 0014: purges recount writes
)
# Retraction rows only (migration 0016): `visibility.is_current` probes it per candidate.
sa.Index(
    "ix_statement_retraction",
    statement.c.key,
    statement.c.seq,
    postgresql_where=statement.c.retracted.is_(True),
    sqlite_where=statement.c.retracted.is_(True),
)
# MatchJudgement ends only (migration 0020): `match.judgement_lookup` finds the judgements
# naming an identity's records by their ``left``/``right`` value (record ids: short, unlike a
# judgement's free-text reason). The query repeats JUDGEMENT_ENDS word for word: that is
# what lets SQLite use a partial index.
JUDGEMENT_ENDS = "schema = 'MatchJudgement' AND prop IN ('left', 'right')"
sa.Index(
    "ix_statement_judgement_value",
    statement.c.value,
    statement.c.entity_id,  # the judgement found from the index (SQLite then prefers it)
    postgresql_where=sa.text(JUDGEMENT_ENDS),
    sqlite_where=sa.text(JUDGEMENT_ENDS),
)
# Country- and topic-typed statements only (migration 0027): a search's facet values
# (`search_index._attach_facet_values`) read an entity's few such statements instead of all
# of them. The property names are every schema's country- and topic-typed ones
# (`search_index.facet_props`, checked equal by the tests: a model with a new one needs a
# new migration), and the query repeats FACET_VALUES word for word, as for JUDGEMENT_ENDS,
# so that SQLite and PostgreSQL both find the index usable.
FACET_PROPS = (
    "birthCountry",
    "citizenship",
    "contextCountry",
    "country",
    "departureCountry",
    "destinationCountry",
    "detectedCountry",
    "exploitationCountry",
    "flag",
    "fromCountry",
    "issuingCountry",
    "jurisdiction",
    "mainCountry",
    "nationality",
    "originCountry",
    "pastFlags",
    "recruitmentCountry",
    "requestedCountry",
    "requestingCountry",
    "toCountry",
    "topics",
    "tradingCountry",
)
FACET_VALUES = "prop IN (" + ", ".join(f"'{name}'" for name in FACET_PROPS) + ")"
sa.Index(
    "ix_statement_facet",
    statement.c.entity_id,
    postgresql_where=sa.text(FACET_VALUES),
    sqlite_where=sa.text(FACET_VALUES),
)

# The opaque id an entity is shown under to viewers for whom everything they may read of
# it is masked (finding 3). Random, created when the first victim-sensitive statement of
# the entity is written, never derived from the real id; see store/visibility.py.
entity_alias = sa.Table(
    "entity_alias",
    metadata,
    sa.Column("entity_id", sa.String(255), primary_key=True),
    sa.Column("alias", sa.String(64), nullable=False, unique=True),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", BigSeq, primary_key=True, autoincrement=False),
    sa.Column("ts", sa.String(40), nullable=False),  # ISO text: hashed byte-for-byte
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("username", sa.String(128), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.Text(), nullable=False),
    sa.Column("detail", sa.Text(), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# One row: the newest link of the audit chain. It is locked while appending (serialising
# writers on PostgreSQL) and lets `audit verify` notice a deleted tail.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("seq", sa.BigInteger(), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)


# --- exchange: this node, its peers, their keys, and how far each sync got ---------------

node_self = sa.Table(
    "node_self",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("node_id", sa.String(128), nullable=False),
    sa.Column("agency_code", sa.String(64), nullable=False),
    sa.Column("public_key", sa.String(64), nullable=False),
    sa.Column("key_file", sa.Text(), nullable=False),
)

peer = sa.Table(
    "peer",
    metadata,
    sa.Column("node_id", sa.String(128), primary_key=True),
    sa.Column("agency_code", sa.String(64), nullable=False),
    sa.Column("endpoint", sa.Text(), nullable=False),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
)

peer_key = sa.Table(
    "peer_key",
    metadata,
    sa.Column("public_key", sa.String(64), primary_key=True),
    sa.Column("node_id", sa.String(128), sa.ForeignKey("peer.node_id"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # active, retired, revoked
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
)

# Outbound: the highest local statement seq each peer has acknowledged.
sync_outbound = sa.Table(
    "sync_outbound",
    metadata,
    sa.Column("node_id", sa.String(128), primary_key=True),
    sa.Column("acked_seq", sa.BigInteger(), nullable=False),
)

# Inbound: the sender's highest seq stored here, so batches apply in order and exactly once.
sync_inbound = sa.Table(
    "sync_inbound",
    metadata,
    sa.Column("node_id", sa.String(128), primary_key=True),
    sa.Column("cursor", sa.BigInteger(), nullable=False),
)


# --- alerts: what users asked to be told about, and what they were told ------------------

subscription = sa.Table(
    "subscription",
    metadata,
    sa.Column("id", BigSeq, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(128), sa.ForeignKey("app_user.username"), nullable=False),
    sa.Column(
        "kind", sa.String(32), nullable=False
    ),  # entity, document, name, notice-type, country
    sa.Column("value", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

alert = sa.Table(
    "alert",
    metadata,
    sa.Column("id", BigSeq, primary_key=True, autoincrement=True),
    sa.Column("subscription_id", sa.BigInteger(), nullable=False),
    sa.Column("username", sa.String(128), nullable=False, index=True),
    sa.Column("statement_id", sa.String(40), nullable=False),
    sa.Column("entity_id", sa.String(255), nullable=False),
    sa.Column("summary", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("subscription_id", "statement_id", name="uq_alert_subscription_statement"),
)

# How far the alert scanner has read the statement table.
alert_cursor = sa.Table(
    "alert_cursor",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("seq", sa.BigInteger(), nullable=False),
)


# --- deconfliction: node-private, never statements, never synced, never in an API ---------

# The node's secret scalar for the keyed selectors (coordination/psi.py); one row, made at
# first use. No agency holds it, so selectors cannot be tested against guesses offline.
deconfliction_secret = sa.Table(
    "deconfliction_secret",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("scalar", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# Published selectors: k·H(type:value) per identifier of a case, with the holder's case.
deconfliction_selector = sa.Table(
    "deconfliction_selector",
    metadata,
    sa.Column("id", BigSeq, primary_key=True, autoincrement=True),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("case_id", sa.String(255), nullable=False),
    sa.Column("case_reference", sa.String(255), nullable=False),
    sa.Column("selector_type", sa.String(32), nullable=False),
    sa.Column("selector", sa.String(64), nullable=False, index=True),
    sa.Column("published_by", sa.String(128), nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False, index=True),
    # Set when a republished case no longer holds the identifier: no longer matched, but still
    # counted against the agency's hourly evaluation limit.
    sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("agency", "case_id", "selector", name="uq_deconfliction_selector"),
)

# Hits recorded, one row per party: its DeconflictionHit entity and the own case it is filed
# under (kept here, not as a value, so the hit never points at the case and is never widened
# with it). ``hit_key`` (keyed digest of both sides) makes each overlap be told once.
deconfliction_hit = sa.Table(
    "deconfliction_hit",
    metadata,
    sa.Column("hit_id", sa.String(255), primary_key=True),
    sa.Column("hit_key", sa.String(64), nullable=False, index=True),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("case_id", sa.String(255), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("hit_key", "agency", name="uq_deconfliction_hit_party"),
)


# --- hit notices: the owner of a record told that another agency's search hit it ----------
# (coordination/hit_notices.py; docs/trust.md "Owner notification and follow-up"). Node-
# private like deconfliction: read only through hit_notices, filtered by agency in the query.

# One row per (searcher agency, record, UTC day): later hits that day only count up ``hits``.
hit_notice = sa.Table(
    "hit_notice",
    metadata,
    sa.Column("id", BigSeq, primary_key=True, autoincrement=True),
    sa.Column("owner_agency", sa.String(64), nullable=False, index=True),
    sa.Column("record_id", sa.String(255), nullable=False),
    sa.Column("searcher_agency", sa.String(64), nullable=False, index=True),
    sa.Column("channel", sa.String(32), nullable=False),  # screening, search, precheck, ...
    sa.Column("purpose", sa.Text(), nullable=True),
    sa.Column("day", sa.String(10), nullable=False),
    sa.Column("hits", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_hit_at", sa.DateTime(timezone=True), nullable=False),
    # The follow-up item the notice opens: open -> overdue (swept) -> answered.
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reminders", sa.Integer(), nullable=False),
    sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("reply", sa.Text(), nullable=True),
    sa.Column("replied_by", sa.String(128), nullable=True),
    sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("searcher_agency", "record_id", "day", name="uq_hit_notice_daily"),
)

# Per-agency follow-up deadline (hours); an agency without a row gets the default (48 h).
hit_notice_setting = sa.Table(
    "hit_notice_setting",
    metadata,
    sa.Column("agency", sa.String(64), primary_key=True),
    sa.Column("deadline_hours", sa.Integer(), nullable=False),
)


# --- identities: stable ids per view, the merge ledger, the trained model (issue 15) ------
# Node-private derived data, one set per view (`scope`: agency and victim-support, as the
# analysis caches); read and written only through `palermo.match.ledger`, never synced.

# record -> identity as the view last resolved it; ids survive reruns (ADR 0015).
xref_identity = sa.Table(
    "xref_identity",
    metadata,
    sa.Column("scope", sa.String(80), primary_key=True),
    sa.Column("record_id", sa.String(255), primary_key=True),
    sa.Column("identity_id", sa.String(64), nullable=False),
    sa.Index("ix_xref_identity_scope_identity", "scope", "identity_id"),
)

# Every merge and split of identities: who or what caused it, when, on which evidence and
# model, what the identities were before and after (JSON), and the undo that reversed it.
xref_ledger = sa.Table(
    "xref_ledger",
    metadata,
    sa.Column("seq", BigSeq, primary_key=True, autoincrement=True),
    sa.Column("scope", sa.String(80), nullable=False, index=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),  # merge, split, undo
    sa.Column("before", sa.Text(), nullable=False),
    sa.Column("after", sa.Text(), nullable=False),
    sa.Column("evidence", sa.Text(), nullable=False),
    sa.Column("model_version", sa.String(64), nullable=False),
    sa.Column("undoes", sa.BigInteger(), nullable=True),
    sa.Column("undone_by", sa.BigInteger(), nullable=True),
)

# The trained Splink model (m, u, prior) a batch run used, so arriving records are scored
# with the same parameters; the newest row per scope is current.
xref_model = sa.Table(
    "xref_model",
    metadata,
    sa.Column("version", sa.String(64), primary_key=True),
    sa.Column("scope", sa.String(80), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("threshold", sa.Float(), nullable=False),
    sa.Column("model", sa.Text(), nullable=False),
)


# The view's scored pairs (migration 0019, ADR 0046): every link its resolver found (batch
# or arrival), `joins` when it joined identities (at the threshold, or a strong identifier),
# so the review queue lists the uncertain ones and `ledger.visible_membership` can split
# an identity joined only through a record the viewer no longer reads (`match.ledger_pairs`).
xref_pair = sa.Table(
    "xref_pair",
    metadata,
    sa.Column("scope", sa.String(80), primary_key=True),
    sa.Column("left_id", sa.String(255), primary_key=True),
    sa.Column("right_id", sa.String(255), primary_key=True),
    sa.Column("probability", sa.Float(), nullable=False),
    sa.Column("joins", sa.Boolean(), nullable=False),
    sa.Column("weights", sa.Text(), nullable=False),
    sa.Column("evidence", sa.Text(), nullable=True),
    sa.Column("review", sa.Text(), nullable=True),
    sa.Column("model_version", sa.String(64), nullable=False),
    sa.Index("ix_xref_pair_scope_right", "scope", "right_id"),
)


# How far each view's resolver has followed the arrival feed (migration 0018, ADR 0033):
# the audit seq through which the view's arrivals are resolved, the end of the last range
# that held arrivals, and the claim of the host resolving the next range (a lease in ms
# since the epoch), so that one host of a node resolves each range (`match.arrivals`).
xref_arrival = sa.Table(
    "xref_arrival",
    metadata,
    sa.Column("scope", sa.String(80), primary_key=True),
    sa.Column("seq", sa.BigInteger(), nullable=False),
    sa.Column("arrivals_seq", sa.BigInteger(), nullable=False),
    sa.Column("holder", sa.String(64), nullable=True),
    sa.Column("lease_until", sa.BigInteger(), nullable=True),
)


# --- retention and review clocks (coordination/retention.py; docs/trust.md "Retention and
# review"). Node-private, read only through retention, filtered by agency in the query.

# The jurisdiction whose coded periods an agency follows (default: its country's file).
retention_setting = sa.Table(
    "retention_setting",
    metadata,
    sa.Column("agency", sa.String(64), primary_key=True),
    sa.Column("jurisdiction", sa.String(16), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Records that reached their review, waiting for their owner's keep-or-erase decision.
retention_queue = sa.Table(
    "retention_queue",
    metadata,
    sa.Column("agency", sa.String(64), primary_key=True),
    sa.Column("entity_id", sa.String(255), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("review_due", sa.DateTime(timezone=True), nullable=False),
    sa.Column("max_due", sa.DateTime(timezone=True), nullable=True),
    sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
)

# Every decision on a record's clock: keep (with the next review), erase, expire (swept).
retention_decision = sa.Table(
    "retention_decision",
    metadata,
    sa.Column("id", BigSeq, primary_key=True, autoincrement=True),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("entity_id", sa.String(255), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("username", sa.String(128), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("next_review", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_retention_decision_agency_entity", "agency", "entity_id"),
)


# --- physical purge and the PPRL federation key (migration 0014) ---------------------------

# Records erased by retention, until their rows are physically deleted (purged_at set);
# coordination/retention_purge.py. Node-private.
retention_purge = sa.Table(
    "retention_purge",
    metadata,
    sa.Column("agency", sa.String(64), primary_key=True),
    sa.Column("entity_id", sa.String(255), primary_key=True),
    sa.Column("through_seq", sa.BigInteger(), primary_key=True),
    sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("statements", sa.Integer(), nullable=True),
)

# The federation's shared secret for PPRL encodings (match/pprl.py FederationKey): node-
# private like the deconfliction secret, never in an API, sealed in backups.
pprl_federation_key = sa.Table(
    "pprl_federation_key",
    metadata,
    sa.Column("federation", sa.String(128), primary_key=True),
    sa.Column("secret", sa.String(128), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# --- handling consent (migration 0013) ------------------------------------------------------

# A provider's consent to a use its handling code forbids (H1: court), for one receiving
# agency, per statement or entity id; store/handling_consent.py. Node-private.
handling_consent = sa.Table(
    "handling_consent",
    metadata,
    sa.Column("id", BigSeq, primary_key=True, autoincrement=True),
    sa.Column("provider", sa.String(64), nullable=False),
    sa.Column("target", sa.String(255), nullable=False),
    sa.Column("use", sa.String(32), nullable=False),
    sa.Column("granted_to", sa.String(64), nullable=False),
    sa.Column("reference", sa.Text(), nullable=False),
    sa.Column("username", sa.String(128), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("provider", "target", "use", "granted_to", name="uq_handling_consent"),
)

# Hit notices owed to the owner's node when the hit record was received from it
# (coordination/hit_notice_relay.py): one row per notice, sent_at set on delivery.
hit_notice_outbox = sa.Table(
    "hit_notice_outbox",
    metadata,
    sa.Column("id", BigSeq, primary_key=True, autoincrement=True),
    sa.Column("node_id", sa.String(128), nullable=False, index=True),
    sa.Column("notice", sa.Text(), nullable=False),  # JSON: record, searcher, channel, day...
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
)
