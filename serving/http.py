"""The service's HTTP edge: reading a request body within the limits, parsing it, and the JSON error and response shapes.

Everything here is about bytes and limits, not the model: the byte limit and the
body-read timeout (408), UTF-8 and JSON checks (400), request validation and the text
limits (422), a client that went away (499), and building the response off the event loop.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import anyio
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect

from models.text import lone_surrogate, split_paragraphs

from .observability import request_id_var
from .settings import Settings

CLIENT_CLOSED_REQUEST = 499  # nginx's status for a client that went away before the answer: not a server error


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class BodyTimeout(ApiError):
    """The body did not complete in time; the answer closes the connection, whose unread rest is garbage."""

    def __init__(self, message: str) -> None:
        super().__init__(408, "body_timeout", message)


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        status_code=status, content={"error": {"code": code, "message": message}, "request_id": request_id_var.get()}, headers=headers
    )


async def client_closed(_: Request, __: ClientDisconnect) -> JSONResponse:
    """A client that disconnects mid-body (or promised more body than it sent, then left) is counted under 499.

    Nobody reads this answer; it exists so that the access log and the request counter
    record the request as the client's doing, in one INFO line, with no traceback and
    no status 500 that would page someone for a server that did nothing wrong.
    """
    return error_response(
        CLIENT_CLOSED_REQUEST, "client_closed_request", "the client closed the connection before the request body was complete"
    )


def check_text(text: str, settings: Settings) -> str:
    """The limits on one document's text; raises :class:`ApiError` naming the limit.

    A lone UTF-16 surrogate (valid in JSON as ``"\\ud800"``, but not a character) is
    refused with its offset rather than replaced: a silent replacement would shift
    nothing but still change the text the caller's offsets point into.
    """
    if (offset := lone_surrogate(text)) is not None:
        raise ApiError(
            422, "invalid_text", f"text has a lone UTF-16 surrogate (U+{ord(text[offset]):04X}) at offset {offset}; send valid Unicode"
        )
    if not text.strip():
        raise ApiError(422, "empty_text", "text is empty or only whitespace; send the page's text")
    n_paragraphs = len(split_paragraphs(text))
    if n_paragraphs > settings.max_paragraphs:
        raise ApiError(
            422, "too_many_paragraphs", f"text has {n_paragraphs} paragraphs; the limit is {settings.max_paragraphs} (MAX_PARAGRAPHS)"
        )
    return text


async def read_body(request: Request, settings: Settings) -> tuple[str, str]:
    """The request body as text and its media type, within the byte limit and read timeout, UTF-8, JSON or plain text.

    The timeout covers the whole body, so a client that stalls mid-body (or declares a
    Content-Length it never sends) gets a 408 and its connection closed instead of holding
    the request open for ever. A client that disconnects raises ClientDisconnect (→ 499).
    """
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_request_bytes:
        raise ApiError(
            413, "request_too_large", f"request body is {declared} bytes; the limit is {settings.max_request_bytes} (MAX_REQUEST_BYTES)"
        )
    body = bytearray()
    try:
        with anyio.fail_after(settings.body_read_timeout_s):
            async for chunk in request.stream():
                body.extend(chunk)
                if len(body) > settings.max_request_bytes:
                    raise ApiError(
                        413,
                        "request_too_large",
                        f"request body exceeds the limit of {settings.max_request_bytes} bytes (MAX_REQUEST_BYTES)",
                    )
    except TimeoutError as err:
        raise BodyTimeout(
            f"the request body did not arrive within {settings.body_read_timeout_s:g} s (BODY_READ_TIMEOUT_S); "
            f"{len(body)} bytes came of {declared or 'an unknown number'}"
        ) from err
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        return bytes(body).decode("utf-8"), media_type
    except UnicodeDecodeError as err:
        raise ApiError(400, "invalid_utf8", f"the body is not valid UTF-8 (byte {err.start})") from err


def parse_json(decoded: str, model):
    try:
        payload = json.loads(decoded)
    except json.JSONDecodeError as err:
        raise ApiError(400, "malformed_json", f"malformed JSON: {err.msg} at line {err.lineno} column {err.colno}") from err
    except RecursionError as err:
        raise ApiError(400, "malformed_json", "malformed JSON: nested too deeply") from err
    try:
        return model.model_validate(payload)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "body"
        raise ApiError(422, "invalid_request", f"{where}: {first['msg']}") from err


async def render(model: type[BaseModel], build: Callable[[], dict]) -> Response:
    """Build, validate and serialise a response in a worker thread, not on the event loop.

    For a 2,000-paragraph page this is a few hundred milliseconds of Python; done on the
    event loop (as FastAPI does with ``response_model`` for async routes) it would stall
    every other request, however small, for that long.
    """

    def work() -> bytes:
        return model.model_validate(build()).model_dump_json().encode("utf-8")

    return Response(await anyio.to_thread.run_sync(work), media_type="application/json")
