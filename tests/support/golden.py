"""Golden trajectories recorded from ngclearn 3.2.3 (see `tests/data/golden/README.md`).

A parity test builds the component from the file's own `params_json`, `dt` and inputs, so
every file recorded the same way is checked by the same code.
"""

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "data" / "golden"


@dataclasses.dataclass(frozen=True)
class Golden:
    """One recorded run: constructor arguments, inputs per step, states before and after."""

    name: str
    component: str
    params: dict[str, Any]
    meta: dict[str, Any]
    dt: float
    t: np.ndarray
    inputs: dict[str, np.ndarray]
    init: dict[str, np.ndarray]
    traj: dict[str, np.ndarray]

    @property
    def num_steps(self) -> int:
        return len(self.t)

    @property
    def batch_size(self) -> int:
        first = next(iter(self.inputs.values()))
        return first.shape[1]


def golden_names(component: str) -> list[str]:
    """Names (file stems) of every golden file of `component`, e.g. "RateCell"."""
    names = sorted(p.stem for p in GOLDEN_DIR.glob(f"{component}_*.npz"))
    assert names, f"no golden file for {component} in {GOLDEN_DIR}"
    return names


def load_golden(name: str) -> Golden:
    """Loads `tests/data/golden/<name>.npz` (no pickle)."""
    with np.load(GOLDEN_DIR / f"{name}.npz", allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    meta = json.loads(str(arrays["meta_json"]))

    def prefixed(prefix: str) -> dict[str, np.ndarray]:
        return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}

    return Golden(
        name=name,
        component=meta.get("component", name.split("_")[0]),
        params=json.loads(str(arrays["params_json"])),
        meta=meta,
        dt=float(arrays["dt"]),
        t=np.asarray(arrays["t"]),
        inputs=prefixed("inputs__"),
        init=prefixed("init__"),
        traj=prefixed("traj__"),
    )


def constructor_kwargs(golden: Golden, renames: dict[str, str | None]) -> dict[str, Any]:
    """The file's constructor arguments as dynax keyword arguments.

    `renames` maps a reference argument to its dynax name, or to None to drop it (e.g.
    `batch_size`: a dynax cell steps one sample). Arguments not listed keep their name.
    """
    kwargs = {}
    for key, value in golden.params.items():
        new = renames.get(key, key)
        if new is not None:
            kwargs[new] = value
    return kwargs
