"""SLIFCell: golden parity with ngclearn, rest and thresholds, gradients, oracles. The
properties of the contract and bad input are checked by `tests/test_contract.py` (entry in
`tests/components/spiking.py`)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import contract, spiking
from support.golden import constructor_kwargs, golden_names, load_golden

from dynax.neurons.spiking.slif_cell import SLIFCell
from dynax.surrogate import FastSigmoid

RENAMES = {"batch_size": None, "key_seed": None}
RECORDED = ("v", "s", "thr", "rfr", "tols", "surrogate")


def _cell_from_golden(golden):
    kwargs = constructor_kwargs(golden, RENAMES)
    # The reference's construction key is PRNGKey(key_seed); dynax draws with the same splits.
    return SLIFCell(**kwargs, key=jax.random.PRNGKey(golden.params["key_seed"]))


def _recorded_states(golden):
    """The reference's state before every step (axes (T, B)), clock t = k·dt before step k + 1
    (the file's recorded times)."""
    return spiking.resynced_states(golden, SLIFCell.State, RECORDED)


def _run(cell, golden, resync):
    if resync:
        return spiking.resynced_steps(cell, golden, _recorded_states(golden))
    return spiking.free_run(cell, golden)


@pytest.mark.parametrize("resync", [True, False], ids=["resync", "free"])
@pytest.mark.parametrize("name", golden_names("SLIFCell"))
def test_matches_reference(name, resync):
    golden = load_golden(name)
    cell = _cell_from_golden(golden)
    np.testing.assert_array_equal(cell.threshold0, golden.init["thr"].reshape(-1))
    states = _run(cell, golden, resync)
    spiking.assert_recorded(
        states, golden, equal=("s", "rfr", "tols"), close=("v", "thr", "surrogate"), atol=1e-6
    )
    assert golden.traj["s"].any() and not golden.traj["s"].all()


@pytest.mark.parametrize("name", golden_names("SLIFCell"))
def test_input_is_not_overwritten_but_the_same_current_drives_the_step(name):
    """Defect 2 (spec §9): the reference writes J = R·j − R_inh·(s @ W) into its input `j`.
    dynax leaves its inputs alone; `input_current` gives J, equal to what the reference
    recorded (this also checks that the key reproduces the unrecorded lateral weights)."""
    golden = load_golden(name)
    cell = _cell_from_golden(golden)
    current = jax.vmap(jax.vmap(cell.input_current))
    states, j = _recorded_states(golden), SLIFCell.Inputs(golden.inputs["j"])
    np.testing.assert_allclose(current(states, j), golden.traj["j"], rtol=1e-5, atol=1e-6)
    assert not np.allclose(golden.traj["j"], golden.inputs["j"])


# ---------------------------------------------------------------- properties (hypothesis)

N = 4
KEY = jax.random.key(0)


@st.composite
def cells(draw):
    return SLIFCell(
        N,
        tau_m=draw(st.floats(2.0, 30.0)),
        resist_m=draw(st.floats(0.5, 3.0)),
        thr=draw(st.floats(0.2, 1.0)),
        resist_inh=draw(st.sampled_from([0.0, 0.2])),
        thr_gain=draw(st.floats(0.0, 0.05)),
        thr_leak=draw(st.floats(0.0, 0.01)),
        rho_b=draw(st.sampled_from([0.0, 0.01])),
        refract_time=draw(st.sampled_from([0.0, 2.0])),
        sticky_spikes=draw(st.booleans()),
        integration_type=draw(st.sampled_from(["euler", "midpoint", "rk4"])),
        key=jax.random.key(draw(st.integers(0, 2**16))),
    )


@given(cells(), st.floats(0.1, 1.0))
def test_rest_without_input_stays_silent_and_thresholds_relax(cell, dt):
    """v = 0, s = 0 is kept under zero input; thresholds follow their own rule: the sparsity
    rule lowers them by ρ_b per step (floor 0.025), the leak multiplies them by 1 − leak."""
    state = cell.init_state()
    zero = SLIFCell.Inputs(jnp.zeros(N))
    for k in range(1, 4):
        new = cell.step(state, zero, None, dt)
        np.testing.assert_array_equal(new.v, 0.0)
        np.testing.assert_array_equal(new.s, 0.0)
        if float(cell.rho_b) > 0:
            expected = np.maximum(np.asarray(state.thr) - float(cell.rho_b), 0.025)
        else:
            expected = np.asarray(state.thr) * (1.0 - float(cell.thr_leak))
        np.testing.assert_allclose(new.thr, expected, rtol=1e-6)
        np.testing.assert_allclose(new.t, k * dt, rtol=1e-6)
        state = new


def _subthreshold_loss(integrator):
    """Σv² after 20 steps below threshold (no spike): the trajectory is smooth in τ_m."""
    j = jnp.linspace(0.1, 0.5, N)

    def loss(tau_m):
        cell = SLIFCell(N, tau_m, 1.0, 100.0, thr_jitter=0.0, key=KEY, integration_type=integrator)
        final, _ = contract.run_steps(
            cell, cell.init_state(), SLIFCell.Inputs(jnp.tile(j, (20, 1))), None, 0.5
        )
        return jnp.sum(final.v**2)

    return jax.jit(loss)


SUBTHRESHOLD_LOSSES = {name: _subthreshold_loss(name) for name in ("euler", "midpoint", "rk4")}


@given(st.floats(2.0, 30.0), st.sampled_from(sorted(SUBTHRESHOLD_LOSSES)))
def test_gradient_wrt_tau_matches_finite_difference(tau, integrator):
    contract.assert_grad_matches_finite_difference(SUBTHRESHOLD_LOSSES[integrator], tau)


def _spiking_run(resist_m, tau_m):
    cell = SLIFCell(
        N, tau_m, resist_m, 0.5, resist_inh=0.1, thr_gain=0.01, refract_time=2.0, key=KEY
    )
    j = jax.random.uniform(jax.random.key(3), (100, N), minval=0.0, maxval=1.5)
    _, states = contract.run_steps(cell, cell.init_state(), SLIFCell.Inputs(j), None, 1.0)
    return states.s


def test_gradient_through_100_spiking_steps_is_finite_and_nonzero():
    """With respect to the resistance and to τ_m."""
    spiking.assert_gradient_through_spikes(_spiking_run, jnp.asarray(1.0), jnp.asarray(5.0))


def test_jvp_through_spikes():
    primal = spiking.jvp_through_spikes(
        lambda r: _spiking_run(r, jnp.asarray(5.0)), jnp.asarray(1.0)
    )
    assert set(np.unique(primal)) == {0.0, 1.0}


def test_surrogate_gives_the_gradient_of_the_spike():
    """One step from v = 0: s = H(v′ − thr) with v′ = dt·R·j/τ; ds/dR = σ′(v′ − thr)·dt·j/τ."""
    surrogate = FastSigmoid(alpha=3.0)
    j = jnp.array([0.2, 0.5, 1.0, 2.0])

    def spikes(resist_m):
        cell = SLIFCell(N, 4.0, resist_m, 0.3, thr_jitter=0.0, key=KEY, surrogate=surrogate)
        return cell.step(cell.init_state(), SLIFCell.Inputs(j), None, 1.0).s

    jac = jax.jit(jax.jacfwd(spikes))(jnp.asarray(1.5))
    x = 1.5 * j / 4.0 - 0.3
    np.testing.assert_allclose(jac, j / 4.0 / (1 + 3.0 * np.abs(x)) ** 2, rtol=1e-5)
    np.testing.assert_array_equal(spikes(jnp.asarray(1.5)), (x > 0).astype(np.float32))


# ---------------------------------------------------------------- oracles


def test_one_step_equations():
    """Euler step, lateral inhibition from the previous spikes, reset, threshold gain/leak,
    refractory restart at dt, secant output — each against its formula."""
    w = jnp.array([[0.0, 0.5, 0.2, 0.1], [0.3, 0.0, 0.4, 0.6], [0.9, 0.8, 0.0, 0.7], [1, 1, 1, 0]])
    thr = jnp.array([0.1, 0.2, 0.3, 5.0])
    cell = SLIFCell(
        N,
        4.0,
        2.0,
        thr,
        resist_inh=0.5,
        thr_gain=0.1,
        thr_leak=0.01,
        thr_jitter=0.0,
        inh_weights=w,
    )
    state = eqx.tree_at(lambda s: s.s, cell.init_state(), jnp.array([1.0, 0.0, 1.0, 0.0]))
    j = jnp.array([1.0, 2.0, -1.0, 3.0])
    new = cell.step(state, SLIFCell.Inputs(j), None, 0.5)
    current = 2.0 * np.asarray(j) - 0.5 * (np.array([1, 0, 1, 0]) @ np.asarray(w))
    v = 0.5 * current / 4.0
    s = (v > np.asarray(thr)).astype(np.float32)
    np.testing.assert_allclose(new.v, v * (1 - s), rtol=1e-6)
    np.testing.assert_array_equal(new.s, s)
    np.testing.assert_allclose(new.thr, np.asarray(thr) * 0.99 + 0.1 * s, rtol=1e-6)
    np.testing.assert_allclose(new.rfr, 0.5)  # (0 + dt)(1 − s) + s·dt
    np.testing.assert_allclose(new.surrogate, (current > 0) / np.cosh(0.08 * current), rtol=1e-6)
    np.testing.assert_allclose(new.tols, 0.5 * s)


def test_sticky_spikes_are_pinned_while_refractory_and_voltage_is_frozen():
    cell_kwargs = dict(refract_time=2.0, thr_jitter=0.0, key=KEY)
    for sticky in (True, False):
        cell = SLIFCell(1, 1.0, 1.0, 0.5, sticky_spikes=sticky, **cell_kwargs)
        state = cell.init_state()
        spikes, voltages = [], []
        for j in [1.0, 1.0, 1.0, 0.0]:
            state = cell.step(state, SLIFCell.Inputs(jnp.array([j])), None, 1.0)
            spikes.append(float(state.s[0]))
            voltages.append(float(state.v[0]))
        # step 1 fires (v′ = 1 > 0.5), steps 2-3 are refractory (rfr = 1 < 2, then 2 ≥ 2).
        assert spikes[0] == 1.0 and voltages[0] == 0.0
        assert voltages[1] == 0.0  # frozen at the reset value while refractory
        assert spikes[1] == (1.0 if sticky else 0.0)
        assert spikes[2] == 1.0  # rfr = 2 ≥ T_ref again: integrates to 1 and fires


def test_sparsity_rule():
    """ρ_b > 0: thr⁺ = max(thr + ρ_b(Σs − 1), 0.025)."""
    cell = SLIFCell(N, 1.0, 1.0, 0.5, rho_b=0.2, thr_jitter=0.0, key=KEY)
    new = cell.step(cell.init_state(), SLIFCell.Inputs(jnp.array([2.0, 2.0, 2.0, 0.0])), None, 1.0)
    np.testing.assert_allclose(new.thr, 0.5 + 0.2 * 2.0)
    new = cell.step(cell.init_state(), SLIFCell.Inputs(jnp.zeros(N)), None, 1.0)
    np.testing.assert_allclose(new.thr, 0.3)


def test_rk4_follows_the_exact_exponential_relaxation():
    """Constant J, not refractory: v(dt) = J + (v − J)e^{−dt/τ}; RK4 is far closer than
    Euler (the reference's only scheme)."""
    j = jnp.array([0.1, 0.2, 0.3, 0.4])
    exact = j * (1 - np.exp(-1.0 / 3.0))
    errors = {}
    for name in ("euler", "rk4"):
        cell = SLIFCell(N, 3.0, 1.0, 10.0, thr_jitter=0.0, key=KEY, integration_type=name)
        v = cell.step(cell.init_state(), SLIFCell.Inputs(j), None, 1.0).v
        errors[name] = float(np.abs(v - exact).max())
    assert errors["rk4"] < 1e-2 * errors["euler"]


def test_construction_draws_come_from_the_key():
    a = SLIFCell(8, 10.0, 1.0, 0.6, key=jax.random.key(1))
    b = SLIFCell(8, 10.0, 1.0, 0.6, key=jax.random.key(1))
    c = SLIFCell(8, 10.0, 1.0, 0.6, key=jax.random.key(2))
    np.testing.assert_array_equal(a.threshold0, b.threshold0)
    np.testing.assert_array_equal(a.inh_weights, b.inh_weights)
    assert not np.array_equal(a.threshold0, c.threshold0)
    assert not np.array_equal(a.inh_weights, c.inh_weights)
    w = np.asarray(a.inh_weights)
    np.testing.assert_array_equal(np.diag(w), 0.0)
    off = w[~np.eye(8, dtype=bool)]
    assert off.min() >= 0.025 and off.max() < 1.0
    assert np.all(np.abs(np.asarray(a.threshold0) - 0.6) <= 0.05 + 1e-7)


def test_explicit_arrays_are_used_as_given():
    thr = jnp.array([0.1, 0.2, 0.3, 0.4])
    w = jnp.full((N, N), 0.5)
    cell = SLIFCell(N, 10.0, 1.0, thr, thr_jitter=0.0, inh_weights=w)
    np.testing.assert_array_equal(cell.threshold0, thr)
    np.testing.assert_array_equal(cell.inh_weights, w)
    np.testing.assert_array_equal(cell.init_state().thr, thr)
