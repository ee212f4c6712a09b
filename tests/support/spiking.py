"""What the spiking cells' own tests share: stepping a cell against its golden file (the
recorded state before every step, resynced steps, free runs), the reference's integrator by
name, observed convergence orders, and the gradient checks through spikes.

Every cell here steps one sample (`(n_units,)` compartments); a golden file records a batch,
so the helpers vmap over its batch axis (and over time for the resynced steps).
"""

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from support import contract
from support.golden import Golden

RK2_HONOURED = {"midpoint": "midpoint", "rk2": "midpoint"}
"""ngclearn's cells run RK2 for "midpoint"/"rk2" and their `otherwise` scheme for any other name."""


def reference_integrator(golden: Golden, honoured=RK2_HONOURED, otherwise="euler") -> str:
    """The dynax name of the scheme the reference ran for the file's `integration_type`."""
    return honoured.get(golden.params.get("integration_type"), otherwise)


# ---------------------------------------------------------------- golden runs


def before(golden: Golden, field: str) -> np.ndarray:
    """The recorded value of `field` before each step, shape (T, B, ...) (step 1: the reset
    state; a reset value recorded once for the batch is broadcast to it)."""
    init = np.broadcast_to(golden.init[field], golden.traj[field].shape[1:])
    return np.concatenate([init[None], golden.traj[field][:-1]])


def resynced_states(golden: Golden, state_cls, fields: Sequence[str], t=None) -> Any:
    """The reference's state before every step as one dynax state with leading axes (T, B):
    each of `fields` from `before`, the clock `t` the recorded time of the previous step (0
    before the first) unless given."""
    if t is None:
        t_before = np.concatenate([[0.0], golden.t[:-1]]).astype(np.float32)
        t = np.broadcast_to(t_before[:, None], (golden.num_steps, golden.batch_size))
    return state_cls(**{f: before(golden, f) for f in fields}, t=t)


def resynced_steps(cell, golden: Golden, states, inputs: str = "j") -> Any:
    """dynax's step from every state of `states` (axes (T, B)) with the file's input of that
    step: one compiled call, vmapped over time and batch."""
    step = jax.vmap(jax.vmap(lambda s, j: cell.step(s, type(cell).Inputs(j), None, golden.dt)))
    return jax.jit(step)(states, jnp.asarray(golden.inputs[inputs]))


def free_run(cell, golden: Golden, inputs: str = "j") -> Any:
    """dynax's run from `init_state` through the file's inputs, every sample of the batch;
    the states after each step, axes (T, B)."""

    def run(j):
        return contract.run_steps(cell, cell.init_state(), type(cell).Inputs(j), None, golden.dt)[1]

    return jax.jit(jax.vmap(run, in_axes=1, out_axes=1))(jnp.asarray(golden.inputs[inputs]))


def assert_recorded(states, golden: Golden, equal=(), close=(), *, rtol=1e-5, atol=1e-5) -> None:
    """The compartments `equal` are the recorded ones exactly, those in `close` to
    `rtol`/`atol` (float32 rounding of the same arithmetic in another order)."""
    for field in equal:
        np.testing.assert_array_equal(getattr(states, field), golden.traj[field], err_msg=field)
    for field in close:
        np.testing.assert_allclose(
            getattr(states, field), golden.traj[field], rtol=rtol, atol=atol, err_msg=field
        )


def assert_init_state_is_the_reset(cell, golden: Golden, fields: Sequence[str]) -> None:
    """`init_state()`, broadcast to the batch, is the recorded reset state."""
    rest = cell.init_state()
    for field in fields:
        np.testing.assert_array_equal(
            np.broadcast_to(getattr(rest, field), golden.init[field].shape),
            golden.init[field],
            err_msg=field,
        )


# ---------------------------------------------------------------- convergence orders


def compartment_stepper(cell, inputs, names: Sequence[str]) -> Callable:
    """`(y, dt) -> y⁺`, jitted: one step of `cell` under `inputs` from its rest state with the
    compartments `names` set to the tuple `y`; returns those compartments after the step."""
    rest = cell.init_state()

    def step(y, dt):
        new = cell.step(rest.replace(**dict(zip(names, y, strict=True))), inputs, None, dt)
        return tuple(getattr(new, name) for name in names)

    return jax.jit(step)


def run_for(step_fn: Callable, y0, horizon: float, dt: float):
    """`step_fn(y, dt)` applied `round(horizon/dt)` times from `y0`."""
    y = y0
    for _ in range(round(horizon / dt)):
        y = step_fn(y, dt)
    return y


def observed_orders(step_fn: Callable, y0, horizon: float, dts: Sequence[float], exact):
    """log2 of the error ratio each time dt halves along `dts`; the error is the largest
    |y − exact| over the components of y at the end of a run of length `horizon`."""
    errors = [
        max(
            float(jnp.max(jnp.abs(a - b)))
            for a, b in zip(run_for(step_fn, y0, horizon, dt), exact, strict=True)
        )
        for dt in dts
    ]
    return np.log2(np.asarray(errors[:-1]) / np.asarray(errors[1:]))


# ---------------------------------------------------------------- gradients through spikes


def assert_spike_count_gradients(spike_count: Callable, tau_m: float, integrator: str) -> None:
    """`spike_count(tau_m, scale, integrator)` is the spike count of a run whose drive is
    multiplied by `scale`. d(count)/dτ_m and d(count)/d(scale) are finite and non-zero (the
    spikes' surrogate) with the physical signs (a slower membrane fires less, more drive
    more), and forward mode (`jax.jvp`) gives reverse mode's d/d(scale)."""
    count = spike_count(tau_m, 1.0, integrator)
    assert count > 0
    grads = jax.grad(spike_count, argnums=(0, 1))(tau_m, 1.0, integrator)
    for g in grads:
        assert np.isfinite(g) and g != 0.0
    assert grads[0] < 0 < grads[1]
    primal, tangent = jax.jvp(lambda s: spike_count(tau_m, s, integrator), (1.0,), (1.0,))
    assert primal == count
    np.testing.assert_allclose(tangent, grads[1], rtol=1e-4)


def assert_resistance_gradient(spike_count: Callable) -> None:
    """`spike_count(resistance)`, a spike count of runs that spike: its gradient at R = 1 is
    the surrogate's, finite and non-zero; forward mode (`jax.jvp`) gives the same number."""
    count, grad = jax.jit(jax.value_and_grad(spike_count))(jnp.float32(1.0))
    assert count > 0
    assert np.isfinite(grad) and grad != 0.0
    jvp = jax.jit(lambda r: jax.jvp(spike_count, (r,), (jnp.ones_like(r),)))
    _, tangent = jvp(jnp.float32(1.0))
    np.testing.assert_allclose(tangent, grad, rtol=1e-4)


def assert_gradient_through_spikes(spiking_run: Callable, *args) -> None:
    """`spiking_run(*args)`, the spikes of a 100-step run: it spikes (more than 10 spikes)
    and the gradient of the count with respect to every argument is finite and non-zero."""
    argnums = tuple(range(len(args)))
    count, grads = jax.jit(
        jax.value_and_grad(lambda *a: jnp.sum(spiking_run(*a)), argnums=argnums)
    )(*args)
    assert float(count) > 10
    for grad in grads:
        assert np.isfinite(grad) and grad != 0.0, grads


def jvp_through_spikes(spiking_run: Callable, value) -> Any:
    """The tangent of `spiking_run` (the spikes of a run) at `value` along 1 is finite and
    not all zero. Returns the primal spikes."""
    primal, tangent = jax.jit(lambda x: jax.jvp(spiking_run, (x,), (jnp.ones_like(x),)))(value)
    assert np.all(np.isfinite(tangent)) and np.any(tangent != 0)
    return primal


def spike_input_gradient(cell, state, j, dt) -> jax.Array:
    """d(Σ s)/dj of one step from `state`: the surrogate's derivative, only it."""
    return jax.grad(lambda j: jnp.sum(cell.step(state, type(cell).Inputs(j), None, dt).s))(j)
