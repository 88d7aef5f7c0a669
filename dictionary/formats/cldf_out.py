"""Exporting entries as a CLDF Dictionary dataset (a zip), for archives and comparative work.

Last step of the data flow, beside ``table_out`` (the curated table): ``Entry`` rows from
the database (with ``language``, ``source``, ``senses`` + ``examples`` and ``variants``
loaded) → a CLDF *Dictionary* (https://cldf.clld.org) written with pycldf into a
temporary directory → a zip streamed in chunks.

The dataset: ``EntryTable`` (one row per entry; its public id is the CLDF ID), ``SenseTable``
(ordered senses; ``Description`` is the Vietnamese gloss), ``ExampleTable`` (Hrê/Co text,
Vietnamese translation; senses list their examples in ``Example_IDs``), ``LanguageTable``
(the entries' languages with their glottocodes, and Vietnamese, the meta-language), and
``sources.bib`` with each source's citation, URL and licence. Every entry names its source
and its licence. Entries are read once: senses and examples are spooled to files while
the entry table is written, so memory does not grow with the lexicon.

The FieldWorks fields the model holds are extra columns, described in the metadata: on
entries ``Lexeme_Form``, ``Notes`` (JSON: ``[{"type", "lang", "text"}]``) and
``Other_Fields`` (JSON: what the entry's FieldWorks file holds beyond the model, as
``lift_fields`` reads it); on senses ``Level`` (0 a sense, 1 a subsense …) with
``Parent_Sense_ID`` (a reference into the SenseTable), ``Notes`` and ``Pictures``
(``[{"href", "caption"}]``); on examples ``Translations`` (other languages than Vietnamese,
``[{"lang", "text"}]``). CLDF has no component for links between entries; like the
Dictionaria datasets, the export references entries by their ID: a ``relations.csv``
table (only when there are relations) has one row per relation with its ``Entry_ID`` (an
``entryReference``), the ``Sense_ID`` when a sense holds it, its type, the ``Target`` as
text (the target's public id when it was found, given as ``public_ids``, else the reference
as the source file wrote it) and ``Target_Entry_ID``, a foreign key into the EntryTable,
when the target is in the dataset.

Handed recordings (``media``: ``MediaFile`` by target, from
``dictionary.audio.exports.media_for_export``), the dataset also has a ``MediaTable`` (one
row per file named, with its speaker, licence, attribution and duration; ``Download_URL``
is the file's path in the dataset, ``media/<uuid>.mp3``) and ``Media_IDs`` on the entry and
example rows. Without recordings there is no MediaTable and no such column.
"""
from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..models import Entry, Language, Source
from ..sense_ids import example_id
from .lift_fields import other_fields
from .media import Media, MediaFile, MediaUse, copy_files
from .table_out import PublicIds, stream_file

if TYPE_CHECKING:  # pycldf is imported by an export only: a server starts 0.3-1 s sooner
    from pycldf import Dictionary
    from pycldf.sources import Source as BibSource

TERMS = "http://cldf.clld.org/v1.0/terms.rdf#"
META_LANGUAGE = {"ID": "vie", "Name": "Vietnamese", "Glottocode": "viet1252",
                 "ISO639P3code": "vie"}
NO_GLOSS = "?"  # Description is required; a sense without a Vietnamese gloss yet
FOLDER = "cldf"  # the folder inside the zip
MEDIA_FOLDER = "media"  # inside the dataset
MEDIA_IDS = {"name": "Media_IDs", "separator": " ; ", "propertyUrl": f"{TERMS}mediaReference"}


def export_cldf(entries: Iterable[Entry], *, title: str, media: Media | None = None,
                public_ids: PublicIds | None = None) -> Iterator[bytes]:
    """A zip of a CLDF Dictionary of ``entries`` (in a ``cldf/`` folder), with the
    recordings in ``media`` that they name, in chunks. The dataset is written to a temporary
    directory that is removed when the stream ends."""
    with tempfile.TemporaryDirectory(prefix="cldf-export-") as tmp:
        directory = Path(tmp) / FOLDER
        write_dataset(entries, directory, title=title, spool=Path(tmp), media=media,
                      public_ids=public_ids)
        archive = Path(tmp) / "dataset.zip"
        zip_directory(directory, archive)
        with archive.open("rb") as file:
            yield from stream_file(file)


def write_dataset(entries: Iterable[Entry], directory: Path, *, title: str,
                  spool: Path, media: Media | None = None,
                  public_ids: PublicIds | None = None) -> Dictionary:
    """Write the CLDF dataset of ``entries`` into ``directory``; ``spool`` is a scratch
    directory for the sense, example and relation rows (and the copies of the
    recordings)."""
    dataset = new_dataset(directory, with_media=bool(media))
    # The files are copied before any row names them: one withdrawn meanwhile is left out.
    refs = MediaUse(copy_files(media, spool, MEDIA_FOLDER)) if media else None
    collected = _Collected(spool, refs, public_ids or {})
    with collected:
        _write_table(dataset, "EntryTable", collected.entry_rows(entries))
    _write_table(dataset, "SenseTable", collected.read("senses"))
    _write_table(dataset, "ExampleTable", collected.read("examples"))
    if collected.relations:
        add_relation_table(dataset)
        _write_table(dataset, RELATIONS, map(collected.relation_row, collected.read("relations")))
    if refs is not None:
        _write_table(dataset, "MediaTable", map(media_row, _moved(refs, directory)))
    _write_table(dataset, "LanguageTable",
                 [*map(language_row, collected.languages.values()), META_LANGUAGE])
    dataset.add_sources(*map(bib_source, collected.sources.values()))
    dataset.properties.update(_metadata(title, collected.licenses))
    if refs is not None:
        dataset.properties["dc:description"] += (
            " Recordings (MediaTable, files in media/) were published by a reviewer and are "
            "shared with their speaker's consent to open exports; each names its speaker and "
            "its own licence.")
    if collected.sources:
        dataset.properties["dc:source"] = "sources.bib"
    dataset.write_sources()
    dataset.write_metadata()
    return dataset


def new_dataset(directory: Path, with_media: bool = False) -> Dictionary:
    """An empty Dictionary with the components and columns this export fills."""
    from pycldf import Dictionary

    dataset = Dictionary.in_dir(directory)
    dataset.add_component("LanguageTable")
    dataset.add_component("ExampleTable")
    if with_media:
        dataset.add_component("MediaTable")
        dataset.add_columns("MediaTable", "Speaker", "Speaker_ID", "License", "Attribution",
                            {"name": "Duration_ms", "datatype": "integer"})
        dataset.add_columns("EntryTable", dict(MEDIA_IDS))
        dataset.add_columns("ExampleTable", dict(MEDIA_IDS))
    dataset.add_columns(
        "EntryTable", {"name": "Homograph", "datatype": "integer"}, "Form_Kind",
        "Pronunciation", "Variety", {"name": "Variants", "separator": " ; "}, "Note",
        f"{TERMS}source", "License",
        _described("Lexeme_Form", "FieldWorks' lexeme form, where the headword is the "
                                  "citation form (a bound root, a stem)"),
        _described("Notes", NOTES, "json"),
        _described("Other_Fields", "What the entry's FieldWorks (LIFT) file holds beyond "
                                   "these columns, as [{\"sense\", \"kind\", \"label\", "
                                   "\"value\"}] (sense: its position, null for the entry)",
                   "json"))
    dataset.add_columns(
        "SenseTable", {"name": "Position", "datatype": "integer"}, "Gloss_en", "Definition",
        "Semantic_Field", "Concepticon_ID",
        {"name": "Example_IDs", "separator": " ; ", "propertyUrl": f"{TERMS}exampleReference"},
        _described("Level", "0 for a sense, 1 for a subsense of the nearest sense above it "
                            "with level 0, 2 for a subsense of a subsense …", "integer"),
        _described("Parent_Sense_ID", "The sense this subsense belongs to"),
        _described("Notes", NOTES, "json"),
        _described("Pictures", "Pictures of the sense: [{\"href\": file name as the source "
                               "gave it, \"caption\"}] (the files are not included)", "json"))
    dataset.add_foreign_key("SenseTable", "Parent_Sense_ID", "SenseTable", "ID")
    dataset.add_columns(
        "ExampleTable",
        _described("Translations", "Translations in other languages than Vietnamese (which "
                                   "is Translated_Text): [{\"lang\", \"text\"}]", "json"))
    return dataset


NOTES = ('Notes by type, one per language: [{"type": FieldWorks\' note type (usage, grammar, '
         'encyclopedic …), "lang", "text"}]')
RELATIONS = "relations.csv"


def _described(name: str, description: str, datatype: str = "string") -> dict[str, Any]:
    return {"name": name, "datatype": datatype, "dc:description": description}


def add_relation_table(dataset: Dictionary) -> None:
    """``relations.csv``: links between entries (synonym, antonym, compare, component …)."""
    table = dataset.add_table(
        RELATIONS, {"name": "ID", "propertyUrl": f"{TERMS}id"},
        {"name": "Entry_ID", "propertyUrl": f"{TERMS}entryReference"},
        _described("Sense_ID", "The sense that holds the relation (empty: the entry does)"),
        _described("Type", "The relation's type as the source names it (synonym, antonym, "
                           "compare, _component-lexeme …)"),
        _described("Target", "The related entry: its ID when it was found, else the "
                             "reference as the source file wrote it"),
        _described("Target_Entry_ID", "The related entry, when it is in this dataset"),
        primaryKey="ID")
    table.common_props["dc:description"] = (
        "Links from an entry (or one of its senses) to another entry.")
    dataset.add_foreign_key(RELATIONS, "Sense_ID", "SenseTable", "ID")
    dataset.add_foreign_key(RELATIONS, "Target_Entry_ID", "EntryTable", "ID")


def _moved(refs: MediaUse, directory: Path) -> Iterator[MediaFile]:
    """The files the rows named, moved from the spool into the dataset's media folder."""
    folder = directory / MEDIA_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for file in refs.used.values():
        file.path.replace(folder / file.path.name)
        yield file


def _write_table(dataset: Dictionary, name: str, rows: Iterable[dict[str, Any]]) -> None:
    table = dataset[name]
    table.common_props["dc:extent"] = table.write(rows)


def _metadata(title: str, licenses: set[str]) -> dict[str, str]:
    properties = {
        "dc:title": title,
        "dc:description": (
            "Exported from Từ điển Việt–Hrê · Việt–Co. Sense descriptions are Vietnamese "
            f"glosses ('{NO_GLOSS}' where none has been written yet); Form_Kind 'phonetic' "
            "marks headwords in a linguist's phonetic transcription rather than the practical "
            "orthography. Each entry names its source (sources.bib) and its licence (License)."),
    }
    if len(licenses) == 1:
        properties["dc:license"] = next(iter(licenses))
    return properties


class _Collected:
    """What one pass over the entries gathers: languages, sources and licences (few), and
    the sense and example rows (many, spooled to JSON-lines files)."""

    def __init__(self, spool: Path, refs: MediaUse | None = None,
                 public_ids: PublicIds | None = None) -> None:
        self.spool = spool
        self.refs = refs
        self.public_ids = public_ids or {}
        # Targets the relations may name by public id, and those that are in the dataset.
        self.wanted = set(self.public_ids.values())
        self.exported: set[str] = set()
        self.relations = 0
        self.languages: dict[str, Language] = {}
        self.sources: dict[str, Source] = {}
        self.licenses: set[str] = set()
        self.files: dict[str, IO[str]] = {}

    def __enter__(self) -> _Collected:
        for name in ("senses", "examples", "relations"):
            self.files[name] = (self.spool / f"{name}.jsonl").open("w", encoding="utf-8")
        return self

    def __exit__(self, *exc: object) -> None:
        for file in self.files.values():
            file.close()

    def read(self, name: str) -> Iterator[dict[str, Any]]:
        with (self.spool / f"{name}.jsonl").open(encoding="utf-8") as file:
            for line in file:
                yield json.loads(line)

    def entry_rows(self, entries: Iterable[Entry]) -> Iterator[dict[str, Any]]:
        for entry in entries:
            self.languages.setdefault(entry.language.code, entry.language)
            if entry.source is not None:
                self.sources.setdefault(entry.source.key, entry.source)
            if entry.license:
                self.licenses.add(entry.license)
            if entry.public_id in self.wanted:
                self.exported.add(entry.public_id)
            self.spool_relations(entry, entry.public_id, None, entry.relations)
            parents: list[tuple[int, str]] = []  # (level, sense id) of the senses above
            for position, sense in enumerate(entry.senses, 1):
                level = sense.level or 0
                while parents and parents[-1][0] >= level:
                    parents.pop()
                sense_id = f"{entry.public_id}-{position}"
                self.spool_sense(entry, sense, position, parents[-1][1] if parents else None)
                self.spool_relations(entry, sense_id, sense_id, sense.relations)
                parents.append((level, sense_id))
            row = entry_row(entry)
            if self.refs is not None:
                row["Media_IDs"] = [f.id for f in self.refs.of(entry.public_id)]
            yield row

    def spool_sense(self, entry: Entry, sense, position: int,
                    parent: str | None = None) -> None:
        sense_id = f"{entry.public_id}-{position}"
        example_ids = []
        for n, example in enumerate(sense.examples, 1):
            example_ids.append(f"{sense_id}-{n}")
            row = example_row(entry, example, example_ids[-1])
            if self.refs is not None:  # recordings name examples as hre-000123/1/2
                row["Media_IDs"] = [f.id for f in self.refs.of(example_id(
                    entry.public_id, _position(sense, position - 1), _position(example, n - 1)))]
            self.write("examples", row)
        self.write("senses", {**sense_row(entry, sense, sense_id, position, example_ids),
                              "Parent_Sense_ID": parent})

    def spool_relations(self, entry: Entry, owner: str, sense_id: str | None,
                        relations: list[dict] | None) -> None:
        for n, relation in enumerate(relations or [], 1):
            target = relation.get("target")
            found = self.public_ids.get((entry.language.code, target)) if target else None
            self.write("relations", {
                "ID": f"{owner}-r{n}", "Entry_ID": entry.public_id, "Sense_ID": sense_id,
                "Type": relation.get("type") or "", "Target": found or relation.get("ref")})
            self.relations += 1

    def relation_row(self, row: dict[str, Any]) -> dict[str, Any]:
        """A spooled relation, with ``Target_Entry_ID`` when the target is in the dataset
        (known once every entry was written)."""
        return {**row, "Target_Entry_ID": row["Target"] if row["Target"] in self.exported
                else None}

    def write(self, name: str, row: dict[str, Any]) -> None:
        self.files[name].write(json.dumps(row, ensure_ascii=False) + "\n")


# ---- rows ------------------------------------------------------------------------------------
def entry_row(entry: Entry) -> dict[str, Any]:
    return {
        "ID": entry.public_id, "Language_ID": entry.language.code, "Headword": entry.headword,
        "Part_Of_Speech": entry.part_of_speech, "Homograph": entry.homograph,
        "Form_Kind": entry.form_kind, "Pronunciation": entry.pronunciation,
        "Variety": entry.variety, "Variants": [v.form for v in entry.variants],
        "Note": entry.note, "Source": [entry.source.key] if entry.source is not None else [],
        "License": entry.license or None, "Lexeme_Form": entry.lexeme_form,
        "Notes": list(entry.notes or []) or None, "Other_Fields": other_fields_of(entry),
    }


def other_fields_of(entry: Entry) -> list[dict[str, Any]] | None:
    found = other_fields((entry.extra or {}).get("lift"),
                         [(s.extra or {}).get("lift") for s in entry.senses], entry.headword)
    return [{"sense": f.where, "kind": f.kind, "label": f.label, "value": f.value}
            for f in found] or None


def sense_row(entry: Entry, sense, sense_id: str, position: int,
              example_ids: list[str]) -> dict[str, Any]:
    return {
        "ID": sense_id, "Description": sense.gloss_vi or NO_GLOSS, "Entry_ID": entry.public_id,
        "Position": position, "Gloss_en": sense.gloss_en, "Definition": sense.definition,
        "Semantic_Field": sense.semantic_field, "Concepticon_ID": sense.concept_id,
        "Example_IDs": example_ids, "Level": sense.level or 0,
        "Notes": list(sense.notes or []) or None, "Pictures": list(sense.pictures or []) or None,
    }


def example_row(entry: Entry, example, example_id: str) -> dict[str, Any]:
    return {
        "ID": example_id, "Language_ID": entry.language.code, "Primary_Text": example.text,
        "Translated_Text": example.translation_vi or None,
        "Meta_Language_ID": META_LANGUAGE["ID"] if example.translation_vi else None,
        "Translations": list(example.translations or []) or None,
    }


def media_row(file: MediaFile) -> dict[str, Any]:
    return {
        "ID": file.id, "Name": file.path.name, "Description": f"Recording of {file.target}",
        "Media_Type": file.media_type, "Download_URL": file.archive_name(MEDIA_FOLDER),
        "Speaker": file.speaker, "Speaker_ID": file.speaker_id, "License": file.license,
        "Attribution": file.attribution or None, "Duration_ms": file.duration_ms,
    }


def _position(row, number: int) -> int:
    """A sense's or example's position (what its public id counts from); its place in the
    list for objects not saved yet."""
    return row.position if row.position is not None else number


def language_row(language: Language) -> dict[str, Any]:
    return {"ID": language.code, "Name": language.name_en, "Glottocode": language.glottocode,
            "ISO639P3code": language.code}


def bib_source(source: Source) -> BibSource:
    """A BibTeX ``@misc`` record: the citation as written in data/languages.toml."""
    from pycldf.sources import Source as BibSource

    fields = {"title": source.citation or source.key}
    if source.url:
        fields["url"] = source.url
    if source.license:
        fields["note"] = f"License: {source.license}"
    return BibSource("misc", source.key, **fields)


def zip_directory(directory: Path, archive: Path) -> None:
    """Zip ``directory``'s files under its own name, in a stable order."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as package:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            package.write(path, f"{directory.name}/{path.relative_to(directory).as_posix()}")
