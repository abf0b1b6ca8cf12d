"""The OpenAPI 3 document of the server, generated from the stored queries' headers.

Each stored query is one GET operation with its typed parameters; the SPARQL endpoint and the
catalogue are described beside them. Nothing here is written by hand per query.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from scholarkg import __version__
from scholarkg.queries import ParamType, QueryParam, StoredQuery
from scholarkg.store import QueryKind

#: JSON Schema of each parameter type (values arrive as query-string text).
_SCHEMAS: dict[ParamType, dict[str, Any]] = {
    ParamType.IRI: {"type": "string", "format": "iri"},
    ParamType.STRING: {"type": "string"},
    ParamType.INTEGER: {"type": "integer"},
    ParamType.DATE: {"type": "string", "format": "date"},
    ParamType.YEAR: {"type": "integer", "minimum": 1, "maximum": 9999},
    ParamType.BOOLEAN: {"type": "boolean"},
    ParamType.ENUM: {"type": "string"},
    ParamType.PERSON: {"type": "string", "description": "an IRI or a name"},
    ParamType.CONCEPT: {"type": "string", "description": "an IRI or a label"},
}
_TABLE_TYPES = (
    "application/json",
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "text/plain",
)
_GRAPH_TYPES = (
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
)
_ERROR = {"$ref": "#/components/responses/Error"}


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def _param_schema(param: QueryParam) -> dict[str, Any]:
    schema = dict(_SCHEMAS[param.type])
    if param.type is ParamType.ENUM:
        schema["enum"] = list(param.values)
    if param.default is not None:
        schema["default"] = _plain(param.default)
    return schema


def describe_query(query: StoredQuery) -> dict[str, Any]:
    """A stored query as the catalogue lists it."""
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "kind": "graph" if query.kind is QueryKind.GRAPH else query.kind.value.lower(),
        "tags": list(query.tags),
        "params": [
            {
                "name": name,
                "type": param.type.value,
                "description": param.description,
                "required": param.required,
                "default": _plain(param.default),
                "example": _plain(param.example),
                **({"values": list(param.values)} if param.values else {}),
            }
            for name, param in query.params.items()
        ],
    }


def _operation(query: StoredQuery) -> dict[str, Any]:
    types = _GRAPH_TYPES if query.kind is QueryKind.GRAPH else _TABLE_TYPES
    parameters = [
        {
            "name": name,
            "in": "query",
            "required": param.required,
            "description": param.description,
            "schema": _param_schema(param),
            **({"example": _plain(param.example)} if param.example is not None else {}),
        }
        for name, param in query.params.items()
    ]
    return {
        "get": {
            "operationId": query.name,
            "summary": query.title,
            "description": query.description,
            "tags": ["stored queries", *query.tags],
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": "The answer, in the format the Accept header asks for.",
                    "content": {t: {"schema": {}} for t in types},
                },
                "400": _ERROR,
                "406": _ERROR,
                "503": _ERROR,
            },
        }
    }


def document(catalogue: dict[str, StoredQuery], server: str) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    paths: dict[str, Any] = {
        "/queries": {
            "get": {
                "operationId": "list_queries",
                "summary": "The stored-query catalogue",
                "tags": ["stored queries"],
                "responses": {
                    "200": {
                        "description": "Every stored query with its parameters.",
                        "content": {"application/json": {"schema": {"type": "array"}}},
                    }
                },
            }
        },
        "/sparql": {
            "get": {
                "operationId": "sparql_query",
                "summary": "SPARQL 1.1 Protocol query (without 'query': the service description)",
                "tags": ["sparql"],
                "parameters": [
                    {"name": "query", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "default-graph-uri",
                        "in": "query",
                        "schema": {"type": "array", "items": {"type": "string"}},
                        "style": "form",
                        "explode": True,
                    },
                    {
                        "name": "named-graph-uri",
                        "in": "query",
                        "schema": {"type": "array", "items": {"type": "string"}},
                        "style": "form",
                        "explode": True,
                    },
                ],
                "responses": {
                    "200": {
                        "description": "Results by content negotiation.",
                        "content": {t: {"schema": {}} for t in (*_TABLE_TYPES, *_GRAPH_TYPES)},
                    },
                    "400": _ERROR,
                    "403": _ERROR,
                    "406": _ERROR,
                    "503": _ERROR,
                },
            }
        },
    }
    for name, query in sorted(catalogue.items()):
        paths[f"/queries/{name}"] = _operation(query)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "scholarkg",
            "version": __version__,
            "description": "Stored questions over a scholarly knowledge graph, and its SPARQL "
            "endpoint. Parameters are bound as typed RDF terms, never spliced into query text.",
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message", "status"],
                    "properties": {
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "status": {"type": "integer"},
                    },
                }
            },
            "responses": {
                "Error": {
                    "description": "What went wrong, naming the parameter at fault.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
        },
    }
