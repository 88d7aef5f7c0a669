"""What every reader makes of a lexicon file, and what can be wrong with it: the leaf of
``formats``.

``ParsedLexicon`` / ``ParsedEntry`` / ``ParsedSense`` are the records every reader
(``table_in``, ``xlsx_in``, ``lift_in``, ``mdf_in``) produces and the importer plans from;
``ImportProblem`` is one thing wrong (with its line and column) and ``ImportFailed`` says the
file cannot be imported, with every problem found. Raised by the readers and by
``importer``; shown by the CLI and the import pages.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with the file, located as precisely as we can."""

    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f'column "{self.column}"')
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ImportFailed(Exception):
    """The file cannot be imported; ``errors`` lists every problem found. Nothing was written."""

    def __init__(self, message: str | None = None, *, errors: list[ImportProblem] | None = None):
        self.errors: list[ImportProblem] = list(errors or [])
        # A LIFT file's writing systems with counts and roles (``lift_ws``), so the person
        # can map them and try again.
        self.writing_systems: list[dict] = []
        # A Toolbox file's markers with counts and meanings (``mdf_found``) and its encoding,
        # so the person can map them and try again.
        self.markers: list[dict] = []
        self.encoding = ""
        # When only entries are wrong: how many (they may be skipped) and how many are not.
        self.skippable, self.valid = 0, 0
        if message is not None:
            self.errors.insert(0, ImportProblem(None, None, message))
        super().__init__(self._text())

    def _text(self) -> str:
        if len(self.errors) == 1:
            return str(self.errors[0])
        return f"{len(self.errors)} problems:\n" + "\n".join(f"  {e}" for e in self.errors)


# What a writing system of a LIFT file (or the language of a Toolbox marker) is, as the
# linguist maps it: the headword's, a phonetic transcription, the Vietnamese gloss, another
# language's gloss (kept, by its code: ``ParsedSense.extra["glosses"]``), or ignored.
HEADWORD, PHONETIC_WS, VIETNAMESE, OTHER_GLOSS, IGNORE = (
    "headword", "phonetic", "vi", "gloss", "ignore")
WS_ROLES = (HEADWORD, PHONETIC_WS, VIETNAMESE, OTHER_GLOSS, IGNORE)


@dataclass(frozen=True)
class ImportMapping:
    """How to read a file that cannot say it itself: ``ws`` maps a LIFT writing system
    (``qaa-x-hre``, ``seh``, ``en``) to one of ``WS_ROLES``; ``markers`` maps a Toolbox
    marker (without its backslash: ``gn``, ``ph``) to what it holds (the meanings are
    ``mdf_markers.MEANINGS``). Empty: the defaults (headword in the import's language, ``vi`` and ``en``
    glosses, standard MDF markers)."""

    ws: dict[str, str] = field(default_factory=dict)
    markers: dict[str, str] = field(default_factory=dict)
    # Where a marker's meaning comes from, for the dry run to say: ``file`` (a marker file),
    # ``source`` (remembered for the source), ``chosen`` (in the import page; the default).
    origins: dict[str, str] = field(default_factory=dict, compare=False)

    def __bool__(self) -> bool:
        return bool(self.ws or self.markers)


@dataclass(frozen=True)
class AudioRef:
    """A recording the lexicon file names: ``href`` (a file name or path, as written) for the
    entry (``example`` None) or for example ``example`` (1-based sense, 1-based example)."""

    line: int | None
    href: str
    example: tuple[int, int] | None = None


@dataclass
class ParsedSense:
    gloss_vi: str
    gloss_en: str | None = None
    semantic_field: str | None = None
    concept_id: str | None = None
    concept_gloss: str | None = None
    gloss_note: str | None = None
    examples: list[tuple[str, str]] = field(default_factory=list)  # (text, translation_vi)
    definition: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # source data the model does not hold
    # The shapes of ``revisions.SenseState``: a subsense's level, notes by type, links,
    # pictures; each example's translations in other languages (parallel to ``examples``).
    level: int = 0
    dialects: str | None = None  # dialect labels, "a; b"
    notes: list[dict[str, str]] = field(default_factory=list)
    relations: list[dict[str, str | None]] = field(default_factory=list)
    pictures: list[dict[str, str]] = field(default_factory=list)
    example_translations: list[list[dict[str, str]]] = field(default_factory=list)
    audio: list[AudioRef] = field(default_factory=list, compare=False)  # of its examples
    # Where the sense and each of its examples are in the file, for the limit checks.
    line: int | None = field(default=None, compare=False)
    example_lines: list[int | None] = field(default_factory=list, compare=False)


@dataclass
class ParsedEntry:
    """One entry as the file describes it, text already in storage form."""

    line: int
    source_key: str
    source: str
    headword: str
    form_kind: str
    part_of_speech: str | None = None
    pronunciation: str | None = None
    variety: str | None = None
    note: str | None = None
    license: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # source data the model does not hold
    senses: list[ParsedSense] = field(default_factory=list)
    variants: list[tuple[str, str, str | None]] = field(default_factory=list)  # form, kind, label
    lexeme_form: str | None = None  # FieldWorks' lexeme form, when the headword is the citation
    dialects: str | None = None  # dialect labels, "a; b"
    notes: list[dict[str, str]] = field(default_factory=list)  # revisions.NoteState
    relations: list[dict[str, str | None]] = field(default_factory=list)  # RelationState
    row_id: str | None = None  # curated `id` cell
    audio: list[AudioRef] = field(default_factory=list, compare=False)  # recordings it names
    # What the file says the entry was, when it says it (our own LIFT export; FieldWorks'
    # homograph numbers): restored on import where they fit.
    public_id: str | None = field(default=None, compare=False)
    status: str | None = field(default=None, compare=False)
    homograph: int | None = field(default=None, compare=False)
    variant_lines: list[int | None] = field(default_factory=list, compare=False)
    # Revisions people made, as our own LIFT export carries them: (author, when, summary).
    history: list[tuple[str, str, str]] = field(default_factory=list, compare=False)


@dataclass
class ParsedLexicon:
    format: str
    encoding: str
    delimiter: str
    entries: list[ParsedEntry]
    ignored_columns: list[str]
    # Legacy-encoded lines converted on reading: (line, as found, as converted), a sample.
    samples: list[tuple[int, str, str]] = field(default_factory=list)
    # Things that do not stop the import but a linguist should know (e.g. an unknown LIFT
    # grammatical-info kept as it was).
    warnings: list[ImportProblem] = field(default_factory=list)
    # LIFT: the writing systems found, with counts by where and the role each got.
    writing_systems: list[dict] = field(default_factory=list)
    # Sources the file declares itself (the header of our own LIFT export).
    declared_sources: list[dict] = field(default_factory=list)
    # The fields of an entry's state the file cannot say (a curated table has no column for
    # them, or its header lacks the column): an entry the file updates keeps its own
    # (``curation.import_table``). Names as ``revisions.EntryState``; ``sense.``,
    # ``example.`` and ``variant.`` prefix those of its parts.
    unsaid: frozenset[str] = frozenset()
    # Toolbox/MDF: the markers found, with counts, first line, a sample and the meaning each
    # got (``mdf_found``).
    markers: list[dict] = field(default_factory=list)
