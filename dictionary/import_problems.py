"""What is wrong with an import file: ``ImportProblem`` (one thing, with its line and
column) and ``ImportFailed`` (the file cannot be imported; every problem found).

Where it sits: raised by every reader (``lexicon_files`` and the ``lexicon_*`` modules, which
also name these two classes) and by ``importer``; shown by the CLI and the import pages.
"""
from __future__ import annotations

from dataclasses import dataclass


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
        if message is not None:
            self.errors.insert(0, ImportProblem(None, None, message))
        super().__init__(self._text())

    def _text(self) -> str:
        if len(self.errors) == 1:
            return str(self.errors[0])
        return f"{len(self.errors)} problems:\n" + "\n".join(f"  {e}" for e in self.errors)
