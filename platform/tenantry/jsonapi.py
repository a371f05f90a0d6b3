"""JSON API operations: one decorator states a view's contract, checks it, and documents it.

    @api.post("/notes")
    @api_operation(summary="Write a note", body=NoteIn, response=NoteOut, status=201)
    def create_note(body: NoteIn):
        ...
        return NoteOut.of(note), 201

The decorator parses and validates the JSON body and the query string with the
given pydantic models (a bad one answers 422 with one message per field), turns a
``ValidationFailed`` from a service into the same 422, and serialises a returned
model. ``tenantry.openapi`` reads the same declaration to describe the operation,
so the document cannot drift from what the code accepts and returns.

Every error of the JSON API has one shape (``error_body``):
``{"error": "Not Found", "message": "...", "status": 404}``, plus ``errors``
(field -> message) on 422.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Response, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import UnprocessableEntity

from tenantry.db import db
from tenantry.errors import ValidationFailed

#: Where a refusal of the body as a whole is filed in ``errors``.
BODY = "(body)"


class Invalid(UnprocessableEntity):
    """422 with one message per field; rendered in the JSON API's error shape."""

    def __init__(self, errors: Mapping[str, str], message: str = "The request is invalid."):
        super().__init__(description=message)
        self.errors = dict(errors)


def error_body(name: str, message: str, status: int, errors: Mapping[str, str] | None = None):
    """The one shape of every JSON error."""
    body: dict[str, Any] = {"error": str(name), "message": str(message), "status": status}
    if errors is not None:
        body["errors"] = dict(errors)
    return body


def field_errors(error: ValidationError, prefix: str = "") -> dict[str, str]:
    """pydantic's errors as ``{"field.path": "message"}``."""
    found: dict[str, str] = {}
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or BODY
        found.setdefault(prefix + where, item["msg"])
    return found


@dataclass(frozen=True)
class ApiOperation:
    """What one view of a JSON API accepts and returns; read by ``tenantry.openapi``."""

    summary: str
    description: str = ""
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    #: Error statuses the operation may answer besides the ones every operation may
    #: (400, 401, 422 when it takes input, 404 when its path has parameters).
    errors: Sequence[int] = ()
    #: Response headers by name -> description, e.g. ``{"Location": "The new note's URL"}``.
    headers: Mapping[str, str] = field(default_factory=dict)


def api_operation(
    summary: str,
    *,
    description: str = "",
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    errors: Sequence[int] = (),
    headers: Mapping[str, str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare, check and document a JSON API view (see the module's docstring).

    The view receives the validated models as keyword arguments ``body`` and
    ``query``; it returns a model, ``(model, status)``, ``(model, status, headers)``
    or any Flask response. A ``ValidationFailed`` it raises answers 422 with its
    field messages, after the session is rolled back.
    """
    spec = ApiOperation(
        summary, description, body, query, response, status, tuple(errors), dict(headers or {})
    )

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if spec.query is not None:
                kwargs["query"] = _validated(spec.query, request.args.to_dict(), "query.")
            if spec.body is not None:
                data = request.get_json(silent=True)
                if not isinstance(data, dict):
                    raise Invalid({BODY: "send a JSON object"}, "The body must be a JSON object.")
                kwargs["body"] = _validated(spec.body, data, "")
            try:
                result = view(*args, **kwargs)
            except ValidationFailed as refused:
                db.session.rollback()
                raise Invalid(refused.errors) from None
            return _serialised(result)

        wrapper.api_operation = spec  # type: ignore[attr-defined]
        return wrapper

    return decorate


def operation_of(view: Callable[..., Any]) -> ApiOperation | None:
    return getattr(view, "api_operation", None)


def _validated(model: type[BaseModel], data: dict[str, Any], prefix: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise Invalid(field_errors(error, prefix)) from None


def _serialised(result: Any) -> Any:
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    if isinstance(result, tuple) and result and isinstance(result[0], BaseModel):
        return (result[0].model_dump(mode="json"), *result[1:])
    if result is None:
        return Response(status=204)
    return result
