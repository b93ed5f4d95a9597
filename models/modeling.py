"""One network, three heads on a shared BERT encoder.

* every paragraph (split into chunks of at most ``max_tokens`` word pieces) goes
  through the encoder; its vector is the mean over its chunks of [CLS] state ⊕ mean
  word-piece state ⊕ attention-pooled word-piece state, plus surface features
  (length, position, cues, repetition on the page);
* a bidirectional GRU runs over the paragraph vectors of each document, so the
  kind of a paragraph depends on the paragraphs around it (after "إقرأ أيضاً"
  everything of the pasted article is ``related``). A recurrent state is the
  natural carrier of "we are inside another article" over an unbounded number of
  paragraphs, and it is cheap on a CPU;
* heads: paragraph kind (from [vector; context]), paragraph stance (same input),
  BIO actor tags on every word piece (from token states plus the context of its
  paragraph), and stance triples: every candidate (holder, target) pair of a body
  paragraph (:mod:`models.triples`) is scored none / supportive / critical from the
  two actors' mention states, their product, the words between them, the paragraph
  and a few pair features.

Registry matches enter the encoder as a learned embedding added to the word
embeddings (a gazetteer feature); it is zero-initialised, so a pre-trained encoder
starts exactly as it was pre-trained.

The module is longer than most here (~330 lines) by choice: as in Hugging Face's own
model files, the config, the output type, the module and the checkpoint-format check of
one architecture stay together, and the pieces :class:`~models.model_step.ModelStep`
calls one by one (``encode``, ``contextualize``, ``tag``, ``pair_logits``) sit beside the
``forward`` that training runs, so that the two cannot drift apart unseen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from transformers import BertConfig, BertModel, PretrainedConfig, PreTrainedModel
from transformers.utils import ModelOutput

from .cues import cues_fingerprint as current_cues_fingerprint
from .features import NUM_PARAGRAPH_FEATURES
from .labels import BIO_TAGS, IGNORE_INDEX, KINDS, STANCES
from .triples import NUM_PAIR_FEATURES, PAIR_LABELS

logger = logging.getLogger(__name__)

# What a checkpoint's network expects of its inputs; a checkpoint written with another
# format (other paragraph features, no triple head) must be retrained, not silently misread.
FORMAT_VERSION = 6  # 5: stance pairs with context targets (one more pair feature); 6: description targets (one more)


def check_format(saved: dict, where: str = "checkpoint") -> None:
    """Refuse a saved config (config.json as a dict) whose inputs this code would build differently.

    Checked: the format version, the number of paragraph features, and the fingerprint of
    the cue lists (models.cues) those features read. A checkpoint older than the fingerprint
    loads with a warning, since its cues cannot be checked.
    """
    version, features = saved.get("format_version", 1), saved.get("paragraph_features")
    if version != FORMAT_VERSION or features != NUM_PARAGRAPH_FEATURES:
        raise ValueError(
            f"{where} was written in model format {version} with {features} paragraph features; this code reads "
            f"format {FORMAT_VERSION} with {NUM_PARAGRAPH_FEATURES} (cue lists and features in models.cues/features). "
            "Retrain it with `make train`."
        )
    cues = saved.get("cues_fingerprint")
    if cues is None:
        logger.warning("%s records no cue-list fingerprint (trained before it was recorded); its cue features cannot be checked", where)
    elif cues != current_cues_fingerprint():
        raise ValueError(
            f"{where} was trained with other cue lists (fingerprint {cues}; models.cues now gives {current_cues_fingerprint()}), "
            "so its paragraph features would mean something else. Retrain it with `make train`, or restore the cue lists it was trained with."
        )


class NewsPageConfig(PretrainedConfig):
    model_type = "arabic_news_page"

    def __init__(
        self,
        encoder: dict | None = None,
        context_hidden: int = 128,
        context_layers: int = 1,
        context_attention_heads: int = 0,
        dropout: float = 0.1,
        kinds: list[str] | None = None,
        stances: list[str] | None = None,
        bio_tags: list[str] | None = None,
        use_gazetteer: bool = True,
        max_tokens: int = 128,
        stride: int = 32,
        base_model: dict | None = None,
        loss_weights: dict | None = None,
        stance_class_weights: list[float] | None = None,
        pair_labels: list[str] | None = None,
        pair_class_weights: list[float] | None = None,
        stance_logit_bias: list[float] | None = None,
        pair_none_bias: float = 0.0,
        triples_follow_stance: bool = True,
        skip_own_side_pairs: bool = True,
        headline_holder: str | bool = "off",
        kind_transitions: list[list[float]] | None = None,
        kind_transition_weight: float = 0.0,
        stance_factorized: bool = False,
        format_version: int = FORMAT_VERSION,
        paragraph_features: int | None = None,
        cues_fingerprint: str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.format_version = format_version
        self.cues_fingerprint = cues_fingerprint or current_cues_fingerprint()
        self.paragraph_features = paragraph_features if paragraph_features is not None else NUM_PARAGRAPH_FEATURES
        self.encoder = encoder or BertConfig().to_dict()
        self.context_hidden = context_hidden
        self.context_layers = context_layers
        # self-attention over the page's paragraphs after the GRU (0: none): every paragraph can
        # compare itself with the title and the lead however far away, not only through the GRU's memory
        self.context_attention_heads = context_attention_heads
        self.dropout = dropout
        self.kinds = list(kinds or KINDS)
        self.stances = list(stances or STANCES)
        self.bio_tags = list(bio_tags or BIO_TAGS)
        self.use_gazetteer = use_gazetteer
        self.max_tokens = max_tokens
        self.stride = stride
        self.base_model = base_model or {}
        self.loss_weights = loss_weights or {"kind": 1.0, "stance": 1.0, "tags": 1.0}
        # per-class weights of the stance loss (neutral dominates news; macro-F1 is what counts)
        self.stance_class_weights = stance_class_weights
        self.pair_labels = list(pair_labels or PAIR_LABELS)
        self.pair_class_weights = pair_class_weights
        # decision offsets set on dev pages after training (training.calibrate): added to the
        # log-probabilities before the argmax, they shift the decision, not the reported probability
        self.stance_logit_bias = stance_logit_bias
        self.pair_none_bias = pair_none_bias
        # decoding: a paragraph's triples agree with its stance (models.decoding.reconcile_triples)
        self.triples_follow_stance = triples_follow_stance
        # decoding: no triple between an actor and the state or movement it belongs to (models.triples.own_side)
        self.skip_own_side_pairs = skip_own_side_pairs
        # triple candidates: where the headline's first speaker is an implicit holder too ("off", "all", "titled":
        # models.triples.principal_paragraphs); set in training, since the pair head must have seen such candidates
        self.headline_holder = headline_holder
        # decoding: kind-to-kind log transitions counted on the training pages and their weight in a
        # Viterbi search over each page's kinds (models.kind_path; None or 0: each paragraph's argmax)
        self.kind_transitions = kind_transitions
        self.kind_transition_weight = kind_transition_weight
        # paragraph stance from two independent detectors, support and criticism (stance_log_probs)
        self.stance_factorized = stance_factorized


@dataclass
class NewsPageOutput(ModelOutput):
    loss: torch.Tensor | None = None
    kind_logits: torch.Tensor | None = None  # [paragraphs, kinds]
    stance_logits: torch.Tensor | None = None  # [paragraphs, stances]
    tag_logits: torch.Tensor | None = None  # [chunks, length, tags]
    pair_logits: torch.Tensor | None = None  # [pairs, pair labels]
    losses: dict | None = None


def stance_log_probs(detectors: torch.Tensor, stances: list[str]) -> torch.Tensor:
    """Log-probabilities of the stance values from two detector logits per paragraph, support and criticism.

    SPEC.md defines the values by two attributes: ``supportive`` holds support only, ``critical``
    criticism only, ``mixed`` both, ``neutral`` neither. Read as two independent Bernoulli
    detectors, p(mixed) = p(support) · p(criticism) and so on: a mixed paragraph trains both
    detectors instead of a fourth, rare class of its own, and the supportive clause of a mixed
    paragraph teaches what support looks like. The result is a normalised distribution in log
    space, so cross-entropy, softmax and the calibration offsets read it as they read logits.
    """
    support, criticism = nn.functional.logsigmoid(detectors).unbind(-1)
    no_support, no_criticism = nn.functional.logsigmoid(-detectors).unbind(-1)
    parts = {
        "neutral": no_support + no_criticism,
        "supportive": support + no_criticism,
        "critical": no_support + criticism,
        "mixed": support + criticism,
    }
    return torch.stack([parts[s] for s in stances], dim=-1)


class NewsPageModel(PreTrainedModel):
    config_class = NewsPageConfig
    base_model_prefix = "news_page"
    main_input_name = "input_ids"
    _supports_sdpa = True

    def __init__(self, config: NewsPageConfig) -> None:
        super().__init__(config)
        encoder_config = BertConfig(**{k: v for k, v in config.encoder.items() if k not in ("architectures",)})
        encoder_config._attn_implementation = "sdpa"
        self.encoder = BertModel(encoder_config, add_pooling_layer=False)
        hidden = encoder_config.hidden_size
        self.gazetteer = nn.Embedding(len(config.bio_tags), hidden) if config.use_gazetteer else None
        self.dropout = nn.Dropout(config.dropout)
        self.context = nn.GRU(
            3 * hidden + config.paragraph_features,
            config.context_hidden,
            num_layers=config.context_layers,
            dropout=config.dropout if config.context_layers > 1 else 0.0,
            batch_first=True,
            bidirectional=True,
        )
        heads = getattr(config, "context_attention_heads", 0)
        self.context_attention = nn.MultiheadAttention(2 * config.context_hidden, heads, batch_first=True) if heads else None
        self.context_norm = nn.LayerNorm(2 * config.context_hidden) if heads else None
        self.pool_query = nn.Linear(hidden, 1)
        paragraph_dim = 3 * hidden + config.paragraph_features + 2 * config.context_hidden
        self.kind_head = nn.Sequential(
            nn.Linear(paragraph_dim, hidden), nn.GELU(), nn.Dropout(config.dropout), nn.Linear(hidden, len(config.kinds))
        )
        stance_outputs = 2 if config.stance_factorized else len(config.stances)
        self.stance_head = nn.Sequential(
            nn.Linear(paragraph_dim, hidden), nn.GELU(), nn.Dropout(config.dropout), nn.Linear(hidden, stance_outputs)
        )
        self.tag_head = nn.Linear(hidden + 2 * config.context_hidden, len(config.bio_tags))
        self.pair_head = nn.Sequential(
            nn.Linear(4 * hidden + paragraph_dim + NUM_PAIR_FEATURES, hidden),
            nn.GELU(),
            nn.Dropout(config.dropout),
            nn.Linear(hidden, len(config.pair_labels)),
        )
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        # The encoder initialises itself (BERT's scheme) and heads keep PyTorch's defaults;
        # only the gazetteer embedding starts at zero, leaving a pre-trained encoder unchanged.
        if getattr(self, "gazetteer", None) is not None and module is self.gazetteer:
            nn.init.zeros_(module.weight)

    def load_encoder(self, encoder: BertModel) -> None:
        """Copy pre-trained encoder weights (e.g. CAMeLBERT) into this model."""
        missing, unexpected = self.encoder.load_state_dict(encoder.state_dict(), strict=False)
        if unexpected or [m for m in missing if "pooler" not in m]:
            raise ValueError(f"encoder weights do not fit: missing={missing} unexpected={unexpected}")

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, gazetteer_ids: torch.Tensor | None = None) -> torch.Tensor:
        """Word-piece states of every chunk: [chunks, length, hidden]."""
        embeddings = self.encoder.embeddings.word_embeddings(input_ids)
        if self.gazetteer is not None and gazetteer_ids is not None:
            embeddings = embeddings + self.gazetteer(gazetteer_ids)
        return self.encoder(inputs_embeds=embeddings, attention_mask=attention_mask).last_hidden_state

    def encode_bucketed(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, gazetteer_ids: torch.Tensor | None = None, buckets: int = 4
    ) -> torch.Tensor:
        """:meth:`encode` over length-sorted groups, each trimmed to its own longest chunk.

        Pages mix one-word chrome lines with long paragraphs; padding them all to the
        longest wastes most of the compute. The result is padded back to [chunks, length].
        """
        lengths = attention_mask.sum(-1)
        order = torch.argsort(lengths)
        states = None
        for group in torch.tensor_split(order, min(buckets, len(order))):
            width = int(lengths[group].max().item())
            gaz = gazetteer_ids[group, :width] if gazetteer_ids is not None else None
            out = self.encode(input_ids[group, :width], attention_mask[group, :width], gaz)
            if states is None:
                states = out.new_zeros(input_ids.shape[0], input_ids.shape[1], out.shape[-1])
            states[group, :width] = out
        assert states is not None
        return states

    def chunk_vectors(self, states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """[CLS] state, mean and attention-pooled word-piece states of every chunk: [chunks, 3 * hidden].

        The attention pool (one learned query) lets a few words decide, as a stance verb
        («ندد», «رحب») or a read-also marker does, where a mean would dilute them.
        """
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1)
        scores = self.pool_query(states).squeeze(-1).float().masked_fill(attention_mask == 0, float("-inf"))
        pooled = (scores.softmax(-1).unsqueeze(-1).to(states.dtype) * states).sum(1)
        return torch.cat([states[:, 0], mean, pooled], dim=-1)

    def contextualize(
        self,
        chunk_vectors: torch.Tensor,
        chunk_paragraph: torch.Tensor,
        paragraph_document: torch.Tensor,
        paragraph_position: torch.Tensor,
        paragraph_features: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Kind and stance logits per paragraph, each paragraph's document context and its whole representation."""
        n_paragraphs, width = paragraph_document.shape[0], chunk_vectors.shape[-1]
        # paragraph vector: mean of its chunks' vectors, plus surface features
        sums = chunk_vectors.new_zeros(n_paragraphs, width).index_add_(0, chunk_paragraph, chunk_vectors)
        ones = torch.ones_like(chunk_paragraph, dtype=chunk_vectors.dtype)
        counts = chunk_vectors.new_zeros(n_paragraphs).index_add_(0, chunk_paragraph, ones)
        vectors = torch.cat([sums / counts.clamp(min=1).unsqueeze(-1), paragraph_features.to(chunk_vectors.dtype)], dim=-1)
        vectors = self.dropout(vectors)
        # document context: scatter to [documents, paragraphs, dim], run the GRU, gather back
        n_documents = int(paragraph_document.max().item()) + 1
        lengths = torch.bincount(paragraph_document, minlength=n_documents)
        padded = vectors.new_zeros(n_documents, int(lengths.max().item()), vectors.shape[-1])
        padded[paragraph_document, paragraph_position] = vectors
        packed = pack_padded_sequence(padded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        context, _ = pad_packed_sequence(self.context(packed)[0], batch_first=True)
        if self.context_attention is not None and self.context_norm is not None:
            padding = torch.arange(context.shape[1], device=context.device).unsqueeze(0) >= lengths.to(context.device).unsqueeze(1)
            attended = self.context_attention(context, context, context, key_padding_mask=padding, need_weights=False)[0]
            context = self.context_norm(context + self.dropout(attended))
        context = context[paragraph_document, paragraph_position]
        paragraph_repr = torch.cat([vectors, context], dim=-1)
        stance = self.stance_head(paragraph_repr)
        if self.config.stance_factorized:
            stance = stance_log_probs(stance, self.config.stances)
        return self.kind_head(paragraph_repr), stance, context, paragraph_repr

    def tag(self, states: torch.Tensor, chunk_context: torch.Tensor) -> torch.Tensor:
        """BIO logits for every word piece, given its chunk's paragraph context."""
        token_repr = torch.cat([states, chunk_context.unsqueeze(1).expand(-1, states.shape[1], -1)], dim=-1)
        return self.tag_head(self.dropout(token_repr))

    @staticmethod
    def span_vectors(flat_states: torch.Tensor, span_pieces: torch.Tensor, span_offsets: torch.Tensor) -> torch.Tensor:
        """Mention vectors: the mean of each span's word-piece rows of ``flat_states`` (one bag per span)."""
        return nn.functional.embedding_bag(span_pieces, flat_states, span_offsets, mode="mean")

    def pair_logits(
        self,
        spans: torch.Tensor,
        pair_holder: torch.Tensor,
        pair_target: torch.Tensor,
        pair_between: torch.Tensor,
        pair_paragraph: torch.Tensor,
        paragraph_repr: torch.Tensor,
        pair_features: torch.Tensor,
    ) -> torch.Tensor:
        """Scores (none, supportive, critical) of candidate (holder, target) pairs.

        From the holder's and target's mention vectors, their product, the vector of the
        words between them (where the stance verb and its preposition are), the paragraph
        and the pair features.
        """
        holder, target = spans[pair_holder], spans[pair_target]
        between = spans[pair_between]
        pair_repr = torch.cat(
            [holder, target, holder * target, between, paragraph_repr[pair_paragraph], pair_features.to(spans.dtype)], dim=-1
        )
        return self.pair_head(self.dropout(pair_repr))

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        chunk_paragraph: torch.Tensor,
        paragraph_document: torch.Tensor,
        paragraph_position: torch.Tensor,
        paragraph_features: torch.Tensor,
        gazetteer_ids: torch.Tensor | None = None,
        kind_labels: torch.Tensor | None = None,
        stance_labels: torch.Tensor | None = None,
        tag_labels: torch.Tensor | None = None,
        span_pieces: torch.Tensor | None = None,
        span_offsets: torch.Tensor | None = None,
        pair_holder: torch.Tensor | None = None,
        pair_target: torch.Tensor | None = None,
        pair_between: torch.Tensor | None = None,
        pair_paragraph: torch.Tensor | None = None,
        pair_features: torch.Tensor | None = None,
        pair_labels: torch.Tensor | None = None,
        **_: object,
    ) -> NewsPageOutput:
        states = self.encode_bucketed(input_ids, attention_mask, gazetteer_ids)
        kind_logits, stance_logits, context, paragraph_repr = self.contextualize(
            self.chunk_vectors(states, attention_mask), chunk_paragraph, paragraph_document, paragraph_position, paragraph_features
        )
        tag_logits = self.tag(states, context[chunk_paragraph])
        pair_logits = None
        if pair_holder is not None and pair_holder.numel() and span_pieces is not None and span_offsets is not None:
            assert pair_target is not None and pair_between is not None and pair_paragraph is not None and pair_features is not None
            spans = self.span_vectors(states.reshape(-1, states.shape[-1]), span_pieces, span_offsets)
            pair_logits = self.pair_logits(spans, pair_holder, pair_target, pair_between, pair_paragraph, paragraph_repr, pair_features)

        losses: dict[str, torch.Tensor] = {}
        ce = nn.CrossEntropyLoss(ignore_index=IGNORE_INDEX)
        if kind_labels is not None and (kind_labels != IGNORE_INDEX).any():
            losses["kind"] = ce(kind_logits, kind_labels)
        if stance_labels is not None and (stance_labels != IGNORE_INDEX).any():
            weights = self.config.stance_class_weights
            weight = torch.tensor(weights, dtype=stance_logits.dtype, device=stance_logits.device) if weights else None
            losses["stance"] = nn.functional.cross_entropy(stance_logits, stance_labels, weight=weight, ignore_index=IGNORE_INDEX)
        if tag_labels is not None and (tag_labels != IGNORE_INDEX).any():
            losses["tags"] = ce(tag_logits.reshape(-1, tag_logits.shape[-1]), tag_labels.reshape(-1))
        if pair_logits is not None and pair_labels is not None and (pair_labels != IGNORE_INDEX).any():
            weights = self.config.pair_class_weights
            weight = torch.tensor(weights, dtype=pair_logits.dtype, device=pair_logits.device) if weights else None
            losses["pairs"] = nn.functional.cross_entropy(pair_logits, pair_labels, weight=weight, ignore_index=IGNORE_INDEX)
        task_weights = self.config.loss_weights
        loss = sum(task_weights.get(name, 1.0) * value for name, value in losses.items()) if losses else None
        return NewsPageOutput(
            loss=loss, kind_logits=kind_logits, stance_logits=stance_logits, tag_logits=tag_logits, pair_logits=pair_logits, losses=losses
        )
