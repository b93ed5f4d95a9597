"""The FastAPI service: ``create_app()`` loads the checkpoint once (lifespan) and serves it.

    POST /v1/classify   JSON {"text": ...} or a text/plain body → every paragraph labelled
    GET  /health        model directory, base model, labels, version
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from models import __version__
from models.labels import BIO_TAGS, KINDS, LABELS, STANCES
from models.predictor import DocumentPrediction, Predictor
from models.text import split_paragraphs

from .schemas import ClassifyRequest, ClassifyResponse, ErrorResponse, HealthResponse
from .settings import Settings

logger = logging.getLogger(__name__)

TRAIN_HINT = "train one with `make train` (or set MODEL_DIR to a checkpoint directory)"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}})


def _response(prediction: DocumentPrediction, predictor: Predictor, model_dir: str) -> dict:
    paragraphs = []
    for p in prediction.paragraphs:
        item = {
            "index": p.index, "start": p.start, "end": p.end, "text": p.text,
            "label": p.label, "label_probability": p.label_probability,
            "kind": p.kind, "kind_probability": p.kind_probability,
            "stance": None, "actors": [], "stances": [],
        }
        if p.is_body:
            item["stance"] = {"label": p.stance, "probability": p.stance_probability}
            item["actors"] = [asdict(a) for a in p.actors]
            item["stances"] = p.stances
        paragraphs.append(item)
    base = predictor.base_model
    return {
        "model": {"base_model": base.get("name"), "base_kind": base.get("kind"), "model_dir": model_dir},
        "paragraphs": paragraphs,
        "document": {"body_text": prediction.body_text, "actors": prediction.actors, "stance": prediction.stance_summary},
    }


async def _read_text(request: Request, settings: Settings) -> str:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_request_bytes:
        raise ApiError(413, "request_too_large", f"request body is {declared} bytes; the limit is {settings.max_request_bytes} (MAX_REQUEST_BYTES)")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > settings.max_request_bytes:
            raise ApiError(413, "request_too_large", f"request body exceeds the limit of {settings.max_request_bytes} bytes (MAX_REQUEST_BYTES)")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in ("application/json", "text/plain"):
        raise ApiError(415, "unsupported_media_type", f"content type {media_type or '(none)'!r} is not supported; send application/json {{\"text\": ...}} or text/plain")
    try:
        decoded = bytes(body).decode("utf-8")
    except UnicodeDecodeError as err:
        raise ApiError(400, "invalid_utf8", f"the body is not valid UTF-8 (byte {err.start})") from err
    if media_type == "text/plain":
        text = decoded
    else:
        try:
            payload = json.loads(decoded)
        except json.JSONDecodeError as err:
            raise ApiError(400, "malformed_json", f"malformed JSON: {err.msg} at line {err.lineno} column {err.colno}") from err
        try:
            text = ClassifyRequest.model_validate(payload).text
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(x) for x in first["loc"]) or "body"
            raise ApiError(422, "invalid_request", f"{where}: {first['msg']}") from err
    if not text.strip():
        raise ApiError(422, "empty_text", "text is empty or only whitespace; send the page's text")
    n_paragraphs = len(split_paragraphs(text))
    if n_paragraphs > settings.max_paragraphs:
        raise ApiError(422, "too_many_paragraphs", f"text has {n_paragraphs} paragraphs; the limit is {settings.max_paragraphs} (MAX_PARAGRAPHS)")
    return text


def create_app(settings: Settings | None = None, predictor: Predictor | None = None) -> FastAPI:
    """Build the app. A ready ``predictor`` may be passed (tests); else it is loaded from ``settings.model_dir``."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.predictor = predictor
        app.state.load_error = None
        if app.state.predictor is None:
            try:
                app.state.predictor = Predictor.from_pretrained(settings.model_dir, device=settings.device, max_batch_tokens=settings.max_batch_tokens)
                base = app.state.predictor.base_model
                logger.info("Serving %s (base model %s, %s)", settings.model_dir, base.get("name"), base.get("kind"))
                if base.get("kind") == "embedded":
                    logger.warning("This checkpoint was trained on the EMBEDDED small Arabic BERT, not CAMeLBERT.")
            except (FileNotFoundError, OSError, ValueError) as err:
                app.state.load_error = f"no model loaded from {settings.model_dir}: {err}"
                logger.error("%s; %s", app.state.load_error, TRAIN_HINT)
        app.state.limiter = anyio.CapacityLimiter(settings.inference_threads)
        yield

    app = FastAPI(
        title="Arabic news page classifier",
        version=__version__,
        description="Labels every paragraph of a scraped Arabic news page (body or boilerplate, with a finer kind), tags actors with registry ids, and tags stance.",
        lifespan=lifespan,
    )
    app.state.settings = settings

    @app.exception_handler(ApiError)
    async def api_error(_: Request, err: ApiError) -> JSONResponse:
        return _error(err.status, err.code, err.message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0] if err.errors() else {"loc": (), "msg": "invalid request"}
        return _error(422, "invalid_request", f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, err: StarletteHTTPException) -> JSONResponse:
        return _error(err.status_code, "http_error", str(err.detail))

    @app.get("/health", response_model=HealthResponse)
    async def health(request: Request) -> dict:
        loaded: Predictor | None = request.app.state.predictor
        return {
            "status": "ok" if loaded else "no_model",
            "model_dir": settings.model_dir,
            "base_model": loaded.base_model if loaded else None,
            "labels": {"label": list(LABELS), "kind": list(KINDS), "stance": list(STANCES), "bio": list(BIO_TAGS)} if loaded else None,
            "version": __version__,
            "detail": None if loaded else f"{request.app.state.load_error}; {TRAIN_HINT}",
        }

    @app.post(
        "/v1/classify",
        response_model=ClassifyResponse,
        responses={400: {"model": ErrorResponse}, 413: {"model": ErrorResponse}, 415: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": ClassifyRequest.model_json_schema()},
                    "text/plain": {"schema": {"type": "string"}},
                },
            }
        },
    )
    async def classify(request: Request) -> dict:
        loaded: Predictor | None = request.app.state.predictor
        if loaded is None:
            raise ApiError(503, "no_model", f"{request.app.state.load_error}; {TRAIN_HINT}")
        text = await _read_text(request, settings)
        prediction = await anyio.to_thread.run_sync(loaded.predict_text, text, limiter=request.app.state.limiter)
        return _response(prediction, loaded, settings.model_dir)

    return app


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory serving.app:app_factory``."""
    return create_app()
