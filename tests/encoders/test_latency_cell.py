"""LatencyCell: spike times equal the closed form, one spike per unit, defect 19, gradient (the
contract: `tests/test_contract.py`)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from components.encoders import latency_cells
from hypothesis import assume, given
from hypothesis import strategies as st
from support import contract

from dynax.encoders.latency_cell import LatencyCell

RUN = eqx.filter_jit(contract.run_steps)
N = 6


def _closed_form(x, tau, thr, t0, *, linear, normalize=False, num_steps=1, dt=1.0):
    """The latency code of the spec (§6) with its intended arguments, in float64."""
    x = np.asarray(x, np.float64)
    if linear:
        tau = (num_steps - 1) * dt - t0 if normalize else tau
        return np.minimum(-tau * (x - 1.0), -tau * (thr - 1.0)) + t0
    xt = np.maximum(x, thr + 1e-7)
    times = tau * np.log(xt / (xt - thr)) + t0
    if normalize:
        times = (times - t0) * ((num_steps - 1) * dt - t0) / np.max(times - t0) + t0
    return times


def _spike_record(cell, x, dt, steps):
    inputs = LatencyCell.Inputs(jnp.tile(jnp.asarray(x, jnp.float32), (steps, 1)))
    final, states = RUN(cell, cell.init_state(), inputs, None, dt)
    return final, np.asarray(states.outputs)


inputs = st.lists(st.floats(0.0, 1.0, width=32), min_size=N, max_size=N).map(np.asarray)


@given(
    inputs,
    st.floats(1.0, 20.0),
    st.floats(0.0, 0.3),
    st.floats(0.0, 5.0),
    st.booleans(),
    st.sampled_from([0.5, 1.0]),
)
def test_each_unit_spikes_once_at_its_latency(x, tau, thr, t0, linear, dt):
    """The unit fires once, at step k = max(round(t_s/dt), 1), i.e. at time k·dt."""
    x = x.astype(np.float32)
    cell = LatencyCell(N, tau, thr, t0, linearize=linear)
    expected = _closed_form(x, tau, thr, t0, linear=linear)
    np.testing.assert_allclose(cell.spike_times(jnp.asarray(x)), expected, rtol=1e-5, atol=1e-5)
    ratio = expected / dt
    assume(np.all(np.abs(ratio - np.floor(ratio) - 0.5) > 1e-3))  # no float32 rounding ties
    step = np.maximum(np.round(ratio), 1).astype(int)
    steps = int(step.max()) + 3
    final, spikes = _spike_record(cell, x, dt, steps)
    np.testing.assert_array_equal(spikes.sum(axis=0), 1.0)
    np.testing.assert_array_equal(np.argmax(spikes, axis=0) + 1, step)
    np.testing.assert_allclose(final.tols, step * dt, rtol=1e-6)
    np.testing.assert_array_equal(final.mask, 1.0)


@given(inputs, st.booleans(), st.sampled_from([10, 25]), st.sampled_from([0.5, 1.0]))
def test_normalized_code_spans_the_presentation(x, linear, num_steps, dt):
    x = x.astype(np.float32)
    cell = LatencyCell(N, 3.0, 0.05, 1.0, linearize=linear, normalize=True, num_steps=num_steps)
    expected = _closed_form(x, 3.0, 0.05, 1.0, linear=linear, normalize=True,
                            num_steps=num_steps, dt=dt)  # fmt: skip
    np.testing.assert_allclose(cell.spike_times(jnp.asarray(x), dt), expected, rtol=1e-5, atol=1e-4)
    assert np.max(expected) <= (num_steps - 1) * dt + 1e-9
    if not linear:
        np.testing.assert_allclose(np.max(expected), (num_steps - 1) * dt)


def test_log_mode_uses_its_equations_not_the_shifted_arguments():
    """Defect 19 (spec §9): the reference's log mode passes `num_steps` as ε and `normalize`
    as num_steps, so with its defaults x̃ = max(x, θ + 1) and every input ≤ θ + 1 gets
    τ·ln(1 + θ) (0.0995 for τ = 10). dynax's latencies follow τ·ln(x̃/(x̃ − θ)) with ε = 1e-7:
    they decrease with x, and inputs at or below θ get the longest one."""
    x = np.array([0.0, 0.01, 0.02, 0.1, 0.5, 1.0], np.float32)
    cell = LatencyCell(N, tau=10.0)  # defaults: threshold 0.01, log mode, num_steps 1
    times = np.asarray(cell.spike_times(jnp.asarray(x)))
    reference = 10.0 * np.log(np.maximum(x, 0.01 + 1.0) / (np.maximum(x, 0.01 + 1.0) - 0.01))
    np.testing.assert_allclose(reference, 0.0995, atol=1e-4)  # what the defect gives
    np.testing.assert_allclose(times, _closed_form(x, 10.0, 0.01, 0.0, linear=False), rtol=1e-5)
    assert np.all(np.diff(times[1:]) < 0) and times[0] == times[1]
    assert np.abs(times - reference).max() > 100.0


def test_clipped_units_are_silent():
    x = np.array([0.0, 0.005, 0.01, 0.2, 0.6, 1.0], np.float32)
    cell = LatencyCell(N, 2.0, 0.01, linearize=True, clip_spikes=True)
    final, spikes = _spike_record(cell, x, 1.0, 5)
    np.testing.assert_array_equal(spikes.sum(axis=0), [0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(final.mask, 1.0)  # clipped units count as fired
    np.testing.assert_array_equal(final.tols[:2], 0.0)


# ---------------------------------------------------------------- properties


@given(latency_cells(N), st.integers(0, 2**31 - 1), st.floats(0.1, 2.0))
def test_at_most_one_spike_over_1000_steps(cell, seed, dt):
    x = jax.random.uniform(jax.random.key(seed), (1000, N), minval=-1e3, maxval=1e3)
    _, states = RUN(cell, cell.init_state(), LatencyCell.Inputs(x), None, dt)
    assert np.all(np.asarray(states.outputs).sum(axis=0) <= 1.0)


@given(st.floats(1.0, 20.0))
def test_latency_gradient_wrt_tau_matches_finite_difference(tau):
    """The latencies are smooth in τ (the spikes themselves are not differentiable)."""
    x = jnp.linspace(0.05, 1.0, N)
    loss = jax.jit(lambda t: jnp.sum(LatencyCell(N, t).spike_times(x) ** 2))
    contract.assert_grad_matches_finite_difference(loss, tau)
