"""Smaller modules with behaviour: MLM pretraining, the registry coverage check, heap and GC care in the service."""

from __future__ import annotations

import gc

import torch
from transformers import BertConfig, BertModel

from evaluation.registry_coverage import coverage
from models.base import EmbeddedBaseConfig, build_embedded_tokenizer
from serving.memory import freeze_startup_objects, trim_heap
from training.pretrain import mlm_texts, pretrain_encoder

PAGES = [
    {
        "paragraphs": [
            {"text": "استقبل لافروف وفداً من حماس في موسكو", "kind": "text"},
            {"text": "حجم الخط", "kind": "ui"},
            {"text": "استقبل لافروف وفداً من حماس في موسكو", "kind": "related"},
        ]
    },
    {
        "paragraphs": [
            {"text": "وقالت الخارجية الروسية إن اللقاء كان بنّاءً", "kind": "text"},
            {"text": "استقبل لافروف وفدا من حماس في موسكو", "kind": "related"},
        ]
    },
]


def test_mlm_texts_are_distinct_normalised_and_shuffled_the_same_way_for_a_seed():
    texts = mlm_texts(PAGES, seed=1)
    assert len(texts) == 3  # a repeated paragraph once, and «وفداً» and «وفدا» read the same
    assert texts == mlm_texts(PAGES, seed=1)
    assert sorted(texts) == sorted(mlm_texts(PAGES, seed=2))
    assert len(mlm_texts(PAGES, seed=1, limit=2)) == 2


def test_pretraining_updates_a_copy_of_the_encoder_and_leaves_the_given_one_alone(tmp_path):
    texts = [t for t in mlm_texts(PAGES, seed=0)] * 8
    shape = EmbeddedBaseConfig(
        vocab_size=120, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, min_frequency=1
    )
    tokenizer = build_embedded_tokenizer(texts, shape)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
    torch.manual_seed(0)
    given = BertModel(config, add_pooling_layer=False)
    before = {k: v.clone() for k, v in given.state_dict().items()}
    trained = pretrain_encoder(tokenizer, config, texts, steps=6, output_dir=str(tmp_path), encoder=given, batch_size=4)
    assert trained is not given
    assert all(torch.equal(before[k], v) for k, v in given.state_dict().items())
    word_embeddings = "embeddings.word_embeddings.weight"
    assert not torch.equal(trained.state_dict()[word_embeddings], before[word_embeddings])


def test_coverage_separates_unknown_ids_from_unlisted_names(registry):
    text = "حماس وموسكو وجماعة المستقبل والجانب الروسي"

    def span(surface: str, actor_type: str, actor: str | None) -> dict:
        start = text.index(surface)
        return {"start": start, "end": start + len(surface), "type": actor_type, "actor": actor}

    documents = [
        {
            "paragraphs": [
                {
                    "text": text,
                    "kind": "text",
                    "actors": [
                        span("حماس", "ORG", "HAMAS"),  # a listed name
                        span("موسكو", "LOC", "RUS"),  # a listed name after the clitic و
                        span("جماعة المستقبل", "ORG", "FUTURE_GROUP"),  # an id the registry lacks
                        span("الجانب الروسي", "LOC", "RUS"),  # a known id under a name it does not list
                        span("الجانب الروسي", "LOC", None),  # no id: nothing to miss
                    ],
                },
                {"text": "حماس", "kind": "related", "actors": [span("حماس", "ORG", "HAMAS")]},
            ]
        }
    ]
    found = coverage(documents, registry)
    assert found["mentions"] == 5  # body paragraphs only
    assert found["covered"] == 3
    assert dict(found["missing_id"]) == {("جماعة المستقبل", "FUTURE_GROUP"): 1}
    assert dict(found["missing_name"]) == {("الجانب الروسي", "RUS"): 1}


def test_start_up_objects_are_frozen_out_of_the_collector_and_the_heap_can_be_trimmed():
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
    assert isinstance(trim_heap(), bool)
