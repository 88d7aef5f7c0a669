"""Invariants between the code and what it tells people: every JSON API route is in the
OpenAPI description (dictionary.openapi), every configuration default (dictionary.config) and
every command of ``flask --app dictionary`` has a row in the README's tables. A route, key or
command added without its description fails here."""
from __future__ import annotations

import re

import click

from dictionary import REPO_ROOT
from dictionary.config import defaults
from dictionary.openapi import spec

README = REPO_ROOT / "README.md"
# A path parameter is named by the view (<public_id>) and by the description ({id}): only
# its place matters.
PARAMETER = re.compile(r"<[^>]*>|\{[^}]*\}")


def readme_first_column(heading: str) -> list[str]:
    """The code spans in the first column of the tables under ``heading`` (up to the next
    heading of any level)."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(heading)
    spans: list[str] = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            # Cells are split at pipes that are not escaped (`hre\|cua` stays one cell).
            first = re.split(r"(?<!\\)\|", line)[1]
            spans += [s.replace("\\|", "|") for s in re.findall(r"`([^`]+)`", first)]
    assert spans, f"no table under {heading!r}"
    return spans


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[str]:
    """Every command under ``group`` as typed after ``flask --app dictionary``."""
    paths = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
        else:
            paths.append(" ".join((*prefix, name)))
    return paths


def test_every_api_route_is_in_the_openapi_description(app):
    documented = {PARAMETER.sub("{}", path): set(operations)
                  for path, operations in spec("http://localhost")["paths"].items()}
    routes = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")]
    assert len(routes) >= 4  # search, entries, languages, openapi.json: the walk is real
    for rule in routes:
        path = PARAMETER.sub("{}", rule.rule)
        assert path in documented, f"{rule.rule} is not in the OpenAPI description"
        methods = {m.lower() for m in rule.methods if m not in ("HEAD", "OPTIONS")}
        assert methods <= documented[path], f"{rule.rule}: {methods - documented[path]} " \
                                            "not in the OpenAPI description"
    # And the description names no path the app does not serve.
    served = {PARAMETER.sub("{}", rule.rule) for rule in app.url_map.iter_rules()}
    assert set(documented) <= served, set(documented) - served


def test_every_configuration_default_is_in_the_readme(app):
    names = readme_first_column("## Configuration")
    keys = list(defaults(app))
    assert "DATABASE_URL" in keys and "DATABASE_URL" in names  # both lists are the real ones
    missing = [key for key in keys if key not in names]
    assert not missing, f"configuration keys with no row in the README: {missing}"


def test_every_command_is_in_the_readme(app):
    spans = readme_first_column("## Command line")
    paths = command_paths(app.cli)
    assert {"setup", "search rebuild", "create-user"} <= set(paths)  # subgroups walked
    missing = [path for path in paths
               if not any(span == path or span.startswith(path + " ") for span in spans)]
    assert not missing, f"commands with no row in the README: {missing}"
