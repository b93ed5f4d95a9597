"""The weight average of ``--ema_decay``: what it averages, what it swaps in, what it keeps."""

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from training.ema import EmaCallback


def _steps(ema: EmaCallback, model: nn.Linear, values: list[float]) -> None:
    for step, value in enumerate(values, start=1):
        with torch.no_grad():
            model.weight.fill_(value)
        ema.on_step_end(None, SimpleNamespace(global_step=step), None)


def test_the_average_follows_the_ramped_decay_and_is_swapped_in_and_out():
    model = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(0.0)
    ema = EmaCallback(model, decay=0.5)
    ema.on_train_begin(None, None, None)
    _steps(ema, model, [4.0, 8.0])
    # step 1: decay min(0.5, 2/11); step 2: min(0.5, 3/12)
    d1, d2 = 2 / 11, 3 / 12
    expected = (0.0 * d1 + 4.0 * (1 - d1)) * d2 + 8.0 * (1 - d2)
    assert ema.shadow["weight"][0, 0].item() == pytest.approx(expected)
    with ema.applied():
        assert model.weight[0, 0].item() == pytest.approx(expected)
    assert model.weight[0, 0].item() == 8.0  # the live weights are back


def test_training_ends_on_the_average_that_scored_best():
    model = nn.Linear(1, 1, bias=False)
    ema = EmaCallback(model, decay=0.9)
    ema.on_train_begin(None, None, None)
    _steps(ema, model, [1.0] * 30)
    ema.consider(0.8)
    kept = ema.shadow["weight"].clone()
    _steps(ema, model, [-5.0] * 30)
    ema.consider(0.3)  # a worse average is not kept
    ema.on_train_end(None, None, None)
    assert torch.equal(model.weight.detach(), kept)
    with ema.applied():  # after the end, nothing is swapped any more
        assert torch.equal(model.weight.detach(), kept)


def test_a_decay_outside_zero_one_is_refused():
    with pytest.raises(ValueError, match="ema_decay"):
        EmaCallback(nn.Linear(1, 1), decay=1.0)
