"""VarTrace: golden parity with ngclearn, closed forms of every mode, properties, inputs out of
[0, 1] (the contract: `tests/test_contract.py`)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from components.traces import var_traces
from hypothesis import given
from hypothesis import strategies as st
from support import contract
from support.golden import constructor_kwargs, golden_names, load_golden

from dynax.traces.var_trace import VarTrace

RENAMES = {"batch_size": None, "key_seed": None}


@pytest.mark.parametrize("name", golden_names("VarTrace"))
def test_matches_reference(name):
    golden = load_golden(name)
    cell = VarTrace(**constructor_kwargs(golden, RENAMES))
    step = jax.jit(jax.vmap(lambda s, x: cell.step(s, VarTrace.Inputs(x), None, golden.dt)))
    state = jax.vmap(lambda _: cell.init_state())(jnp.arange(golden.batch_size))
    for k in range(golden.num_steps):
        state = step(state, golden.inputs["inputs"][k])
        for field in ("trace", "outputs"):
            np.testing.assert_allclose(
                getattr(state, field), golden.traj[field][k], rtol=1e-5, atol=1e-6
            )


# ---------------------------------------------------------------- closed forms

TRAIN = np.array([1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0], np.float32)


def _run_train(cell, dt, train=TRAIN):
    inputs = VarTrace.Inputs(jnp.asarray(train)[:, None])
    _, states = contract.run_steps(cell, cell.init_state(), inputs, None, dt)
    return np.asarray(states.trace[:, 0], np.float64)


def _decay(kind, dt, tau):
    return {"exp": np.exp(-dt / tau), "lin": max(1 - dt / tau, 0.0), "step": 0.0}[kind]


@pytest.mark.parametrize("kind", ["exp", "lin", "step"])
def test_additive_trace_is_a_sum_of_decayed_increments(kind):
    """a_δ > 0: z_k = Σ_{spikes i ≤ k} a_δ·(γd)^{k−i}."""
    dt, tau, a, gamma = 0.5, 4.0, 0.3, 0.9
    z = _run_train(VarTrace(1, tau, a, gamma_tr=gamma, decay_type=kind), dt)
    f = gamma * _decay(kind, dt, tau)
    spikes = np.flatnonzero(TRAIN)
    expected = [sum(a * f ** (k - i) for i in spikes if i <= k) for k in range(len(TRAIN))]
    np.testing.assert_allclose(z, expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kind", ["exp", "lin"])
def test_set_to_scale_trace_restarts_at_each_spike(kind):
    """a_δ = 0: a spike sets z to P_scale, which then decays: z_k = P·(γd)^{k − last spike}."""
    dt, tau, scale = 1.0, 6.0, 2.5
    z = _run_train(VarTrace(1, tau, 0.0, P_scale=scale, decay_type=kind), dt)
    f = _decay(kind, dt, tau)
    last = -1
    for k, s in enumerate(TRAIN):
        last = k if s else last
        assert last >= 0
        np.testing.assert_allclose(z[k], scale * f ** (k - last), rtol=1e-5)


def test_nearest_spike_trace():
    """k > 0: z⁺ = γ·d·z + s·(a_δ − z/k) with the pre-step z; with k = 1, a_δ = 1 a spike
    sets the trace to 1 + (γd − 1)·z."""
    dt, tau = 1.0, 5.0
    d = np.exp(-dt / tau)
    for k_near, a in ((1, 1.0), (3, 0.5)):
        z = _run_train(VarTrace(1, tau, a, n_nearest_spikes=k_near), dt)
        expected, prev = [], 0.0
        for s in TRAIN:
            prev = d * prev + s * (a - prev / k_near)
            expected.append(prev)
        np.testing.assert_allclose(z, expected, rtol=1e-5)


def test_linear_decay_is_clipped_when_dt_exceeds_tau():
    """The reference's 1 − dt/τ is negative for dt > τ (a trace of alternating sign that
    grows for dt > 2τ); dynax clips the factor at 0: the trace forgets in one step."""
    z = _run_train(VarTrace(1, 1.0, 0.5, decay_type="lin"), 3.0)
    np.testing.assert_allclose(z, 0.5 * TRAIN)


def test_per_unit_modes_and_parameters():
    """a_δ per unit picks the additive or the set rule unit by unit."""
    cell = VarTrace(3, jnp.array([2.0, 4.0, 8.0]), jnp.array([0.0, 0.2, 0.4]), P_scale=3.0)
    state = VarTrace.State(trace=jnp.array([1.0, 1.0, 1.0]))
    new = cell.step(state, VarTrace.Inputs(jnp.ones(3)), None, 1.0)
    d = np.exp(-1.0 / np.array([2.0, 4.0, 8.0]))
    np.testing.assert_allclose(new.trace, [3.0, d[1] + 0.2, d[2] + 0.4], rtol=1e-6)


# ---------------------------------------------------------------- properties (hypothesis)

N = 4


@given(var_traces(), st.floats(0.1, 2.0))
def test_zero_is_a_fixed_point_without_input(cell, dt):
    rest = cell.init_state()
    new = cell.step(rest, VarTrace.Inputs(jnp.zeros(N)), None, dt)
    np.testing.assert_array_equal(new.trace, 0.0)


def _train_loss(kind):
    train = jnp.asarray(np.tile(TRAIN, (N, 1)).T)

    def loss(tau):
        cell = VarTrace(N, tau, 0.3, decay_type=kind)
        _, states = contract.run_steps(cell, cell.init_state(), VarTrace.Inputs(train), None, 0.5)
        return jnp.sum(states.trace**2)

    return jax.jit(loss)


TRAIN_LOSSES = {kind: _train_loss(kind) for kind in ("exp", "lin")}


@given(st.floats(2.0, 40.0), st.sampled_from(sorted(TRAIN_LOSSES)))
def test_gradient_wrt_tau_matches_finite_difference(tau, kind):
    contract.assert_grad_matches_finite_difference(TRAIN_LOSSES[kind], tau)


# ---------------------------------------------------------------- bad input


def test_gated_rules_clip_their_input_to_the_unit_interval():
    """An input outside [0, 1] gates like a spike (1) or like no spike (0) in the set and
    nearest rules (the reference multiplies by it, and its trace diverges); the additive rule
    stays linear in the input."""
    state = VarTrace.State(trace=jnp.array([0.5, 0.5, 0.5]))
    x = VarTrace.Inputs(jnp.array([5.0, -2.0, 1.0]))
    d = np.exp(-0.1)
    nearest = VarTrace(3, 10.0, 1.0, n_nearest_spikes=2).step(state, x, None, 1.0)
    np.testing.assert_allclose(nearest.trace, [0.5 * d + 0.75, 0.5 * d, 0.5 * d + 0.75])
    to_scale = VarTrace(3, 10.0, 0.0, P_scale=2.0).step(state, x, None, 1.0)
    np.testing.assert_allclose(to_scale.trace, [2.0, 0.5 * d, 2.0], rtol=1e-6)
    additive = VarTrace(3, 10.0, 0.3).step(state, x, None, 1.0)
    np.testing.assert_allclose(
        additive.trace, 0.5 * d + 0.3 * np.array([5.0, -2.0, 1.0]), rtol=1e-6
    )


def test_a_gain_above_one_is_rejected():
    """Issue 10, item 5: `gamma_tr = 1.1` with `a_delta = 0.5` under input 1 grew as 1.1ᵏ to
    inf by step 1020. The trace's decay factor γ is a fraction; above 1 it is refused."""
    with pytest.raises(
        ValueError, match=r"VarTrace: `gamma_tr` must be finite and in \[0.0, 1.0\], got 1\.1\."
    ):
        VarTrace(1, tau_tr=10.0, a_delta=0.5, gamma_tr=1.1)
