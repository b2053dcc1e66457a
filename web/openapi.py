"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json.

tests/test_web_openapi.py walks it: every documented route exists and
answers with a documented status."""

from __future__ import annotations

from typing import Any


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


ORGNR = {"name": "orgnr", "in": "path", "required": True, "schema": {"type": "string"}, "description": "NNNNNN-NNNN (or without the hyphen)"}
IMPORT_ID = {"name": "import_id", "in": "path", "required": True, "schema": {"type": "integer"}}
SOURCE = {"name": "source", "in": "path", "required": True, "schema": {"type": "string"}, "description": "a source plugin's name"}

UNAUTHORIZED = _error("Not signed in: no session and no valid bearer token (code unauthorized)")
FORBIDDEN = _error("The company is reachable but the user lacks the right (code forbidden)")
NOT_FOUND = _error("No such company or import, or the user cannot reach it (code not_found)")
BAD_REQUEST = _error("Invalid request (code bad_request); a cookie session without X-CSRFToken on an unsafe method")


def spec(max_upload_mb: int = 512) -> dict[str, Any]:
    nullable_str = {"type": ["string", "null"]}
    nullable_int = {"type": ["integer", "null"]}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ekonomi API",
            "version": "1",
            "description": "Imports, the import log and the data source of client companies. "
            "Errors are {\"code\", \"message\"}; lists are {\"items\": [...]}, newest first.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/api/v1/companies/{orgnr}/imports": {
                "parameters": [ORGNR],
                "post": {
                    "summary": "Upload a file and import it in the background",
                    "description": "Needs the right to import SIE4 files. A second import while one runs is "
                    "accepted and waits its turn. Poll the returned url until the status is final.",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["file"],
                                    "properties": {
                                        "file": {"type": "string", "format": "binary"},
                                        "source": {"type": "string", "description": "a file source; default: the one that recognises the file"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "202": _ok("Queued; Location names the import", "ImportAccepted"),
                        "400": _error("No file, an unknown source, or a file no source recognises (code not_sie; the refusal is logged)"),
                        "401": UNAUTHORIZED,
                        "403": FORBIDDEN,
                        "404": NOT_FOUND,
                        "409": _error("The company's active source is an integration (code source_not_active), or two sources claim the file (conflict)"),
                        "413": _error(f"The file is larger than the limit ({max_upload_mb} MB; code file_too_large)"),
                    },
                },
                "get": {
                    "summary": "The import log of a company, newest first",
                    "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}],
                    "responses": {
                        "200": _ok("The log", "ImportList"),
                        "400": BAD_REQUEST,
                        "401": UNAUTHORIZED,
                        "403": FORBIDDEN,
                        "404": NOT_FOUND,
                    },
                },
            },
            "/api/v1/imports/{import_id}": {
                "parameters": [IMPORT_ID],
                "get": {
                    "summary": "One import: status, live progress, counts, issues",
                    "responses": {
                        "200": _ok("The result object", "ImportResult"),
                        "401": UNAUTHORIZED,
                        "403": FORBIDDEN,
                        "404": NOT_FOUND,
                    },
                },
            },
            "/api/v1/companies/{orgnr}/data-source": {
                "parameters": [ORGNR],
                "get": {
                    "summary": "The active data source and the choices",
                    "responses": {"200": _ok("The data source", "DataSource"), "401": UNAUTHORIZED, "404": NOT_FOUND},
                },
                "put": {
                    "summary": "Choose the data source: an integration, or \"other\" (files and pushes)",
                    "description": "Needs the settings right. Each switch is logged as a company event.",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DataSourceChange"}}}},
                    "responses": {
                        "200": _ok("The data source after the change", "DataSource"),
                        "400": _error("Not JSON, an unknown source, or a source that is not an integration"),
                        "401": UNAUTHORIZED,
                        "403": _error("No settings right, or the integration is not enabled for the company"),
                        "404": NOT_FOUND,
                    },
                },
            },
            "/api/v1/companies/{orgnr}/sources/{source}/config": {
                "parameters": [ORGNR, SOURCE],
                "get": {
                    "summary": "A source's configuration for the company; secret fields only as {\"set\": true|false}",
                    "description": "Bureau admins only (the same right as enabling a source).",
                    "responses": {
                        "200": _ok("The configuration", "SourceConfig"),
                        "400": _error("The source takes no configuration (code bad_request)"),
                        "401": UNAUTHORIZED,
                        "403": _error("Not a bureau admin, or no settings right (code forbidden)"),
                        "404": _error("Unknown company or source, or the user cannot reach the company"),
                    },
                },
                "put": {
                    "summary": "Set fields of a source's configuration for the company",
                    "description": "Bureau admins only. A JSON object of field names and values; fields left out keep "
                    "their value, \"\" or null clears a field and keeps a secret. Secret fields are stored encrypted.",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SourceConfigChange"}}}},
                    "responses": {
                        "200": _ok("The configuration after the change", "SourceConfig"),
                        "400": _error("Not a JSON object, or a field that does not validate (code bad_request; "
                                      "the message and `fields` name each field)"),
                        "401": UNAUTHORIZED,
                        "403": _error("Not a bureau admin, or no settings right (code forbidden)"),
                        "404": _error("Unknown company or source, or the user cannot reach the company"),
                    },
                },
            },
            "/api/v1/companies/{orgnr}/fiscal-years/latest": {
                "parameters": [ORGNR],
                "delete": {
                    "summary": "Ta bort data för det senaste räkenskapsåret",
                    "description": "Deletes the vouchers and balances of the latest fiscal year and the year itself. Needs the settings right.",
                    "responses": {
                        "200": _ok("What was deleted", "DeletedYear"),
                        "400": BAD_REQUEST,
                        "401": UNAUTHORIZED,
                        "403": FORBIDDEN,
                        "404": _error("Unknown company, or it has no fiscal years"),
                    },
                },
            },
            "/api/v1/companies/{orgnr}/refresh": {
                "parameters": [ORGNR],
                "post": {
                    "summary": "Uppdatera: sync from the company's active integration",
                    "responses": {
                        "202": _ok("The sync is queued", "ImportAccepted"),
                        "400": BAD_REQUEST,
                        "401": UNAUTHORIZED,
                        "404": NOT_FOUND,
                        "409": _error("The company uses \"other\" (source_not_active), or its integration is not installed (conflict)"),
                    },
                },
            },
            "/api/v1/openapi.json": {
                "get": {"summary": "This description", "security": [], "responses": {"200": {"description": "OpenAPI 3.1"}}},
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "A personal token from `ekonomi tokens create EMAIL`"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session", "description": "The pages' session; unsafe methods need X-CSRFToken"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string", "enum": ["bad_request", "unauthorized", "forbidden", "not_found", "source_not_active", "file_too_large", "not_sie", "conflict", "internal_error"]},
                        "message": {"type": "string"},
                        "import_id": {"type": "integer", "description": "the failed ImportRun that logs a refusal"},
                        "fields": {
                            "type": "object",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                            "description": "a configuration that does not validate: the messages per field",
                        },
                    },
                },
                "ImportAccepted": {
                    "type": "object",
                    "required": ["import_id", "url"],
                    "properties": {"import_id": {"type": "integer"}, "url": {"type": "string"}},
                },
                "ImportResult": {
                    "type": "object",
                    "required": ["import_id", "status", "source", "company", "fiscal_years", "counts", "progress", "issues"],
                    "properties": {
                        "import_id": {"type": "integer"},
                        "status": {"type": "string", "enum": ["queued", "running", "succeeded", "failed"]},
                        "source": {"type": "string"},
                        "company": {"type": "string"},
                        "plugin": nullable_str,
                        "plugin_version": nullable_str,
                        "started_by": nullable_str,
                        "file": nullable_str,
                        "sha256": nullable_str,
                        "queued_at": nullable_str,
                        "started_at": nullable_str,
                        "finished_at": nullable_str,
                        "duration_s": {"type": ["number", "null"]},
                        "fiscal_years": {"type": "array", "items": {"$ref": "#/components/schemas/FiscalYear"}},
                        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                        "progress": {
                            "type": "object",
                            "properties": {"phase": nullable_str, "done": nullable_int, "total": nullable_int},
                        },
                        "error": nullable_str,
                        "issues": {"type": "array", "items": {"$ref": "#/components/schemas/Issue"}},
                    },
                },
                "ImportList": {
                    "type": "object",
                    "required": ["items"],
                    "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/ImportResult"}}},
                },
                "FiscalYear": {
                    "type": "object",
                    "required": ["start", "end"],
                    "properties": {"start": {"type": "string", "format": "date"}, "end": {"type": "string", "format": "date"}},
                },
                "Issue": {
                    "type": "object",
                    "required": ["severity", "code", "message"],
                    "properties": {
                        "severity": {"type": "string", "enum": ["error", "warning", "info"]},
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "file": nullable_str,
                        "line": nullable_int,
                        "column": nullable_int,
                    },
                },
                "DataSource": {
                    "type": "object",
                    "required": ["source", "title", "accepts_files", "options"],
                    "properties": {
                        "source": {"type": "string", "description": "\"other\" or an integration's name"},
                        "title": {"type": "string"},
                        "accepts_files": {"type": "boolean"},
                        "options": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["name", "title", "kind", "enabled"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "title": {"type": "string"},
                                    "kind": {"type": "string"},
                                    "enabled": {"type": "boolean"},
                                },
                            },
                        },
                    },
                },
                "DataSourceChange": {
                    "type": "object",
                    "required": ["source"],
                    "properties": {"source": {"type": "string", "examples": ["other", "eekonomi"]}},
                    "additionalProperties": False,
                },
                "SourceConfig": {
                    "type": "object",
                    "required": ["source", "title", "values", "secrets", "fields"],
                    "properties": {
                        "source": {"type": "string"},
                        "title": {"type": "string"},
                        "values": {"type": "object", "description": "the fields that are not secret"},
                        "secrets": {
                            "type": "object",
                            "description": "each secret field: whether it is set (its value is never shown)",
                            "additionalProperties": {"type": "object", "required": ["set"], "properties": {"set": {"type": "boolean"}}},
                        },
                        "fields": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["name", "label", "type", "required", "secret"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "label": {"type": "string"},
                                    "type": {"type": "string", "enum": ["string", "integer", "number", "boolean"]},
                                    "required": {"type": "boolean"},
                                    "secret": {"type": "boolean"},
                                    "description": nullable_str,
                                },
                            },
                        },
                    },
                },
                "SourceConfigChange": {
                    "type": "object",
                    "description": "field name → value; \"\" or null clears a field, and keeps a secret",
                    "additionalProperties": True,
                    "examples": [{"company_key": "abc-123", "api_token": "…"}],
                },
                "DeletedYear": {
                    "type": "object",
                    "required": ["fiscal_year", "deleted"],
                    "properties": {
                        "fiscal_year": {"$ref": "#/components/schemas/FiscalYear"},
                        "deleted": {"type": "object", "additionalProperties": {"type": "integer"}},
                    },
                },
            },
        },
    }
