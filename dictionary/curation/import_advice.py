"""What an import problem means for the linguist, and what to do about it in their own tool.

Where it sits: the readers (``formats.*``), the importer and the bulk audio import say what is
wrong in English, with a line and a column (``ImportProblem``); ``import_report`` groups the
problems by kind and keeps with each group a reference made here (``advice_refs``: the kind's
key and the file's tool, plain JSON for background jobs). The pages (template global
``problem_advice``) and the CLI turn it into a title and advice at render time (``explain``),
in the page's language, in the terms of FLEx for LIFT, Toolbox for MDF, Excel or LibreOffice
for CSV/XLSX. Kinds are told by a distinctive phrase of the message (and the column): the
messages are made in many modules, and this one list says which are known. A problem of no
known kind gets a plain title ("Problem in column X") and no advice; it is never hidden.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from typing import Any, NamedTuple

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..formats.records import ImportProblem

LIFT, TOOLBOX, TABLE = "lift", "toolbox", "table"  # the linguist's tool: FLEx, Toolbox, a sheet

# How the problem says what it is: (key, phrase of the message, the tool it implies). The
# first that matches wins, so the narrower phrases come first.
_RULES: list[tuple[str, str, str | None]] = [
    ("toolbox-encoding", r"a Toolbox database must be plain text", TOOLBOX),
    ("table-encoding", r"not valid UTF-(?:8|16)|NUL (?:bytes|characters)|not a text file", TABLE),
    ("toolbox-cp1252", r"were read as Windows-1252", TOOLBOX),
    ("workbook", r"workbook|\.xlsx|zip bomb|this zip file", TABLE),
    ("too-many-rows", r"\(IMPORT_MAX_ROWS\)", None),
    ("empty-file", r"^the file is empty|^the file (?:holds|has) no entries|but no data rows", None),
    ("xml-broken", r"^not well-formed XML", LIFT),
    ("xml-refused", r"DTD|not a LIFT lexicon", LIFT),
    ("lift-version", r"^LIFT version", LIFT),
    ("marker-mapping", r"^marker mapping|^marker \"|marker file|no marker holds|mapped to headword",
     TOOLBOX),
    ("no-records", r"record found; in a Toolbox", TOOLBOX),
    ("field-before-record", r"field before the first", TOOLBOX),
    ("csv-quoting", r"closing quote|^malformed CSV", TABLE),
    ("cell-count", r"cells, but the header has", TABLE),
    ("cell-outside-header", r"right of the last column of the header", TABLE),
    ("missing-column", r"^missing required column", TABLE),
    ("repeated-column", r"^repeats column", TABLE),
    ("lone-mark", r"only a combining mark", None),
    ("headword-ws", r"^no headword in \"", LIFT),
    ("continuation-row", r"continues the entry", TABLE),
    ("empty-headword", r"^empty headword$|^no headword \(no <lexical-unit>", None),
    ("pos-on-continuation", r"belongs to the entry, not the sense", TABLE),
    ("source-declaration", r"^the source key \"|exists already: name it alone|needs its citation"
                           r"|is not a licence identifier", None),
    ("unknown-source", r"^unknown source \"|^empty source|not name their source|name no source",
     None),
    ("duplicate", r"^duplicate |also on line|the same headword and first Vietnamese gloss", None),
    ("missing-id", r"^empty entry_id|^no id or guid", None),
    ("published-unglossed", r"is published; the file gives it a sense without", None),
    ("empty-gloss", r"^empty gloss", TABLE),
    ("unglossed", r"no Vietnamese gloss", None),
    ("senseless", r"entr(?:y has|ies have) no sense", None),
    ("empty-sense", r"empty senses? \(a ", TOOLBOX),
    ("mixed-pos", r"different parts of speech", None),
    ("unknown-pos", r"not in data/parts_of_speech\.toml|^unknown part of speech", None),
    ("translation-without-example", r"translation .*without an example", None),
    ("subentry-without-form", r"subentry with no form", TOOLBOX),
    ("homograph-number", r"homograph number", TOOLBOX),
    ("allomorph", r"allomorphs", LIFT),
    ("unpublished", r"do-not-publish-in", LIFT),
    ("deleted", r"marked deleted", LIFT),
    ("headword-ws-inferred", r"^the headwords are read from writing system", LIFT),
    ("lift-header", r"^the header \(range and field definitions\)", LIFT),
    ("not-lift", r"is not part of LIFT", LIFT),
    ("skipped", r"entries with the problems below are skipped", None),
    ("stray-characters", r"control or invisible characters", TOOLBOX),
    ("legacy-font", r"private-use character", None),
    ("invisible-character", r"^contains (?:a line break|a control character|an invisible)", None),
    ("entry-too-big", r"fit in one (?:entry|sense)|examples in all its senses", None),
    ("too-long", r"characters; at most [\d,]+ fit", None),
    ("unknown-language", r"^unknown language", None),
    ("wrong-variety", r"is not a variety of|more rows like these", None),
    ("changed-meanwhile", r"(?:changed|saved) by someone else", None),
    ("audio-not-included", r"not imported without their sound files", None),
    ("speaker", r"choose their speaker|^there is no speaker|no active consent|\) speaks \S+, not",
     None),
    ("audio-ambiguous", r"more than one entry or file fits", None),
    ("audio-unmatched", r"files matches an entry", None),
    ("audio-archive", r"is not a zip archive|at once: split it|zip the recordings without"
                      r"|no recording compresses|damaged in the archive", None),
    ("audio-file", r"sound recording|as audio|no sound in it|is a video|^the recording "
                   r"|no speech|playback copy|could not be measured|one recording may be", None),
]
_MATCHERS = [(key, re.compile(phrase), tool) for key, phrase, tool in _RULES]
_AUDIO_FILE = re.compile(r"\.(?:wav|mp3|ogg|oga|opus|m4a|aac|flac|wma|webm|amr|3gp|aiff?)$", re.I)
# LIFT elements that are no column name of a table: a problem there comes from FLEx or WeSay.
_LIFT_TAGS = frozenset("lift header entry lexical-unit citation form text sense subsense gloss "
                       "definition grammatical-info translation pronunciation trait field "
                       "relation etymology illustration media reversal annotation span".split())
_SUFFIXES = {".lift": LIFT, **dict.fromkeys((".db", ".sfm", ".mdf", ".lex", ".dic"), TOOLBOX),
             **dict.fromkeys((".csv", ".tsv", ".tab", ".xlsx", ".xls", ".ods"), TABLE)}

# Where a mistake in one field is put right, for the kinds whose advice is the same anywhere.
_WHERE = {
    LIFT: _l("In FLEx: correct it in Lexicon Edit, then export again (File ▸ Export ▸ “Full "
             "Lexicon LIFT XML”)."),
    TOOLBOX: _l("In Toolbox: correct the field at the line shown."),
    TABLE: _l("In Excel or LibreOffice Calc: correct the cell at the line and column shown, then "
              "save again as “CSV UTF-8” (or .xlsx)."),
}
_FLEX_EXPORT = "File ▸ Export ▸ “Full Lexicon LIFT XML”"
_QUALITY = _l("Quality lists ▸ Without a Vietnamese gloss")

# key → (title, advice by tool; None: for any tool, True: the same plus ``_WHERE``)
KINDS: dict[str, tuple[Any, dict[Any, Any]]] = {
    "toolbox-encoding": (_l("The Toolbox file is not in an encoding that can be read"), {None: _l(
        "Convert the database to Unicode (UTF-8), for example with SIL Converters (Bulk SFM "
        "Converter), and import the converted file; then set its languages to Unicode in "
        "Toolbox (Project ▸ Language Encodings) so that it stays UTF-8. Do not open it in "
        "Excel.")}),
    "table-encoding": (_l("The table is not saved as UTF-8 text"), {None: _l(
        "In Excel: File ▸ Save As, type “CSV UTF-8 (Comma delimited)”. In LibreOffice Calc: "
        "File ▸ Save As ▸ “Text CSV”, tick “Edit filter settings” and choose the character set "
        "“Unicode (UTF-8)”. Or upload the workbook (.xlsx) itself.")}),
    "toolbox-cp1252": (_l("Read as Windows-1252, the code page of older Toolbox files"), {None: _l(
        "Check that the letters of the lines shown read correctly. If they do not, the database "
        "uses another encoding (a legacy font): convert it to UTF-8 with SIL Converters and "
        "import it again. From now on, set its languages to Unicode in Toolbox (Project ▸ "
        "Language Encodings).")}),
    "workbook": (_l("The workbook cannot be read"), {None: _l(
        "Open it in Excel or LibreOffice Calc and save it again as “Excel Workbook (.xlsx)” "
        "without a password (an old .xls, an .xlsb or an .ods is not accepted), or save the "
        "sheet as “CSV UTF-8”.")}),
    "too-many-rows": (_l("The file is too large for one import"), {None: _l(
        "Split it into smaller files and import them one after the other (a table: keep the "
        "header row in each part; Toolbox: cut between two \\lx records), or ask the "
        "administrator to raise IMPORT_MAX_ROWS.")}),
    "empty-file": (_l("The file holds no entries"), {
        None: _l("Check that you chose the right file and that it was saved completely."),
        LIFT: _l("Export the lexicon again from FLEx (%(menu)s) and upload the .lift file it "
                 "writes.", menu=_FLEX_EXPORT),
        TABLE: _l("Check that the words are on the first worksheet, under a header row "
                  "(headword, vietnamese, source), and that the file was saved."),
        TOOLBOX: _l("Check that every entry starts with a \\lx line and that you chose the "
                    "database (.db, .txt), not the project's settings files (.prj, .typ).")}),
    "xml-broken": (_l("The LIFT file is damaged (not well-formed XML)"), {None: _l(
        "Do not edit the .lift file by hand: export it again from FLEx (%(menu)s). If it was "
        "copied or sent by e-mail, it may have been cut off: copy the whole file again.",
        menu=_FLEX_EXPORT)}),
    "xml-refused": (_l("The file is not a LIFT lexicon as FLEx writes it"), {None: _l(
        "Upload the .lift file that FLEx or WeSay exports (%(menu)s): it has no DTD and no "
        "entities. If you chose another XML file by mistake, choose the .lift file.",
        menu=_FLEX_EXPORT)}),
    "lift-version": (_l("Another version of LIFT"), {None: _l(
        "Export the lexicon from FLEx 8 or 9, or from WeSay: they write LIFT 0.13, the version "
        "this dictionary reads.")}),
    "marker-mapping": (_l("The marker mapping is not valid"), {None: _l(
        "Write one line per marker under [markers], such as gn = \"gloss:vi\", and map exactly "
        "one marker to “headword” (the one that starts each record, \\lx in MDF). Toolbox lists "
        "the database's markers under Database ▸ Properties ▸ Markers.")}),
    "no-records": (_l("No Toolbox record found"), {None: _l(
        "Every entry must start with a \\lx line. If your database starts its records with "
        "another marker, map that marker to “headword” (Toolbox shows the record marker under "
        "Database ▸ Properties).")}),
    "field-before-record": (_l("Fields before the first record"), {None: _l(
        "Every record starts with \\lx: delete the lines before the first \\lx (the \\_sh "
        "header line may stay), or add the \\lx line they belong to.")}),
    "csv-quoting": (_l("A quotation mark breaks the table"), {None: _l(
        "Open the file in Excel or LibreOffice Calc, correct the cell on this line (a quotation "
        "mark opened and not closed, or text after a closing one) and save it again as “CSV "
        "UTF-8”: the program puts the quotation marks where they belong.")}),
    "cell-count": (_l("A row has more or fewer cells than the header"), {None: _l(
        "A cell that holds the separator (a comma, a semicolon) must be in quotation marks. "
        "Save the table from Excel or LibreOffice as “CSV UTF-8” instead of editing the text by "
        "hand, and look for a stray separator in the row.")}),
    "cell-outside-header": (_l("Filled cells outside the columns of the header"), {None: _l(
        "Give that column a name in the header row, or clear its cells (in Excel: select the "
        "column, then Delete).")}),
    "missing-column": (_l("A required column is missing"), {None: _l(
        "Add the column named in the message to the header row (the first row). Vietnamese "
        "names work too: “từ” for headword, “nghĩa tiếng Việt” for vietnamese, “nguồn” for "
        "source.")}),
    "repeated-column": (_l("Two columns have the same name"), {None: _l(
        "Rename or delete one of them in the header row: each column appears once.")}),
    "lone-mark": (_l("A headword is only a mark, without its letter"), {True: _l(
        "The mark (such as the breve ˘) was typed with no letter before it. Type the letter and "
        "its mark together (ă, ŏ, ĕ) with a Unicode keyboard such as UniKey or Keyman.")}),
    "headword-ws": (_l("Which writing system holds the headwords?"), {None: _l(
        "Give each writing system of the file its role in the table below: the headwords' (in "
        "FLEx, the vernacular writing system of the Lexeme Form), the phonetic one, the "
        "Vietnamese gloss, other glosses to keep. On the command line: --ws CODE=headword. "
        "FLEx lists the codes under Format ▸ Set up Writing Systems.")}),
    "empty-headword": (_l("An entry has no headword"), {
        True: _l("Fill in the headword, or delete the entry."),
        LIFT: _l("In FLEx, fill in the Lexeme Form (or the Citation Form) of the entry in "
                 "Lexicon Edit, or delete the entry, then export again. Or skip these entries "
                 "and import the others.")}),
    "continuation-row": (_l("A row with an empty headword does not fit the entry above"), {None: _l(
        "A row with an empty headword adds a sense or an example to the entry above it: leave "
        "its id and source empty (or the same as the entry's), or write its headword to make "
        "it an entry of its own.")}),
    "pos-on-continuation": (_l("A part of speech on a continuation row"), {None: _l(
        "The part of speech belongs to the entry: write a sense with another part of speech as "
        "a new entry, on its own row with the headword repeated.")}),
    "source-declaration": (_l("The new source is not declared correctly"), {None: _l(
        "Give the source a short key of small letters and digits (such as nguyen2024), its "
        "citation (who made the data, the title, the year) and its licence as an SPDX id such "
        "as CC-BY-4.0. A source that exists already is only chosen, without a citation.")}),
    "unknown-source": (_l("The source of the entries is not known"), {
        None: _l("Choose one of the known sources on the import page, or declare the new "
                 "source there with its citation and licence (on the command line: --source "
                 "KEY --source-citation TEXT --source-license SPDX)."),
        TABLE: _l("Write one of the known source keys (listed in the message) in the source "
                  "column of every row; a new source is declared on the import page with its "
                  "citation and licence, or added to data/languages.toml by the "
                  "administrator.")}),
    "duplicate": (_l("The same entry twice"), {
        None: _l("Give each row its own id, write further senses of one word as continuation "
                 "rows (headword cell left empty) under it, or delete the repeated row."),
        LIFT: _l("Two entries share one id or guid. Export the lexicon again from FLEx rather "
                 "than joining LIFT files by hand: FLEx gives each entry its own guid."),
        TOOLBOX: _l("Number homographs with \\hm 1, \\hm 2, … under \\lx (a subentry: \\hm "
                    "after its \\se), or merge the two records in Toolbox.")}),
    "missing-id": (_l("An entry has no identifier"), {
        None: _l("Fill the entry_id cell of each row with a code of its own."),
        LIFT: _l("Export the file again from FLEx: every entry it writes has an id and a guid; "
                 "keep them if you edit the file.")}),
    "published-unglossed": (_l("A published entry would lose its Vietnamese gloss"), {
        None: _l("Add the Vietnamese gloss of that sense in the file, or unpublish the entry "
                 "here first."),
        LIFT: _l("In FLEx, fill the Gloss of that sense in the Vietnamese writing system "
                 "(Lexicon Edit, or many at once in Bulk Edit Entries), then export again; or "
                 "unpublish the entry here first.")}),
    "empty-gloss": (_l("A sense without a Vietnamese gloss"), {None: _l(
        "Write the Vietnamese gloss in the vietnamese column of the row. In the starter format "
        "a row may stay without one when its needs_review is yes.")}),
    "unglossed": (_l("Senses without a Vietnamese gloss: imported as drafts"), {
        None: _l("To publish them, add their Vietnamese glosses in the file and import it "
                 "again, or gloss them here under %(list)s.", list=_QUALITY),
        LIFT: _l("To publish them, fill the Gloss field in the Vietnamese writing system in "
                 "FLEx (Lexicon Edit, or many at once in Bulk Edit Entries) and import again, "
                 "or gloss them here under %(list)s. If the glosses are Vietnamese under "
                 "another code, give that writing system the role “Vietnamese gloss”.",
                 list=_QUALITY),
        TOOLBOX: _l("To publish them, add a \\gn field with the Vietnamese gloss to each sense "
                    "in Toolbox and import again (or map the marker that holds Vietnamese to "
                    "gloss:vi), or gloss them here under %(list)s.", list=_QUALITY)}),
    "senseless": (_l("Entries without a sense: imported as drafts"), {
        None: _l("To publish one, give it a sense with a Vietnamese gloss, in the file or "
                 "here."),
        LIFT: _l("In FLEx these are usually variants or inflected forms of another entry: "
                 "nothing to do if so. To publish one, give it a sense with a Vietnamese gloss "
                 "(in FLEx: Insert ▸ Sense)."),
        TOOLBOX: _l("To publish one, give the record a \\gn gloss in Toolbox and import again, "
                    "or complete it here.")}),
    "empty-sense": (_l("Empty senses left by a Toolbox template: not imported"), {None: _l(
        "Nothing to do. To tidy the database, delete in Toolbox the \\sn fields with nothing "
        "after them.")}),
    "mixed-pos": (_l("Senses with different parts of speech in one entry"), {None: _l(
        "Nothing to do to import: the entry takes the first part of speech and each sense "
        "keeps its own. If they are different words, make one entry per part of speech (in "
        "FLEx or Toolbox) and import again.")}),
    "unknown-pos": (_l("Parts of speech not in the dictionary's list"), {
        None: _l("Write one of the parts of speech listed in the message (in Vietnamese or "
                 "English), or ask the administrator to add yours as an alias in "
                 "data/parts_of_speech.toml."),
        LIFT: _l("Nothing to do to import: the value is kept. To set the part of speech, ask "
                 "the administrator to add your FLEx categories as aliases in "
                 "data/parts_of_speech.toml, then import again (FLEx keeps them in the Lists "
                 "area, Grammatical Categories)."),
        TOOLBOX: _l("Nothing to do to import: the \\ps value is kept. To set the part of "
                    "speech, ask the administrator to add these abbreviations as aliases in "
                    "data/parts_of_speech.toml, or change the \\ps values in Toolbox, then "
                    "import again.")}),
    "translation-without-example": (_l("A translation without its example"), {
        None: _l("Put the example sentence in the example column of the same row, or delete "
                 "the translation."),
        TOOLBOX: _l("In Toolbox, put the \\xv example before its translation (\\xn, \\xe) in "
                    "the same sense, or delete the translation.")}),
    "subentry-without-form": (_l("A subentry without its form"), {None: _l(
        "In Toolbox, write the subentry after \\se, or delete the empty \\se and the fields "
        "under it.")}),
    "homograph-number": (_l("A wrong homograph number"), {None: _l(
        "Write one \\hm per record (and per subentry), with a whole number: 1, 2, 3…")}),
    "allomorph": (_l("Allomorphs kept in the FLEx data"), {None: _l(
        "Nothing to do: allomorphs are not spelling variants. They stay with the entry and go "
        "back out in the LIFT export.")}),
    "unpublished": (_l("Entries FLEx marks as not to publish: imported as drafts"), {None: _l(
        "Review them here before publishing them. In FLEx the mark is the entry's “Publish "
        "Entry In” field.")}),
    "deleted": (_l("Entries deleted in FLEx: not imported"), {None: _l("Nothing to do.")}),
    "headword-ws-inferred": (_l("Headwords read from the only writing system found for them"), {
        None: _l("Check in the table of writing systems that this one holds the headwords, and "
                 "give each other writing system its role (such as “Vietnamese gloss”).")}),
    "lift-header": (_l("The LIFT header is not kept"), {None: _l(
        "Nothing to do: the entries keep their values; the lists and custom field definitions "
        "stay in FLEx.")}),
    "not-lift": (_l("An element that is not part of LIFT: ignored"), {None: _l(
        "Check that the file was exported by FLEx or WeSay; the element is left out.")}),
    "skipped": (_l("Entries with problems are skipped"), {None: _l(
        "The entries listed are not imported. Correct them in your program and import the file "
        "again later to add them.")}),
    "stray-characters": (_l("Control or invisible characters removed"), {None: _l(
        "Nothing to do. To clean the database itself, find and delete them in Toolbox; they "
        "often come from text pasted from Word.")}),
    "legacy-font": (_l("Characters of an old, non-Unicode font"), {True: _l(
        "The text was typed with a custom (legacy) font. Retype these letters with a Unicode "
        "keyboard such as UniKey or Keyman, or convert the text to Unicode (UniKey's converter "
        "for TCVN3 and VNI, SIL Converters for other fonts).")}),
    "invisible-character": (_l("Invisible or control characters in the text"), {True: _l(
        "They usually come from text copied from Word or a web page (a line break inside a "
        "cell, a zero-width space). Retype the text, or delete the character with Find and "
        "Replace.")}),
    "entry-too-big": (_l("An entry holds more than one entry may"), {True: _l(
        "Split it into several entries with the same headword (homographs), or keep the best "
        "examples and move the others to a note.")}),
    "too-long": (_l("Text too long for its field"), {True: _l(
        "Shorten the text: a gloss is a few words; put long explanations in the definition or "
        "a note.")}),
    "unknown-language": (_l("Unknown language"), {None: _l(
        "Choose one of the dictionary's languages listed in the message (on the command line: "
        "--lang).")}),
    "wrong-variety": (_l("A variety of another language"), {None: _l(
        "Check that you chose the right language for this file; if you did, correct the "
        "variety column of these rows.")}),
    "changed-meanwhile": (_l("Changed by someone else in the meantime"), {None: _l(
        "Nothing was imported. Check the file again (a new dry run) and confirm if the result "
        "is still right.")}),
    "audio-not-included": (_l("Recordings named but not included"), {None: _l(
        "To import them with the entries, add the zip of the sound files and choose their "
        "speaker.")}),
    "speaker": (_l("The speaker of the recordings"), {None: _l(
        "Choose a speaker registered under Audio ▸ Speakers, who speaks this language and has "
        "an active consent.")}),
    "audio-ambiguous": (_l("A recording fits several entries"), {None: _l(
        "Rename the file after the entry's public id (such as hre-000123.wav).")}),
    "audio-unmatched": (_l("No recording matches an entry"), {None: _l(
        "Name each file after the headword or the public id (hre-000123.wav), or reference the "
        "files in the LIFT file (in FLEx, the pronunciation media of the entry).")}),
    "audio-archive": (_l("The zip of recordings cannot be used"), {None: _l(
        "Put the sound files in one zip without a password (in Windows: Send to ▸ Compressed "
        "(zipped) folder); split it if it is too large.")}),
    "audio-file": (_l("A recording cannot be used"), {None: _l(
        "Replace this file in the zip with a sound recording of the word (WAV, MP3, OGG…): not "
        "a video, not silent, not too long.")}),
}


class Advice(NamedTuple):
    title: str
    advice: str  # "" when there is nothing known to do
    known: bool


def classify(problem: ImportProblem) -> tuple[str | None, str | None]:
    """The problem's kind (a key of ``KINDS``, or None) and the tool it shows the file
    comes from (None when the problem alone cannot tell)."""
    key, tool = next(((key, tool) for key, pattern, tool in _MATCHERS
                      if pattern.search(problem.message)), (None, None))
    column = problem.column or ""
    key = key or ("audio-file" if _AUDIO_FILE.search(column) else None)
    tool = tool or (TOOLBOX if column.startswith("\\") else LIFT if column in _LIFT_TAGS else None)
    return key, tool


def advice_refs(problems: Iterable[ImportProblem], tool: str | None = None
                ) -> list[dict[str, str | None]]:
    """``{"key", "tool"}`` for each problem (what ``explain`` reads, plain JSON). ``tool``:
    the file's, when the caller knows it; else the first a problem shows stands for all."""
    found = [classify(p) for p in problems]
    guess = tool or next((t for _, t in found if t), None)
    return [{"key": key, "tool": guess if tool else (own or guess)} for key, own in found]


def tool_of_file(name: str | None) -> str | None:
    """The tool a file name says the file comes from (``.lift``: FLEx; ``.db``: Toolbox…)."""
    return _SUFFIXES.get(os.path.splitext(name or "")[1].lower())


# The tool of a parsed file's format (``ImportReport.format``).
FORMAT_TOOLS = {"lift": LIFT, "mdf": TOOLBOX, "starter": TABLE, "curated": TABLE}


def explain(ref: Any, file_name: str | None = None, locale: str | None = None) -> Advice:
    """The title and advice of a reference from ``advice_refs`` (a kind of ``problem_kinds``
    is one too), in the current locale or ``locale``; ``file_name`` tells the tool when the
    problems did not. A reference of no known kind gets a plain title and no advice."""
    ref = ref if isinstance(ref, Mapping) else {}
    with force_locale(locale) if locale else nullcontext():
        if (ref.get("key") or "") not in KINDS:
            column = ref.get("column")
            return Advice(str(_l("Problem in column %(column)s", column=column) if column
                              else _l("Problem in the file")), "", False)
        title, by_tool = KINDS[ref["key"]]
        tool = ref.get("tool") or tool_of_file(file_name)
        if tool in by_tool or True not in by_tool:
            return Advice(str(title), str(by_tool.get(tool, by_tool.get(None, ""))), True)
        where = f" {_WHERE[tool]}" if tool in _WHERE else ""
        return Advice(str(title), f"{by_tool[True]}{where}", True)
