"""DoubleExpSynapse: analytic difference-of-exponentials oracles (the reference fails to
compile: defect 18). What it shares with the other conductance synapses (rest, driving force,
gradients, bad input): tests/synapses/test_conductance_synapses.py; the contract itself:
tests/test_contract.py, entry in tests/components/synapses.py."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from support import contract

from dynax.synapses.double_exp_synapse import DoubleExpSynapse

Inputs = DoubleExpSynapse.Inputs


def _response(synapse, dt, steps):
    """g after a single spike of every presynaptic unit at step 0 (it lands at the end of
    step 0), and the times since the spike."""
    spikes = jnp.zeros((steps, synapse.n_in)).at[0].set(1.0)
    run = jax.jit(lambda s, x: contract.run_steps(synapse, s, Inputs(x), None, dt))
    _, states = run(synapse.init_state(), spikes)
    return np.asarray(states.g_syn), dt * np.arange(steps)


def _peak(tau_r, tau_d):
    """The maximum of e^{−t/τ_d} − e^{−t/τ_r}, found on a fine grid (independent of the
    closed-form peak time)."""
    grid = np.linspace(0.0, 10.0 * tau_d, 200001)
    return np.max(np.exp(-grid / tau_d) - np.exp(-grid / tau_r))


def _kernel(t, tau_r, tau_d):
    """e^{−t/τ_d} − e^{−t/τ_r}, normalised to peak 1."""
    return (np.exp(-t / tau_d) - np.exp(-t / tau_r)) / _peak(tau_r, tau_d)


# ---------------------------------------------------------------- analytic oracles


@pytest.mark.parametrize("dt", [1.0, 0.25, 0.05])
def test_exact_propagation_lies_on_the_normalised_double_exponential(dt):
    """decay="exponential": one spike through weight w gives
    g(t) = ḡ·w·(e^{−t/τ_d} − e^{−t/τ_r})/peak at every sample, whatever dt."""
    tau_r, tau_d, gbar, w = 1.0, 6.0, 0.7, np.array([[2.0, -1.0]])
    synapse = DoubleExpSynapse((1, 2), tau_d, tau_r, gbar, None, w, decay="exponential")
    g, t = _response(synapse, dt, round(40 / dt))
    np.testing.assert_allclose(
        g, gbar * w * _kernel(t, tau_r, tau_d)[:, None], rtol=1e-4, atol=1e-6
    )


def test_peak_time_and_normalisation():
    """The response peaks at t* = τ_r τ_d/(τ_d − τ_r)·ln(τ_d/τ_r) with height ḡ·w (per
    postsynaptic unit with its own time constants)."""
    tau_r, tau_d = np.array([0.5, 2.0, 1.0]), np.array([5.0, 3.0, 20.0])
    gbar, dt = np.array([1.0, 0.5, 2.0]), 0.001
    synapse = DoubleExpSynapse(
        (1, 3), tau_d, tau_r, gbar, None, jnp.ones((1, 3)), decay="exponential"
    )
    g, t = _response(synapse, dt, round(15 / dt))
    t_star = tau_r * tau_d / (tau_d - tau_r) * np.log(tau_d / tau_r)
    np.testing.assert_allclose(t[g.argmax(axis=0)], t_star, atol=dt)
    np.testing.assert_allclose(g.max(axis=0), gbar, rtol=1e-4)  # float32 over 15000 steps


def test_total_charge():
    """∫g dt = ḡ·(τ_d − τ_r)/peak for the normalised kernel (rectangle rule on exact samples,
    whose first sample is g(0) = 0)."""
    tau_r, tau_d, gbar, dt = 1.0, 4.0, 1.3, 0.01
    synapse = DoubleExpSynapse((1, 1), tau_d, tau_r, gbar, None, decay="exponential")
    g, _ = _response(synapse, dt, round(80 / dt))
    charge = gbar * (tau_d - tau_r) / _peak(tau_r, tau_d)
    assert g.sum() * dt == pytest.approx(charge, rel=1e-3)


def test_euler_tends_to_the_double_exponential_at_first_order():
    """decay="linear" (the reference's Euler scheme, with g coupled to h at rate 1) converges
    to the closed form: the max error halves with dt."""
    tau_r, tau_d, gbar = 0.5, 3.0, 1.0
    errors = []
    for dt in (0.01, 0.005):
        synapse = DoubleExpSynapse((1, 1), tau_d, tau_r, gbar, None)
        g, t = _response(synapse, dt, round(15 / dt))
        errors.append(np.abs(g[:, 0] - gbar * _kernel(t, tau_r, tau_d)).max())
    assert errors[1] < 0.05
    assert 1.7 < errors[0] / errors[1] < 2.3


def test_response_does_not_depend_on_dt():
    """Time constants are in dt's unit: exact responses at dt and dt/2 agree at common times
    (the reference's g⁺ = g(1 − dt/τ_d) + h⁺ would scale the response by 1/dt)."""
    coarse, _ = _response(
        DoubleExpSynapse((1, 1), 4.0, 1.0, 1.0, None, decay="exponential"), 0.2, 150
    )
    fine, _ = _response(
        DoubleExpSynapse((1, 1), 4.0, 1.0, 1.0, None, decay="exponential"), 0.1, 300
    )
    np.testing.assert_allclose(coarse, fine[::2], rtol=1e-4, atol=1e-6)
