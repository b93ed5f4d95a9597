import logging

import pytest
from transformers import BertConfig, BertModel

from models.base import CAMELBERT_MSA, EMBEDDED, BaseModelError, EmbeddedBaseConfig, build_embedded_tokenizer, resolve_base

TEXTS = ["استقبل لافروف وفداً من حماس في موسكو", "حجم الخط", "وقالت الخارجية الروسية إن اللقاء كان بناءً"] * 5
SMALL = EmbeddedBaseConfig(
    vocab_size=200, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, min_frequency=1
)


def test_default_falls_back_to_embedded_loudly_when_the_hub_is_unreachable(monkeypatch, caplog):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with caplog.at_level(logging.WARNING):
        base = resolve_base(None, TEXTS, SMALL)
    assert base.record["kind"] == "embedded"
    assert CAMELBERT_MSA in base.record["reason"]
    assert base.encoder is None and base.encoder_config.hidden_size == 32
    assert "FALLBACK BASE MODEL" in caplog.text


def test_explicit_base_that_cannot_load_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(BaseModelError, match="no-such/model"):
        resolve_base("no-such/model", TEXTS, SMALL)
    with pytest.raises(BaseModelError):
        resolve_base(str(tmp_path), TEXTS, SMALL)  # an empty directory is no BERT


def test_local_bert_directory_is_loaded_with_its_weights(tmp_path):
    tokenizer = build_embedded_tokenizer(TEXTS, SMALL)
    encoder = BertModel(
        BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64),
        add_pooling_layer=False,
    )
    encoder.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    base = resolve_base(str(tmp_path), TEXTS, SMALL)
    assert base.record["kind"] == "local"
    assert base.encoder is not None
    assert base.encoder.embeddings.word_embeddings.weight.equal(encoder.embeddings.word_embeddings.weight)


def test_embedded_tokenizer_is_deterministic_and_keeps_offsets():
    a = build_embedded_tokenizer(TEXTS, SMALL)
    b = build_embedded_tokenizer(TEXTS, SMALL)
    assert a.get_vocab() == b.get_vocab()
    text = "استقبل لافروف وفداً"
    encoding = a(text, return_offsets_mapping=True)
    pieces = [text[s:e] for s, e in encoding["offset_mapping"] if e > s]
    assert "".join(pieces) == text.replace(" ", "")
    assert resolve_base(EMBEDDED, TEXTS, SMALL).record["reason"] == "requested"


HAMZA_WORDS = "أعلن الرئيس إسرائيل مؤتمر رئيس الهيئة آفاق"


def test_a_saved_embedded_tokenizer_reloads_with_the_same_word_pieces(tokenizer, tmp_path):
    from transformers import BertTokenizerFast

    from models.base import load_tokenizer

    tokenizer.save_pretrained(tmp_path)
    expected = tokenizer.tokenize(HAMZA_WORDS)
    assert BertTokenizerFast.from_pretrained(tmp_path).tokenize(HAMZA_WORDS) == expected
    assert load_tokenizer(tmp_path).tokenize(HAMZA_WORDS) == expected


def test_an_old_checkpoint_tokenizer_gets_its_trained_normaliser_back(tokenizer, tmp_path):
    """Checkpoints saved before strip_accents=False was recorded reload as stripping hamzas."""
    import json

    from models.base import load_tokenizer

    tokenizer.save_pretrained(tmp_path)
    config_file = tmp_path / "tokenizer_config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["strip_accents"] = None  # what such checkpoints say
    config_file.write_text(json.dumps(config), encoding="utf-8")
    assert load_tokenizer(tmp_path).tokenize(HAMZA_WORDS) == tokenizer.tokenize(HAMZA_WORDS)
