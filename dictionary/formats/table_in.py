"""The two table formats (starter CSV, curated sheet), the parsed rows every reader makes
(``ParsedEntry``, ``ParsedSense``), and the reading of a table row by row into them.

Part of the second import step (``formats.parse_lexicon``): a ``text.Table``
(from CSV/TSV or from ``xlsx_in``) is walked by column name; each row becomes a checked
entry (or, in the curated format, another sense, example or variant of the entry above),
every problem is collected with its line and the column as the file's header names it.
Where each sense, example and variant was read is kept for the limit checks of ``limits``.
The curated format's list cells (notes, relations, pictures, examples' translations) are
read by ``table_cells``; what a curated table cannot say (``NEVER_SAID``, and the columns of
the FieldWorks fields its header lacks) is its ``unsaid``, which an update keeps from the
stored entry (``curation.import_table``).
"""
from __future__ import annotations

import hashlib
import unicodedata

from search_index import normalize

from .. import limits
from ..limits import TEXT_LENGTHS
from ..models import ORTHOGRAPHIC, PHONETIC, Entry
from ..parts_of_speech import PartOfSpeech, fold_label
from .checks import empty_headword
from .records import ParsedEntry, ParsedSense
from .table_cells import NOTES, PICTURES, RELATIONS, TRANSLATIONS, read_cell
from .table_out import unguard_formula
from .text import CellReader, Table, fold_header

# Longest text each target column holds (``limits``: from the model, so they never disagree).
LIMITS: dict[str, int] = {**limits.COLUMN_LENGTHS,
                          "lexeme_form": Entry.__table__.c.lexeme_form.type.length}

# The starter CSV (data/SOURCES.md §1): columns mapped to model fields. All other columns
# are kept verbatim in Entry.extra.
STARTER_REQUIRED = ("entry_id", "headword", "vietnamese", "source")
STARTER_MAPPED = ("entry_id", "headword", "segments", "vietnamese", "english", "semantic_field",
                  "concept_id", "concepticon_gloss", "variety", "license", "source")

# The curated format: canonical column → Vietnamese (and other) header aliases.
CURATED_COLUMNS: dict[str, tuple[str, ...]] = {
    "headword": ("từ", "mục từ", "từ hrê", "từ co"),
    "part_of_speech": ("từ loại", "pos"),
    "vietnamese": ("nghĩa tiếng việt", "tiếng việt", "nghĩa"),
    "english": ("nghĩa tiếng anh", "tiếng anh"),
    "example": ("ví dụ", "câu ví dụ"),
    "example_vi": ("dịch ví dụ", "nghĩa ví dụ", "ví dụ tiếng việt"),
    "variant": ("biến thể", "dạng khác"),
    "semantic_field": ("trường nghĩa", "chủ đề"),
    "source": ("nguồn",),
    "id": ("mã", "mã số"),
    "concept_id": ("mã khái niệm",),
    "note": ("ghi chú",),
    # The FieldWorks fields the model holds (``table_out``; list cells: ``table_cells``).
    "lexeme_form": ("dạng từ vị",),
    "notes": ("ghi chú theo loại",),
    "relations": ("liên hệ", "từ liên quan"),
    "sense_level": ("cấp nghĩa",),
    "sense_notes": ("ghi chú nghĩa",),
    "sense_relations": ("liên hệ nghĩa",),
    "pictures": ("hình ảnh",),
    "example_translations": ("dịch ví dụ khác",),
}
CURATED_REQUIRED = ("headword", "vietnamese", "source")
# Columns that belong to a sense: a continuation row with one of them and no Vietnamese
# gloss is a sense without its gloss.
SENSE_COLUMNS = ("english", "semantic_field", "concept_id", "sense_level", "sense_notes",
                 "sense_relations", "pictures")
# What each list column holds (``table_cells``), and the longest text of one item.
LIST_COLUMNS = {"notes": NOTES, "relations": RELATIONS, "sense_notes": NOTES,
                "sense_relations": RELATIONS, "pictures": PICTURES,
                "example_translations": TRANSLATIONS}
# (The texts as the entry form takes them; a reference or file name as FieldWorks writes it.)
ITEM_LENGTHS = {"text": TEXT_LENGTHS["note"], "caption": TEXT_LENGTHS["gloss_vi"],
                "ref": 1000, "href": 1000}
LABEL_LENGTH = 120  # a note's or relation's type, a language code
# The state fields (``revisions.EntryState``; "sense."/"example."/"variant." for theirs)
# a curated table cannot say; ``unsaid`` adds those of list columns the header lacks.
NEVER_SAID = frozenset({"pronunciation", "variety", "form_kind", "license", "extra",
                        "sense.definition", "sense.concept_gloss", "sense.gloss_note",
                        "sense.extra", "variant.kind", "variant.label"})
_SAYS = {"lexeme_form": "lexeme_form", "notes": "notes", "relations": "relations",
         "sense_level": "sense.level", "sense_notes": "sense.notes",
         "sense_relations": "sense.relations", "pictures": "sense.pictures",
         "example_translations": "example.translations"}


_CURATED_NAMES = {fold_header(alias): canon for canon, aliases in CURATED_COLUMNS.items()
                  for alias in (canon, *aliases)}
_STARTER_NAMES = {fold_header(n) for n in STARTER_MAPPED}


def is_known_column(name: str) -> bool:
    folded = fold_header(name)
    return folded in _CURATED_NAMES or folded in _STARTER_NAMES or folded == "entry id"


# ---- the table reader ------------------------------------------------------------------------
class _Parser(CellReader):
    limits = LIMITS

    def __init__(self, table: Table, sources: dict[str, dict],
                 parts_of_speech: list[PartOfSpeech]) -> None:
        super().__init__(table)
        self.sources = sources
        self.pos_table = parts_of_speech
        self.pos = {}
        for p in parts_of_speech:
            for label in (p.key, p.vi, p.en, *p.aliases):
                self.pos.setdefault(fold_label(label), p.key)
        self.entries: list[ParsedEntry] = []
        self.keys: dict[str, int] = {}  # source_key -> line
        self.unsaid: frozenset[str] = frozenset()  # (curated: ``NEVER_SAID`` and more)

    def raw(self, column: str) -> str:
        # Our CSV export writes "'-ko" for the affix -ko, so no spreadsheet takes it for a
        # formula: the marker comes off again here (else it would become the letter ʼ).
        return unguard_formula(super().raw(column))

    def headword(self) -> str:
        value = self.text("headword")
        if not value and (self.line, "headword") not in self.reported:
            self.problem("headword", empty_headword(self.raw("headword")))
        return value

    def glosses(self, column: str) -> str:
        """``a; b`` cells: synonymous Vietnamese glosses of one sense, separators tidied."""
        value = self.text(column)
        return "; ".join(g for g in (normalize.clean(x) for x in value.split(";")) if g)

    def source(self, column: str = "source") -> str:
        key = self.raw(column).strip()
        if key in self.sources:
            return key
        known = ", ".join(sorted(self.sources)) or "none yet"
        what = f'unknown source "{key}"' if key else "empty source"
        self.problem(column, f"{what}; use a source key from data/languages.toml ({known}), or "
                             "add one there as a [[source]] table with key, license and citation")
        return key

    def claim(self, column: str, key: str, duplicate: str) -> None:
        if len(key) > LIMITS["source_key"]:
            self.problem(column, f"the stable key {key!r} is longer than "
                                 f"{LIMITS['source_key']} characters")
        if key in self.keys:
            self.problem(column, f"{duplicate} (also on line {self.keys[key]})")
        else:
            self.keys[key] = self.line

    # ---- the starter CSV ----------------------------------------------------------------
    def starter(self) -> None:
        unknown = self.map_header({fold_header(n): n for n in STARTER_MAPPED}, keep_unknown=True)
        if not self.require(STARTER_REQUIRED):
            return
        for _ in self.rows():
            entry_id = self.text("entry_id", clean=False)
            if not entry_id:
                self.problem("entry_id", "empty entry_id")
            else:
                self.claim("entry_id", entry_id, f'duplicate entry_id "{entry_id}"')
            headword = self.headword()
            source = self.source()
            review = self.raw_named("needs_review").strip().casefold() == "yes"
            gloss = self.glosses("vietnamese")
            if not gloss and not review and (self.line, "vietnamese") not in self.reported:
                self.problem("vietnamese", "empty gloss (allowed only when needs_review is yes)")
            sense = ParsedSense(
                gloss_vi=gloss,
                gloss_en=self.text("english") or None,
                semantic_field=self.text("semantic_field") or None,
                concept_id=self.text("concept_id", clean=False) or None,
                concept_gloss=self.text("concepticon_gloss", limit="concept_gloss",
                                        clean=False) or None,
                gloss_note=(unicodedata.normalize("NFC", self.raw_named("review_reason")).strip()
                            or None) if review else None,
                line=self.line,
            )
            self.entries.append(ParsedEntry(
                line=self.line, source_key=entry_id, source=source, headword=headword,
                form_kind=PHONETIC,
                pronunciation=self.text("segments", limit="pronunciation", clean=False) or None,
                variety=self.text("variety", clean=False) or None,
                license=self.text("license", clean=False),
                extra={self.table.header[i] or f"column {i + 1}": self.row[i] for i, _ in unknown},
                senses=[sense],
            ))

    def raw_named(self, header: str) -> str:
        """A cell of a starter column that is kept in ``extra`` (not mapped)."""
        for i, cell in enumerate(self.table.header):
            if fold_header(cell) == fold_header(header):
                return self.row[i]
        return ""

    # ---- the curated format -------------------------------------------------------------
    def curated(self) -> None:
        self.map_header(_CURATED_NAMES, keep_unknown=False)
        if not self.require(CURATED_REQUIRED):
            return
        self.unsaid = NEVER_SAID | {f for c, f in _SAYS.items() if c not in self.cols}
        entry: ParsedEntry | None = None
        for _ in self.rows():
            if self.raw("headword").strip():
                entry = self.curated_entry()
                self.entries.append(entry)
            elif entry is None:
                self.problem("headword", "empty headword on the first data row; a row with an "
                                         "empty headword continues the entry above it")
            else:
                self.continuation(entry)

    def part_of_speech(self) -> str | None:
        value = self.text("part_of_speech")
        if not value:
            return None
        key = self.pos.get(fold_label(value))
        if key is None:
            choices = ", ".join(f"{p.vi} ({p.en})" for p in self.pos_table)
            self.problem("part_of_speech", f'unknown part of speech "{value}"; use one of: '
                                           f"{choices} (the list is data/parts_of_speech.toml)")
        return key

    def sense(self, above: ParsedSense | None = None) -> ParsedSense:
        gloss = self.glosses("vietnamese")
        if not gloss and (self.line, "vietnamese") not in self.reported:
            self.problem("vietnamese", "empty gloss")
        sense = ParsedSense(gloss, self.text("english") or None,
                            self.text("semantic_field") or None,
                            self.text("concept_id", clean=False) or None, line=self.line,
                            level=self.level(above), notes=self.items("sense_notes"),
                            relations=self.items("sense_relations"),
                            pictures=self.items("pictures"))
        self.example(sense)
        return sense

    def level(self, above: ParsedSense | None) -> int:
        """``sense_level``: empty or 0 for a sense, 1 for a subsense of the sense above, …"""
        value = self.raw("sense_level").strip()
        if not value:
            return 0
        if not value.isascii() or not value.isdigit() or len(value) > 2:
            self.problem("sense_level", f'"{value}" is not a level: leave it empty for a '
                                        "sense, write 1 for a subsense, 2 for a subsense of "
                                        "a subsense …")
            return 0
        level = int(value)
        highest = above.level + 1 if above is not None else 0
        if level > highest:
            self.problem("sense_level", (
                f"level {level} here, but the sense above has level {above.level}: a "
                f"subsense is at most one level below the sense before it") if above else
                "the first sense of an entry has level 0 (leave it empty): a subsense "
                "needs a sense above it")
        return level

    def items(self, column: str) -> list[dict]:
        """The items of a list cell (``table_cells``), each checked for length."""
        cell = self.text(column, multiline=True, clean=False)
        if not cell:
            return []
        items, wrong = read_cell(LIST_COLUMNS[column], cell)
        if wrong:
            self.problem(column, wrong)
        for item in items:
            for key, value in item.items():
                maximum = ITEM_LENGTHS.get(key, LABEL_LENGTH)
                if value is not None and len(value) > maximum:
                    self.problem(column, f"{len(value)} characters in one {key}; at most "
                                         f"{maximum} fit")
                    return []
        return items

    def example(self, sense: ParsedSense | None) -> None:
        text = self.text("example", multiline=True)
        translation = self.text("example_vi", multiline=True)
        others = self.items("example_translations")
        if (translation or others) and not text:
            self.problem("example_vi" if translation else "example_translations",
                         "a translation without an example")
        elif text and sense is not None:
            sense.examples.append((text, translation))
            sense.example_translations.append(others)
            sense.example_lines.append(self.line)

    def variants(self, entry: ParsedEntry) -> None:
        """``a; b`` cells: other spellings of the headword."""
        for form in self.text("variant").split(";"):
            form = normalize.clean(form)
            if len(form) > LIMITS["variant_form"]:
                self.problem("variant",
                             f"{len(form)} characters; at most {LIMITS['variant_form']} fit")
            elif form and all(form != v[0] for v in entry.variants):
                entry.variants.append((form, "spelling", None))
                entry.variant_lines.append(self.line)

    def curated_entry(self) -> ParsedEntry:
        headword = self.headword()
        pos = self.part_of_speech()
        source = self.source()
        sense = self.sense()
        row_id = self.text("id", clean=False) or None
        if row_id:
            key = f"{source}:{row_id}"
            self.claim("id", key, f'duplicate id "{row_id}"')
        else:
            key = stable_key(source, headword, sense.gloss_vi)
            self.claim("headword", key, "the same headword and first Vietnamese gloss as another "
                                        "row; give the rows an id column, or write further senses "
                                        "as continuation rows (empty headword)")
        entry = ParsedEntry(
            line=self.line, source_key=key, source=source, headword=headword,
            form_kind=ORTHOGRAPHIC, part_of_speech=pos,
            note=self.text("note", multiline=True, clean=False) or None,
            license=(self.sources.get(source) or {}).get("license", ""),
            senses=[sense], row_id=row_id, lexeme_form=self.text("lexeme_form") or None,
            notes=self.items("notes"), relations=self.items("relations"),
        )
        self.variants(entry)
        return entry

    def continuation(self, entry: ParsedEntry) -> None:
        row_id = self.text("id", clean=False)
        if row_id and row_id != entry.row_id:
            self.problem("id", f'a row with an empty headword continues the entry of line '
                               f'{entry.line}; leave its id empty '
                               f'(or repeat "{entry.row_id or ""}")')
        source = self.raw("source").strip()
        if source and source != entry.source:
            self.problem("source", f"a row with an empty headword continues the entry of line "
                                   f"{entry.line}, whose source is {entry.source!r}")
        pos = self.part_of_speech()
        if pos and pos != entry.part_of_speech:
            self.problem("part_of_speech", "the part of speech belongs to the entry, not the "
                                           "sense; write a different part of speech as a new entry "
                                           "(same headword, its own row)")
        if self.raw("vietnamese").strip():
            entry.senses.append(self.sense(entry.senses[-1] if entry.senses else None))
        elif any(self.raw(c).strip() for c in SENSE_COLUMNS):
            self.problem("vietnamese", "empty gloss")
        else:
            self.example(entry.senses[-1] if entry.senses else None)
        self.variants(entry)
        note = self.text("note", multiline=True, clean=False)
        if note:
            entry.note = f"{entry.note}\n{note}" if entry.note else note
        entry.notes += self.items("notes")
        entry.relations += self.items("relations")
        lexeme_form = self.text("lexeme_form")
        if lexeme_form and lexeme_form != entry.lexeme_form:
            self.problem("lexeme_form", f"a row with an empty headword continues the entry of "
                                        f"line {entry.line}; write its lexeme form on that row")


def stable_key(source: str, headword: str, gloss: str) -> str:
    """A curated row's identity when it has no ``id``: loose keys (without per-language
    rules, so editing data/orthography never changes identities) of the headword and the
    first Vietnamese gloss. Overlong keys keep a readable head and a hash.

    >>> stable_key("nhom2024", "Zấtok", "nhà; cửa")
    'nhom2024:zatok|nha'
    """
    first = gloss.split(";")[0]
    key = f"{source}:{normalize.loose_key(headword)}|{normalize.loose_key(first)}"
    maximum = LIMITS["source_key"]
    if len(key) > maximum:
        digest = hashlib.sha1(key.encode()).hexdigest()[:16]
        key = f"{key[:maximum - 17]}#{digest}"
    return key
