"""Replaying a golden file (`support.golden`): the component built from the file, stepped over
the file's batch (`vmap`) and its steps, as the parity tests compare it with the reference.
"""

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .golden import Golden, constructor_kwargs


def unit_param(value: Any) -> np.ndarray:
    """The reference stores a per-unit parameter as a (1, 1) or (1, n) array: dynax takes a
    scalar or (n,)."""
    array = np.asarray(value, np.float32)
    return array.reshape(()) if array.size == 1 else array.reshape(-1)


def golden_inputs(golden: Golden, *, with_mask: bool = True) -> dict[str, jax.Array]:
    """The file's inputs (arrays (T, batch, n)) by name, without `mask` unless `with_mask`."""
    inputs = {k: jnp.asarray(v) for k, v in golden.inputs.items()}
    if not with_mask:
        inputs.pop("mask", None)
    return inputs


def batch_rest(cell: Any, batch: int) -> Any:
    """The rest state of `batch` samples (a leading batch axis)."""
    return jax.vmap(lambda _: cell.init_state())(jnp.arange(batch))


def scan_batch(cell: Any, inputs: dict[str, jax.Array]) -> Any:
    """Runs the batch (vmap) over the time axis (scan) of `inputs` (arrays (T, batch, n)) at
    dt = 1. Returns the states after every step, as numpy arrays."""
    batch = next(iter(inputs.values())).shape[1]
    step = jax.vmap(lambda s, i: cell.step(s, i, None, 1.0))
    _, states = jax.lax.scan(
        lambda s, i: (step(s, i),) * 2, batch_rest(cell, batch), cell.Inputs(**inputs)
    )
    return jax.tree.map(np.asarray, states)


def step_batch(cell: Any, golden: Golden, inputs_at: Callable[[int], Any]) -> Any:
    """Steps the file's batch (one compiled `vmap` step) at the file's dt from rest, with
    `inputs_at(k)` the inputs of step k. Returns the states after every step, stacked."""
    step = jax.jit(jax.vmap(lambda s, i: cell.step(s, i, None, golden.dt)))
    state = batch_rest(cell, golden.batch_size)
    out = []
    for k in range(golden.num_steps):
        state = step(state, inputs_at(k))
        out.append(state)
    return jax.tree.map(lambda *xs: np.stack(xs), *out)


def synapse_from_golden(cls: type, golden: Golden, weights: Any = None) -> Any:
    """A learning synapse from the file's arguments, keyed by its `key_seed`, with `weights`
    (the file's initial weights, say) in place of the drawn ones when given."""
    kwargs = constructor_kwargs(golden, {"batch_size": None, "key_seed": None})
    syn = cls(**kwargs, key=jax.random.PRNGKey(golden.params["key_seed"]))
    if weights is not None:
        syn = eqx.tree_at(lambda s: s.weights, syn, jnp.asarray(weights))
    return syn
