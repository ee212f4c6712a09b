"""IzhikevichCell: the reference's defect 13 pinned against its golden files, the paper's model
checked from the recorded states, fixed points, the apex guard, gradients. The properties of
the contract and bad input are checked by `tests/test_contract.py` (entry in
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

from dynax.integrate import get_integrator
from dynax.neurons.spiking.izhikevich_cell import IzhikevichCell
from dynax.surrogate import FastSigmoid

RENAMES = {"batch_size": None, "key_seed": None}


def _cell(golden, **overrides):
    return IzhikevichCell(**{**constructor_kwargs(golden, RENAMES), **overrides})


def _reference_integrator(golden):
    """ngclearn's IzhikevichCell honours "midpoint"/"rk2"; every other name runs Euler."""
    return spiking.reference_integrator(golden)


def _paper_field(cell, v, w, j):
    """Izhikevich (2003) in ngclearn's parametrisation, written here from the paper."""
    dv = (0.04 * v**2 + 5.0 * v + 140.0 - w + cell.resist_m * j) / cell.tau_m
    dw = (cell.coupling_factor * v - w) / cell.tau_w
    return dv, dw


def _reference_step(cell, v, w, j, dt, integrator):
    """ngclearn's step (spec §5.6): spike read on the OLD v, v and w each integrated with the
    other frozen, a spiking unit set to (c, w_old + d) (defect 13)."""
    step = get_integrator(integrator)
    s = v > cell.v_thr
    v_new = step(lambda t, x, a: _paper_field(cell, x, w, j)[0], 0.0, v, dt, None)
    w_new = step(lambda t, x, a: _paper_field(cell, v, x, j)[1], 0.0, w, dt, None)
    return jnp.where(s, cell.v_reset, v_new), jnp.where(s, w + cell.w_reset, w_new), s


def _paper_step(cell, v, w, j, dt, integrator):
    """The paper's step: (v, w) as one system (field held at the apex, dynax's guard), the
    spike read on the NEW v, a spiking unit set to (c, w_new + d)."""

    def field(t, y, args):
        return _paper_field(cell, jnp.minimum(y[0], cell.v_thr), y[1], j)

    v_new, w_new = get_integrator(integrator)(field, 0.0, (v, w), dt, None)
    s = v_new > cell.v_thr
    return jnp.where(s, cell.v_reset, v_new), w_new + cell.w_reset * s, s


def _dynax_from_recorded(cell, golden):
    """dynax's step from every recorded state (one call, vmapped over time and batch)."""
    states = spiking.resynced_states(golden, IzhikevichCell.State, ("v", "w", "s", "tols"))
    return spiking.resynced_steps(cell, golden, states)


@pytest.mark.parametrize("name", golden_names("IzhikevichCell"))
def test_golden_is_the_deferred_spike_ordering(name):
    """Defect 13, pinned: every recorded step is the reference's ordering (spike tested on the
    pre-step voltage, reset to (c, w_old + d)) applied to the recorded state before it."""
    golden = load_golden(name)
    cell = _cell(golden)
    v, w, s = jax.vmap(
        lambda v, w, j: _reference_step(cell, v, w, j, golden.dt, _reference_integrator(golden))
    )(spiking.before(golden, "v"), spiking.before(golden, "w"), golden.inputs["j"])
    np.testing.assert_array_equal(s, golden.traj["s"])
    np.testing.assert_allclose(v, golden.traj["v"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(w, golden.traj["w"], rtol=1e-5, atol=1e-5)
    # The defect is visible in the data: v sits above the apex for one recorded step.
    assert (golden.traj["v"] > 30.0).any()


@pytest.mark.parametrize("name", golden_names("IzhikevichCell"))
def test_step_is_the_papers_model_from_every_recorded_state(name):
    """From each recorded state the model can be in (v ≤ apex), dynax's step is the paper's
    (integrate, then if v > apex: v ← c, w ← w + d), with the file's integrator by name."""
    golden = load_golden(name)
    cell = _cell(golden)
    label = golden.params.get("integration_type", "euler")
    new = _dynax_from_recorded(cell, golden)
    v, w, s = jax.vmap(lambda v, w, j: _paper_step(cell, v, w, j, golden.dt, label))(
        spiking.before(golden, "v"), spiking.before(golden, "w"), golden.inputs["j"]
    )
    valid = spiking.before(golden, "v") <= 30.0
    np.testing.assert_array_equal(np.asarray(new.s)[valid], np.asarray(s)[valid])
    np.testing.assert_allclose(np.asarray(new.v)[valid], np.asarray(v)[valid], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(new.w)[valid], np.asarray(w)[valid], rtol=1e-5, atol=1e-5)
    assert np.asarray(new.s)[valid].any()
    np.testing.assert_allclose(new.t, golden.t[:, None] + 0 * new.t, rtol=1e-6)


EULER_FILES = [
    n for n in golden_names("IzhikevichCell") if _reference_integrator(load_golden(n)) == "euler"
]


@pytest.mark.parametrize("name", EULER_FILES)
def test_spikes_one_step_before_the_reference_and_lands_on_its_reset_state(name):
    """With Euler the reference integrates exactly as dynax does, so against its own recorded
    data: where dynax's step from a recorded state does not spike it reproduces the next
    recorded state; where it spikes, the reference reports that same crossing one step later,
    and dynax's post-reset state is the reference's state after that later step."""
    golden = load_golden(name)
    new = jax.tree.map(np.asarray, _dynax_from_recorded(_cell(golden), golden))
    valid = spiking.before(golden, "v") <= 30.0  # otherwise the reference finishes a deferred spike
    valid[-1] = False  # the reference's report of a crossing in the last step is not recorded
    quiet, fired = valid & (new.s == 0), valid & (new.s == 1)
    assert fired.sum() >= 5 and quiet.sum() > 100
    next_s = np.concatenate([golden.traj["s"][1:], np.zeros_like(golden.traj["s"][:1])])
    np.testing.assert_array_equal(new.s[valid], next_s[valid])
    for field in ("v", "w"):
        recorded = golden.traj[field]
        after = np.concatenate([recorded[1:], recorded[-1:]])
        np.testing.assert_allclose(getattr(new, field)[quiet], recorded[quiet], rtol=1e-5)
        np.testing.assert_allclose(getattr(new, field)[fired], after[fired], rtol=1e-5)
    tols_after = np.concatenate([golden.traj["tols"][1:], golden.traj["tols"][-1:]])
    np.testing.assert_allclose(new.tols[fired], tols_after[fired] - golden.dt, rtol=1e-5)


def test_free_run_reports_each_spike_one_more_step_earlier_than_the_reference():
    """Under a constant current both orderings follow the same trajectory between spikes,
    but the reference spends one extra step on each spike: its k-th spike comes exactly k
    steps after dynax's (its reporting step discards the step's integration)."""
    cell = IzhikevichCell(4)
    j = jnp.array([10.0, 15.0, 20.0, 30.0])
    dt = 0.1

    def reference_body(carry, _):
        v, w = carry
        v, w, s = _reference_step(cell, v, w, j, dt, "euler")
        return (v, w), s

    init = cell.init_state()
    _, ref_s = jax.lax.scan(reference_body, (init.v, init.w), None, length=2000)
    _, states = contract.run_steps(
        cell, init, IzhikevichCell.Inputs(jnp.tile(j, (2000, 1))), None, dt
    )
    for unit in range(4):
        ours = np.flatnonzero(np.asarray(states.s[:, unit]))
        theirs = np.flatnonzero(np.asarray(ref_s[:, unit]))
        count = min(len(ours), len(theirs))
        assert count >= 3
        np.testing.assert_array_equal(theirs[:count], ours[:count] + np.arange(1, count + 1))


def test_midpoint_is_second_order_where_the_references_split_is_first_order():
    """ngclearn's midpoint steps v with w frozen and w with v frozen: a first-order scheme.
    dynax's midpoint integrates (v, w) as one system: second order (sub-threshold run in
    float64, against RK4 at a fine step)."""
    params = {"tau_w": 2.0, "coupling_factor": 0.5}
    with jax.enable_x64(True):
        y0 = (jnp.array([-80.0]), jnp.array([-20.0]))
        j = jnp.zeros(1)

        def stepper(name):
            cell = IzhikevichCell(1, **params, integration_type=name)
            return spiking.compartment_stepper(cell, IzhikevichCell.Inputs(j), ("v", "w"))

        exact = spiking.run_for(stepper("rk4"), y0, 2.0, 2.0 / 2048)
        assert float(exact[0][0]) < -40.0  # sub-threshold throughout
        reference_cell = IzhikevichCell(1, **params)

        def split(y, dt):
            v, w, _ = _reference_step(reference_cell, y[0], y[1], j, dt, "midpoint")
            return v, w

        dts = [0.1, 0.05, 0.025]
        ours = spiking.observed_orders(stepper("midpoint"), y0, 2.0, dts, exact)
        theirs = spiking.observed_orders(jax.jit(split), y0, 2.0, dts, exact)
    np.testing.assert_allclose(ours, 2.0, atol=0.2)
    np.testing.assert_allclose(theirs, 1.0, atol=0.2)


# ---------------------------------------------------------------- properties (hypothesis)

N = 4  # one unit count keeps jit caches warm across examples
INTEGRATORS = ["euler", "midpoint", "heun", "ralston", "rk4"]


@st.composite
def cells(draw):
    return IzhikevichCell(
        N,
        tau_m=draw(st.floats(0.5, 2.0)),
        resist_m=draw(st.floats(0.5, 2.0)),
        v_reset=draw(st.floats(-70.0, -45.0)),
        tau_w=draw(st.floats(10.0, 100.0)),
        w_reset=draw(st.floats(0.0, 10.0)),
        coupling_factor=draw(st.floats(0.1, 0.3)),
        integration_type=draw(st.sampled_from(INTEGRATORS)),
    )


def _state(cell, v, w):
    rest = cell.init_state()
    return IzhikevichCell.State(v=v, w=w, s=rest.s, tols=rest.tols, t=jnp.asarray(1.5))


dts = st.floats(0.01, 0.5).map(jnp.float32)


@given(cells(), st.floats(0.0, 0.25), dts)
def test_resting_point_is_a_fixed_point_without_input(cell, b, dt):
    """With J = 0 the stable equilibrium is w = b·v with 0.04v² + (5 − b)v + 140 = 0, the
    lower root (v = −70, w = −14 for b = 0.2; none for b > 5 − √22.4 ≈ 0.267, where the cell
    fires tonically); every integrator keeps it."""
    cell = eqx.tree_at(lambda c: c.coupling_factor, cell, jnp.float32(b))
    discriminant = (5.0 - b) ** 2 - 4 * 0.04 * 140.0
    assert discriminant > 0
    v_rest = (-(5.0 - b) - np.sqrt(discriminant)) / (2 * 0.04)
    rest = _state(cell, jnp.full(N, v_rest, jnp.float32), jnp.full(N, b * v_rest, jnp.float32))
    new = cell.step(rest, IzhikevichCell.Inputs(jnp.zeros(N)), None, dt)
    np.testing.assert_allclose(new.v, rest.v, atol=1e-3)
    np.testing.assert_allclose(new.w, rest.w, atol=1e-4)
    assert not new.s.any()


def test_apex_guard_is_what_keeps_rk4_finite():
    """The guard is needed: RK4 with dt = τ_m under J = 1e3, the field evaluated above the
    apex, overflows within four steps; dynax stays finite and fires every step."""
    cell = IzhikevichCell(1, integration_type="rk4")
    j = jnp.full((6, 1), 1e3)
    rest = cell.init_state()
    state = rest.replace(v=jnp.array([29.0]), w=jnp.array([-10.0]))
    _, states = contract.run_steps(cell, state, IzhikevichCell.Inputs(j), None, 1.0)
    assert np.isfinite(states.v).all() and np.isfinite(states.w).all()
    np.testing.assert_array_equal(states.s, 1.0)

    def unguarded(t, y, args):
        v, w = y
        return (0.04 * v * v + 5.0 * v + 140.0 - w + 1e3), (0.2 * v - w) / 50.0

    y = (state.v, state.w)
    for _ in range(6):
        v, w = get_integrator("rk4")(unguarded, 0.0, y, 1.0, None)
        y = (jnp.where(v > 30.0, -65.0, v), w + 8.0 * (v > 30.0))
    assert not np.isfinite(y[1]).all()


def _subthreshold_loss(integrator):
    """A sub-threshold run (J ≤ 3 keeps v below the saddle at −55 mV: no spike, so the loss
    is smooth in τ_m), jitted once per integrator."""
    j = jnp.tile(jnp.linspace(0.0, 3.0, N), (30, 1))

    def loss(tau_m):
        cell = IzhikevichCell(N, tau_m=tau_m, integration_type=integrator)
        final, states = contract.run_steps(
            cell, cell.init_state(), IzhikevichCell.Inputs(j), None, 0.1
        )
        return jnp.sum((final.v + 65.0) ** 2) + 1e3 * jax.lax.stop_gradient(jnp.sum(states.s))

    return jax.jit(loss)


SUBTHRESHOLD_LOSSES = {name: _subthreshold_loss(name) for name in ["euler", "midpoint", "rk4"]}


@given(st.floats(0.5, 3.0), st.sampled_from(sorted(SUBTHRESHOLD_LOSSES)))
def test_gradient_wrt_tau_m_matches_finite_difference(tau, integrator):
    loss = SUBTHRESHOLD_LOSSES[integrator]
    assert 0.0 < float(loss(tau)) < 1e3  # v moved, and no spike
    contract.assert_grad_matches_finite_difference(loss, tau)


@jax.jit
def _spike_count(resist_m):
    total = 0.0
    for integrator in ("euler", "rk4"):
        cell = IzhikevichCell(N, resist_m=resist_m, integration_type=integrator)
        j = jnp.tile(jnp.array([10.0, 14.0, 18.0, 22.0]), (100, 1))
        rest = cell.init_state()
        _, states = contract.run_steps(cell, rest, IzhikevichCell.Inputs(j), None, 0.1)
        total = total + jnp.sum(states.s)
    return total


def test_surrogate_gradient_through_100_steps_is_finite_and_nonzero():
    """Spike counts of Euler and RK4 runs."""
    spiking.assert_resistance_gradient(_spike_count)


def test_surrogate_is_a_field():
    a = IzhikevichCell(N)
    b = IzhikevichCell(N, surrogate=FastSigmoid(alpha=0.5))
    state = _state(a, jnp.full(N, 29.0), jnp.zeros(N))
    grads = [spiking.spike_input_gradient(c, state, jnp.zeros(N), 0.1) for c in (a, b)]
    assert not np.allclose(*grads)


def test_per_unit_parameters():
    cell = IzhikevichCell(3, v_reset=jnp.array([-65.0, -55.0, -50.0]), w_reset=jnp.arange(3.0))
    rest = cell.init_state()
    state = rest.replace(v=jnp.full(3, 29.9), w=jnp.zeros(3))
    new = cell.step(state, IzhikevichCell.Inputs(jnp.full(3, 50.0)), None, 0.1)
    np.testing.assert_array_equal(new.s, 1.0)
    np.testing.assert_array_equal(new.v, [-65.0, -55.0, -50.0])
    np.testing.assert_allclose(new.tols, 0.1)
