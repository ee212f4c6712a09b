"""FitzhughNagumoCell: golden parity with ngclearn (its midpoint pinned as a split scheme),
oracles (equilibria, reset, the stable domain, one Euler step), gradients. The properties of the
contract and bad input are checked by `tests/test_contract.py` (entry in
`tests/components/spiking.py`)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import contract, spiking
from support.golden import constructor_kwargs, golden_names, load_golden
from support.registry import vector

from dynax.integrate import get_integrator
from dynax.neurons.spiking.fitzhugh_nagumo_cell import FitzhughNagumoCell
from dynax.surrogate import FastSigmoid

RENAMES = {"batch_size": None, "key_seed": None}
Cell = FitzhughNagumoCell


def _cell(golden, **overrides):
    return Cell(**{**constructor_kwargs(golden, RENAMES), **overrides})


def _reference_integrator(golden):
    """ngclearn's FitzhughNagumoCell honours "midpoint"/"rk2"; every other name runs Euler."""
    return spiking.reference_integrator(golden)


def _recorded_states(golden):
    return spiking.resynced_states(golden, Cell.State, ("v", "w", "s", "tols"))


def _check_against_golden(states, golden, atol):
    spiking.assert_recorded(states, golden, equal=("s",), close=("v", "w"), atol=atol)
    spiking.assert_recorded(states, golden, close=("tols",), atol=1e-6)
    np.testing.assert_allclose(states.t, golden.t[:, None] + 0 * states.t, rtol=1e-5)


SAME_SCHEME = [
    n
    for n in golden_names("FitzhughNagumoCell")
    if _reference_integrator(load_golden(n)) == "euler"
]
SPLIT_SCHEME = [n for n in golden_names("FitzhughNagumoCell") if n not in SAME_SCHEME]


@pytest.mark.parametrize("name", SAME_SCHEME)
def test_matches_reference(name):
    """ngclearn's Euler steps v with the old w and w with the old v: that is the joint Euler
    step, so dynax matches every recorded step, resynced and free."""
    golden = load_golden(name)
    cell = _cell(golden)
    np.testing.assert_array_equal(cell.init_state().v, golden.init["v"][0])
    np.testing.assert_array_equal(cell.init_state().w, golden.init["w"][0])
    resynced = spiking.resynced_steps(cell, golden, _recorded_states(golden))
    _check_against_golden(resynced, golden, 1e-6)
    _check_against_golden(spiking.free_run(cell, golden), golden, 1e-5)
    assert golden.traj["s"].any() and not golden.traj["s"].all()


def _reference_step(cell, state, j, dt, integrator):
    """ngclearn's step rebuilt from dynax's vector field: v integrated with w frozen at its
    old value, then w with v frozen at its old value; spike and reset on the new v."""
    step = get_integrator(integrator)
    current = cell.resist_m * j
    field = cell.vector_field
    v = step(lambda t, x, a: field(t, (x, state.w), current)[0], 0.0, state.v, dt, None)
    w = step(lambda t, x, a: field(t, (state.v, x), current)[1], 0.0, state.w, dt, None)
    s = v > cell.v_thr
    if cell.spike_reset:
        v, w = jnp.where(s, cell.v0, v), jnp.where(s, cell.w0, w)
    return v, w, s


@pytest.mark.parametrize("name", SPLIT_SCHEME)
def test_reference_midpoint_is_the_split_scheme(name):
    """ngclearn's midpoint applies a midpoint step to v with w frozen and one to w with v
    frozen; rebuilt from the recorded states it reproduces every recorded step. dynax's
    midpoint integrates (v, w) jointly instead (see the order test)."""
    golden = load_golden(name)
    cell = _cell(golden)
    states = _recorded_states(golden)
    scheme = _reference_integrator(golden)
    v, w, s = jax.vmap(jax.vmap(lambda st, j: _reference_step(cell, st, j, golden.dt, scheme)))(
        states, golden.inputs["j"]
    )
    np.testing.assert_array_equal(s, golden.traj["s"])
    np.testing.assert_allclose(v, golden.traj["v"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w, golden.traj["w"], rtol=1e-5, atol=1e-6)
    # dynax from the same states: the same spikes almost everywhere, values within O(dt²).
    ours = spiking.resynced_steps(cell, golden, states)
    assert np.mean(np.asarray(ours.s) == golden.traj["s"]) > 0.99
    quiet = (np.asarray(ours.s) == 0) & (golden.traj["s"] == 0)
    np.testing.assert_allclose(
        np.asarray(ours.v)[quiet], golden.traj["v"][quiet], atol=5 * golden.dt**2
    )


def test_midpoint_is_second_order_where_the_references_split_is_first_order():
    """float64, a spike-free run (no reset) against RK4 at a fine step."""
    params = {"tau_w": 2.0, "v_thr": 1e3}
    with jax.enable_x64(True):
        y0 = (jnp.array([-1.5, 0.5]), jnp.array([0.2, -0.3]))
        j = jnp.array([0.3, 0.8])

        def stepper(name):
            cell = Cell(2, **params, integration_type=name)
            return spiking.compartment_stepper(cell, Cell.Inputs(j), ("v", "w"))

        reference_cell = Cell(2, **params, integration_type="midpoint")
        rest = reference_cell.init_state()

        def split(y, dt):
            state = rest.replace(v=y[0], w=y[1])
            return _reference_step(reference_cell, state, j, dt, "midpoint")[:2]

        exact = spiking.run_for(stepper("rk4"), y0, 2.0, 2.0 / 2048)
        dts = [0.1, 0.05, 0.025]
        ours = spiking.observed_orders(stepper("midpoint"), y0, 2.0, dts, exact)
        theirs = spiking.observed_orders(jax.jit(split), y0, 2.0, dts, exact)
    np.testing.assert_allclose(ours, 2.0, atol=0.2)
    np.testing.assert_allclose(theirs, 1.0, atol=0.2)


# ---------------------------------------------------------------- properties (hypothesis)

N = 4  # one unit count keeps jit caches warm across examples
INTEGRATORS = ["euler", "midpoint", "heun", "ralston", "rk4"]


@st.composite
def cells(draw, spike_reset=None):
    return Cell(
        N,
        tau_m=draw(st.floats(0.5, 2.0)),
        resist_m=draw(st.floats(0.5, 2.0)),
        tau_w=draw(st.floats(5.0, 20.0)),
        alpha=draw(st.floats(0.5, 0.9)),
        beta=draw(st.floats(0.5, 0.9)),
        gamma=draw(st.floats(2.0, 4.0)),
        v0=draw(st.floats(-1.5, 0.0)),
        w0=draw(st.floats(-0.7, 0.0)),
        v_thr=draw(st.floats(0.8, 1.2)),
        spike_reset=draw(st.booleans()) if spike_reset is None else spike_reset,
        integration_type=draw(st.sampled_from(INTEGRATORS)),
    )


def _state(cell, v, w):
    rest = cell.init_state()
    return Cell.State(v=v, w=w, s=rest.s, tols=rest.tols, t=jnp.asarray(1.5))


dts = st.floats(0.01, 0.2).map(jnp.float32)
volts = vector(N, -2.5, 2.5)


@given(cells(), dts)
def test_equilibria_are_fixed_points_without_input(cell, dt):
    """With J = 0 the equilibria solve v − v³/γ − (v + α)/β = 0, w = (v + α)/β (a cubic,
    solved here with numpy); every integrator keeps each real one."""
    alpha, beta, gamma = (float(x) for x in (cell.alpha, cell.beta, cell.gamma))
    roots = np.roots([-1.0 / gamma, 0.0, 1.0 - 1.0 / beta, -alpha / beta])
    real = roots[np.abs(roots.imag) < 1e-9].real
    assert len(real) >= 1
    for v_star in real:
        v = jnp.full(N, v_star, jnp.float32)
        state = _state(cell, v, (v + alpha) / beta)
        new = cell.step(state, Cell.Inputs(jnp.zeros(N)), None, dt)
        np.testing.assert_allclose(new.v, state.v, atol=1e-5)
        np.testing.assert_allclose(new.w, state.w, atol=1e-5)


@given(cells(), volts, volts, volts, dts)
def test_spike_reset_puts_spiking_units_back_to_v0_w0(cell, v, w, j, dt):
    """Oracle: the cell without reset; where it spikes the resetting cell is at (v0, w0),
    elsewhere the two agree exactly."""
    free = Cell(**{**_kwargs(cell), "spike_reset": False})
    reset = Cell(**{**_kwargs(cell), "spike_reset": True})
    a = free.step(_state(free, v, w), Cell.Inputs(j), None, dt)
    b = reset.step(_state(reset, v, w), Cell.Inputs(j), None, dt)
    np.testing.assert_array_equal(a.s, b.s)
    np.testing.assert_array_equal(b.v, jnp.where(a.s > 0, cell.v0, a.v))
    np.testing.assert_array_equal(b.w, jnp.where(a.s > 0, cell.w0, a.w))
    np.testing.assert_array_equal(b.tols, jnp.where(a.s > 0, 1.5 + dt, 0.0))


def _kwargs(cell):
    names = ("tau_m", "resist_m", "tau_w", "alpha", "beta", "gamma", "v0", "w0", "v_thr")
    return {n: getattr(cell, n) for n in names} | {
        "n_units": cell.n_units,
        "integration_type": cell.integration_type,
    }


def test_outside_the_stable_domain_euler_diverges():
    """The documented limit is real (dt ≳ 0.0095·τ_m for |J| = 1e3): no silent guard."""
    cell = Cell(1)
    j = jnp.full((50, 1), 1e3)
    _, states = contract.run_steps(cell, cell.init_state(), Cell.Inputs(j), None, 0.02)
    assert not np.isfinite(states.v).all()
    _, states = contract.run_steps(cell, cell.init_state(), Cell.Inputs(j), None, 0.005)
    assert np.isfinite(states.v).all()


def _smooth_loss(integrator):
    """Without spike_reset the spikes do not feed back: v is smooth in τ_m."""
    j = jnp.tile(jnp.linspace(0.0, 1.0, N), (40, 1))

    def loss(tau_m):
        cell = Cell(N, tau_m=tau_m, integration_type=integrator)
        final, _ = contract.run_steps(cell, cell.init_state(), Cell.Inputs(j), None, 0.1)
        return jnp.sum(final.v**2 + final.w**2)

    return jax.jit(loss)


SMOOTH_LOSSES = {name: _smooth_loss(name) for name in ["euler", "midpoint", "rk4"]}


@given(st.floats(0.5, 3.0), st.sampled_from(sorted(SMOOTH_LOSSES)))
def test_gradient_wrt_tau_m_matches_finite_difference(tau, integrator):
    contract.assert_grad_matches_finite_difference(SMOOTH_LOSSES[integrator], tau)


@jax.jit
def _spike_count(resist_m):
    total = 0.0
    for integrator, reset in (("euler", True), ("rk4", False)):
        cell = Cell(N, resist_m=resist_m, spike_reset=reset, integration_type=integrator)
        j = jnp.tile(jnp.array([0.3, 0.6, 0.9, 1.2]), (100, 1))
        _, states = contract.run_steps(cell, cell.init_state(), Cell.Inputs(j), None, 0.1)
        total = total + jnp.sum(states.s)
    return total


def test_surrogate_gradient_through_100_steps_is_finite_and_nonzero():
    """Spike counts of Euler with reset and RK4 without."""
    spiking.assert_resistance_gradient(_spike_count)


def test_surrogate_is_a_field():
    a, b = Cell(N), Cell(N, surrogate=FastSigmoid())
    state = _state(a, jnp.full(N, 1.0), jnp.zeros(N))
    grads = [spiking.spike_input_gradient(c, state, jnp.zeros(N), 0.1) for c in (a, b)]
    assert not np.allclose(*grads)


def test_euler_step_is_the_equations():
    """One Euler step by hand, per-unit parameters."""
    cell = Cell(2, tau_m=jnp.array([1.0, 2.0]), gamma=jnp.array([3.0, 4.0]), resist_m=2.0)
    v, w, j = jnp.array([0.5, -1.0]), jnp.array([0.1, 0.2]), jnp.array([0.3, 0.4])
    state = Cell.State(v=v, w=w, s=jnp.zeros(2), tols=jnp.zeros(2), t=jnp.asarray(0.0))
    new = cell.step(state, Cell.Inputs(j), None, 0.1)
    tau, gamma = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    expected_v = v + 0.1 * (v - v**3 / gamma - w + 2.0 * j) / tau
    expected_w = w + 0.1 * (v + 0.7 - 0.8 * w) / 12.5
    np.testing.assert_allclose(new.v, expected_v, rtol=1e-6)
    np.testing.assert_allclose(new.w, expected_w, rtol=1e-6)
