"""The lexicon as stored: the database is the source of truth.

Vocabulary follows lexicography practice (LIFT / clld Dictionaria): a Language has Entries;
an Entry has ordered Senses and Variants; a Sense has Examples (recordings live in
``dictionary.audio``). Every change that touches an entry leaves a row in ``index_queue`` in
the same transaction (see ``dictionary.indexing``), and the search index is derived from
these tables.

Integer primary keys stay internal; URLs and the API use ``Entry.public_id`` (``hre-000123``).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


# Entry status: draft → in_review → published (or back to draft with a reviewer's comment).
# Public pages, the API and the search index show PUBLISHED only; DELETED is a soft delete.
DRAFT, IN_REVIEW, PUBLISHED, DELETED = "draft", "in_review", "published", "deleted"
STATUSES = (DRAFT, IN_REVIEW, PUBLISHED, DELETED)

# Roles, weakest first: each role may do everything the roles before it may.
CONTRIBUTOR, EDITOR, REVIEWER, ADMIN = "contributor", "editor", "reviewer", "admin"
ROLES = (CONTRIBUTOR, EDITOR, REVIEWER, ADMIN)
# Accounts of the learning system (``lessons``): outside the curators' ladder, so neither
# may do anything a curator role allows (a learner never reaches /admin).
LEARNER, TRAINER = "learner", "trainer"
ACCOUNT_ROLES = ROLES + (LEARNER, TRAINER)

# How the headword is written: the starter data is a linguist's phonetic transcription,
# not the practical (Vietnamese-letter) orthography that users type.
PHONETIC, ORTHOGRAPHIC = "phonetic", "orthographic"


class Language(Base):
    __tablename__ = "language"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # ISO 639-3
    name_vi: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    glottocode: Mapped[str | None] = mapped_column(String(16))

    entries: Mapped[list[Entry]] = relationship(back_populates="language")


class Source(Base):
    """A published dataset or a curated contribution the entries come from."""

    __tablename__ = "source"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # e.g. "peiros2004"
    citation: Mapped[str] = mapped_column(Text, default="")
    license: Mapped[str] = mapped_column(String(64), default="")
    url: Mapped[str | None] = mapped_column(String(300))
    # How its files' writing systems and markers are read, remembered from an import
    # (``curation.import_sources``): {"ws": {code: role}, "markers": {marker: meaning}}.
    import_mapping: Mapped[dict | None] = mapped_column(JSON)


class Entry(Base):
    __tablename__ = "entry"
    __table_args__ = (UniqueConstraint("language_id", "source_key", name="uq_entry_source_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    language_id: Mapped[int] = mapped_column(ForeignKey("language.id"), index=True)
    headword: Mapped[str] = mapped_column(String(200))  # storage form (normalize.clean)
    headword_key: Mapped[str] = mapped_column(String(200), index=True)  # loose key, derived
    sort_key: Mapped[bytes] = mapped_column(LargeBinary, index=True)  # ICU key, derived
    first_letter: Mapped[str] = mapped_column(String(8), default="", index=True)  # derived
    homograph: Mapped[int | None] = mapped_column(Integer)
    part_of_speech: Mapped[str | None] = mapped_column(String(32))
    form_kind: Mapped[str] = mapped_column(String(16), default=ORTHOGRAPHIC)
    pronunciation: Mapped[str | None] = mapped_column(String(300))  # e.g. IPA segments
    variety: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    # FieldWorks' lexeme form when the headword is its citation form (a bound root, a stem):
    # shown, and found by search, beside the headword.
    lexeme_form: Mapped[str | None] = mapped_column(String(200))
    # Dialect labels as the source names them (FieldWorks 9), "a; b"; not ``variety``, which
    # names the language of a starter file's row.
    dialects: Mapped[str | None] = mapped_column(String(200))
    # Notes by type (FieldWorks: anthropology, bibliography, encyclopedic, grammar, usage …),
    # one item per note and language: ``NoteState`` (``revisions``); the untyped note is ``note``.
    notes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")
    # Links to other entries (synonym, antonym, compare, component of …): ``RelationState``.
    # A link names its target as the file did (``ref``) and by the target's ``source_key``
    # when the import found it, so it resolves even when the target arrives later.
    relations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")
    status: Mapped[str] = mapped_column(String(16), default=PUBLISHED, index=True)
    # Imported source data is published but flagged until a reviewer has looked at it.
    reviewed: Mapped[bool] = mapped_column(default=False)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("source.id"))
    source_key: Mapped[str | None] = mapped_column(String(120))  # row id in the source
    license: Mapped[str] = mapped_column(String(64), default="")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # source fields kept as-is
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The reviewer's comment when an entry is sent back to draft; cleared on publication.
    review_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    language: Mapped[Language] = relationship(back_populates="entries")
    source: Mapped[Source | None] = relationship()
    senses: Mapped[list[Sense]] = relationship(
        back_populates="entry", order_by="Sense.position", cascade="all, delete-orphan"
    )
    variants: Mapped[list[Variant]] = relationship(
        back_populates="entry", order_by="Variant.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_public(self) -> bool:
        return self.status == PUBLISHED


class Sense(Base):
    __tablename__ = "sense"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    gloss_vi: Mapped[str] = mapped_column(Text, default="")  # "a; b" = synonymous glosses
    gloss_en: Mapped[str | None] = mapped_column(Text)
    definition: Mapped[str | None] = mapped_column(Text)
    semantic_field: Mapped[str | None] = mapped_column(String(80), index=True)
    concept_id: Mapped[str | None] = mapped_column(String(16), index=True)  # Concepticon id
    concept_gloss: Mapped[str | None] = mapped_column(String(120))
    gloss_note: Mapped[str | None] = mapped_column(Text)  # e.g. why the gloss needs review
    # 0: a sense; 1: a subsense of the sense before it with a smaller level (and so on): the
    # senses stay one ordered list, numbered 1, 1.1, 1.2, 2 … on the pages.
    level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    dialects: Mapped[str | None] = mapped_column(String(200))  # as Entry.dialects
    notes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")  # as Entry.notes
    relations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")
    # Pictures (FieldWorks illustrations): the file name as the source gave it and a caption.
    pictures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # source fields kept as-is

    entry: Mapped[Entry] = relationship(back_populates="senses")
    examples: Mapped[list[Example]] = relationship(
        back_populates="sense", order_by="Example.position", cascade="all, delete-orphan"
    )

    @property
    def glosses_vi(self) -> list[str]:
        return [g.strip() for g in self.gloss_vi.split(";") if g.strip()]


class Example(Base):
    __tablename__ = "example"

    id: Mapped[int] = mapped_column(primary_key=True)
    sense_id: Mapped[int] = mapped_column(ForeignKey("sense.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    translation_vi: Mapped[str] = mapped_column(Text, default="")
    # Translations in other languages, ``[{"lang": code, "text": …}]``, after the Vietnamese.
    translations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")

    sense: Mapped[Sense] = relationship(back_populates="examples")


class Variant(Base):
    """Another spelling or dialect form of the same entry."""

    __tablename__ = "variant"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"), index=True)
    form: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="spelling")  # spelling | dialect
    label: Mapped[str | None] = mapped_column(String(120))  # dialect or place

    entry: Mapped[Entry] = relationship(back_populates="variants")


class Revision(Base):
    """Who changed which entry, when, with a snapshot of the entry *after* the change (the
    previous revision's snapshot is the state before it, so diffs and restores need no more)."""

    __tablename__ = "revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_public_id: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    author: Mapped[str] = mapped_column(String(120), default="")  # e-mail, or import:FILE
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # created | updated | submitted | published | rejected | reviewed | deleted | restored
    summary: Mapped[str] = mapped_column(String(300), default="")
    comment: Mapped[str | None] = mapped_column(Text)  # e.g. the reviewer's reason
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class User(Base):
    """A person who curates (contributor, editor, reviewer or admin: ``ROLES``), learns or
    trains (``LEARNER``, ``TRAINER``). ``email`` is the login: an e-mail address, or for
    learners a phone number in international form (``+84905123456``, ``auth.normalize_login``).

    ``session_token`` is what the login cookie names (Flask-Login's user id): rotating it on
    logout or password change ends every session of the account, even a copied cookie."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored case-folded
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default=CONTRIBUTOR)
    active: Mapped[bool] = mapped_column(default=True)
    session_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    # The interface Flask-Login expects (kept here so models need no Flask import).
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return self.session_token


class LoginThrottle(Base):
    """Password checks per key (``pair:ADDRESS|E-MAIL`` or ``ip:ADDRESS``), counted *before*
    each check with one atomic upsert (``dictionary.login_throttle``), so the limit holds across
    threads and server processes. ``locked_until`` is when the next check for the key may run
    (the growing delay); a successful login clears its ``pair:`` row."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The count starts over after a quiet window since this (NULL in rows written before the
    # column existed: they count as quiet).
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ImportBatch(Base):
    """One confirmed bulk import: what came in, by whom; its revisions carry ``batch_id``
    so the whole batch can be reverted."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    author: Mapped[str] = mapped_column(String(254), default="")
    file_name: Mapped[str] = mapped_column(String(300), default="")
    format: Mapped[str] = mapped_column(String(16), default="")
    lang: Mapped[str] = mapped_column(String(8), default="")
    encoding: Mapped[str] = mapped_column(String(32), default="")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reverted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reverted_by: Mapped[str | None] = mapped_column(String(254))


class PublicIdCounter(Base):
    """Last number handed out per language. Taken with one ``UPDATE … RETURNING``, which
    both databases serialise, so concurrent editors never get the same public id and a
    deleted entry's id is never reused."""

    __tablename__ = "public_id_counter"

    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class IndexQueue(Base):
    """The outbox: entries whose search document must be rewritten, written in the same
    transaction as the change. Ids are given in commit order (``indexing``): every search
    index (one per machine) applies the rows after the last id it holds, and a row is
    removed only once every index has applied it (``IndexNode``)."""

    __tablename__ = "index_queue"
    # Ids are never given twice, even after the rows are deleted (on SQLite that needs
    # AUTOINCREMENT; PostgreSQL's sequences never go back): an index that holds id 9 skips
    # every row up to 9.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_public_id: Mapped[str] = mapped_column(String(16), index=True)
    queued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class IndexNode(Base):
    """A search index that follows the outbox (one per machine): the last queue id it
    applied and when it last reported. Queue rows are pruned up to the lowest ``applied`` of
    the nodes seen recently; ``node == PRUNED`` keeps the highest id pruned so far, so a node
    that comes back after being left out knows whether it missed rows (and rebuilds), and
    ``node == EPOCH`` a number that a restored backup changes: an index built from another
    epoch does not hold this database's ids and rebuilds."""

    __tablename__ = "index_node"
    PRUNED = "*pruned*"
    EPOCH = "*epoch*"

    node: Mapped[str] = mapped_column(String(64), primary_key=True)
    applied: Mapped[int] = mapped_column(Integer, default=0)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ZeroResultQuery(Base):
    """Searches that found nothing, for linguists: no user, no IP, only the words."""

    __tablename__ = "zero_result_query"
    __table_args__ = (UniqueConstraint("query", "lang", name="uq_zero_query"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(200))
    lang: Mapped[str] = mapped_column(String(8))
    count: Mapped[int] = mapped_column(Integer, default=1)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, server_default=func.now())
    # When the query was first recorded: new distinct queries are capped per day. Null on
    # rows from before the cap (they count as older).
    first_seen: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
