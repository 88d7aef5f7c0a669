"""Per-language orthography rules, read from ``data/orthography/<lang>.toml``.

Where it sits in the data flow: linguists edit the TOML files; ``load_rules`` reads them
once at start-up and hands ``Rules`` values to ``normalize`` (search keys: equivalences,
ignorable letters, register marks) and to ``collation`` (sort order tailoring, browse
letters).  Nothing language-specific is hard-coded in Python.

File layout (every key optional except ``lang`` and ``name``)::

    lang = "hre"                 # must equal the file name
    name = "Hrê"
    [keyboard]
    letters = ["ŋ", "ɔ"]         # on-screen keyboard buttons
    [search]
    tone_marks = [".L", ".T"]    # removed by toneless_key
    ignorable = ["ː"]            # removed by loose_key
    [search.equivalences]
    "ŋ" = "ng"                   # loose_key searches ŋ as ng
    [collation]
    tailoring = "&n < ŋ"         # ICU rules appended to the Vietnamese ones
"""
from __future__ import annotations

import re
import tomllib
import unicodedata
from pathlib import Path

from . import normalize
from .collation import check_tailoring
from .rules import OrthographyError, Rules, unique

__all__ = ["OrthographyError", "Rules", "load_rules", "parse_rules"]

_LANG = re.compile(r"[a-z]{2,3}\Z")  # ISO 639-1/-3
_LAYOUT = {
    None: {"lang", "name", "keyboard", "search", "collation"},
    "keyboard": {"letters"},
    "search": {"tone_marks", "ignorable", "equivalences"},
    "collation": {"tailoring"},
}


def _text(where: str, value: object, what: str) -> str:
    if not isinstance(value, str):
        raise OrthographyError(f"{where}: {what} must be a string, not {type(value).__name__}")
    value = unicodedata.normalize("NFC", value)
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs") and c not in "\n\t" for c in value):
        raise OrthographyError(f"{where}: {what} {value!r} contains a control character")
    return value


def _strings(where: str, value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise OrthographyError(f"{where}: {what} must be a list of strings")
    out = []
    for item in value:
        item = normalize.clean(_text(where, item, f"each item of {what}"))
        if not item:
            raise OrthographyError(f"{where}: {what} contains an empty string")
        out.append(item)
    return unique(out)


def parse_rules(data: dict, where: str) -> Rules:
    """Validate one decoded TOML document; ``where`` names the file in error messages."""
    for section, allowed in _LAYOUT.items():
        table = data if section is None else data.get(section, {})
        label = "top level" if section is None else f"[{section}]"
        if not isinstance(table, dict):
            raise OrthographyError(f"{where}: {section} must be a table ([{section}])")
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise OrthographyError(
                f"{where}: unknown key {unknown[0]!r} in {label}; allowed: {', '.join(sorted(allowed))}")
    for key in ("lang", "name"):
        if key not in data:
            raise OrthographyError(f"{where}: missing {key} = \"...\" at the top of the file")
    lang = _text(where, data["lang"], "lang")
    if not _LANG.match(lang):
        raise OrthographyError(f"{where}: lang {lang!r} is not an ISO 639 code such as 'hre'")
    name = normalize.clean(_text(where, data["name"], "name"))
    if not name:
        raise OrthographyError(f"{where}: name is empty")
    search = data.get("search", {})
    tone_marks = _strings(where, search.get("tone_marks", []), "search.tone_marks")
    ignorable = _strings(where, search.get("ignorable", []), "search.ignorable")
    table = search.get("equivalences", {})
    if not isinstance(table, dict):
        raise OrthographyError(f"{where}: search.equivalences must be a table of \"letter\" = \"search as\"")
    equivalences: list[tuple[str, str]] = []
    folded: dict[str, str] = {normalize.loose_key(x): f"ignorable {x!r}" for x in ignorable}
    for src, dst in table.items():
        src = normalize.clean(_text(where, src, "an equivalence key"))
        dst = normalize.clean(_text(where, dst, f"the equivalence for {src!r}"))
        if not dst:
            raise OrthographyError(f"{where}: equivalence {src!r} = \"\" is empty; "
                                   "list the letter under search.ignorable instead")
        key = normalize.loose_key(src)  # what the rule will actually be matched against
        if not key:
            raise OrthographyError(f"{where}: equivalence key {src!r} is only marks or apostrophes, "
                                   "which loose search already drops")
        if key in folded:
            raise OrthographyError(
                f"{where}: equivalence {src!r} clashes with {folded[key]} (both match {key!r})")
        folded[key] = f"equivalence {src!r}"
        equivalences.append((src, dst))
    tailoring = _text(where, data.get("collation", {}).get("tailoring", ""), "collation.tailoring").strip()
    letters = _strings(where, data.get("keyboard", {}).get("letters", []), "keyboard.letters")
    return Rules(lang, name, tuple(equivalences), ignorable, tone_marks, tailoring, letters)


def load_rules(directory: Path) -> dict[str, Rules]:
    """Every ``<lang>.toml`` in ``directory``, keyed by language code.

    Raises ``OrthographyError`` (naming the file) on the first unusable file, including
    a collation tailoring that ICU rejects, so a bad edit fails at start-up, not at the
    first sort.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise OrthographyError(f"{directory}: orthography directory not found")

    found: dict[str, Rules] = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            # utf-8-sig: Windows Notepad saves a byte-order mark, which TOML itself rejects.
            data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise OrthographyError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
        except tomllib.TOMLDecodeError as exc:
            raise OrthographyError(f"{path}: not valid TOML: {exc}") from exc
        except OSError as exc:
            raise OrthographyError(f"{path}: cannot be read: {exc.strerror}") from exc
        rules = parse_rules(data, str(path))
        if rules.lang != path.stem:
            raise OrthographyError(f"{path}: lang = {rules.lang!r} but the file is named {path.name}")
        check_tailoring(rules, str(path))
        found[rules.lang] = rules
    return found
