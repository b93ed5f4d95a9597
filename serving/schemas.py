"""Request and response models of the HTTP API (pydantic v2)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ClassifyRequest(BaseModel):
    text: str = Field(
        ...,
        description="The scraped page as plain text; paragraphs are its non-empty lines.",
        examples=["موسكو تستقبل وفداً من حماس\nحجم الخط\nوقالت الخارجية الروسية في بيان إن اللقاء بحث وقف إطلاق النار."],
    )


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody
    request_id: str | None = None


class ActorOut(BaseModel):
    start: int = Field(..., description="Offset in the original text (inclusive).")
    end: int = Field(..., description="Offset in the original text (exclusive).")
    text: str
    type: Literal["PERS", "ORG", "LOC"]
    actor: str | None = Field(None, description="Registry id, or null when the registry has none.")
    probability: float


class StanceTriple(BaseModel):
    holder: str = Field(..., description="Registry id of who holds the stance, or the mention text when the registry has none.")
    target: str = Field(..., description="Registry id of whom it is about, or the mention text.")
    polarity: Literal["supportive", "critical"]


class ParagraphTriple(StanceTriple):
    probability: float = Field(..., description="The triple head's probability of this polarity for the pair.")


class StanceOut(BaseModel):
    label: Literal["neutral", "supportive", "critical", "mixed"]
    probability: float


class ParagraphOut(BaseModel):
    index: int
    start: int
    end: int
    text: str
    label: Literal["body", "boilerplate"]
    label_probability: float
    kind: str
    kind_probability: float
    stance: StanceOut | None = Field(None, description="Body paragraphs only.")
    actors: list[ActorOut] = Field(default_factory=list, description="Body paragraphs only.")
    stances: list[ParagraphTriple] = Field(default_factory=list, description="Body paragraphs only: the stance triples it attributes.")
    truncated: bool = Field(False, description="The model read only the first MAX_PARAGRAPH_CHARS characters.")


class ActorSummary(BaseModel):
    actor: str | None
    type: str
    name_en: str | None
    mentions: int
    surfaces: list[str]


class TripleSummary(StanceTriple):
    """An edge of the document's stance network."""

    paragraphs: int = Field(..., description="Body paragraphs that carry this triple.")
    holder_name: str | None = Field(None, description="The holder's English name, where the registry has it.")
    target_name: str | None = Field(None, description="The target's English name, where the registry has it.")


class StanceSummary(BaseModel):
    paragraphs: dict[str, int] = Field(..., description="Body paragraphs per stance value.")
    triples: list[TripleSummary] = Field(..., description="The stance network: holder → target edges, most frequent first.")


class DocumentOut(BaseModel):
    body_text: str = Field(..., description="The body paragraphs joined by blank lines.")
    actors: list[ActorSummary]
    stance: StanceSummary


class ModelInfo(BaseModel):
    base_model: str | None
    base_kind: str | None
    model_dir: str


class ClassifyResponse(BaseModel):
    model: ModelInfo
    paragraphs: list[ParagraphOut]
    document: DocumentOut


class BatchDocument(BaseModel):
    id: str | None = Field(None, description="Your id for the document, echoed in the result.")
    text: str


class BatchRequest(BaseModel):
    documents: list[BatchDocument] = Field(..., min_length=1, description="Documents to classify; results come back in this order.")


class BatchItem(BaseModel):
    index: int
    id: str | None = None
    ok: bool
    result: ClassifyResponse | None = None
    error: ErrorBody | None = None


class BatchResponse(BaseModel):
    results: list[BatchItem]


class ReadyResponse(BaseModel):
    ready: bool
    detail: str | None = None


class HealthResponse(BaseModel):
    status: Literal["ok", "no_model"]
    model_dir: str
    base_model: dict | None = None
    runtime: dict[str, str] | None = Field(None, description="Device, encoder backend (torch, onnx, onnx-int8) and number format.")
    labels: dict[str, list[str]] | None = None
    version: str
    detail: str | None = None
