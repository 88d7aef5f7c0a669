"""One writer of the outbox edit storm (tests/test_outbox.py), run as its own process:

    python tests/outbox_writer.py INSTANCE DATABASE_URL INDEX_DIR SEED EDITS

It opens the dictionary on a shared database with its own (or a shared) index folder and
makes EDITS random edits of the entries there: glosses changed, entries added, unpublished,
published again and deleted, each in its own transaction, as curators' requests would.
Synthetic forms only."""
from __future__ import annotations

import random
import sys
import time


def main(instance: str, url: str, index_dir: str, seed: int, edits: int) -> None:
    from sqlalchemy.orm.exc import StaleDataError

    from dictionary import create_app
    from dictionary.db import get_db

    app = create_app({"INSTANCE_PATH": instance, "DATABASE_URL": url, "INDEX_DIR": index_dir,
                      "SECRET_KEY": "test-secret-not-for-production", "TESTING": True,
                      "INDEX_WARM_UP": False, "INDEX_DRAIN_AT_START": False,
                      "INDEX_FOLLOW_SECONDS": 0})
    rnd = random.Random(seed)
    with app.app_context():
        db = get_db()
        conflicts = 0
        for i in range(edits):
            try:
                edit(db, rnd, seed, i)
            except StaleDataError:  # another writer changed or deleted that entry first
                conflicts += 1
            time.sleep(rnd.random() * 0.01)
    print("edits", edits, "conflicts", conflicts)


def edit(db, rnd: random.Random, seed: int, i: int) -> None:
    from sqlalchemy import select

    from dictionary.models import DRAFT, PUBLISHED, Entry, Language, Sense

    with db.transaction() as s:
        entries = list(s.scalars(select(Entry).order_by(Entry.id)))
        kind = rnd.random()
        if kind < 0.2 or len(entries) < 3:
            lang = s.scalar(select(Language).where(Language.code == "hre"))
            e = Entry(headword=f"zw{seed}x{i}", language=lang)
            e.senses.append(Sense(gloss_vi=f"thử {seed} {i}", position=0))
            s.add(e)
        elif kind < 0.3:
            s.delete(rnd.choice(entries))
        elif kind < 0.45:
            e = rnd.choice(entries)
            e.status = DRAFT if e.status == PUBLISHED else PUBLISHED
        else:
            e = rnd.choice(entries)
            e.senses[0].gloss_vi = f"đổi {seed} {i}"


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
