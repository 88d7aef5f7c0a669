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
            "Entry": {"type": "object", "required": ["id", "lang", "headword", "senses", "license"],
                      "properties": {"id": text, "lang": text, "headword": text,
                                     "senses": {"type": "array"}, "variants": {"type": "array"},
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
