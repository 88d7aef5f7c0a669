"""Vietnamese speech reaches the pages: a curator's publication queues the entry's Vietnamese
texts (an import does not), the worker makes them, and the entry page plays them, marked as
a machine voice when espeak-ng stood in for Google. Here espeak-ng is the only engine
configured, so nothing reaches the network; it speaks Vietnamese only."""
from __future__ import annotations

from sqlalchemy import func, select

from dictionary.audio import glosses as audio_glosses
from dictionary.audio import jobs, tts
from dictionary.audio.models import AudioJob, TtsClip
from dictionary.auth import create_user
from dictionary.curation import workflow
from dictionary.db import get_db
from dictionary.models import Entry


def test_publishing_queues_the_glosses_and_the_page_plays_them(bundled_copy):
    app = bundled_copy
    app.config["TTS_ENGINES"] = ["espeak-ng"]
    with app.app_context(), get_db().Session() as s:
        assert s.scalar(select(func.count()).select_from(TtsClip)) == 0  # the import queued none
        admin = create_user(s, "admin@example.test", "correct horse battery", "admin")
        entry = s.scalar(select(Entry).where(Entry.public_id == "hre-000002"))
        glosses = entry.senses[0].glosses_vi
        workflow.save_entry(s, admin, entry, {"note": "đã kiểm tra"}, entry.version)
        s.commit()
        queued = set(s.scalars(select(TtsClip.text)))
        assert queued == set(glosses)
        assert s.scalar(select(func.count()).select_from(AudioJob)) == len(glosses)
    assert jobs.run_pending(app) == len(glosses)
    with app.app_context(), get_db().Session() as s:
        assert {c.engine for c in s.scalars(select(TtsClip))} == {"espeak-ng"}
    page = app.test_client().get("/entry/hre-000002?lang=en").get_data(as_text=True)
    assert page.count('src="/audio/tts/') == len(glosses) and "machine voice" in page
    # `flask audio speak` queues every published entry; spoken texts are not asked twice.
    result = app.test_cli_runner().invoke(args=["audio", "speak"])
    assert result.exit_code == 0, result.output
    with app.app_context(), get_db().Session() as s:
        wanted = {tts.clip_key(t, False) for e in s.scalars(select(Entry).where(
            Entry.status == "published")) for t in audio_glosses.texts_of(e)}
        assert len(wanted) > 200  # the bundled glosses, each text once
        assert {c.key for c in s.scalars(select(TtsClip))} == wanted
        again = s.scalars(select(AudioJob.ref)).all()
        assert not set(again) & {c.key for c in s.scalars(select(TtsClip)) if c.text in glosses}
