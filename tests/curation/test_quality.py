"""Quality lists and the merge of duplicates (dictionary.quality, dictionary.admin.quality).

Entries are built through the ORM with synthetic vernacular tokens (``zatok``, ``bơ̆nxa``):
they are not Hrê or Co words. The lists also run on a copy of the bundled starter data.
"""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from dictionary.curation import quality
from dictionary import zero_results
from dictionary.db import get_db
from dictionary.indexing import index_service
from dictionary.models import (
    DELETED,
    DRAFT,
    PUBLISHED,
    Entry,
    Example,
    IndexQueue,
    Language,
    Revision,
    Sense,
    User,
    Variant,
    ZeroResultQuery,
)

from conftest import csrf_token, login

XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def add(s, lang: str, headword: str, senses=(), variants=(), status=PUBLISHED) -> str:
    """An entry; ``senses`` are gloss strings or (gloss, [(example, translation), …])."""
    language = s.scalar(select(Language).where(Language.code == lang))
    entry = Entry(language=language, headword=headword, status=status)
    for i, sense in enumerate(senses):
        gloss, examples = (sense, []) if isinstance(sense, str) else sense
        entry.senses.append(Sense(position=i, gloss_vi=gloss, examples=[
            Example(position=j, text=t, translation_vi=v) for j, (t, v) in enumerate(examples)]))
    entry.variants.extend(Variant(form=f) for f in variants)
    s.add(entry)
    s.flush()
    return entry.public_id


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return html.unescape(match.group(1))


@pytest.fixture
def lexicon(app) -> dict[str, str]:
    with app.app_context(), get_db().transaction() as s:
        return {
            "plain": add(s, "hre", "zatok", ["con chó"]),
            "toned": add(s, "hre", "zatọk", ["Con chó; chó"]),
            "breve": add(s, "hre", "bơ̆nxa ʼbăh", ["nhà"], variants=["ŋɔ̀ʔ"]),
            "ipa_ok": add(s, "cua", "ʔakeː pʰaːp", ["sừng"]),
            "esh": add(s, "hre", "zaʃok", ["cây"]),
            "variant_bad": add(s, "hre", "zamuk", ["núi"], variants=["zamуk"]),  # Cyrillic у
            "tone_on_consonant": add(s, "cua", "ḿzat", ["sông"]),
            "other_gloss": add(s, "hre", "zatok", ["con mèo"]),
            "no_gloss_dup": add(s, "hre", "zatok"),
            "other_lang": add(s, "cua", "zatok", ["con chó"]),
            "empty_sense": add(s, "cua", "zibor", ["", "đá"]),
            "semicolon_only": add(s, "cua", "zibo", [" ; "]),
            "deleted": add(s, "hre", "zaʃik", ["con chó"], status=DELETED),
            "deleted_dup": add(s, "hre", "zatok", ["con chó"], status=DELETED),
            "draft_dup": add(s, "cua", "zatọk", ["con chó"], status=DRAFT),
        }


def lists(app):
    with app.app_context(), get_db().Session() as s:
        return (quality.alphabet_problems(s, index_service().rules), quality.duplicate_groups(s),
                quality.entries_without_gloss(s, per_page=100))


# ---- the lists ------------------------------------------------------------------------------
def test_alphabet_list_flags_only_letters_outside_the_language(app, lexicon):
    problems, _, _ = lists(app)
    by_id = {p.public_id: p for p in problems}
    assert set(by_id) == {lexicon["esh"], lexicon["variant_bad"], lexicon["tone_on_consonant"]}
    assert by_id[lexicon["esh"]].chars == ["ʃ"]
    assert by_id[lexicon["variant_bad"]].headword_chars == []
    assert by_id[lexicon["variant_bad"]].variants == [("zamуk", ["у"])]
    assert by_id[lexicon["tone_on_consonant"]].chars == ["ḿ"]


def test_duplicate_groups_need_same_language_headword_key_and_first_gloss(app, lexicon):
    _, groups, _ = lists(app)
    members = sorted(sorted(m.public_id for m in g.members) for g in groups)
    # zatok/zatọk 'con chó' in Hrê; in Co the published zatok and the draft zatọk. Not:
    # another gloss, no gloss, deleted entries, the same word in the other language.
    assert members == sorted([sorted([lexicon["plain"], lexicon["toned"]]),
                              sorted([lexicon["other_lang"], lexicon["draft_dup"]])])
    hre = next(g for g in groups if g.lang == "hre")
    assert (hre.headword_key, hre.gloss_key) == ("zatok", "con cho")
    assert {m.gloss for m in hre.members} == {"con chó", "Con chó"}


def test_entries_without_gloss(app, lexicon):
    _, _, page = lists(app)
    assert {e.public_id for e in page.items} == {
        lexicon["no_gloss_dup"], lexicon["empty_sense"], lexicon["semicolon_only"]}
    assert page.total == 3


def test_list_pages_show_rows_with_links_and_code_points(app, lexicon, as_role):
    client = as_role("editor")
    page = client.get("/admin/quality/alphabet").get_data(as_text=True)
    assert "U+0283" in page and "ʃ" in page and "U+0443" in page
    assert "/admin/entries/" + lexicon["esh"] in page
    assert lexicon["plain"] not in page
    page = client.get("/admin/quality/alphabet?lang=cua").get_data(as_text=True)
    assert lexicon["tone_on_consonant"] in page and lexicon["esh"] not in page
    page = client.get("/admin/quality/duplicates").get_data(as_text=True)
    assert lexicon["plain"] in page and lexicon["other_gloss"] not in page
    assert "/admin/quality/merge" not in page  # editors do not merge
    page = client.get("/admin/quality/no-gloss").get_data(as_text=True)
    assert lexicon["empty_sense"] in page and lexicon["plain"] not in page
    overview = client.get("/admin/quality").get_data(as_text=True)
    assert client.get("/admin/quality").status_code == 200
    assert "/admin/quality/zero-results" in overview


def test_lists_are_paged(app, as_role):
    with app.app_context(), get_db().transaction() as s:
        for i in range(quality.PER_PAGE + 5):
            add(s, "hre", f"zaʃ{i}", ["cây"])
    client = as_role("editor")
    first = client.get("/admin/quality/alphabet").get_data(as_text=True)
    second = client.get("/admin/quality/alphabet?page=2").get_data(as_text=True)
    assert 'rel="next"' in first and 'rel="prev"' in second
    row = re.compile(r'<tr>\s*<td><a href="[^"]*/admin/entries/')
    assert (len(row.findall(first)), len(row.findall(second))) == (quality.PER_PAGE, 5)


def test_contributors_cannot_see_the_lists(app, as_role):
    client = as_role("contributor")
    for path in ("/admin/quality", "/admin/quality/alphabet", "/admin/quality/zero-results"):
        assert client.get(path).status_code == 403


# ---- zero-result log ------------------------------------------------------------------------
def test_zero_result_log_is_ranked_and_links_to_a_new_entry(bundled_copy, bundled_users):
    client = bundled_copy.test_client()
    for q, lang, times in (("qqxxzz", "hre", 3), ("zzvvqq", "all", 1), ("vvqqzz", "cua", 2)):
        for _ in range(times):
            assert client.get("/search", query_string={"q": q, "lang": lang}).status_code == 200
    with bundled_copy.app_context(), get_db().Session() as s:
        zero_results.flush()  # what the quality pages do before they read the log
        page = quality.zero_result_queries(s)
        assert [(r.query, r.lang, r.count) for r in page.items] == [
            ("qqxxzz", "hre", 3), ("vvqqzz", "cua", 2), ("zzvvqq", "all", 1)]
        assert [r.query for r in quality.zero_result_queries(s, "cua").items] == ["vvqqzz"]
    login(client, bundled_users["editor"])
    body = client.get("/admin/quality/zero-results").get_data(as_text=True)
    assert body.index("qqxxzz") < body.index("vvqqzz") < body.index("zzvvqq")
    links = re.findall(r'href="([^"]*/admin/entries/new\?[^"]*)"', body)
    assert any("gloss=qqxxzz" in u and "lang=hre" in u for u in map(html.unescape, links))
    assert any("gloss=zzvvqq" in u and "lang=" not in u for u in map(html.unescape, links))


# ---- the bundled data -----------------------------------------------------------------------
def test_lists_work_on_the_bundled_starter_data(bundled_copy):
    with bundled_copy.app_context(), get_db().Session() as s:
        total = s.query(Entry).count()
        flagged = quality.alphabet_problems(s, index_service().rules)
        without_rules = quality.alphabet_problems(s, {})
        groups = quality.duplicate_groups(s)
        glossless = quality.entries_without_gloss(s)
    # The phonetic headwords use IPA letters (ŋ ɔ ə ʔ ː ʰ …), and the orthography files list
    # every one of them (keyboard letters, equivalences, ignorable): with the files almost
    # nothing may be flagged, while with Vietnamese letters alone most entries would be.
    assert total > 400
    assert len(flagged) <= total // 100
    assert len(without_rules) > total // 2
    # Two sources (Peiros 2004, Sidwell 2015) often give the same Co word with the same
    # meaning (katap 'trứng' twice, pʰaːp ~ phap 'máu'): those pairs are listed, and only
    # as pairs within one language.
    assert 10 <= len(groups) <= total // 4
    for group in groups:
        assert len({m.public_id for m in group.members}) == len(group.members) >= 2
    assert glossless.total <= total // 20


# ---- merging --------------------------------------------------------------------------------
@pytest.fixture
def pair(app) -> dict[str, str]:
    with app.app_context(), get_db().transaction() as s:
        return {
            "keep": add(s, "hre", "zatok", [("con chó", [("zatok ba", "con chó lớn")])],
                        variants=["zatôk"]),
            "other": add(s, "hre", "zatọk",
                         [("Con chó", [("zatok ba", "con chó lớn"),
                                       ("zatok ki", "con chó nhỏ")]),
                          ("chạy", [("zatọk nơ", "chạy nhanh")])],
                         variants=["zatôk", "zatuk"]),
            "cua": add(s, "cua", "zatok", ["con chó"]),
        }


def merge_page(client, *ids):
    return client.get("/admin/quality/merge", query_string={"ids": list(ids)})


def post_merge(client, page_html: str, keep: str, **override):
    data = {"csrf_token": hidden(page_html, "csrf_token"), "ids": hidden(page_html, "ids"),
            "versions": hidden(page_html, "versions"), "keep": keep}
    data.update(override)
    return client.post("/admin/quality/merge", data=data)


def test_merge_moves_senses_examples_and_variants_and_soft_deletes(app, users, pair, as_role):
    client = as_role("reviewer")
    page = merge_page(client, pair["keep"], pair["other"])
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "zatọk" in body and "chạy nhanh" in body
    response = post_merge(client, body, pair["keep"])
    assert response.status_code == 302
    with app.app_context(), get_db().Session() as s:
        keep = s.scalar(select(Entry).where(Entry.public_id == pair["keep"]))
        other = s.scalar(select(Entry).where(Entry.public_id == pair["other"]))
        assert [x.gloss_vi for x in keep.senses] == ["con chó", "chạy"]
        assert [x.text for x in keep.senses[0].examples] == ["zatok ba", "zatok ki"]
        assert [x.text for x in keep.senses[1].examples] == ["zatọk nơ"]
        assert [v.form for v in keep.variants] == ["zatôk", "zatuk"]
        assert keep.status == PUBLISHED
        assert other.status == DELETED and f"merged into {pair['keep']}" in other.note
        # What was already there stays with the deleted entry (and in its revisions).
        assert [x.gloss_vi for x in other.senses] == ["Con chó"]
        assert [x.text for x in other.senses[0].examples] == ["zatok ba"]
        assert [v.form for v in other.variants] == ["zatôk"]
        reviewer = s.scalar(select(User).where(User.email == users["reviewer"]))
        revisions = {r.entry_public_id: r for r in s.scalars(select(Revision))}
        assert set(revisions) == {pair["keep"], pair["other"]}
        assert revisions[pair["other"]].summary == DELETED
        assert revisions[pair["other"]].comment == f"merged into {pair['keep']}"
        assert revisions[pair["other"]].snapshot["status"] == DELETED
        assert pair["other"] in revisions[pair["keep"]].comment
        assert [x["gloss_vi"] for x in revisions[pair["keep"]].snapshot["senses"]] == \
            ["con chó", "chạy"]
        assert {r.user_id for r in revisions.values()} == {reviewer.id}
        queued = set(s.scalars(select(IndexQueue.entry_public_id)))
        assert {pair["keep"], pair["other"]} <= queued  # the index follows (outbox)
    listing = client.get("/admin/quality/duplicates?lang=hre").get_data(as_text=True)
    assert f"/admin/entries/{pair['keep']}" not in listing  # the group is gone
    assert "/admin/quality/merge" not in listing


def unchanged(app, pair) -> bool:
    with app.app_context(), get_db().Session() as s:
        other = s.scalar(select(Entry).where(Entry.public_id == pair["other"]))
        return other.status == PUBLISHED and len(other.senses) == 2 \
            and s.scalar(select(Revision.id)) is None


def test_merge_is_refused_for_editors(app, pair, as_role):
    reviewer_page = merge_page(as_role("reviewer"), pair["keep"], pair["other"])
    editor = as_role("editor")
    assert merge_page(editor, pair["keep"], pair["other"]).status_code == 403
    response = editor.post("/admin/quality/merge", data={
        "csrf_token": csrf_token(editor, "/admin/quality"),
        "ids": f"{pair['keep']},{pair['other']}",
        "versions": hidden(reviewer_page.get_data(as_text=True), "versions"),
        "keep": pair["keep"]})
    assert response.status_code == 403
    assert unchanged(app, pair)


def test_merge_without_csrf_token_is_refused(app, pair, as_role):
    client = as_role("reviewer")
    body = merge_page(client, pair["keep"], pair["other"]).get_data(as_text=True)
    assert post_merge(client, body, pair["keep"], csrf_token="").status_code == 400
    assert unchanged(app, pair)


def test_merge_refuses_stale_pages_other_languages_and_no_choice(app, pair, as_role):
    client = as_role("reviewer")
    body = merge_page(client, pair["keep"], pair["other"]).get_data(as_text=True)
    with app.app_context(), get_db().transaction() as s:  # someone edits meanwhile
        s.scalar(select(Entry).where(Entry.public_id == pair["other"])).note = "checked"
    assert post_merge(client, body, pair["keep"]).status_code == 409
    assert post_merge(client, body, "").status_code == 400
    assert merge_page(client, pair["keep"], pair["cua"]).status_code == 302
    assert unchanged(app, pair)


# ---- hostile text ---------------------------------------------------------------------------
def test_hostile_text_is_escaped_on_the_quality_pages(app, as_role):
    with app.app_context(), get_db().transaction() as s:
        for payload in XSS:
            add(s, "hre", payload, [payload])
            add(s, "hre", payload, [payload])  # a duplicate pair
            add(s, "hre", payload + "x", [""])  # no gloss
            s.add(ZeroResultQuery(query=payload, lang="all", count=2))
        ids = list(s.scalars(select(Entry.public_id).order_by(Entry.id)))[:2]
    client = as_role("reviewer")
    pages = [client.get(p).get_data(as_text=True) for p in (
        "/admin/quality/alphabet", "/admin/quality/duplicates", "/admin/quality/no-gloss",
        "/admin/quality/zero-results")]
    pages.append(merge_page(client, *ids).get_data(as_text=True))
    for body in pages:
        for payload in XSS:
            assert payload not in body
        assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0]
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in pages[3]
