"""Where the real linguists' files of issue 14 are: ``../shared/data/realdata/`` beside the
clone (its SOURCES.md says where each comes from and under which licence). Tests read them
in place; they are never copied into the project. CI has the folder beside its clone too.

Test modules import it by name (``from realdata import REALDATA``): ``tests/`` is on the
path (setup.cfg ``pythonpath``).
"""
from __future__ import annotations

from dictionary import REPO_ROOT

REALDATA = REPO_ROOT.parent / "shared" / "data" / "realdata"

