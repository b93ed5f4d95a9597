"""The encoder as an ONNX Runtime session, optionally with dynamic int8 quantisation.

Only the encoder (the bulk of the compute) leaves PyTorch: the predictor keeps its
tokenisation, document-level heads and decoding, and swaps its encoder call for an
:class:`OnnxEncoder`. Exports are cached next to the checkpoint (``onnx/``) and keyed on
the weights' SHA-256, so a retrained checkpoint is never served with a stale graph.

    python -m models.onnx_encoder checkpoints/latest          # writes onnx/encoder{,.int8}.onnx
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import tempfile
import warnings
from pathlib import Path

import torch

from .modeling import NewsPageModel

logger = logging.getLogger(__name__)

ONNX_DIR = "onnx"
BACKENDS: tuple[str, ...] = ("torch", "onnx", "onnx-int8")
INPUT_NAMES = ("input_ids", "attention_mask", "gazetteer_ids")
OPSET = 17


class _EncoderOnly(torch.nn.Module):
    def __init__(self, model: NewsPageModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, gazetteer_ids: torch.Tensor) -> torch.Tensor:
        return self.model.encode(input_ids, attention_mask, gazetteer_ids)


def export_encoder(model: NewsPageModel, path: Path) -> Path:
    """Export ``model.encode`` (float32) to ONNX with dynamic chunk and token axes."""
    if next(model.encoder.parameters()).dtype != torch.float32:
        raise ValueError("export the encoder in float32; quantise the ONNX graph instead of casting the model")
    model = model.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    example = (torch.ones(2, 16, dtype=torch.long), torch.ones(2, 16, dtype=torch.long), torch.zeros(2, 16, dtype=torch.long))
    axes = {0: "chunks", 1: "tokens"}
    with warnings.catch_warnings():  # tracing notes on shape checks that hold for every input (dynamic axes are tested)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message="Exporting aten::index operator")
        _export(model, path, example, axes)
    return path


def _export(model: NewsPageModel, path: Path, example: tuple, axes: dict) -> None:
    torch.onnx.export(
        _EncoderOnly(model),
        example,
        str(path),
        input_names=list(INPUT_NAMES),
        output_names=["states"],
        dynamic_axes={**dict.fromkeys(INPUT_NAMES, axes), "states": axes},
        opset_version=OPSET,
        dynamo=False,
    )


def quantize_encoder(fp32_path: Path, int8_path: Path) -> Path:
    """Dynamic int8 quantisation of the weights of every MatMul (activations quantised per batch)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32_path), str(int8_path), weight_type=QuantType.QInt8)
    return int8_path


class OnnxEncoder:
    """Callable like :meth:`NewsPageModel.encode`: (input_ids, attention_mask, gazetteer_ids) → states."""

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.path = Path(path)
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]  # an unused gazetteer input is pruned at export

    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, gazetteer_ids: torch.Tensor | None = None) -> torch.Tensor:
        given = {"input_ids": input_ids, "attention_mask": attention_mask, "gazetteer_ids": gazetteer_ids}
        feed = {name: tensor.cpu().numpy() for name in self.inputs if (tensor := given[name]) is not None}
        if len(feed) < len(self.inputs):
            raise ValueError(f"the ONNX encoder needs {', '.join(self.inputs)}")
        (states,) = self.session.run(None, feed)
        return torch.from_numpy(states).to(input_ids.device)


def _weights_digest(model: NewsPageModel) -> str:
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().float().cpu().numpy().tobytes())
    return digest.hexdigest()


def _writable(directory: Path) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(directory, os.W_OK)


def prepare_onnx_encoder(model: NewsPageModel, backend: str, checkpoint_dir: str | Path | None = None) -> OnnxEncoder:
    """An ONNX Runtime encoder for ``backend`` ("onnx" or "onnx-int8"), exported once and cached.

    The cache is ``<checkpoint>/onnx/``; when the checkpoint is read-only or not given,
    the graphs are made in a temporary directory, loaded and deleted. A cache made from
    other weights is exported again.
    """
    if backend not in ("onnx", "onnx-int8"):
        raise ValueError(f"unknown ONNX backend {backend!r}; choose onnx or onnx-int8")
    directory = Path(checkpoint_dir) / ONNX_DIR if checkpoint_dir is not None else None
    if directory is None or not _writable(directory):
        with tempfile.TemporaryDirectory(prefix="newspage-onnx-") as scratch:  # the session keeps the graph in memory
            return prepare_onnx_encoder(model, backend, scratch)
    fp32_path, int8_path, meta_path = directory / "encoder.onnx", directory / "encoder.int8.onnx", directory / "export.json"
    digest = _weights_digest(model)
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    if meta.get("weights_sha256") != digest or meta.get("opset") != OPSET or not fp32_path.is_file():
        logger.info("exporting the encoder to ONNX in %s", directory)
        export_encoder(model, fp32_path)
        int8_path.unlink(missing_ok=True)
        meta_path.write_text(json.dumps({"weights_sha256": digest, "opset": OPSET}, indent=1) + "\n")
    path = fp32_path
    if backend == "onnx-int8":
        if not int8_path.is_file():
            logger.info("quantising the ONNX encoder to int8")
            quantize_encoder(fp32_path, int8_path)
        path = int8_path
    return OnnxEncoder(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Export a checkpoint's encoder to ONNX (float32 and dynamic int8).")
    parser.add_argument("checkpoint", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    model = NewsPageModel.from_pretrained(args.checkpoint).float().eval()
    encoder = prepare_onnx_encoder(model, "onnx-int8", args.checkpoint)
    print(f"wrote {encoder.path.parent / 'encoder.onnx'} and {encoder.path}")


if __name__ == "__main__":
    main()
