"""Checks of the cell contract (`dynax._core.AbstractCell`) shared by every cell's tests.

Each function asserts one property of `cell.step(state, inputs, key, dt)`; the property tests
of a cell draw parameters, states and inputs with hypothesis and call these.
"""

from collections.abc import Callable
from typing import Any

import chex
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


def _host_copy(x: Any) -> np.ndarray:
    if jnp.issubdtype(x.dtype, jax.dtypes.prng_key):  # typed keys: compare their bits
        x = jax.random.key_data(x)
    return np.array(x, copy=True)


def _snapshot(tree: Any) -> Any:
    return jax.tree.map(_host_copy, eqx.filter(tree, eqx.is_array))


def _assert_trees_equal(a: Any, b: Any) -> None:
    chex.assert_trees_all_equal(_snapshot(a), _snapshot(b))


def assert_structure_preserved(old_state: Any, new_state: Any) -> None:
    """Same pytree structure, shapes and dtypes."""
    assert jax.tree.structure(old_state) == jax.tree.structure(new_state), (
        jax.tree.structure(old_state),
        jax.tree.structure(new_state),
    )
    chex.assert_trees_all_equal_shapes_and_dtypes(old_state, new_state)


def assert_pure(cell, state, inputs, key, dt) -> Any:
    """Two calls give bit-identical states and leave every argument unchanged. Returns the
    new state."""
    before = _snapshot((cell, state, inputs, key))
    first = cell.step(state, inputs, key, dt)
    second = cell.step(state, inputs, key, dt)
    _assert_trees_equal(first, second)
    _assert_trees_equal(before, _snapshot((cell, state, inputs, key)))
    assert_structure_preserved(state, first)
    return first


def assert_jit_matches_eager(cell, state, inputs, key, dt, *, rtol=1e-6, atol=1e-6) -> None:
    """`eqx.filter_jit(step)` equals the eager call (to float rounding)."""
    eager = cell.step(state, inputs, key, dt)
    # dt as an array: a Python float would be a compile-time constant (one trace per value)
    jitted = _jitted_step(cell, state, inputs, key, jnp.asarray(dt))
    chex.assert_trees_all_close(eager, jitted, rtol=rtol, atol=atol)


@eqx.filter_jit
def _jitted_step(cell, state, inputs, key, dt):
    return cell.step(state, inputs, key, dt)


def assert_vmap_matches_loop(cell, states, inputs, keys, dt, *, rtol=1e-6, atol=1e-6) -> None:
    """`vmap(step)` over a batch of states/inputs/keys (module broadcast) equals a Python loop
    of single-sample steps. `keys` may be None for cells without noise. Both sides run
    compiled (`eqx.filter_jit`, one compilation per cell structure), so that hypothesis can
    draw many examples; `assert_jit_matches_eager` covers the eager path."""
    batch = jax.tree.leaves(states)[0].shape[0]
    key_axis = None if keys is None else 0
    dt = jnp.asarray(dt)
    batched = _batched_step(cell, states, inputs, keys, dt, key_axis)
    for b in range(batch):
        take = lambda tree, b=b: jax.tree.map(lambda x: x[b], tree)  # noqa: E731
        single = _jitted_step(
            cell, take(states), take(inputs), None if keys is None else keys[b], dt
        )
        chex.assert_trees_all_close(take(batched), single, rtol=rtol, atol=atol)


@eqx.filter_jit
def _batched_step(cell, states, inputs, keys, dt, key_axis):
    return jax.vmap(cell.step, in_axes=(0, 0, key_axis, None))(states, inputs, keys, dt)


def assert_no_retrace(make_cell: Callable[[Any], Any], values, state, inputs, key, dt) -> None:
    """Building the cell with each of `values` for one parameter and stepping it under one
    `eqx.filter_jit` traces once: the parameter is an array leaf, not a compile-time constant."""

    @eqx.filter_jit
    @eqx.debug.assert_max_traces(max_traces=1)
    def step(cell, state, inputs, key, dt):
        return cell.step(state, inputs, key, dt)

    for value in values:
        jax.block_until_ready(step(make_cell(value), state, inputs, key, jnp.asarray(dt)))


def run_steps(cell, state, inputs_seq, key, dt) -> tuple[Any, Any]:
    """Runs `step` over the leading axis of `inputs_seq` with `lax.scan`, splitting `key` per
    step (None stays None). Returns the final state and the stacked states."""
    num_steps = jax.tree.leaves(inputs_seq)[0].shape[0]
    keys = None if key is None else jax.random.split(key, num_steps)

    def body(s, xs):
        inputs, k = xs
        s = cell.step(s, inputs, k, dt)
        return s, s

    return jax.lax.scan(body, state, (inputs_seq, keys))


_jitted_run_steps = eqx.filter_jit(run_steps)


def assert_finite_run(cell, state, inputs_seq, key, dt) -> Any:
    """Every state along a long run (inputs with a leading time axis) is finite. Returns the
    final state."""
    final, states = _jitted_run_steps(cell, state, inputs_seq, key, jnp.asarray(dt))
    for path, leaf in jax.tree_util.tree_leaves_with_path(states):
        if jnp.issubdtype(leaf.dtype, jnp.inexact):
            bad = ~np.isfinite(np.asarray(leaf))
            assert not bad.any(), (
                f"non-finite {jax.tree_util.keystr(path)} first at step {np.argwhere(bad)[0][0]}"
            )
    return final


def assert_key_determines_noise(cell, state, inputs, dt) -> None:
    """The same key gives the same state; two different keys give different states."""
    a = cell.step(state, inputs, jax.random.key(1), dt)
    b = cell.step(state, inputs, jax.random.key(1), dt)
    c = cell.step(state, inputs, jax.random.key(2), dt)
    _assert_trees_equal(a, b)
    leaves_a, leaves_c = jax.tree.leaves(a), jax.tree.leaves(c)
    assert any(not np.array_equal(x, y) for x, y in zip(leaves_a, leaves_c, strict=True))


def assert_grad_matches_finite_difference(
    loss: Callable[[jax.Array], jax.Array], value: float, *, rel_step=1e-3, rtol=2e-2, atol=1e-4
) -> float:
    """`jax.grad(loss)(value)` is finite and agrees with a central difference. Returns it."""
    value = jnp.asarray(value, dtype=jnp.float32)
    grad = float(jax.grad(loss)(value))
    assert np.isfinite(grad), grad
    h = rel_step * max(abs(float(value)), 1.0)
    numeric = (float(loss(value + h)) - float(loss(value - h))) / (2 * h)
    assert np.isclose(grad, numeric, rtol=rtol, atol=atol), (grad, numeric)
    return grad
