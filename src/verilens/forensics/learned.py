"""A pluggable learned detector: any ONNX model from a local path, declared by a small config.

No weights are shipped and nothing is downloaded. A newsroom that trusts a model (a
splicing localiser, a synthetic-image classifier...) declares it in a JSON file::

    {
      "name": "my-splice-net",
      "model": "splice.onnx",                # path, relative to the config file
      "input": {"name": "image", "size": [256, 256], "layout": "NCHW",
                "scale": 0.00392156862745098, "mean": [0.485, 0.456, 0.406],
                "std": [0.229, 0.224, 0.225], "channels": "RGB"},
      "output": {"name": "score", "kind": "score" | "map",
                 "activation": "none" | "sigmoid" | "softmax",
                 "index": 1, "threshold": 0.5,
                 "meaning": "probability that the image was spliced"},
      "reference": "Author et al., Venue, Year"
    }

and points ``VERILENS_FORENSICS_MODEL`` (or the run option ``extra["forensics_model"]``) at
it. The check then runs the model on the picture and reports what the config says the
output means; without a config the check is ``not_applicable``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CheckUnavailable

ENV_VAR = "VERILENS_FORENSICS_MODEL"
MAX_CONFIG_BYTES = 64 * 1024


@dataclass(frozen=True)
class ModelConfig:
    """A declared detector (see the module docstring for the JSON form)."""

    name: str
    model: Path
    input_name: str | None = None
    size: tuple[int, int] = (256, 256)
    layout: str = "NCHW"
    scale: float = 1.0 / 255.0
    mean: tuple[float, ...] = (0.0, 0.0, 0.0)
    std: tuple[float, ...] = (1.0, 1.0, 1.0)
    channels: str = "RGB"
    output_name: str | None = None
    kind: str = "score"
    activation: str = "none"
    index: int = 0
    threshold: float = 0.5
    meaning: str = ""
    reference: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


def parse_model_config(text: str, base: Path) -> ModelConfig:
    """Parse and validate a detector config (JSON text).

    Parameters
    ----------
    text : str
    base : Path
        Folder that relative model paths are resolved against.

    Raises
    ------
    CheckUnavailable
        With a message saying which field is wrong.
    """
    try:
        d = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckUnavailable(f"the detector config is not valid JSON ({exc})") from exc
    if not isinstance(d, dict):
        raise CheckUnavailable("the detector config must be a JSON object")
    inp = d.get("input") or {}
    out = d.get("output") or {}
    if not isinstance(inp, dict) or not isinstance(out, dict):
        raise CheckUnavailable("'input' and 'output' must be objects")
    model = d.get("model")
    if not isinstance(model, str) or not model:
        raise CheckUnavailable("the detector config needs 'model': a local path to an .onnx file")
    if "://" in model:
        raise CheckUnavailable("'model' must be a local path; models are never downloaded")
    path = Path(model)
    if not path.is_absolute():
        path = base / path
    try:
        size = tuple(int(v) for v in inp.get("size", (256, 256)))
        if len(size) != 2 or not all(8 <= v <= 4096 for v in size):
            raise ValueError
        mean = tuple(float(v) for v in inp.get("mean", (0.0, 0.0, 0.0)))
        std = tuple(float(v) for v in inp.get("std", (1.0, 1.0, 1.0)))
        if any(s == 0 for s in std):
            raise ValueError
        kind = str(out.get("kind", "score"))
        act = str(out.get("activation", "none"))
        layout = str(inp.get("layout", "NCHW")).upper()
        channels = str(inp.get("channels", "RGB")).upper()
        if kind not in ("score", "map") or act not in ("none", "sigmoid", "softmax") or layout not in ("NCHW", "NHWC") \
                or channels not in ("RGB", "BGR", "L"):
            raise ValueError
        return ModelConfig(
            name=str(d.get("name", path.stem))[:100], model=path, input_name=inp.get("name"),
            size=(size[0], size[1]), layout=layout, scale=float(inp.get("scale", 1.0 / 255.0)), mean=mean, std=std,
            channels=channels, output_name=out.get("name"), kind=kind, activation=act, index=int(out.get("index", 0)),
            threshold=float(out.get("threshold", 0.5)), meaning=str(out.get("meaning", ""))[:300],
            reference=str(d.get("reference", ""))[:300], raw=d,
        )
    except (TypeError, ValueError) as exc:
        raise CheckUnavailable(
            "the detector config has an invalid field (input.size: two ints 8..4096; std non-zero; "
            "output.kind score|map; output.activation none|sigmoid|softmax; input.layout NCHW|NHWC; "
            "input.channels RGB|BGR|L)") from exc


def read_model_config(path: str | os.PathLike[str]) -> ModelConfig:
    """Read a detector config file (JSON, at most 64 KiB)."""
    p = Path(path)
    if not p.is_file():
        raise CheckUnavailable(f"detector config {p} does not exist")
    if p.stat().st_size > MAX_CONFIG_BYTES:
        raise CheckUnavailable(f"detector config {p} is larger than {MAX_CONFIG_BYTES} bytes")
    return parse_model_config(p.read_text(encoding="utf-8"), p.parent)


def preprocess(rgb: np.ndarray, cfg: ModelConfig) -> np.ndarray:
    """Resize and normalise a picture into the model's input tensor (batch of one)."""
    import cv2

    h, w = cfg.size
    img = cv2.resize(np.asarray(rgb), (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
    if cfg.channels == "BGR":
        img = img[..., ::-1]
    elif cfg.channels == "L":
        img = (img @ np.array([0.299, 0.587, 0.114], dtype=np.float32))[..., None]
    img = img * cfg.scale
    c = img.shape[2]
    mean = np.array((cfg.mean * c)[:c], dtype=np.float32)
    std = np.array((cfg.std * c)[:c], dtype=np.float32)
    img = (img - mean) / std
    t = img.transpose(2, 0, 1) if cfg.layout == "NCHW" else img
    return np.ascontiguousarray(t[None], dtype=np.float32)


def _activate(x: np.ndarray, act: str, axis: int) -> np.ndarray:
    if act == "sigmoid":
        return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))
    if act == "softmax":
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)
    return x


@dataclass(frozen=True)
class DetectorOutput:
    """What the model said: a score and, for map models, a 2-D map in 0..1."""

    score: float
    map: np.ndarray | None


def run_detector(rgb: np.ndarray, cfg: ModelConfig, session: Any | None = None) -> DetectorOutput:
    """Run a declared ONNX model on a picture (onnxruntime, CPU).

    Parameters
    ----------
    rgb : ndarray uint8 (H, W, 3)
    cfg : ModelConfig
    session : onnxruntime.InferenceSession, optional
        Reused when given.

    Returns
    -------
    DetectorOutput
        ``score``: for score models the chosen output element after the activation; for map
        models the map's maximum.

    Notes
    -----
    The meaning of the score is what the config declares; verilens does not calibrate it.
    """
    import onnxruntime as ort

    if session is None:
        if not cfg.model.is_file():
            raise CheckUnavailable(f"model file {cfg.model} does not exist")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        session = ort.InferenceSession(str(cfg.model), sess_options=opts, providers=["CPUExecutionProvider"])
    inp = cfg.input_name or session.get_inputs()[0].name
    outs = session.run([cfg.output_name] if cfg.output_name else None, {inp: preprocess(rgb, cfg)})
    y = np.asarray(outs[0], dtype=np.float32)
    if cfg.kind == "score":
        flat = y.reshape(-1) if y.ndim <= 1 else y.reshape(y.shape[0], -1)[0]
        flat = _activate(flat, cfg.activation, axis=0)
        if not 0 <= cfg.index < flat.size:
            raise CheckUnavailable(f"output.index {cfg.index} is outside the model's {flat.size} outputs")
        return DetectorOutput(float(flat[cfg.index]), None)
    m = y
    while m.ndim > 3:
        m = m[0]
    if m.ndim == 3:  # (C, H, W): softmax over C then take the channel `index`
        m = _activate(m, cfg.activation, axis=0)
        m = m[min(cfg.index, m.shape[0] - 1)]
    else:
        m = _activate(m, cfg.activation, axis=0)
    m = np.clip(np.nan_to_num(m.astype(np.float32)), 0.0, 1.0)
    return DetectorOutput(float(m.max()), m)


def configured_model(extra: dict[str, Any] | None = None) -> str | None:
    """Where the detector config is: run option ``forensics_model`` or the environment."""
    if extra and extra.get("forensics_model"):
        return str(extra["forensics_model"])
    return os.environ.get(ENV_VAR) or None
