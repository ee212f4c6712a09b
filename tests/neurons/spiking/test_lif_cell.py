"""LIFCell: golden parity with ngclearn, closed forms (leak, adaptation, refractory period),
the one-spike rules, the surrogate output vs the real gradient, the state of one sample,
init_state's bad input. The properties of the contract and bad input are checked by
`tests/test_contract.py` (entry in `tests/components/spiking.py`)."""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from support import contract, spiking
from support.golden import constructor_kwargs, golden_names, load_golden

from dynax.neurons.spiking.lif_cell import LIFCell
from dynax.surrogate import FastSigmoid, StraightThrough, Triangular

RUN = jax.jit(contract.run_steps)  # one compilation per cell structure, not per value

RENAMES = {"key_seed": None, "batch_size": None}
FIELDS = [f for f in LIFCell.State.__dataclass_fields__ if f != "t"]


def _cell(golden):
    kwargs = constructor_kwargs(golden, RENAMES)
    # ngclearn's LIFCell runs RK2 for "midpoint"/"rk2" and Euler for every other name.
    kwargs["integration_type"] = spiking.reference_integrator(golden)
    return LIFCell(**kwargs)


def _assert_matches(states, golden):
    close = ("v", "rfr", "thr_theta", "tols", "surrogate", "v_thr")
    spiking.assert_recorded(states, golden, equal=("s", "s_raw"), close=close)


@pytest.mark.parametrize("name", golden_names("LIFCell"))
def test_free_run_matches_reference(name):
    """Every recorded compartment at every step (the free run stays in sync)."""
    golden = load_golden(name)
    _assert_matches(spiking.free_run(_cell(golden), golden), golden)


@pytest.mark.parametrize("name", golden_names("LIFCell"))
def test_resynced_steps_match_reference(name):
    """Each step taken from the reference's recorded state gives its next state."""
    golden = load_golden(name)
    states = spiking.resynced_states(golden, LIFCell.State, FIELDS)
    _assert_matches(spiking.resynced_steps(_cell(golden), golden, states), golden)


@pytest.mark.parametrize("name", golden_names("LIFCell"))
def test_init_state_is_the_reference_reset(name):
    golden = load_golden(name)
    spiking.assert_init_state_is_the_reset(_cell(golden), golden, FIELDS)


def test_adapted_thresholds_carry_over_through_init_state():
    """ngclearn's reset keeps thr_theta; dynax's `init_state(thr_theta=...)` does the same,
    and the carried shift raises the threshold of the next sequence."""
    golden = load_golden("LIFCell_rk2_adaptive")
    cell = _cell(golden)
    final = jax.tree.map(lambda x: x[-1, 0], spiking.free_run(cell, golden))
    assert (final.thr_theta > 0).all()
    rest = cell.init_state(thr_theta=final.thr_theta)
    np.testing.assert_array_equal(rest.thr_theta, final.thr_theta)
    np.testing.assert_allclose(rest.v_thr, golden.params["thr"] + final.thr_theta)
    np.testing.assert_array_equal(rest.v, cell.init_state().v)
    # a voltage just above thr but below thr + thr_theta fires only without the carried shift
    probe = rest.v.at[:].set(golden.params["thr"] + 0.5 * final.thr_theta)
    zero = LIFCell.Inputs(jnp.zeros(5))
    fresh = cell.init_state()
    kept = cell.step(eqx_replace(rest, v=probe), zero, None, 1e-3)
    reset = cell.step(eqx_replace(fresh, v=probe), zero, None, 1e-3)
    np.testing.assert_array_equal(kept.s, 0.0)
    np.testing.assert_array_equal(reset.s, 1.0)


def eqx_replace(state, **changes):
    values = {f: getattr(state, f) for f in LIFCell.State.__dataclass_fields__}
    return LIFCell.State(**(values | changes))


# ---------------------------------------------------------------- closed forms


def test_euler_leak_matches_the_closed_form():
    """Constant sub-threshold drive: v_k = v_∞ + (v_0 − v_∞)(1 − g_L·dt/τ_m)^k with
    v_∞ = v_rest + R·j/g_L (Euler's recurrence solved by hand)."""
    tau, r, g, dt, j = 20.0, 2.0, 0.5, 0.5, jnp.array([1.0, 2.0, 3.0])
    cell = LIFCell(3, tau, resist_m=r, conduct_leak=g, thr=0.0, v_rest=-65.0, v_reset=-70.0)
    _, states = RUN(cell, cell.init_state(), LIFCell.Inputs(jnp.tile(j, (60, 1))), None, dt)
    k = np.arange(1, 61)[:, None]
    v_inf = -65.0 + r * np.asarray(j) / g
    want = v_inf + (-65.0 - v_inf) * (1 - g * dt / tau) ** k
    np.testing.assert_allclose(states.v, want, rtol=1e-5)
    assert not np.asarray(states.s).any()


def test_adaptation_decays_in_closed_form():
    """Without spikes thr_theta_k = thr_theta_0·exp(−k·dt/τ_θ); τ_θ = 0 switches it off."""
    dt, k = 0.5, np.arange(1, 41)[:, None]
    for tau_theta, want in [(20.0, np.exp(-k * dt / 20.0)), (0.0, np.ones((40, 1)))]:
        cell = LIFCell(2, 10.0, tau_theta=tau_theta)
        rest = cell.init_state(thr_theta=1.0)
        _, states = RUN(cell, rest, LIFCell.Inputs(jnp.zeros((40, 2))), None, dt)
        np.testing.assert_allclose(states.thr_theta, np.broadcast_to(want, (40, 2)), rtol=1e-5)
        np.testing.assert_allclose(states.v_thr, -52.0 + states.thr_theta, rtol=1e-6)


@pytest.mark.parametrize(("refract_time", "dt"), [(0.0, 1.0), (2.0, 1.0), (3.0, 0.5), (2.5, 1.0)])
def test_refractory_period_sets_the_interspike_interval(refract_time, dt):
    """Under a huge drive a unit fires whenever it is not refractory: after a spike rfr
    restarts at 0 and grows by dt; the input is back once rfr ≥ T_ref, i.e. after
    ⌈T_ref/dt⌉ silent steps, so the interval is ⌈T_ref/dt⌉ + 1 steps."""
    cell = LIFCell(1, 10.0, resist_m=1.0, refract_time=refract_time, tau_theta=0.0)
    j = jnp.full((40, 1), 1e4)
    _, states = RUN(cell, cell.init_state(), LIFCell.Inputs(j), None, dt)
    times = np.flatnonzero(np.asarray(states.s)[:, 0])
    assert times[0] == 0
    np.testing.assert_array_equal(np.diff(times), math.ceil(refract_time / dt) + 1)
    # during the refractory period only the leak acts (towards v_rest from v_reset)
    if refract_time > 0:
        v1 = float(states.v[1, 0])
        np.testing.assert_allclose(v1, -60.0 + dt * (-65.0 + 60.0) / 10.0, rtol=1e-6)


def test_v_min_bounds_the_voltage():
    cell = LIFCell(2, 5.0, resist_m=1.0, v_min=-70.0)
    _, states = RUN(cell, cell.init_state(), LIFCell.Inputs(jnp.full((30, 2), -50.0)), None, 1.0)
    np.testing.assert_allclose(states.v[-1], -70.0)
    free = LIFCell(2, 5.0, resist_m=1.0)
    _, states = RUN(free, free.init_state(), LIFCell.Inputs(jnp.full((30, 2), -50.0)), None, 1.0)
    assert (np.asarray(states.v[-1]) < -100.0).all()


def test_rest_is_a_fixed_point_without_input():
    for integrator in ("euler", "midpoint", "rk4"):
        cell = LIFCell(3, 10.0, integration_type=integrator)
        rest = cell.init_state()
        new = cell.step(rest, LIFCell.Inputs(jnp.zeros(3)), None, 1.0)
        np.testing.assert_array_equal(new.v, rest.v)
        np.testing.assert_array_equal(new.s, 0.0)


# ---------------------------------------------------------------- one-spike rules


def _above_threshold(cell, v):
    rest = cell.init_state()
    return eqx_replace(rest, v=jnp.asarray(v, jnp.float32))


def test_one_spike_keeps_one_raw_spike_at_random():
    """Units 0, 2, 3 cross the threshold: `s` keeps exactly one of them, each with
    probability 1/3 over keys (binomial 5σ band), `s_raw` keeps all three; the reset and the
    refractory clock act on every raw spike, `tols` only on the kept one."""
    cell = LIFCell(4, 10.0, one_spike=True, tau_theta=0.0)
    state = _above_threshold(cell, [-40.0, -60.0, -45.0, -30.0])
    keys = jax.random.split(jax.random.key(0), 3000)
    new = jax.jit(jax.vmap(lambda k: cell.step(state, LIFCell.Inputs(jnp.zeros(4)), k, 0.1)))(keys)
    s = np.asarray(new.s)
    np.testing.assert_array_equal(s.sum(axis=1), 1.0)
    np.testing.assert_array_equal(s[:, 1], 0.0)
    np.testing.assert_array_equal(new.s_raw, np.broadcast_to([1.0, 0.0, 1.0, 1.0], (3000, 4)))
    np.testing.assert_allclose(new.v[:, [0, 2, 3]], -60.0)
    np.testing.assert_array_equal(new.rfr[:, [0, 2, 3]], 0.0)
    np.testing.assert_allclose(new.tols, 0.1 * s)
    freq = s[:, [0, 2, 3]].mean(axis=0)
    assert (np.abs(freq - 1 / 3) < 5 * math.sqrt(2 / 9 / 3000)).all(), freq
    contract.assert_key_determines_noise(cell, state, LIFCell.Inputs(jnp.zeros(4)), 0.1)
    quiet = cell.step(cell.init_state(), LIFCell.Inputs(jnp.zeros(4)), keys[0], 0.1)
    np.testing.assert_array_equal(quiet.s, 0.0)


def test_one_spike_needs_a_key():
    cell = LIFCell(4, 10.0, one_spike=True)
    with pytest.raises(ValueError, match="key"):
        cell.step(cell.init_state(), LIFCell.Inputs(jnp.zeros(4)), None, 0.1)


def test_max_one_spike_keeps_the_spike_of_the_highest_old_voltage():
    """Only the unit with the largest voltage at the start of the step may keep its spike
    (the reference's rule); `s_raw` has them all. No key needed."""
    cell = LIFCell(4, 10.0, max_one_spike=True, one_spike=True, tau_theta=0.0)
    state = _above_threshold(cell, [-40.0, -60.0, -45.0, -30.0])
    new = cell.step(state, LIFCell.Inputs(jnp.zeros(4)), None, 0.1)
    np.testing.assert_array_equal(new.s, [0.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(new.s_raw, [1.0, 0.0, 1.0, 1.0])
    # the highest unit does not spike (strong negative input): nothing is kept
    blocked = cell.step(state, LIFCell.Inputs(jnp.array([0.0, 0.0, 0.0, -1e4])), None, 0.1)
    np.testing.assert_array_equal(blocked.s, 0.0)
    np.testing.assert_array_equal(blocked.s_raw, [1.0, 0.0, 1.0, 0.0])


# ---------------------------------------------------------------- surrogates and gradients


def _arctan_02(x):
    """ngclearn's arctan surrogate with α = 0.2, written from its source."""
    return 1.0 / (1.0 + (x * math.pi * 0.1) ** 2) / math.pi


@pytest.mark.parametrize(
    ("surrogate_type", "derivative"),
    [
        (None, _arctan_02),
        ("arctan", lambda x: 1.0 / (1.0 + (x * math.pi) ** 2) / math.pi),
        ("triangular", lambda x: np.maximum(0.0, 1.0 - 2.0 * np.abs(x))),
        (Triangular(alpha=0.1), lambda x: np.maximum(0.0, 1.0 - 0.1 * np.abs(x))),
        ("straight_through", lambda x: np.ones_like(x)),
        (FastSigmoid(alpha=1.0), lambda x: 1.0 / (1.0 + np.abs(x)) ** 2),
    ],
)
def test_surrogate_type_is_honoured(surrogate_type, derivative):
    """The `surrogate` output is σ′(v′ − θ)·R·dt/τ_m with the chosen σ (ngclearn ignores
    `surrogate_type`, defect 11), and for Euler it IS the gradient ds_raw/dj that jax
    computes: dv′/dj = R·dt/τ_m."""
    r, tau, dt = 3.0, 8.0, 0.5
    cell = LIFCell(4, tau, resist_m=r, surrogate_type=surrogate_type, refract_time=0.0)
    state = _above_threshold(cell, [-53.0, -52.2, -51.9, -48.0])
    j = jnp.array([0.1, 0.2, 0.3, 0.4])
    new = cell.step(state, LIFCell.Inputs(j), None, dt)
    v_new = np.asarray(state.v) + dt * ((-65.0 - np.asarray(state.v)) + r * np.asarray(j)) / tau
    want = derivative(v_new - (-52.0)) * r * dt / tau
    np.testing.assert_allclose(new.surrogate, want, rtol=1e-4, atol=1e-7)
    jac = jax.jacfwd(lambda j: cell.step(state, LIFCell.Inputs(j), None, dt).s_raw)(j)
    np.testing.assert_allclose(np.diag(jac), new.surrogate, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(jac - np.diag(np.diag(jac)), 0.0)


@functools.partial(jax.jit, static_argnames="integrator")
def _spike_count(tau_m, scale, integrator="euler"):
    cell = LIFCell(3, tau_m, resist_m=10.0, integration_type=integrator, refract_time=2.0)
    j = scale * jnp.linspace(1.0, 2.5, 300).reshape(100, 3)
    _, states = RUN(cell, cell.init_state(), LIFCell.Inputs(j), None, 1.0)
    return states.s.sum()


@pytest.mark.parametrize("integrator", ["euler", "midpoint"])
def test_surrogate_gradients_through_100_steps(integrator):
    spiking.assert_spike_count_gradients(_spike_count, 10.0, integrator)


def test_gradient_wrt_tau_matches_finite_difference():
    def loss(tau_m):
        cell = LIFCell(3, tau_m, resist_m=2.0, integration_type="midpoint")
        j = jnp.tile(jnp.array([1.0, 2.0, 3.0]), (30, 1))
        final, _ = RUN(cell, cell.init_state(), LIFCell.Inputs(j), None, 0.5)
        return jnp.sum((final.v + 60.0) ** 2)

    contract.assert_grad_matches_finite_difference(loss, 10.0, rel_step=1e-2)


# ---------------------------------------------------------------- one sample, bad input


def test_one_sample_has_no_batch_axis():
    """ngclearn hard-codes a batch of 1; here the state is one sample, `(n_units,)`."""
    rest = LIFCell(7, 10.0).init_state()
    for field in FIELDS:
        assert getattr(rest, field).shape == (7,)
    assert rest.t.shape == ()


def test_bad_thr_theta_in_init_state_raises():
    with pytest.raises(ValueError, match="thr_theta"):
        LIFCell(3, 1.0).init_state(thr_theta=jnp.ones(2))


def test_straight_through_is_the_only_change_of_a_surrogate():
    """Forward spikes never depend on the surrogate."""
    state = _above_threshold(LIFCell(4, 10.0), [-40.0, -60.0, -45.0, -30.0])
    a = LIFCell(4, 10.0).step(state, LIFCell.Inputs(jnp.ones(4)), None, 0.1)
    b = LIFCell(4, 10.0, surrogate_type=StraightThrough()).step(
        state, LIFCell.Inputs(jnp.ones(4)), None, 0.1
    )
    np.testing.assert_array_equal(a.s, b.s)
    np.testing.assert_array_equal(a.v, b.v)
