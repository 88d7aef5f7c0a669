"""Nothing a FieldWorks file holds is invisible (issue 14 §3): what the model holds (notes
by type, relations as links, pictures, subsenses, translations) is shown as such, and what it
does not hold is read out of the kept LIFT data and shown on the entry page ("Other
FieldWorks fields") and in the API. The LIFT file is
``test_lift.FLEX`` (synthetic tokens)."""
from __future__ import annotations

from sqlalchemy import select

from dictionary.curation.importer import import_lexicon
from dictionary.db import get_db
from dictionary.models import Entry
from test_lift import FLEX


def test_other_fields_are_shown_on_the_page_and_in_the_api(app, data_dir, tmp_path):
    path = tmp_path / "flex.lift"
    path.write_bytes(FLEX)
    with app.app_context(), get_db().Session() as s:
        import_lexicon(s, path, "hre", source="nhomthu", status="published", data_dir=data_dir)
    with app.app_context(), get_db().Session() as s:
        ids = {e.headword: e.public_id for e in s.scalars(select(Entry))}
    client = app.test_client()
    client.set_cookie("ui_lang", "en")
    page = client.get(f"/entry/{ids['zatok']}").get_data(as_text=True)
    assert "Other FieldWorks fields" in page
    # Modelled: notes by type, the picture, the subsense, other languages' translations.
    for shown in ("Field notes 2024, p. 12", "Bibliography", "Built on stilts.", "Anthropology",
                  "Pictures/zatok.jpg", "một ngôi nhà", "nhà sàn", "My house is far."):
        assert shown in page, shown
    # Kept from the file and shown as it is: what the model does not hold.
    for shown in ("literal-meaning", "house &amp; home", "*zatook – house", "maison"):
        assert shown in page, shown
    # The synonym relation points to bơ̆nxa, imported from the same file: a link.
    assert f'<a href="/entry/{ids["bơ̆nxa"]}" lang="hre">bơ̆nxa</a>' in page
    data = client.get(f"/api/v1/entries/{ids['zatok']}").get_json()
    relation = data["relations"][0]
    assert (relation["type"], relation["entry"]) == ("synonym", ids["bơ̆nxa"])
    assert not any(f["kind"] == "relation" for f in data["other_fields"])  # modelled now
    assert {"sense": 1, "kind": "gloss", "label": "fr", "value": "maison",
            "entry": None} in data["other_fields"]


def test_an_entry_from_a_table_has_no_other_fields(client):
    page = client.get("/entry/hre-000001").get_data(as_text=True)
    assert "Other FieldWorks fields" not in page
    assert client.get("/api/v1/entries/hre-000001").get_json()["other_fields"] == []
