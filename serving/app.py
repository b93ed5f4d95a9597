"""The FastAPI service: ``create_app()`` loads the checkpoint once (lifespan) and serves it.

POST /v1/classify          JSON {"text": ...} or a text/plain body → every paragraph labelled
POST /v1/classify/batch    {"documents": [{"id", "text"}, ...]} → results in order, errors in place
GET  /health               liveness: model directory, base model, labels, version
GET  /ready                readiness: model loaded and warmed up
GET  /metrics              Prometheus metrics
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import torch
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from models import __version__
from models.labels import LABELS
from models.predictor import DocumentPrediction, Predictor

from .batching import BatcherClosed, DynamicBatcher
from .http import ApiError, BodyTimeout, check_text, client_closed, error_response, parse_json, read_body, render
from .lifecycle import Admission, shut_down
from .memory import freeze_startup_objects, trim_heap
from .observability import RequestContextMiddleware, ServiceMetrics, configure_logging
from .responses import to_response
from .schemas import BatchRequest, BatchResponse, ClassifyRequest, ClassifyResponse, ErrorResponse, HealthResponse, ReadyResponse
from .settings import Settings

logger = logging.getLogger(__name__)

TRAIN_HINT = "train one with `make train` (or set MODEL_DIR to a checkpoint directory)"
WARMUP_TEXT = "عنوان تجريبي للتحمية\nحجم الخط\nوقال المتحدث إن الوفد وصل إلى القاهرة صباح اليوم."
ERRORS: dict[int | str, dict] = {code: {"model": ErrorResponse} for code in (400, 408, 413, 415, 422, 503)}


def create_app(settings: Settings | None = None, predictor: Predictor | None = None) -> FastAPI:
    """Build the app. A ready ``predictor`` may be passed (tests); else it is loaded from ``settings.model_dir``."""
    settings = settings or Settings()
    metrics = ServiceMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = app.state
        state.predictor, state.load_error, state.ready, state.batcher = predictor, None, False, None
        state.admission = Admission()
        if state.predictor is None:
            try:
                state.predictor = Predictor.from_pretrained(
                    settings.model_dir,
                    device=settings.device,
                    max_batch_tokens=settings.max_batch_tokens,
                    max_paragraph_chars=settings.max_paragraph_chars,
                    precision=settings.precision,
                    backend=settings.encoder_backend,
                    cpu_workers=settings.cpu_workers,
                )
            except (FileNotFoundError, OSError, ValueError) as err:
                state.load_error = f"no model loaded from {settings.model_dir}: {err}"
                logger.error("%s; %s", state.load_error, TRAIN_HINT)
        if state.predictor is not None:
            loaded: Predictor = state.predictor
            base = loaded.base_model
            logger.info("serving %s (base model %s, %s) with %s", settings.model_dir, base.get("name"), base.get("kind"), loaded.runtime)
            if base.get("kind") == "embedded":
                logger.warning("this checkpoint was trained on the EMBEDDED small Arabic BERT, not CAMeLBERT")

            def run_batch(texts: list[str]) -> list[DocumentPrediction]:
                predictions = loaded.predict_texts(texts)
                metrics.paragraphs.inc(sum(len(p.paragraphs) for p in predictions))
                metrics.documents.inc(len(predictions))
                return predictions

            def run_large(texts: list[str]) -> list[DocumentPrediction]:
                """A large request on half of torch's threads (a per-thread setting), the other half free for small ones."""
                threads = torch.get_num_threads()
                torch.set_num_threads(max(1, threads // 2))
                try:
                    return run_batch(texts)
                finally:
                    torch.set_num_threads(threads)

            def on_batch(requests: int, documents: int) -> None:
                metrics.batch_requests.observe(requests)
                metrics.batch_documents.observe(documents)

            state.batcher = DynamicBatcher(
                run_batch,
                max_batch_tokens=settings.max_batch_tokens,
                max_wait_ms=settings.batch_wait_ms,
                enabled=settings.dynamic_batching,
                on_batch=on_batch,
                large_request_tokens=settings.large_request_tokens or None,
                run_large=run_large,
                after_large=trim_heap,
            )
            state.batcher.start()
            await state.batcher.submit([WARMUP_TEXT])  # warm up: the first real request is not the slow one
            freeze_startup_objects()
            state.ready = True
        yield
        await shut_down(state, settings.shutdown_grace_s)
        if state.predictor is not None and predictor is None:  # we loaded it, so we stop its workers
            state.predictor.close()

    app = FastAPI(
        title="Arabic news page classifier",
        version=__version__,
        description="Labels every paragraph of a scraped Arabic news page (body or boilerplate, with a finer kind), tags actors with registry ids, and tags stance.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.add_middleware(RequestContextMiddleware, metrics=metrics)

    @app.exception_handler(ApiError)
    async def apierror_response(_: Request, err: ApiError) -> JSONResponse:
        return error_response(err.status, err.code, err.message, {"Connection": "close"} if isinstance(err, BodyTimeout) else None)

    app.add_exception_handler(ClientDisconnect, client_closed)  # type: ignore[arg-type]

    @app.exception_handler(RequestValidationError)
    async def validationerror_response(_: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0] if err.errors() else {"loc": (), "msg": "invalid request"}
        return error_response(422, "invalid_request", f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}")

    @app.exception_handler(StarletteHTTPException)
    async def httperror_response(_: Request, err: StarletteHTTPException) -> JSONResponse:
        return error_response(err.status_code, "http_error", str(err.detail))

    def _batcher(request: Request) -> tuple[Predictor, DynamicBatcher]:
        state = request.app.state
        if state.predictor is None or state.batcher is None:
            raise ApiError(503, "no_model", f"{state.load_error}; {TRAIN_HINT}")
        return state.predictor, state.batcher

    async def _predict(batcher: DynamicBatcher, texts: list[str]) -> list[DocumentPrediction]:
        metrics.queue_depth.set(batcher.queue_depth + 1)
        try:
            return await batcher.submit(texts)
        except BatcherClosed as err:
            raise ApiError(503, "shutting_down", str(err)) from err
        finally:
            metrics.queue_depth.set(batcher.queue_depth)

    @app.get("/health", response_model=HealthResponse)
    async def health(request: Request) -> dict:
        loaded: Predictor | None = request.app.state.predictor
        return {
            "status": "ok" if loaded else "no_model",
            "model_dir": settings.model_dir,
            "base_model": loaded.base_model if loaded else None,
            "runtime": loaded.runtime if loaded else None,
            "labels": checkpoint_labels(loaded) if loaded else None,
            "version": __version__,
            "detail": None if loaded else f"{request.app.state.load_error}; {TRAIN_HINT}",
        }

    @app.get("/ready", response_model=ReadyResponse, responses={503: {"model": ReadyResponse}})
    async def ready(request: Request) -> JSONResponse:
        if request.app.state.ready:
            return JSONResponse({"ready": True, "detail": None})
        if request.app.state.admission.closed:
            return JSONResponse({"ready": False, "detail": "shutting down"}, status_code=503)
        detail = request.app.state.load_error or "warming up"
        return JSONResponse(
            {"ready": False, "detail": f"{detail}; {TRAIN_HINT}" if request.app.state.load_error else detail}, status_code=503
        )

    @app.get("/metrics", response_class=PlainTextResponse)
    async def prometheus_metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.post(
        "/v1/classify",
        response_model=ClassifyResponse,
        responses=ERRORS,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ClassifyRequest"}},
                    "text/plain": {"schema": {"type": "string"}},
                },
            }
        },
    )
    async def classify(request: Request) -> Response:
        with request.app.state.admission.enter():
            return await _classify(request)

    async def _classify(request: Request) -> Response:
        loaded, batcher = _batcher(request)
        decoded, media_type = await read_body(request, settings)
        if media_type == "text/plain":
            text = decoded
        elif media_type == "application/json":
            text = parse_json(decoded, ClassifyRequest).text
        else:
            raise ApiError(
                415,
                "unsupported_media_type",
                f'content type {media_type or "(none)"!r} is not supported; send application/json {{"text": ...}} or text/plain',
            )
        (prediction,) = await _predict(batcher, [check_text(text, settings)])
        return await render(ClassifyResponse, lambda: to_response(prediction, loaded, settings.model_dir))

    @app.post(
        "/v1/classify/batch",
        response_model=BatchResponse,
        responses=ERRORS,
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchRequest"}}}}
        },
    )
    async def classify_batch(request: Request) -> Response:
        with request.app.state.admission.enter():
            return await _classify_batch(request)

    async def _classify_batch(request: Request) -> Response:
        loaded, batcher = _batcher(request)
        decoded, media_type = await read_body(request, settings)
        if media_type != "application/json":
            raise ApiError(
                415,
                "unsupported_media_type",
                f'content type {media_type or "(none)"!r} is not supported; send application/json {{"documents": [...]}}',
            )
        documents = parse_json(decoded, BatchRequest).documents
        if len(documents) > settings.max_batch_documents:
            raise ApiError(
                422, "too_many_documents", f"{len(documents)} documents; the limit is {settings.max_batch_documents} (MAX_BATCH_DOCUMENTS)"
            )
        results: list[dict] = [{"index": i, "id": d.id, "ok": False, "result": None, "error": None} for i, d in enumerate(documents)]
        valid: list[int] = []
        for i, document in enumerate(documents):
            try:
                check_text(document.text, settings)
                valid.append(i)
            except ApiError as err:
                results[i]["error"] = {"code": err.code, "message": err.message}
        predictions = await _predict(batcher, [documents[i].text for i in valid]) if valid else []

        def build() -> dict:
            for i, prediction in zip(valid, predictions, strict=True):
                results[i].update(ok=True, result=to_response(prediction, loaded, settings.model_dir))
            return {"results": results}

        return await render(BatchResponse, build)

    def openapi() -> dict:
        """The generated schema plus the request models that the routes parse themselves."""
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in (ClassifyRequest, BatchRequest):
                definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(definition.pop("$defs", {}))
                components[model.__name__] = definition
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def checkpoint_labels(predictor: Predictor) -> dict[str, list[str]]:
    """The label sets of the checkpoint being served (its config.json), not of this code's constants."""
    config = predictor.config
    return {"label": list(LABELS), "kind": list(config.kinds), "stance": list(config.stances), "bio": list(config.bio_tags)}


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory serving.app:app_factory`` (``make serve``)."""
    settings = Settings()
    configure_logging(settings.log_json)
    return create_app(settings)
