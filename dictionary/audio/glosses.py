"""Vietnamese speech for what the dictionary says in Vietnamese: glosses and example
translations (never a Hrê or Co form: ``tts`` refuses those languages outright).

Where it sits: between the entries and ``tts``. When a curator publishes or edits a published
entry (``signals.entry_saved`` with a user), its Vietnamese texts are queued for the worker;
imports do not queue anything (a 13,000-row file must not start 13,000 fetches on its own),
``flask audio speak`` queues every published entry when an operator decides to. Pages ask
``clips_for`` which of an entry's texts already have speech: one query, no fetch, and a text
without a clip simply has no play button.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import signals
from ..models import PUBLISHED, Entry, Sense
from . import tts


def texts_of(entry: Entry) -> list[str]:
    """The entry's Vietnamese texts, each once: every gloss ("a; b" are two) and every
    example translation."""
    texts: list[str] = []
    for sense in entry.senses:
        texts += sense.glosses_vi
        texts += [x.translation_vi for x in sense.examples if x.translation_vi.strip()]
    return list(dict.fromkeys(t.strip() for t in texts if t.strip()))


def queue(session: Session, texts: Iterable[str]) -> int:
    """Ask the worker for speech of ``texts`` (those already cached or queued cost one
    lookup); returns how many were asked. No savepoints: on SQLite they would hold the
    write lock past the commit the search index waits for."""
    asked = 0
    for text in texts:
        try:
            tts.request(session, text)
            asked += 1
        except tts.TtsRefused:
            continue  # empty or too long to speak
    return asked


def _on_saved(entry: Entry, *, session: Session, user=None, **_kw) -> None:
    if user is not None and entry.status == PUBLISHED and tts.engines():
        queue(session, texts_of(entry))


def queue_published(session: Session) -> int:
    """Queue speech for every published entry's Vietnamese texts (``flask audio speak``)."""
    entries = session.scalars(select(Entry).where(Entry.status == PUBLISHED).options(
        selectinload(Entry.senses).selectinload(Sense.examples)))
    return queue(session, dict.fromkeys(t for e in entries for t in texts_of(e)))


def clips_for(session: Session, entry: Entry) -> dict[str, tuple[str, bool]]:
    """Text → (URL, spoken by a machine voice other than Google's) for the entry's texts
    that have speech ready."""
    ready = tts.ready_clips(session, texts_of(entry))
    return {text: (tts.url_for_clip(clip), clip.engine in tts.MACHINE_VOICE_ENGINES)
            for text, clip in ready.items()}


def connect() -> None:
    signals.entry_saved.connect(_on_saved)
