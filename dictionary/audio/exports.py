"""Which recordings leave the server with an export, as plain records for the writers.

Where it sits: the export registry (``dictionary.curation.export``) asks here before it
streams a LIFT-with-recordings or CLDF export, and hands the result to the writer
(``formats.lift_media_out``, ``formats.cldf_out``). A recording is exported only when
``consent.public("exports")`` holds for it: a reviewer published it, the consent it was
made under is active and covers open exports, and its entry is published. A withdrawn
consent is therefore out of the next export at once (and its playback copies are gone).
The audio package never imports curation; curation imports this.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..formats.media import MediaFile
from ..models import Entry, Language
from . import storage
from .consent import public
from .models import EXPORTS, Consent, Recording, Speaker

log = logging.getLogger(__name__)

ALL = "all"  # every language (the export registry's word for it)


def media_for_export(session: Session, lang: str) -> dict[str, list[MediaFile]]:
    """Target (entry public id or example id) → its recordings that may be exported, first
    approved first; ``lang`` a language code or ``"all"``. A recording whose playback file
    is missing is left out and logged (``flask audio check`` reports such drift)."""
    query = (select(Recording.uuid, Recording.target, Recording.playback_path,
                    Recording.duration_ms, Speaker.display_name, Speaker.public_id,
                    Consent.license, Consent.attribution)
             .join(Consent, Recording.consent_id == Consent.id)
             .join(Entry, Recording.entry_id == Entry.id)
             .join(Speaker, Recording.speaker_id == Speaker.id)
             .where(*public(EXPORTS))
             .order_by(Recording.reviewed_at, Recording.id))
    if lang != ALL:
        query = query.join(Language, Entry.language_id == Language.id).where(
            Language.code == lang)
    found: dict[str, list[MediaFile]] = {}
    for uuid, target, playback, duration, speaker, speaker_id, license_, attribution in \
            session.execute(query):
        try:
            path = storage.absolute(playback or "")
        except ValueError:
            path = None
        if path is None or not path.is_file():
            log.warning("recording %s (%s) is published but its playback file %r is "
                        "missing; left out of the export", uuid, target, playback)
            continue
        found.setdefault(target, []).append(MediaFile(
            id=uuid, target=target, path=path, speaker=speaker, speaker_id=speaker_id,
            license=license_, attribution=attribution or "", duration_ms=duration))
    return found
