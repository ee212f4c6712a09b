"""QuadLIFCell: golden parity with ngclearn through the documented rename and sign
(defect 12), the textbook quadratic (stable rest, critical voltage), the guard, the
threshold outputs ngclearn leaves stale, gradients, ngclearn's argument names. The
properties of the contract and bad input are checked by `tests/test_contract.py` (entry in
`tests/components/spiking.py`)."""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from support import contract, spiking
from support.golden import constructor_kwargs, golden_names, load_golden

from dynax.neurons.spiking.quad_lif_cell import QuadLIFCell

RUN = jax.jit(contract.run_steps)  # one compilation per cell structure, not per value

# ngclearn's names are swapped against their meaning (defect 12): `v_scale` is the critical
# voltage, `critical_v` the gain. Its quadratic term has the opposite sign of the textbook
# one, so its gain maps to a0 = −critical_v.
RENAMES = {"key_seed": None, "batch_size": None, "v_scale": "v_c", "critical_v": "a0"}
REFERENCE_CRITICAL_V = 1.0  # ngclearn's default `critical_v`
FIELDS = [f for f in QuadLIFCell.State.__dataclass_fields__ if f != "t"]


def _cell(golden, reference_sign=True):
    kwargs = constructor_kwargs(golden, RENAMES)
    gain = kwargs.get("a0", REFERENCE_CRITICAL_V)
    kwargs["a0"] = -gain if reference_sign else gain
    # ngclearn's QuadLIFCell runs RK2 for "midpoint"/"rk2" and Euler for every other name.
    kwargs["integration_type"] = spiking.reference_integrator(golden)
    return QuadLIFCell(**kwargs)


def _assert_dynamics_match(states, golden):
    spiking.assert_recorded(
        states, golden, equal=("s", "s_raw"), close=("v", "rfr", "thr_theta", "tols")
    )


@pytest.mark.parametrize("name", golden_names("QuadLIFCell"))
def test_free_run_matches_reference_with_its_sign(name):
    """With a0 = −critical_v (and v_c = v_scale) every dynamical compartment matches."""
    golden = load_golden(name)
    _assert_dynamics_match(spiking.free_run(_cell(golden), golden), golden)


@pytest.mark.parametrize("name", golden_names("QuadLIFCell"))
def test_resynced_steps_match_reference_with_its_sign(name):
    golden = load_golden(name)
    states = spiking.resynced_states(golden, QuadLIFCell.State, FIELDS)
    _assert_dynamics_match(spiking.resynced_steps(_cell(golden), golden, states), golden)


@pytest.mark.parametrize("name", golden_names("QuadLIFCell"))
def test_threshold_outputs_are_updated(name):
    """ngclearn's QuadLIF never updates `v_thr` (stays `thr`) nor `surrogate` (stays 1)
    although its threshold adapts. dynax reports `v_thr = thr + thr_theta` and the estimate
    `σ′(v′ − θ)·R·dt/τ_m` (arctan, α = 0.2), checked here against the recorded states on
    the steps without a spike (where v′ is the recorded voltage)."""
    golden = load_golden(name)
    p = golden.params
    thr, r, tau = p.get("thr", -52.0), p["resist_m"], p["tau_m"]
    assert (golden.traj["v_thr"] == thr).all() and (golden.traj["surrogate"] == 1).all()
    assert golden.traj["thr_theta"].max() > 0
    states = spiking.free_run(_cell(golden), golden)
    np.testing.assert_allclose(states.v_thr, thr + golden.traj["thr_theta"], rtol=1e-6)
    theta_old = thr + np.concatenate([golden.init["thr_theta"][None], golden.traj["thr_theta"]])
    x = golden.traj["v"] - theta_old[:-1]
    want = 1.0 / (math.pi * (1.0 + (math.pi * 0.1 * x) ** 2)) * r * golden.dt / tau
    quiet = golden.traj["s_raw"] == 0
    np.testing.assert_allclose(states.surrogate[quiet], want[quiet], rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("name", golden_names("QuadLIFCell"))
def test_textbook_sign_is_not_the_reference(name):
    """dynax's a0 = +critical_v (the textbook sign, ngclearn's own docstring) gives other
    dynamics on the same inputs: the reference's cells are driven up to v_c and fire far
    more often than the textbook cells, whose rest is stable."""
    golden = load_golden(name)
    states = spiking.free_run(_cell(golden, reference_sign=False), golden)
    assert states.s.sum() < 0.5 * golden.traj["s"].sum()


def test_rest_is_stable_with_the_textbook_sign():
    """a0 > 0: v_rest is a stable fixed point; a displacement decays by the Euler factor
    1 + dt·a0·(v_rest − v_c)/τ_m per step to first order, and no spike occurs. With the
    reference's sign (a0 < 0), the same cell leaves rest and fires with no input."""
    dt, tau, a0 = 0.5, 10.0, 1.0
    cell = QuadLIFCell(2, tau, a0=a0)
    rest = cell.init_state()
    np.testing.assert_array_equal(
        cell.step(rest, QuadLIFCell.Inputs(jnp.zeros(2)), None, dt).v, rest.v
    )
    start = rest.v + jnp.array([1e-3, -1e-3])
    state = _with_v(rest, start)
    new = cell.step(state, QuadLIFCell.Inputs(jnp.zeros(2)), None, dt)
    factor = 1 + dt * a0 * (-65.0 + 41.6) / tau
    np.testing.assert_allclose(new.v - rest.v, factor * (start - rest.v), rtol=2e-2)
    zero = QuadLIFCell.Inputs(jnp.zeros((200, 2)))
    _, states = RUN(cell, _with_v(rest, rest.v + 3.0), zero, None, dt)
    assert not np.asarray(states.s).any()
    np.testing.assert_allclose(states.v[-1], -65.0, atol=1e-3)
    reference = QuadLIFCell(2, tau, a0=-a0)
    _, states = RUN(reference, _with_v(rest, rest.v + 0.1), zero, None, dt)
    assert np.asarray(states.s).sum(axis=0).min() >= 5


def _with_v(state, v):
    values = {f: getattr(state, f) for f in QuadLIFCell.State.__dataclass_fields__}
    return QuadLIFCell.State(**(values | {"v": jnp.asarray(v, jnp.float32)}))


def test_critical_voltage_separates_return_from_runaway():
    """Textbook QIF with thr above v_c: from just below v_c the cell returns to rest; from
    just above, v runs away through the threshold (no input in either case)."""
    cell = QuadLIFCell(2, 10.0, thr=-20.0, v_c=-41.6, integration_type="rk4")
    start = _with_v(cell.init_state(), [-41.7, -41.5])
    _, states = RUN(cell, start, QuadLIFCell.Inputs(jnp.zeros((400, 2))), None, 0.1)
    s = np.asarray(states.s)
    assert not s[:, 0].any() and s[:, 1].any()
    assert float(states.v[-1, 0]) < -64.0


def test_guard_keeps_explicit_stages_finite():
    """RK4 under a large current: the unguarded quadratic, recomputed here in float32,
    squares a stage to inf within a step; dynax's guarded field stays finite and fires."""
    tau, r, dt, j = 1.0, 20.0, 1.0, 1e4
    cell = QuadLIFCell(1, tau, resist_m=r, a0=2.0, integration_type="rk4", refract_time=0.0)

    def f(v):
        return ((v + 65.0) * (v + 41.6) * 2.0 + r * j) / tau

    with np.errstate(over="ignore", invalid="ignore"):
        v = np.float32(-52.0)
        k1 = f(v)
        k2 = f(v + np.float32(0.5 * dt) * k1)
        k3 = f(v + np.float32(0.5 * dt) * k2)
        k4 = f(v + np.float32(dt) * k3)
        assert not np.isfinite(v + dt * (k1 + 2 * k2 + 2 * k3 + k4) / 6)
    start = _with_v(cell.init_state(), [-52.0])
    _, states = RUN(cell, start, QuadLIFCell.Inputs(jnp.full((20, 1), j)), None, dt)
    assert np.isfinite(np.asarray(states.v)).all()
    np.testing.assert_array_equal(states.s, 1.0)


def test_one_spike_keeps_one_spike_per_sample():
    """ngclearn's QuadLIF decides "any spike?" over the whole batch; here each sample is
    its own: a sample without raw spikes keeps none, a sample with several keeps one."""
    cell = QuadLIFCell(3, 10.0, one_spike=True)
    rest = cell.init_state()
    states = jax.vmap(lambda v: _with_v(rest, v))(jnp.array([[-40.0, -45.0, -60.0], [-64.0] * 3]))
    keys = jax.random.split(jax.random.key(0), 2)
    new = jax.vmap(lambda s, k: cell.step(s, QuadLIFCell.Inputs(jnp.zeros(3)), k, 0.1))(
        states, keys
    )
    np.testing.assert_array_equal(new.s.sum(axis=1), [1.0, 0.0])
    np.testing.assert_array_equal(new.s_raw[0], [1.0, 1.0, 0.0])


# ---------------------------------------------------------------- gradients


@functools.partial(jax.jit, static_argnames="integrator")
def _spike_count(tau_m, scale, integrator="euler"):
    cell = QuadLIFCell(3, tau_m, resist_m=3.0, integration_type=integrator)
    j = scale * jnp.linspace(45.0, 90.0, 300).reshape(100, 3)
    _, states = contract.run_steps(cell, cell.init_state(), QuadLIFCell.Inputs(j), None, 0.5)
    return states.s.sum()


@pytest.mark.parametrize("integrator", ["euler", "midpoint"])
def test_surrogate_gradients_through_100_steps(integrator):
    spiking.assert_spike_count_gradients(_spike_count, 10.0, integrator)


def test_gradient_wrt_tau_matches_finite_difference():
    def loss(tau_m):
        cell = QuadLIFCell(3, tau_m, resist_m=1.0, integration_type="midpoint")
        j = jnp.tile(jnp.array([10.0, 20.0, 40.0]), (30, 1))
        final, _ = contract.run_steps(cell, cell.init_state(), QuadLIFCell.Inputs(j), None, 0.5)
        return jnp.sum((final.v + 60.0) ** 2)

    contract.assert_grad_matches_finite_difference(loss, 10.0, rel_step=1e-2)


# ---------------------------------------------------------------- bad input


def test_reference_argument_names_are_not_accepted():
    """ngclearn's swapped names are not silently taken (they would mean the other thing)."""
    with pytest.raises(TypeError):
        QuadLIFCell(3, 10.0, v_scale=-41.6)
    with pytest.raises(TypeError):
        QuadLIFCell(3, 10.0, critical_v=1.0)
