"""The real FastAPI app through its test client, with a tiny checkpoint trained by the project."""

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serving.app import create_app
from serving.settings import Settings

PAGE = (
    "موسكو تستقبل وفداً من حماس لبحث التهدئة\r\n"
    "حجم الخط\n\n"
    "  استقبل وزير الخارجية الروسي سيرغي لافروف وفداً من حركة حماس في موسكو لبحث وقف إطلاق النار في قطاع غزة.  \n"
    "وأشادت حماس في بيان بموقف روسيا، فيما احتجت الخارجية الإسرائيلية على الزيارة.\n"
    "المصدر: وكالات\n"
    "إقرأ أيضاً:\n"
    "الأهلي يتوج بلقب الدوري بعد فوز كبير في القاهرة\n"
)


@pytest.fixture(scope="module")
def client(trained_checkpoint):
    model_dir, _ = trained_checkpoint
    with TestClient(
        create_app(
            Settings(MODEL_DIR=str(model_dir), MAX_REQUEST_BYTES=4000, MAX_PARAGRAPHS=50, MAX_PARAGRAPH_CHARS=400, MAX_BATCH_DOCUMENTS=5)
        )
    ) as c:
        yield c


def test_health_reports_model_base_and_labels(client, trained_checkpoint):
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["model_dir"] == str(trained_checkpoint[0])
    assert body["base_model"]["kind"] == "embedded"
    assert body["runtime"]["backend"] == "torch" and body["runtime"]["precision"] in ("float32", "bfloat16")
    assert body["labels"]["kind"][:3] == ["title", "text", "caption"]
    assert body["version"]


def _same_answer(a: object, b: object, tolerance: float = 1e-3) -> bool:
    """Equal labels, spans and ids; probabilities equal up to ``tolerance``. A page run in a batch is
    padded beside other pages, so its floats may differ from a lone run in the last rounded digit."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) <= tolerance
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_answer(a[k], b[k], tolerance) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_answer(x, y, tolerance) for x, y in zip(a, b, strict=True))
    return a == b


def _check_offsets(page: str, body: dict) -> None:
    assert len(body["paragraphs"]) == 7
    for p in body["paragraphs"]:
        assert page[p["start"] : p["end"]] == p["text"]
        assert (p["label"] == "body") == (p["kind"] in ("title", "text", "caption"))
        assert 0.0 <= p["kind_probability"] <= 1.0 and 0.0 <= p["label_probability"] <= 1.0
        if p["label"] == "body":
            assert p["stance"]["label"] in ("neutral", "supportive", "critical", "mixed")
            for actor in p["actors"]:
                assert page[actor["start"] : actor["end"]] == actor["text"]
                assert p["start"] <= actor["start"] < actor["end"] <= p["end"]
        else:
            assert p["stance"] is None and p["actors"] == []
    body_texts = [p["text"] for p in body["paragraphs"] if p["label"] == "body"]
    assert body["document"]["body_text"] == "\n\n".join(body_texts)


def test_classify_json_labels_every_paragraph_with_offsets(client):
    response = client.post("/v1/classify", json={"text": PAGE})
    assert response.status_code == 200, response.text
    _check_offsets(PAGE, response.json())


def test_classify_plain_text_gives_the_same_answer(client):
    as_json = client.post("/v1/classify", json={"text": PAGE}).json()
    as_text = client.post("/v1/classify", content=PAGE.encode("utf-8"), headers={"Content-Type": "text/plain; charset=utf-8"}).json()
    assert as_text == as_json


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"content": b'{"text": "abc"', "headers": {"Content-Type": "application/json"}}, 400, "malformed_json"),
        ({"json": {"text": "   \n\t  "}}, 422, "empty_text"),
        ({"json": {"body": "نص"}}, 422, "invalid_request"),
        ({"json": {"text": 5}}, 422, "invalid_request"),
        ({"content": b"<p>x</p>", "headers": {"Content-Type": "text/html"}}, 415, "unsupported_media_type"),
        ({"content": "نص".encode("utf-16"), "headers": {"Content-Type": "text/plain"}}, 400, "invalid_utf8"),
        ({"json": {"text": "س" * 5000}}, 413, "request_too_large"),
        ({"json": {"text": "\n".join(["سطر"] * 60)}}, 422, "too_many_paragraphs"),
        ({"content": b'{"text": "x \\ud800"}', "headers": {"Content-Type": "application/json"}}, 422, "invalid_text"),
        ({"content": b"[" * 1500 + b"]" * 1500, "headers": {"Content-Type": "application/json"}}, 400, "malformed_json"),
    ],
)
def test_bad_input_gets_a_clear_json_error(client, kwargs, status, code):
    response = client.post("/v1/classify", **kwargs)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error["message"]


def test_a_lone_surrogate_is_refused_with_its_offset_and_fails_alone_in_a_batch(client):
    response = client.post(
        "/v1/classify", content=b'{"text": "\xd8\xad\xd9\x85\xd8\xa7\xd8\xb3 \\udc00"}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422 and "offset 5" in response.json()["error"]["message"]
    body = json.dumps({"documents": [{"text": PAGE}, {"text": "x @"}]}).replace("@", "\\ud800")
    batch = client.post("/v1/classify/batch", content=body.encode(), headers={"Content-Type": "application/json"})
    items = batch.json()["results"]
    assert [i["ok"] for i in items] == [True, False] and items[1]["error"]["code"] == "invalid_text"


def test_without_a_checkpoint_classify_is_503_and_says_how_to_train(tmp_path):
    with TestClient(create_app(Settings(MODEL_DIR=str(tmp_path / "none")))) as c:
        health = c.get("/health").json()
        assert health["status"] == "no_model" and "make train" in health["detail"]
        assert c.get("/ready").status_code == 503
        response = c.post("/v1/classify", json={"text": PAGE})
        batch = c.post("/v1/classify/batch", json={"documents": [{"text": PAGE}]})
    assert response.status_code == 503 and batch.status_code == 503
    assert "make train" in response.json()["error"]["message"]


def test_ready_after_warm_up(client):
    assert client.get("/ready").json() == {"ready": True, "detail": None}


def test_every_response_carries_a_request_id(client):
    given = client.post("/v1/classify", json={"text": PAGE}, headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = client.post("/v1/classify", json={"text": ""})
    assert len(made.headers["X-Request-ID"]) == 32
    assert made.json()["request_id"] == made.headers["X-Request-ID"]


def test_batch_results_in_order_with_failures_in_place(client):
    single = client.post("/v1/classify", json={"text": PAGE}).json()
    response = client.post(
        "/v1/classify/batch",
        json={
            "documents": [
                {"id": "a", "text": PAGE},
                {"id": "b", "text": "  \n "},
                {"text": "حجم الخط\nوقال المتحدث إن الوفد وصل."},
            ]
        },
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["index"] for r in results] == [0, 1, 2]
    assert [r["id"] for r in results] == ["a", "b", None]
    assert [r["ok"] for r in results] == [True, False, True]
    assert _same_answer(results[0]["result"], single)
    assert not _same_answer(results[2]["result"], single)
    assert results[1]["error"]["code"] == "empty_text" and results[1]["result"] is None
    assert len(results[2]["result"]["paragraphs"]) == 2


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"documents": []}, "invalid_request"),
        ({"documents": [{"text": "نص"}] * 6}, "too_many_documents"),
        ({"docs": []}, "invalid_request"),
    ],
)
def test_batch_limits(client, payload, code):
    response = client.post("/v1/classify/batch", json=payload)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code


def test_long_paragraphs_are_classified_from_their_start_and_flagged(client):
    long_paragraph = "وقال المتحدث باسم الخارجية إن الوفد بحث ملف الأسرى في موسكو. " * 20
    body = client.post("/v1/classify", json={"text": "عنوان\n" + long_paragraph}).json()
    last = body["paragraphs"][1]
    assert last["truncated"] is True
    assert last["text"] == long_paragraph.strip()
    assert all(a["end"] - last["start"] <= 400 for a in last["actors"])
    assert body["paragraphs"][0]["truncated"] is False


def test_metrics_count_requests_and_batches(client):
    client.post("/v1/classify", json={"text": PAGE})
    text = client.get("/metrics").text
    assert 'classifier_requests_total{route="/v1/classify",status="200"}' in text
    assert "classifier_request_latency_seconds_bucket" in text
    assert "classifier_batch_documents_count" in text
    assert "classifier_paragraphs_total" in text
    assert "classifier_queue_depth" in text


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.sampled_from(
            ["موسكو تستقبل وفد حماس", "حجم الخط", "  ", "", "Related: الجيش", "وقال لافروف إن روسيا تدعم الحل.", "\t٢٠٢٥/١/١", "ـــ"]
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["\n", "\r\n", "\n\n", "\r"]),
)
def test_offsets_cut_the_returned_text_from_any_input(client, lines, newline):
    text = newline.join(lines)
    response = client.post("/v1/classify", content=text.encode("utf-8"), headers={"Content-Type": "text/plain"})
    if not text.strip():
        assert response.status_code == 422
        return
    assert response.status_code == 200
    for p in response.json()["paragraphs"]:
        assert text[p["start"] : p["end"]] == p["text"]
        for a in p["actors"]:
            assert text[a["start"] : a["end"]] == a["text"]


def test_openapi_documents_both_content_types(client):
    schema = client.get("/openapi.json").json()
    content = schema["paths"]["/v1/classify"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/json", "text/plain"}
    assert client.get("/docs").status_code == 200
    json.dumps(schema)


def test_unknown_inference_settings_fail_at_start_up():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="ENCODER_BACKEND"):
        Settings(ENCODER_BACKEND="tensorrt")
    with pytest.raises(ValidationError, match="INFERENCE_PRECISION"):
        Settings(INFERENCE_PRECISION="int4")
