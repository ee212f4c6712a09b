"""AlphaSynapse: analytic alpha-function oracles (the reference fails to compile: defect 18),
gradients, bad input (the contract itself: tests/test_contract.py, entry in
tests/components/synapses.py)."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from components.synapses import alpha_synapses
from hypothesis import given
from hypothesis import strategies as st
from support import contract

from dynax.synapses.alpha_synapse import AlphaSynapse

Inputs = AlphaSynapse.Inputs


def _response(synapse, dt, steps, w_spike=1.0):
    """g after a single presynaptic spike at step 0, for steps 0..steps−1, and the times
    since the spike (the spike lands at the end of step 0)."""
    spikes = jnp.zeros((steps, synapse.n_in)).at[0].set(w_spike)
    run = jax.jit(lambda s, x: contract.run_steps(synapse, s, Inputs(x), None, dt))
    _, states = run(synapse.init_state(), spikes)
    return np.asarray(states.g_syn), dt * np.arange(steps)


def _alpha(t, tau):
    """The alpha function normalised to peak 1 at t = τ."""
    return (t / tau) * np.exp(1.0 - t / tau)


# ---------------------------------------------------------------- analytic oracles


@pytest.mark.parametrize("dt", [1.0, 0.3, 0.05])
def test_exact_propagation_lies_on_the_alpha_function(dt):
    """decay="exponential": one spike through weights w gives g(t) = ḡ·w·(t/τ)e^{1 − t/τ} at
    every sample, whatever dt; it peaks at ḡ·w at t = τ."""
    tau, gbar, w = 3.0, 0.8, np.array([[1.0, 2.5]])
    synapse = AlphaSynapse((1, 2), tau, gbar, None, w, decay="exponential")
    g, t = _response(synapse, dt, round(20 / dt))
    np.testing.assert_allclose(g, gbar * w * _alpha(t, tau)[:, None], rtol=1e-4, atol=1e-6)
    if round(tau / dt) * dt == tau:
        np.testing.assert_allclose(g.max(axis=0), gbar * w[0], rtol=1e-5)
        assert t[g[:, 0].argmax()] == pytest.approx(tau)


def test_euler_scheme_has_its_closed_form_at_any_dt():
    """decay="linear": h_k = e·ḡ·w·a^k and g_k = a·g_{k−1} + c·h_k with a = 1 − dt/τ,
    c = dt/τ, g_0 = c·e·ḡ·w, so g_k = c·e·ḡ·w·(k + 1)·a^k."""
    tau, gbar, dt = 4.0, 0.5, 1.0
    synapse = AlphaSynapse((1, 1), tau, gbar, None)
    g, _ = _response(synapse, dt, 40)
    a, c, k = 1.0 - dt / tau, dt / tau, np.arange(40)
    np.testing.assert_allclose(g[:, 0], c * np.e * gbar * (k + 1) * a**k, rtol=1e-5)


def test_euler_tends_to_the_alpha_function_at_first_order():
    """decay="linear" (the reference's Euler scheme) converges to ḡ(t/τ)e^{1 − t/τ}: the max
    error halves with dt, and the peak moves to t = τ with height ḡ."""
    tau, gbar = 2.0, 1.5
    errors = []
    for dt in (0.02, 0.01):
        g, t = _response(AlphaSynapse((1, 1), tau, gbar, None), dt, round(12 / dt))
        errors.append(np.abs(g[:, 0] - gbar * _alpha(t, tau)).max())
        assert abs(t[g[:, 0].argmax()] - tau) <= 2.5 * dt
        assert g.max() == pytest.approx(gbar, rel=2 * dt / tau)
    assert 1.7 < errors[0] / errors[1] < 2.3


def test_response_does_not_depend_on_dt():
    """Time constants are in dt's unit: the exact responses at dt and dt/2 agree at common
    times, and the total charge ∫g dt = e·ḡ·τ (the reference's g⁺ = g(1 − dt/τ) + h⁺ would
    scale the response by 1/dt)."""
    tau, gbar = 2.0, 1.0
    coarse, _ = _response(AlphaSynapse((1, 1), tau, gbar, None, decay="exponential"), 0.2, 200)
    fine, _ = _response(AlphaSynapse((1, 1), tau, gbar, None, decay="exponential"), 0.1, 400)
    np.testing.assert_allclose(coarse, fine[::2], rtol=1e-4, atol=1e-6)
    charge = fine.sum() * 0.1  # rectangle rule over 40 = 20τ: the tail is negligible
    assert charge == pytest.approx(np.e * gbar * tau, rel=2e-3)


def test_responses_superpose():
    """A linear system: the response to two spikes is the sum of the shifted responses."""
    synapse = AlphaSynapse((2, 1), 3.0, 1.0, None, jnp.array([[1.0], [0.5]]), decay="exponential")
    spikes = jnp.zeros((30, 2)).at[0, 0].set(1.0).at[7, 1].set(1.0)
    _, states = contract.run_steps(synapse, synapse.init_state(), Inputs(spikes), None, 0.5)
    single, _ = _response(AlphaSynapse((1, 1), 3.0, 1.0, None, decay="exponential"), 0.5, 30)
    expected = single[:, 0].copy()
    expected[7:] += 0.5 * single[:23, 0]
    np.testing.assert_allclose(states.g_syn[:, 0], expected, rtol=1e-5, atol=1e-7)


def test_current_follows_the_driving_force():
    synapse = AlphaSynapse((1, 2), 2.0, 1.0, jnp.array([0.0, -80.0]), g_conduct_factor=0.5)
    state = synapse.step(synapse.init_state(), Inputs(jnp.ones(1), jnp.zeros(2)), None, 1.0)
    v = jnp.array([-65.0, -40.0])
    new = synapse.step(state, Inputs(jnp.zeros(1), v), None, 1.0)
    np.testing.assert_allclose(new.i_syn, -new.g_syn * 0.5 * (np.asarray(v) - [0.0, -80.0]))
    np.testing.assert_array_equal(new.outputs, new.i_syn)


# ---------------------------------------------------------------- rest, gradients

N_IN, N_OUT = 4, 3  # the shape of `alpha_synapses`
finite = st.floats(-1e3, 1e3, allow_nan=False, width=32)
vec_out = st.lists(finite, min_size=N_OUT, max_size=N_OUT).map(
    lambda v: jnp.asarray(v, jnp.float32)
)


@given(alpha_synapses(), vec_out)
def test_rest_is_a_fixed_point_without_input(synapse, v):
    new = synapse.step(synapse.init_state(), Inputs(jnp.zeros(N_IN), v), None, 1.0)
    np.testing.assert_array_equal(new.h_syn, 0.0)
    np.testing.assert_array_equal(new.g_syn, 0.0)
    np.testing.assert_array_equal(np.abs(new.i_syn), 0.0)


_SPIKES = (np.arange(40)[:, None] % np.array([2, 3, 5, 7]) == 0).astype(np.float32)
_V = jnp.broadcast_to(jnp.linspace(-70.0, -40.0, N_OUT), (40, N_OUT))


@jax.jit
def _loss(tau, a):
    w = jax.random.uniform(jax.random.PRNGKey(0), (N_IN, N_OUT))
    d = jax.random.normal(jax.random.PRNGKey(1), (N_IN, N_OUT))
    synapse = AlphaSynapse((N_IN, N_OUT), tau, 0.3, 0.0, w + a * d, decay="exponential")
    _, states = contract.run_steps(synapse, synapse.init_state(), Inputs(_SPIKES, _V), None, 0.5)
    return jnp.sum(states.outputs) / 100.0


@given(st.floats(1.0, 30.0))
def test_gradient_wrt_tau_matches_finite_difference(tau):
    contract.assert_grad_matches_finite_difference(lambda t: _loss(t, 0.0), tau)


@given(st.floats(-1.0, 1.0))
def test_gradient_wrt_weights_matches_finite_difference(a):
    contract.assert_grad_matches_finite_difference(lambda b: _loss(5.0, b), a)


# ---------------------------------------------------------------- bad input

SHAPE = (N_IN, N_OUT)
GOOD = {"shape": SHAPE, "tau_decay": 5.0, "g_syn_bar": 0.5, "syn_rest": 0.0}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("inputs", jnp.ones(N_OUT), (N_IN,)),
        ("v", jnp.ones(N_IN), (N_OUT,)),
    ],
)
def test_wrong_input_shape_raises_at_trace_time(field, value, expected):
    """Shapes of another size (a leading batch axis: tests/test_contract.py)."""
    synapse = AlphaSynapse(**GOOD)
    good = {"inputs": jnp.ones(N_IN), "v": jnp.ones(N_OUT)}
    good[field] = value
    pattern = re.escape(f"AlphaSynapse.step: input `{field}` must have shape {expected}, got")
    with pytest.raises(ValueError, match=pattern):
        jax.jit(lambda s: synapse.step(s, Inputs(**good), None, 1.0))(synapse.init_state())


def test_missing_voltage_raises_when_a_reversal_potential_is_set():
    synapse = AlphaSynapse(**GOOD)
    with pytest.raises(ValueError, match=r"AlphaSynapse.step: input `v`"):
        synapse.step(synapse.init_state(), Inputs(jnp.ones(N_IN)), None, 1.0)
