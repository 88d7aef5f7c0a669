"""Human recordings for lessons: which entries have a clip a learner may hear.

Where it sits: ``content.views`` asks ``approved_audio`` for one URL per entry; the listening
exercises (``exercises``) play it. The audio package decides (``dictionary.audio.consent``):
a clip is heard in lessons only when a reviewer published it and the speaker's consent is
active and covers lessons; the clip itself is served by the audio package, with Range
support, and answers 410 from the moment the consent is withdrawn. No machine voice ever
stands in: an exercise that needs audio is simply not generated without a clip.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from dictionary.audio.consent import playable
from dictionary.audio.models import LESSONS

__all__ = ["approved_audio"]


def approved_audio(session: Session, public_ids: Iterable[str]) -> dict[str, str]:
    """Public id → URL of the entry's clip for lessons (the first approved, if several)."""
    return playable(session, public_ids, LESSONS)
