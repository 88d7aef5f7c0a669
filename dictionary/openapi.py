"""The OpenAPI 3.1 description of the JSON API (served at /api/v1/openapi.json)."""
from __future__ import annotations

from search_index.query import TIERS


def _error() -> dict:
    return {"description": "Error", "content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/Error"}}}}


def _ok(schema_ref: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {
        "$ref": f"#/components/schemas/{schema_ref}"}}}}


def spec(server: str) -> dict:
    text = {"type": "string"}
    nullable_text = {"type": ["string", "null"]}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Từ điển Việt–Hrê · Việt–Co API",
            "version": "1",
            "description": "Two-way lookup between Vietnamese and Hrê (hre) / Co (cua). "
                           "Starter headwords are phonetic transcriptions (CC-BY sources).",
        },
        "servers": [{"url": server}],
        "paths": {
            "/api/v1/search": {"get": {
                "summary": "Look a word up in both directions (headwords and Vietnamese glosses)",
                "parameters": [
                    {"name": "q", "in": "query", "required": True,
                     "schema": {"type": "string", "minLength": 1, "maxLength": 2000},
                     "description": "Any text: with or without tone marks, Telex or VNI typing. "
                                    "Operators are treated as text."},
                    {"name": "lang", "in": "query",
                     "schema": {"type": "string", "default": "all"},
                     "description": "all, or a language code from /api/v1/languages"},
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
                ],
                "responses": {"200": _ok("SearchResult", "Ranked hits"), "400": _error(),
                              "429": {**_error(), "description": "Too many searches from this "
                                      "client: wait the seconds of the Retry-After header"},
                              "503": _error()},
            }},
            "/api/v1/entries/{id}": {"get": {
                "summary": "One published entry with senses, examples, variants, source, licence",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string", "example": "hre-000001"}}],
                "responses": {"200": _ok("Entry", "The entry"), "404": _error()},
            }},
            "/api/v1/languages": {"get": {
                "summary": "Languages of the dictionary with entry counts",
                "responses": {"200": {"description": "Languages", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "languages": {"type": "array", "items": {
                            "$ref": "#/components/schemas/Language"}}}}}}}},
            }},
            "/healthz": {"get": {
                "summary": "Entry count and whether the search index is fresh",
                "responses": {"200": _ok("Health", "Index present"),
                              "503": _ok("Health", "Index missing")},
            }},
            "/api/v1/openapi.json": {"get": {
                "summary": "This description",
                "responses": {"200": {"description": "OpenAPI document"}},
            }},
        },
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["status", "message"], "properties": {
                    "status": {"type": "integer"}, "message": text, "parameter": text}}}},
            "Sense": {"type": "object", "properties": {"vi": text, "en": nullable_text}},
            "Hit": {"type": "object",
                    "required": ["id", "lang", "headword", "senses", "match", "url"],
                    "properties": {
                        "id": text, "lang": text, "headword": text,
                        "homograph": {"type": ["integer", "null"]},
                        "form_kind": {"enum": ["phonetic", "orthographic"]},
                        "senses": {"type": "array", "items": {"$ref": "#/components/schemas/Sense"}},
                        "match": {"type": "object", "properties": {
                            "tier": {"enum": list(TIERS)},
                            "side": {"enum": ["headword", "vi"]},
                            "typed_as": nullable_text}},
                        "url": text}},
            "SearchResult": {"type": "object",
                             "required": ["query", "lang", "total", "results", "suggestions"],
                             "properties": {
                                 "query": text, "lang": text,
                                 "total": {"type": "integer",
                                           "description": "number of results returned"},
                                 "more": {"type": "boolean",
                                          "description": "more hits exist beyond limit"},
                                 "results": {"type": "array",
                                             "items": {"$ref": "#/components/schemas/Hit"}},
                                 "suggestions": {"type": "array", "items": text}}},
            "Note": {"type": "object", "required": ["type", "lang", "text"], "properties": {
                "type": {"type": "string", "description": (
                    "as the source names it: FieldWorks' anthropology, bibliography, "
                    "discourse, encyclopedic, grammar, phonology, questions, restrictions, "
                    "scientific-name, semantics, sociolinguistics, source, usage …, or a "
                    "project's own type")},
                "lang": text, "text": text}},
            "Relation": {"type": "object", "required": ["type", "ref", "entry"], "properties": {
                "type": {"type": "string", "description": (
                    "synonym, antonym, compare, _component-lexeme (the entry's components) "
                    "…, as the source names it")},
                "ref": {"type": "string", "description": (
                    "the target as the source wrote it: a FieldWorks id or a public id")},
                "target": {"type": ["string", "null"], "description": (
                    "the target's row in the source (source key), when the import found it")},
                "entry": {"type": ["string", "null"], "description": (
                    "public id of the published entry the link leads to, or null")}}},
            "Example": {"type": "object", "properties": {
                "text": text, "vi": text,
                "translations": {"type": "array", "description": "other languages than "
                                 "Vietnamese", "items": {"type": "object", "properties": {
                                     "lang": text, "text": text}}}}},
            "EntrySense": {"type": "object", "properties": {
                "number": {"type": "string", "description": "1, 1.1, 1.2, 2 … by level"},
                "level": {"type": "integer", "description": (
                    "0 a sense; 1 a subsense of the sense before it with a lower level …")},
                "vi": text, "en": nullable_text, "definition": nullable_text,
                "semantic_field": nullable_text, "concept_id": nullable_text,
                "concept": nullable_text, "gloss_note": nullable_text,
                "dialects": nullable_text,
                "notes": {"type": "array", "items": {"$ref": "#/components/schemas/Note"}},
                "relations": {"type": "array",
                              "items": {"$ref": "#/components/schemas/Relation"}},
                "pictures": {"type": "array", "description": "file name and caption (the "
                             "image files are not kept)", "items": {
                                 "type": "object", "properties": {"href": text,
                                                                  "caption": text}}},
                "examples": {"type": "array",
                             "items": {"$ref": "#/components/schemas/Example"}}}},
            "Entry": {"type": "object", "required": ["id", "lang", "headword", "senses", "license"],
                      "properties": {"id": text, "lang": text, "headword": text,
                                     "lexeme_form": {"type": ["string", "null"], "description": (
                                         "FieldWorks' lexeme form when the headword is the "
                                         "citation form")},
                                     "dialects": nullable_text,
                                     "notes": {"type": "array", "description": (
                                         "notes by type, Vietnamese first in each type"),
                                         "items": {"$ref": "#/components/schemas/Note"}},
                                     "relations": {"type": "array", "items": {
                                         "$ref": "#/components/schemas/Relation"}},
                                     "senses": {"type": "array", "items": {
                                         "$ref": "#/components/schemas/EntrySense"}},
                                     "variants": {"type": "array"},
                                     "source": {"type": ["object", "null"]}, "license": text,
                                     "same_concept": {"type": "array"},
                                     "other_fields": {"type": "array", "description": (
                                         "what the entry's FieldWorks (LIFT) file holds "
                                         "beyond the model: sense (null: the entry), kind, "
                                         "label, value, entry (a related entry's id)")}}},
            "Language": {"type": "object", "properties": {
                "code": text, "name_vi": text, "name_en": text, "glottocode": nullable_text,
                "entries": {"type": "integer"}}},
            "Health": {"type": "object", "properties": {
                "status": text, "entries": {"type": "integer"}, "index": {"type": "object"}}},
        }},
    }
