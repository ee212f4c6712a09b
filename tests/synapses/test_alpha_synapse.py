"""AlphaSynapse: analytic alpha-function oracles (the reference fails to compile: defect 18).
What it shares with the other conductance synapses (rest, driving force, gradients, bad
input): tests/synapses/test_conductance_synapses.py; the contract itself:
tests/test_contract.py, entry in tests/components/synapses.py."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
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
