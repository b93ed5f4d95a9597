"""Hostile clients against the real app (issue 12: one bad request must never hurt another).

Arbitrary unicode, poison next to valid traffic, lying Content-Length, clients that leave
mid-body, forged request ids and a shutdown with requests in flight, all through the real
app and the tiny checkpoint the project trains; the socket-level cases through a real
uvicorn server on loopback, since only a server can see a body that never completes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from serving.app import create_app
from serving.settings import Settings

NEWS = "أعلنت وزارة الصحة في غزة اليوم حصيلة جديدة"
PAGE = (
    "أعلنت وزارة الصحة في غزة اليوم حصيلة جديدة\n"
    "حجم الخط\n"
    "وقال المتحدث باسم الوزارة إن الطواقم الطبية تعمل في ظروف صعبة في مستشفيات القطاع.\n"
    "إقرأ أيضاً:\n"
)
LIMITS = {"MAX_REQUEST_BYTES": 4000, "MAX_PARAGRAPHS": 50, "MAX_PARAGRAPH_CHARS": 400, "MAX_BATCH_DOCUMENTS": 5}
JSON = {"Content-Type": "application/json"}


def _app(trained_checkpoint, **extra):
    """The real app on the tiny trained checkpoint, with test_api's limits plus ``extra`` settings."""
    return create_app(Settings(MODEL_DIR=str(trained_checkpoint[0]), **LIMITS, **extra))


@pytest.fixture(scope="module")
def client(trained_checkpoint):
    with TestClient(_app(trained_checkpoint)) as c:
        yield c


def _assert_error(response, status: int | None = None, code: str | None = None) -> dict:
    """The documented error shape, with the request id of the header."""
    if status is not None:
        assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "request_id"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["message"] and body["request_id"] == response.headers["X-Request-ID"]
    if code is not None:
        assert body["error"]["code"] == code
    return body


def _spans(body: dict) -> list[tuple[int, int, str]]:
    return [(p["start"], p["end"], p["kind"]) for p in body["paragraphs"]]


def _counted(metrics_text: str, route: str, status: int) -> float:
    prefix = f'classifier_requests_total{{route="{route}",status="{status}"}} '
    return sum(float(line[len(prefix) :]) for line in metrics_text.splitlines() if line.startswith(prefix))


# --- arbitrary text --------------------------------------------------------------------

ANY_CHARACTER = st.characters(exclude_categories=())  # every category, lone surrogates (Cs) and controls (Cc) included
HOSTILE_CHARACTER = st.sampled_from([*NEWS, "\x00", "\x1b", "\x7f", "\u200f", "\u2028", "\ufeff", "\ud800", "\udfff", "\n", "\r", "\t"])


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(ANY_CHARACTER, max_size=1200) | st.text(HOSTILE_CHARACTER, max_size=300), as_plain_text=st.booleans())
@example(text="\ud800\udc00", as_plain_text=False)  # a surrogate pair, escaped in JSON: one character on arrival
@example(text="\ud800\udc00", as_plain_text=True)  # the same pair as raw bytes: not UTF-8
def test_any_text_gets_an_answer_or_a_client_error_never_a_500(client, text, as_plain_text):
    if as_plain_text:  # a lone surrogate has no UTF-8 form: "surrogatepass" sends the invalid bytes a broken client would
        body, content_type = text.encode("utf-8", "surrogatepass"), "text/plain; charset=utf-8"
    else:
        body, content_type = json.dumps({"text": text}).encode(), "application/json"
    response = client.post("/v1/classify", content=body, headers={"Content-Type": content_type})
    assert response.status_code in (200, 400, 413, 422), response.text
    assert response.headers["X-Request-ID"]
    if response.status_code != 200:
        _assert_error(response)
        return
    # offsets index the text the server read: in JSON an escaped surrogate pair ("\\ud800\\udc00") is one character
    sent = text if as_plain_text else json.loads(body)["text"]
    for p in response.json()["paragraphs"]:
        assert sent[p["start"] : p["end"]] == p["text"]


# --- poison next to valid traffic --------------------------------------------------------

POISON = [
    (b'{"text": "\\u0623\\u0639\\u0644\\u0646\\u062a \\ud800"}', "application/json", 422),
    (b'{"text": "\xd8\xa3\xd8\xb9', "application/json", 400),
    (b"[" * 1500 + b"]" * 1500, "application/json", 400),
    ("أعلنت الوزارة".encode("utf-16"), "text/plain", 400),
    (json.dumps({"text": NEWS * 100}, ensure_ascii=False).encode(), "application/json", 413),
    (b'{"text": "  \\n\\t "}', "application/json", 422),
    (NEWS.encode(), "text/html", 415),
    (b'{"text": 5}', "application/json", 422),
]


def test_poison_requests_among_valid_ones_do_not_hurt_them(client):
    valid = [PAGE, NEWS, NEWS + "\nحجم الخط"]
    alone = {text: _spans(client.post("/v1/classify", json={"text": text}).json()) for text in valid}

    def send_valid(text: str):
        return text, client.post("/v1/classify", json={"text": text})

    def send_poison(poison):
        body, content_type, status = poison
        return status, client.post("/v1/classify", content=body, headers={"Content-Type": content_type})

    def send_mixed_batch():
        body = json.dumps({"documents": [{"text": NEWS}, {"text": "x \ud800"}, {"text": PAGE}]})
        return client.post("/v1/classify/batch", content=body.encode(), headers=JSON)

    with ThreadPoolExecutor(max_workers=8) as pool:
        valid_futures = [pool.submit(send_valid, valid[i % 3]) for i in range(12)]
        poison_futures = [pool.submit(send_poison, POISON[i % len(POISON)]) for i in range(16)]
        batch_futures = [pool.submit(send_mixed_batch) for _ in range(3)]
        for future in valid_futures:
            text, response = future.result()
            assert response.status_code == 200, response.text
            assert _spans(response.json()) == alone[text]
        for future in poison_futures:
            status, response = future.result()
            _assert_error(response, status)
        for future in batch_futures:
            items = future.result().json()["results"]
            assert [i["ok"] for i in items] == [True, False, True]
            assert items[1]["error"]["code"] == "invalid_text"
            assert _spans(items[2]["result"]) == alone[PAGE]
    assert 'status="500"' not in client.get("/metrics").text


# --- request ids ----------------------------------------------------------------------------


@pytest.mark.parametrize("given_id", ["a" * 128, "req-1.2:3_x", "0f8fad5b-d9cb-469f-a165-70867728950e"])
def test_a_safe_request_id_is_kept(client, given_id):
    response = client.post("/v1/classify", json={"text": NEWS}, headers={"X-Request-ID": given_id})
    assert response.headers["X-Request-ID"] == given_id


@pytest.mark.parametrize("given_id", ["a" * 129, "two words", '"><script>x</script>', "id;rm -rf", "طلب-1".encode(), "a\tb", "ok\x7f"])
def test_an_unsafe_request_id_is_replaced_by_a_fresh_one(client, given_id):
    response = client.post("/v1/classify", json={"text": "  "}, headers={"X-Request-ID": given_id})
    fresh = response.headers["X-Request-ID"]
    assert len(fresh) == 32 and int(fresh, 16) >= 0
    assert _assert_error(response, 422, "empty_text")["request_id"] == fresh


# --- metrics route labels -----------------------------------------------------------------


def test_docs_schema_and_redirects_are_counted_under_their_route(client):
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/health/", follow_redirects=False).status_code == 307
    assert client.get("/no/such/page").status_code == 404
    metrics = client.get("/metrics").text
    assert _counted(metrics, "/docs", 200) >= 1
    assert _counted(metrics, "/openapi.json", 200) >= 1
    assert _counted(metrics, "/health", 307) >= 1
    assert _counted(metrics, "unmatched", 404) >= 1
    assert 'route="/no/such/page"' not in metrics
    assert _counted(metrics, "unmatched", 200) == 0


# --- lying Content-Length and clients that leave, through a real server -----------------------


@pytest.fixture(scope="module")
def live_server(trained_checkpoint):
    """The app under uvicorn on a loopback port, with a 1 s body-read timeout."""
    app = _app(trained_checkpoint, BODY_READ_TIMEOUT_S=1)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", listener.getsockname()
    server.should_exit = True
    thread.join(timeout=30)
    listener.close()


def _partial_request(address, declared: int, sent: bytes) -> socket.socket:
    """A POST that declares ``declared`` body bytes and sends only ``sent``."""
    conn = socket.create_connection(address, timeout=15)
    head = f"POST /v1/classify HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
    conn.sendall(head.encode() + sent)
    return conn


def _metrics(base_url: str) -> str:
    with httpx.Client(base_url=base_url, trust_env=False) as http:
        return http.get("/metrics").text


def test_a_body_shorter_than_its_content_length_gets_408_in_json_and_the_connection_closes(live_server):
    base_url, address = live_server
    sent = json.dumps({"text": NEWS}, ensure_ascii=False).encode()[:25]
    start = time.monotonic()
    conn = _partial_request(address, 400, sent)
    raw = b""
    while chunk := conn.recv(65536):  # the server closes the connection after the 408
        raw += chunk
    conn.close()
    assert 0.9 <= time.monotonic() - start < 10
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408")
    assert b"connection: close" in head.lower()
    payload = json.loads(body)
    assert payload["error"]["code"] == "body_timeout" and "BODY_READ_TIMEOUT_S" in payload["error"]["message"]
    assert payload["request_id"]
    assert _counted(_metrics(base_url), "/v1/classify", 408) >= 1


def test_a_client_that_leaves_mid_body_is_counted_as_499_not_500_and_logs_no_traceback(live_server, caplog):
    base_url, address = live_server
    caplog.set_level(logging.INFO)
    before = _counted(_metrics(base_url), "/v1/classify", 499)
    conn = _partial_request(address, 400, json.dumps({"text": NEWS}, ensure_ascii=False).encode()[:25])
    time.sleep(0.2)  # the app is now waiting for the rest of the body
    conn.close()
    deadline = time.monotonic() + 10
    while (metrics := _metrics(base_url)) and _counted(metrics, "/v1/classify", 499) == before:
        assert time.monotonic() < deadline, "the disconnect was never counted"
        time.sleep(0.05)
    assert _counted(metrics, "/v1/classify", 499) == before + 1
    assert _counted(metrics, "/v1/classify", 500) == 0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    access = [r for r in caplog.records if r.name == "serving.access" and r.fields["status"] == 499]  # type: ignore[attr-defined]
    assert len(access) == 1 and access[0].levelno == logging.INFO


# --- shutdown -------------------------------------------------------------------------------


def test_shutdown_turns_ready_off_refuses_new_work_and_lets_requests_in_flight_finish(trained_checkpoint):
    app = _app(trained_checkpoint, SHUTDOWN_GRACE_S=20)
    body = json.dumps({"text": PAGE}, ensure_ascii=False).encode()
    release = asyncio.Event()

    async def slow_body():
        yield body[:20]
        await release.wait()
        yield body[20:]

    async def until(condition) -> None:
        async with asyncio.timeout(10):
            while not condition():
                await asyncio.sleep(0.01)

    async def scenario() -> None:
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            assert (await http.get("/ready")).status_code == 200
            in_flight = asyncio.create_task(http.post("/v1/classify", content=slow_body(), headers=JSON))
            await until(lambda: app.state.admission.in_flight == 1)
            stopping = asyncio.create_task(lifespan.__aexit__(None, None, None))  # what the server's shutdown runs
            await until(lambda: app.state.admission.closed)

            ready = await http.get("/ready")
            assert ready.status_code == 503 and ready.json()["detail"] == "shutting down"
            _assert_error(await http.post("/v1/classify", json={"text": NEWS}), 503, "shutting_down")
            _assert_error(await http.post("/v1/classify/batch", json={"documents": [{"text": NEWS}]}), 503, "shutting_down")
            await asyncio.sleep(0.1)
            assert not stopping.done(), "shutdown must wait for the request in flight"

            release.set()
            response = await in_flight
            assert response.status_code == 200 and len(response.json()["paragraphs"]) == 4
            await asyncio.wait_for(stopping, 20)

    asyncio.run(scenario())
