"""Audio pronunciation: native-speaker recordings with consent and review, loudness-normalised
playback copies, and cached Vietnamese speech.

Data flow: an upload or a browser recording → ``intake`` (size, hash, a synchronous probe, the
original stored) → ``Recording`` in ``processing`` and an ``AudioJob`` → the worker
(``jobs``, ``flask audio work``) runs ``pipeline`` (ffmpeg: decode, measure, trim, one linear
gain to −16 LUFS, MP3) → ``pending_review`` → a reviewer (``review``) publishes it → pages,
lessons and exports play it, as long as the speaker's consent allows that use (``consent``,
the one place that decides). Vietnamese glosses may be spoken by ``tts`` (gTTS, fetched by
the worker and cached); Hrê and Co never are. A lexicon import may bring an archive of
recordings (``bulk``, ``archive``): they enter through ``intake`` like any upload.
"""
from __future__ import annotations

from flask import Blueprint, Flask

from .. import signals

bp = Blueprint("audio", __name__)


def init_app(app: Flask) -> None:
    # serving and tts add their routes to bp, which must happen before it is registered.
    from . import admin, bulk, cli, glosses, intake, jobs, serving, tts  # noqa: F401

    jobs.register("process", intake.process_job)
    jobs.register("tts", tts.fetch)
    glosses.connect()
    signals.batch_reverted.connect(bulk.revert_listener)
    cli.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(admin.admin_bp)
