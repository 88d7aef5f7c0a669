"""The search index and what searches miss: ``search rebuild|update|check`` and
``zero-results``.

Where it sits: registered by ``cli.init_app``; exit codes as everywhere: 0 success, 1 the
work failed or was refused, 2 usage.
"""
from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from .. import outbox, zero_results
from ..db import get_db
from ..indexing import index_service
from ..models import ZeroResultQuery
from ..schema import init_db


search_cli = AppGroup("search", help="Maintain the search index.")


@search_cli.command("rebuild")
def rebuild_command() -> None:
    """Build the index from the database into a new directory, then swap it in."""
    init_db()
    click.echo(f"{rebuild_with_progress()} entries indexed.")


def rebuild_with_progress() -> int:
    def bar(entries):
        with click.progressbar(entries, label="Indexing", show_pos=True) as items:
            yield from items

    return index_service().rebuild(progress=bar)


@search_cli.command("update")
def update_command() -> None:
    """Repair drift: rewrite missing or stale documents, delete extra ones."""
    state = index_service()
    if not state.index.is_current():
        click.echo("No index of the current format yet: building it.")
        click.echo(f"{rebuild_with_progress()} entries indexed.")
        return
    drift = state.update()
    click.echo("Index was in step." if drift.clean else f"Repaired: {drift_text(drift)}")


@search_cli.command("check")
def check_command() -> None:
    """Compare index and database; exit 1 when they disagree. Also lists the indexes (one
    per machine) that follow this database and how far each is."""
    state = index_service()
    drift = state.compare()
    here = state.index.node() if state.index.exists() else None
    with get_db().Session() as s:
        last = outbox.last_id(s)
        for node, applied, seen_at in outbox.nodes(s):
            mark = " (this machine)" if node == here else ""
            click.echo(f"Index {node}{mark}: has the outbox up to {applied} of {last}, "
                       f"last reported {seen_at:%Y-%m-%d %H:%M} UTC")
    if drift.clean:
        click.echo("Index and database agree.")
        return
    click.echo(f"Index and database disagree: {drift_text(drift)}", err=True)
    sys.exit(1)


def drift_text(drift) -> str:
    if not drift.index_exists:
        return "no index"
    parts = [f"{len(drift.missing)} missing", f"{len(drift.stale)} stale",
             f"{len(drift.extra)} extra", f"{drift.queued} queued"]
    sample = (drift.missing + drift.stale + drift.extra)[:5]
    return ", ".join(parts) + (f" (e.g. {', '.join(sample)})" if sample else "")


@click.command("zero-results")
@with_appcontext
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def zero_results_command(limit: int, as_json: bool) -> None:
    """Searches that found nothing, most frequent first (no personal data is kept)."""
    zero_results.flush()
    with get_db().Session() as s:
        rows = s.scalars(select(ZeroResultQuery)
                         .order_by(ZeroResultQuery.count.desc(), ZeroResultQuery.last_seen.desc())
                         .limit(limit)).all()
        if as_json:
            click.echo(json.dumps([{"query": r.query, "lang": r.lang, "count": r.count,
                                    "last_seen": r.last_seen.isoformat()} for r in rows],
                                  ensure_ascii=False, indent=1))
            return
        for r in rows:
            click.echo(f"{r.count:6d}  {r.lang:4}  {r.query}  (last {r.last_seen:%Y-%m-%d})")
