"""IFCell: golden parity with ngclearn, the reset without the lower clamp (defect 10),
closed-form firing, gradients. The properties of the contract and bad input are checked by
`tests/test_contract.py` (entry in `tests/components/spiking.py`)."""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from support import contract, spiking
from support.golden import constructor_kwargs, golden_names, load_golden

from dynax.neurons.spiking.if_cell import IFCell

RUN = jax.jit(contract.run_steps)  # one compilation per cell structure, not per value

RENAMES = {"key_seed": None, "batch_size": None}
FIELDS = [f for f in IFCell.State.__dataclass_fields__ if f != "t"]


def _cell(golden, **changes):
    kwargs = constructor_kwargs(golden, RENAMES) | changes
    # ngclearn's IFCell runs RK2 for "midpoint"/"rk2" and Euler for every other name.
    kwargs["integration_type"] = spiking.reference_integrator(golden)
    return IFCell(**kwargs)


def _assert_matches(states, golden):
    spiking.assert_recorded(states, golden, equal=("s",), close=("v", "rfr", "tols"))


@pytest.mark.parametrize("name", golden_names("IFCell"))
def test_free_run_matches_reference(name):
    golden = load_golden(name)
    _assert_matches(spiking.free_run(_cell(golden), golden), golden)


@pytest.mark.parametrize("name", golden_names("IFCell"))
def test_resynced_steps_match_reference(name):
    golden = load_golden(name)
    states = spiking.resynced_states(golden, IFCell.State, FIELDS)
    _assert_matches(spiking.resynced_steps(_cell(golden), golden, states), golden)


@pytest.mark.parametrize("name", golden_names("IFCell"))
def test_init_state_is_the_reference_reset(name):
    golden = load_golden(name)
    spiking.assert_init_state_is_the_reset(_cell(golden), golden, FIELDS)


@pytest.mark.parametrize("name", golden_names("IFCell"))
def test_without_lower_clamp_the_reset_is_kept(name):
    """Defect 10: ngclearn with lower_clamp_voltage=False stores the pre-reset voltage v′, so
    after its first spike a unit fires on every step. dynax resets. On the file's inputs
    (none of its voltages drop below v_rest, where the clamp would act) dynax without the
    clamp reproduces the reference's clamped run exactly, and the reference's unclamped rule,
    recomputed here from its equations, fires on every step after the first spike."""
    golden = load_golden(name)
    states = spiking.free_run(_cell(golden, lower_clamp_voltage=False), golden)
    _assert_matches(states, golden)

    p = golden.params
    v = np.full_like(golden.init["v"], -65.0)
    rfr = np.full_like(v, p["refract_time"])
    spikes = []
    for k in range(golden.num_steps):
        mask = rfr >= p["refract_time"]
        v = v + golden.dt * golden.inputs["j"][k] * p["resist_m"] * mask / p["tau_m"]
        s = v > -52.0  # the reference keeps v′: no reset, no clamp
        rfr = (rfr + golden.dt) * (1 - s)
        spikes.append(s)
    spikes = np.array(spikes)
    first = spikes.argmax(axis=0)
    after = np.arange(golden.num_steps)[:, None, None] > first
    assert spikes[after].all()
    assert np.asarray(states.s)[after].mean() < 0.2


def test_closed_form_firing_and_clamp():
    """Constant drive: v rises by Δ = R·j·dt/τ_m per step (every integrator is exact for
    this ODE); a spike resets to v_reset; the spike steps follow from that arithmetic.
    Negative drive: v falls below v_rest only without the lower clamp."""
    r, tau, dt, j = 2.0, 5.0, 0.5, np.array([0.7, 1.3, 2.9])
    delta = r * j * dt / tau
    want_spikes = np.zeros((60, 3))
    v = np.full(3, -65.0)
    for k in range(60):
        v = v + delta
        s = v > -52.0
        want_spikes[k] = s
        v = np.where(s, -60.0, v)
    for integrator in ("euler", "midpoint", "heun", "ralston", "rk4"):
        for clamp in (True, False):
            cell = IFCell(
                3, tau, resist_m=r, integration_type=integrator, lower_clamp_voltage=clamp
            )
            inputs = IFCell.Inputs(jnp.tile(jnp.asarray(j, jnp.float32), (60, 1)))
            _, states = RUN(cell, cell.init_state(), inputs, None, dt)
            np.testing.assert_array_equal(states.s, want_spikes)
    for clamp, want in ((True, -65.0), (False, -65.0 - 10 * 2.0 * 1.0 * dt / tau)):
        cell = IFCell(1, tau, resist_m=r, lower_clamp_voltage=clamp)
        final, _ = RUN(cell, cell.init_state(), IFCell.Inputs(-jnp.ones((10, 1))), None, dt)
        np.testing.assert_allclose(final.v, want, rtol=1e-6)


@pytest.mark.parametrize(("refract_time", "dt"), [(0.0, 1.0), (2.0, 1.0), (1.5, 0.5)])
def test_refractory_period_sets_the_interspike_interval(refract_time, dt):
    cell = IFCell(1, 10.0, refract_time=refract_time)
    _, states = RUN(cell, cell.init_state(), IFCell.Inputs(jnp.full((30, 1), 1e4)), None, dt)
    times = np.flatnonzero(np.asarray(states.s)[:, 0])
    np.testing.assert_array_equal(np.diff(times), math.ceil(refract_time / dt) + 1)


def test_rest_is_a_fixed_point_without_input():
    cell = IFCell(3, 10.0)
    rest = cell.init_state()
    final, _ = RUN(cell, rest, IFCell.Inputs(jnp.zeros((20, 3))), None, 1.0)
    np.testing.assert_array_equal(final.v, rest.v)


# ---------------------------------------------------------------- gradients


@functools.partial(jax.jit, static_argnames="integrator")
def _spike_count(tau_m, scale, integrator="euler"):
    cell = IFCell(3, tau_m, resist_m=4.0, refract_time=2.0, integration_type=integrator)
    j = scale * jnp.linspace(0.5, 2.5, 300).reshape(100, 3)
    _, states = contract.run_steps(cell, cell.init_state(), IFCell.Inputs(j), None, 1.0)
    return states.s.sum()


@pytest.mark.parametrize("integrator", ["euler", "midpoint"])
def test_surrogate_gradients_through_100_steps(integrator):
    spiking.assert_spike_count_gradients(_spike_count, 5.0, integrator)


def test_gradient_wrt_tau_matches_finite_difference():
    def loss(tau_m):
        cell = IFCell(3, tau_m, thr=100.0)
        j = jnp.tile(jnp.array([1.0, 2.0, 3.0]), (20, 1))
        final, _ = contract.run_steps(cell, cell.init_state(), IFCell.Inputs(j), None, 0.5)
        return jnp.sum((final.v + 60.0) ** 2)

    grad = contract.assert_grad_matches_finite_difference(loss, 10.0)
    # closed form: v = −65 + 10·j/τ, loss = Σ(10j/τ − 5)², d/dτ = Σ 2(10j/τ − 5)(−10j/τ²)
    j = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(grad, np.sum(2 * (j - 5) * (-10 * j / 100)), rtol=1e-4)
