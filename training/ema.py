"""An exponential moving average of the weights while fine-tuning (``--ema_decay``).

The model evaluated, calibrated and saved is the average of the weights of the last few
hundred steps rather than the weights of the last step: averaging over the end of the
trajectory lands in a flatter region of the loss, which tends to carry better to text
unlike the training pages (Polyak averaging; Izmailov et al. 2018 for the related
stochastic weight averaging). Transformers has no such callback (``Trainer`` keeps only
the live weights), hence this one. Each dev evaluation scores the averaged weights and
keeps them when they score best, so the "better of two evaluations" rule of
:mod:`training.train` chooses between averages, as it chooses between live weights without it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn
from transformers import TrainerCallback

logger = logging.getLogger(__name__)


class EmaCallback(TrainerCallback):
    """Keeps ``shadow = decay * shadow + (1 - decay) * weights`` after every optimiser step.

    The decay ramps up as ``min(decay, (1 + step) / (10 + step))`` so that the random
    initial weights are forgotten quickly. :meth:`applied` swaps the average in (for an
    evaluation); :meth:`consider` remembers the average that scored best; at the end of
    training that average becomes the model's weights.
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"--ema_decay must lie strictly between 0 and 1, got {decay}")
        self.model, self.decay = model, decay
        self.shadow: dict[str, torch.Tensor] = {}
        self.best: tuple[float, dict[str, torch.Tensor]] | None = None
        self.finished = False

    def _parameters(self) -> Iterator[tuple[str, nn.Parameter]]:
        return ((name, p) for name, p in self.model.named_parameters() if p.requires_grad)

    def on_train_begin(self, args, state, control, **kwargs):
        self.shadow = {name: p.detach().float().clone() for name, p in self._parameters()}
        self.best, self.finished = None, False

    @torch.no_grad()
    def on_step_end(self, args, state, control, **kwargs):
        decay = min(self.decay, (1 + state.global_step) / (10 + state.global_step))
        for name, p in self._parameters():
            self.shadow[name].mul_(decay).add_(p.detach().float(), alpha=1.0 - decay)

    @contextmanager
    def applied(self) -> Iterator[None]:
        """The averaged weights in the model for the duration (no-op before training and after it ended)."""
        if not self.shadow or self.finished:
            yield
            return
        live = {name: p.detach().clone() for name, p in self._parameters()}
        self._load(self.shadow)
        try:
            yield
        finally:
            self._load(live)

    def consider(self, score: float) -> None:
        """Remember the current average if it scores better than every earlier one."""
        if self.shadow and not self.finished and (self.best is None or score > self.best[0]):
            self.best = (score, {name: t.clone() for name, t in self.shadow.items()})

    def on_train_end(self, args, state, control, **kwargs):
        if not self.shadow or self.finished:
            return
        score, weights = self.best if self.best is not None else (float("nan"), self.shadow)
        self._load(weights)
        self.finished = True
        logger.info("Weights set to their moving average (decay %.4f; dev selection score %.4f)", self.decay, score)

    @torch.no_grad()
    def _load(self, weights: dict[str, torch.Tensor]) -> None:
        for name, p in self._parameters():
            p.copy_(weights[name].to(p.dtype))
