"""Request ids, structured logs and Prometheus metrics of the service."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
logger = logging.getLogger("serving.access")

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
UNMATCHED = "unmatched"


def accept_request_id(given: str | None) -> str:
    """The caller's X-Request-ID if it is at most 128 characters of ``[A-Za-z0-9._:-]``, else a fresh one.

    The id is echoed into a response header and every log line of the request, so an
    unbounded or arbitrary one would let a caller bloat or forge log entries.
    """
    if given and REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def route_label(scope: Scope) -> str:
    """The route template a request is counted under: never the raw path, so metrics stay bounded.

    FastAPI records only its API routes in ``scope["route"]``; the documentation routes
    (/docs, /openapi.json) and trailing-slash redirects are found here by matching the
    app's routes, a redirect under the route it redirects to.
    """
    path = getattr(scope.get("route"), "path", None)
    if path:
        return path
    routes = getattr(getattr(scope.get("app"), "router", None), "routes", [])
    requested = scope.get("path", "")
    candidates = [requested, requested.rstrip("/") if requested.endswith("/") else requested + "/"]
    for candidate in filter(None, candidates):
        for route in routes:
            match, _ = route.matches({**scope, "path": candidate})
            if match is not Match.NONE and getattr(route, "path", None):
                return route.path
    return UNMATCHED


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(json_lines: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)


class ServiceMetrics:
    """The service's Prometheus metrics, in a registry of its own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "classifier_requests_total", "HTTP requests by route and status", ["route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "classifier_request_latency_seconds",
            "HTTP request latency by route",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.batch_requests = Histogram(
            "classifier_batch_requests", "Requests sharing one model batch", registry=self.registry, buckets=(1, 2, 4, 8, 16, 32, 64)
        )
        self.batch_documents = Histogram(
            "classifier_batch_documents", "Documents in one model batch", registry=self.registry, buckets=(1, 2, 4, 8, 16, 32, 64, 128)
        )
        self.queue_depth = Gauge("classifier_queue_depth", "Requests waiting for a model batch", registry=self.registry)
        self.paragraphs = Counter("classifier_paragraphs_total", "Paragraphs classified", registry=self.registry)
        self.documents = Counter("classifier_documents_total", "Documents classified", registry=self.registry)


class RequestContextMiddleware(BaseHTTPMiddleware):
    """Give every request an id (X-Request-ID, taken from the client or made here), time it, log it, count it."""

    def __init__(self, app, metrics: ServiceMetrics) -> None:
        super().__init__(app)
        self.metrics = metrics

    async def dispatch(self, request: Request, call_next) -> Response:
        request_id = accept_request_id(request.headers.get("x-request-id"))
        token = request_id_var.set(request_id)
        start = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            response.headers["X-Request-ID"] = request_id
            return response
        finally:
            elapsed = time.perf_counter() - start
            path = route_label(request.scope)
            self.metrics.requests.labels(path, str(status)).inc()
            self.metrics.latency.labels(path).observe(elapsed)
            logger.info(
                "%s %s %d",
                request.method,
                request.url.path,
                status,
                extra={
                    "fields": {"method": request.method, "path": request.url.path, "status": status, "latency_ms": round(elapsed * 1000, 1)}
                },
            )
            request_id_var.reset(token)
