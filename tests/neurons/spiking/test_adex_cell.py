"""AdExCell: golden parity with ngclearn, the coupled integration (convergence orders, the
exact O(dt²) difference from the reference's split midpoint), the exponential guard, the
reset rule, gradients, per-unit parameters. The properties of the contract and bad input
are checked by `tests/test_contract.py` (entry in `tests/components/spiking.py`)."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from support import contract, spiking
from support.golden import constructor_kwargs, golden_names, load_golden

from dynax.integrate import get_integrator
from dynax.neurons.spiking.adex_cell import AdExCell
from dynax.surrogate import Triangular

RUN = jax.jit(contract.run_steps)  # one compilation per cell structure, not per value

RENAMES = {"batch_size": None, "key_seed": None}


def _kwargs(golden):
    kwargs = constructor_kwargs(golden, RENAMES)
    # ngclearn's AdExCell runs RK2 for "midpoint"/"rk2" and Euler for every other name.
    kwargs["integration_type"] = spiking.reference_integrator(golden)
    return kwargs


def _params(cell):
    """The cell's parameters as float64 NumPy values (for the oracles written here)."""
    names = ["tau_m", "resist_m", "tau_w", "v_sharpness", "intrinsic_mem_thr", "thr"]
    names += ["v_rest", "v_reset", "a", "b"]
    return {n: np.asarray(getattr(cell, n), np.float64) for n in names}


def _field(p, v, w, j):
    """The AdEx right-hand side written from the equations (no guard)."""
    delta = p["v_sharpness"]
    dv = -(v - p["v_rest"]) + delta * np.exp((v - p["intrinsic_mem_thr"]) / delta)
    dv = (dv - p["resist_m"] * w + p["resist_m"] * j) / p["tau_m"]
    dw = (-w + p["a"] * (v - p["v_rest"])) / p["tau_w"]
    return dv, dw


def _v_cap(p):
    """The documented guard voltage `min(thr, V_T + 40·Δ_T) + 10·Δ_T`."""
    delta = p["v_sharpness"]
    return np.minimum(p["thr"], p["intrinsic_mem_thr"] + 40 * delta) + 10 * delta


def _split_midpoint(p, v, w, j, dt, dtype=np.float64):
    """ngclearn's RK2 step: v with w frozen, w with v frozen at its old value; then its
    reset `v·(1 − s) + s·v_reset`, `w + b·s` (spec §4.7), in `dtype`."""
    v, w, j = (np.asarray(x, dtype) for x in (v, w, j))
    with np.errstate(over="ignore", invalid="ignore"):
        dv1, _ = _field(p, v, w, j)
        v_new = v + dt * _field(p, v + 0.5 * dt * dv1, w, j)[0]
        _, dw1 = _field(p, v, w, j)
        w_new = w + dt * _field(p, v, w + 0.5 * dt * dw1, j)[1]
        s = (v_new > p["thr"]).astype(dtype)
        v_new = v_new * (1 - s) + s * p["v_reset"]
    return v_new.astype(dtype), (w_new + p["b"] * s).astype(dtype), s


def _resynced(cell, golden):
    """Each step taken from the reference's recorded state (and clock); also returns the
    recorded v and w before each step."""
    states = spiking.resynced_states(golden, AdExCell.State, ("v", "w", "s", "tols"))
    return spiking.resynced_steps(cell, golden, states), {"v": states.v, "w": states.w}


def _scheme_difference(cell, golden, before):
    """dynax's coupled step minus ngclearn's split step, from the same state (exact algebra).

    Euler: both evaluate f at (v, w): no difference. Midpoint: with `f = (f_v, f_w)` at the
    state and the shared half-step `(v_m, w_m) = (v, w) + dt/2·f`, the coupled step takes
    f_v at (v̂_m, w_m) and f_w at (v̂_m, w_m) (v̂_m = min(v_m, v_cap), the guard); the
    reference takes f_v at (v_m, w) and f_w at (v, w_m). f_v is linear in w and f_w linear
    in v, so

        δv = −dt·R/τ_m·(w_m − w) = −dt²/2·(R/τ_m)·f_w,
        δw = dt·a/τ_w·(v̂_m − v)   (= dt²/2·(a/τ_w)·f_v while the guard is inactive),

    both O(dt²) with the constants (R/τ_m)·|f_w|/2 and (a/τ_w)·|f_v|/2 of the trajectory.
    At a spike both reset v (δv = 0 after the reset). Returns (δv, δw, guard-was-inactive).
    """
    p, dt = _params(cell), golden.dt
    zero = np.zeros_like(before["v"], np.float64)
    if cell.integration_type == get_integrator("euler"):
        return zero, zero, np.ones_like(zero, bool)
    assert cell.integration_type == get_integrator("midpoint")
    v, w = before["v"].astype(np.float64), before["w"].astype(np.float64)
    fv, fw = _field(p, v, w, golden.inputs["j"].astype(np.float64))
    v_mid = v + 0.5 * dt * fv
    dv = np.where(golden.traj["s"] > 0, 0.0, -0.5 * dt * dt * p["resist_m"] / p["tau_m"] * fw)
    dw = dt * p["a"] / p["tau_w"] * (np.minimum(v_mid, _v_cap(p)) - v)
    return dv, dw, v_mid <= _v_cap(p)


@pytest.mark.parametrize("name", golden_names("AdExCell"))
def test_one_step_matches_reference_up_to_the_scheme_difference(name):
    """From every recorded state, one dynax step equals the reference's next state plus the
    exact difference between the coupled and the split scheme (zero for Euler): spikes
    exact, v and w to float32 rounding. The difference is O(dt²) per step (the bound above)
    and the guard is inactive except at spikes."""
    golden = load_golden(name)
    cell = AdExCell(**_kwargs(golden))
    states, before = _resynced(cell, golden)
    dv, dw, unguarded = _scheme_difference(cell, golden, before)
    np.testing.assert_array_equal(states.s, golden.traj["s"])
    assert unguarded[golden.traj["s"] == 0].all()
    np.testing.assert_allclose(states.v, golden.traj["v"] + dv, rtol=1e-6, atol=2e-5)
    np.testing.assert_allclose(states.w, golden.traj["w"] + dw, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(states.tols, golden.traj["tols"], rtol=1e-6, atol=0)
    if cell.integration_type == get_integrator("midpoint"):
        p, dt = _params(cell), golden.dt
        fv, fw = _field(p, before["v"], before["w"], golden.inputs["j"])
        quiet = golden.traj["s"] == 0
        assert (np.abs(dv) <= 0.5 * dt * dt * p["resist_m"] / p["tau_m"] * np.abs(fw)).all()
        bound_w = 0.5 * dt * dt * p["a"] / p["tau_w"] * np.abs(fv)
        assert (np.abs(dw)[quiet] <= bound_w[quiet] * (1 + 1e-9)).all()
        assert np.abs(dw).max() > 0  # the scheme difference is real, not rounding


def _propagated_differences(cell, golden):
    """A bound on |free run − reference| at every step: the local differences of the
    resynced steps (each step from the reference's state) carried forward by the absolute
    Jacobian of the Euler map along the reference trajectory, `e⁺ = |J|·e + δ`, with
    `J = I + dt·∂f/∂(v, w)`; a spike resets v (exactly, the spikes being equal), so e_v = 0
    there."""
    p, dt = _params(cell), golden.dt
    resynced, before = _resynced(cell, golden)
    local_v = np.abs(resynced.v - golden.traj["v"]).astype(np.float64)
    local_w = np.abs(resynced.w - golden.traj["w"]).astype(np.float64)
    growth = np.exp((before["v"] - p["intrinsic_mem_thr"]) / p["v_sharpness"])
    j_vv = np.abs(1 + dt * (growth - 1) / p["tau_m"])
    j_vw, j_wv = dt * np.abs(p["resist_m"] / p["tau_m"]), dt * np.abs(p["a"] / p["tau_w"])
    j_ww = np.abs(1 - dt / p["tau_w"])
    e_v = e_w = np.zeros(local_v.shape[1:])
    bounds = []
    for k in range(golden.num_steps):
        e_v, e_w = j_vv[k] * e_v + j_vw * e_w + local_v[k], j_wv * e_v + j_ww * e_w + local_w[k]
        e_v = np.where(golden.traj["s"][k] > 0, 0.0, e_v)
        bounds.append((e_v, e_w))
    return np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])


@pytest.mark.parametrize("name", golden_names("AdExCell"))
def test_free_run_matches_reference(name):
    """The free run stays in sync: spikes and times of last spike exact at every step.
    Euler: each step's |v − v_ref| and |w − w_ref| within the local differences propagated
    by the linearised dynamics (`_propagated_differences`): on the upswing one step
    amplifies a difference by 1 + dt·∂f_v/∂v ≫ 1, so the bound is tight at rest and wide
    only there. Allowed on top: 1 % for what linearising leaves out (the Jacobian at the free
    run's state is larger by up to exp(|e|/Δ_T) per step) and one float32 ulp of the value
    (the difference itself is rounded). Midpoint: |w − w_ref| stays within the sum of the
    per-step scheme differences |δw| (w's own dynamics contract; v feeds back only through
    a·dt/τ_w), measured ≤ 1.003× that sum on the recorded file."""
    golden = load_golden(name)
    cell = AdExCell(**_kwargs(golden))
    states = spiking.free_run(cell, golden)
    np.testing.assert_array_equal(states.s, golden.traj["s"])
    np.testing.assert_allclose(states.tols, golden.traj["tols"], rtol=1e-5, atol=0)
    if cell.integration_type == get_integrator("euler"):
        bound_v, bound_w = _propagated_differences(cell, golden)
        for field, bound in (("v", bound_v), ("w", bound_w)):
            reference = golden.traj[field]
            ulp = np.spacing(np.abs(reference).astype(np.float32))
            assert (np.abs(getattr(states, field) - reference) <= 1.01 * bound + ulp).all()
    else:
        before = {c: spiking.before(golden, c) for c in "vw"}
        _, dw, _ = _scheme_difference(cell, golden, before)
        bound = np.cumsum(np.abs(dw), axis=0)
        assert (np.abs(states.w - golden.traj["w"]) <= 1.1 * bound + 1e-5).all()


@pytest.mark.parametrize("name", golden_names("AdExCell"))
def test_init_state_is_the_reference_reset(name):
    golden = load_golden(name)
    assert golden.init["v"].shape == (3, 5)
    spiking.assert_init_state_is_the_reset(
        AdExCell(**_kwargs(golden)), golden, ("v", "w", "s", "tols")
    )


# ---------------------------------------------------------------- numerics


CUSTOM = dict(tau_m=12.0, resist_m=1.5, tau_w=100.0, v_sharpness=2.5, intrinsic_mem_thr=-52.0)
CUSTOM |= dict(thr=-30.0, v_rest=-70.0, v_reset=-68.0, a=0.2, b=2.0, v0=-65.0, w0=1.0)


def _rk4_solution(p, v, w, j, t_end, n):
    """A fine float64 RK4 solution written here, from the equations."""
    h = t_end / n
    y = np.array([v, w], np.float64)

    def f(y):
        return np.array(_field(p, y[0], y[1], j))

    for _ in range(n):
        k1 = f(y)
        k2 = f(y + 0.5 * h * k1)
        k3 = f(y + 0.5 * h * k2)
        k4 = f(y + h * k3)
        y = y + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6
    return y


def test_convergence_orders_on_a_subthreshold_interval():
    """Over 8 ms below threshold (constant drive per unit) against a fine RK4 solution:
    the coupled Euler is order 1, the coupled midpoint order 2; ngclearn's split midpoint
    (v with w frozen, w with v frozen) is only order 1 (its per-step error has the O(dt²)
    term δ of the scheme-difference test)."""
    t_end, j = 8.0, np.array([2.0, 6.0, 10.0])
    dts = [0.4, 0.2, 0.1, 0.05]
    with jax.enable_x64(True):
        errors = {"euler": [], "midpoint": [], "split": []}
        for integrator in ("euler", "midpoint"):
            cell = AdExCell(3, **CUSTOM, integration_type=integrator)
            p = _params(cell)
            exact = _rk4_solution(p, -65.0 * np.ones(3), np.ones(3), j, t_end, 4000)
            for dt in dts:
                n = round(t_end / dt)
                inputs = AdExCell.Inputs(jnp.tile(jnp.asarray(j), (n, 1)))
                final, states = jax.jit(contract.run_steps)(
                    cell, cell.init_state(), inputs, None, jnp.asarray(dt)
                )
                assert not np.asarray(states.s).any()  # subthreshold throughout
                got = np.array([final.v, final.w])
                errors[integrator].append(np.abs(got - exact).max())
        for dt in dts:
            v, w = -65.0 * np.ones(3), np.ones(3)
            for _ in range(round(t_end / dt)):
                v, w, _ = _split_midpoint(p, v, w, j, dt)
            errors["split"].append(np.abs(np.array([v, w]) - exact).max())
    for scheme, order in {"euler": 1, "midpoint": 2, "split": 1}.items():
        measured = np.log2(np.array(errors[scheme][:-1]) / np.array(errors[scheme][1:]))
        np.testing.assert_allclose(measured, order, atol=0.25, err_msg=f"{scheme}: {measured}")


def test_guard_keeps_the_reference_overflow_case_finite():
    """ngclearn's RK2 with thr = 0, dt = 0.1 (defaults otherwise): the midpoint stage of an
    upswing overflows exp to inf and the reset computes inf·0 = NaN (spec §4.7, defect 9).
    The reference's step, recomputed here, does give NaN on these inputs; dynax stays finite
    and keeps the adaptation physical (each spike moves w by about b, not by 10⁵)."""
    cell = AdExCell(3, thr=0.0, integration_type="midpoint")
    p, dt = _params(cell), 0.1
    j = np.random.default_rng(0).uniform(15, 45, (300, 3)).astype(np.float32)
    v, w = np.full(3, -70.0, np.float32), np.zeros(3, np.float32)
    reference_nan = False
    for k in range(300):
        v, w, _ = _split_midpoint(p, v, w, j[k], dt, np.float32)
        reference_nan |= bool(np.isnan(v).any())
    assert reference_nan
    _, states = RUN(cell, cell.init_state(), AdExCell.Inputs(j), None, dt)
    assert np.isfinite(np.asarray(states.v)).all() and np.isfinite(np.asarray(states.w)).all()
    assert (np.asarray(states.s).sum(axis=0) >= 1).all()
    jumps = np.diff(np.asarray(states.w), axis=0)
    assert np.abs(jumps).max() < 2 * float(p["b"])


def test_guard_is_inactive_below_the_cap():
    """Below v_cap the vector field is exactly the AdEx equations (written here)."""
    cell = AdExCell(4, **CUSTOM)
    p = _params(cell)
    v = np.array([-80.0, -52.0, -30.0, float(_v_cap(p)) - 0.01], np.float32)
    w, j = np.array([0.5, -1.0, 2.0, 0.0], np.float32), np.array([1.0, 5.0, 0.0, 3.0], np.float32)
    dv, dw = cell.vector_field(0.0, (jnp.asarray(v), jnp.asarray(w)), jnp.asarray(j))
    want_v, want_w = _field(p, v.astype(np.float64), w, j)
    np.testing.assert_allclose(dv, want_v, rtol=1e-5)
    np.testing.assert_allclose(dw, want_w, rtol=1e-5, atol=1e-7)
    above = cell.vector_field(0.0, (jnp.full(4, 1e6), jnp.asarray(w)), jnp.asarray(j))
    at_cap = cell.vector_field(0.0, (jnp.full(4, float(_v_cap(p))), jnp.asarray(w)), j)
    np.testing.assert_allclose(above[0], at_cap[0], rtol=1e-6)


def test_reset_rule_is_w_plus_b():
    """A spike sets v ← v_reset and w ← w′ + b (the reference's code), not the docstring's
    w + s·(w + b); tols ← t + dt."""
    cell = AdExCell(2, **CUSTOM)
    p = _params(cell)
    v, w, j, dt = np.array([-31.0, -60.0]), np.array([3.0, 3.0]), np.array([40.0, 0.0]), 0.5
    state = AdExCell.State(
        v=jnp.asarray(v, jnp.float32),
        w=jnp.asarray(w, jnp.float32),
        s=jnp.zeros(2),
        tols=jnp.zeros(2),
        t=jnp.asarray(2.0),
    )
    new = cell.step(state, AdExCell.Inputs(jnp.asarray(j, jnp.float32)), None, dt)
    fv, fw = _field(p, v, w, j)
    assert v[0] + dt * fv[0] > p["thr"] > v[1] + dt * fv[1]
    np.testing.assert_array_equal(new.s, [1.0, 0.0])
    np.testing.assert_allclose(new.v, [p["v_reset"], v[1] + dt * fv[1]], rtol=1e-6)
    np.testing.assert_allclose(new.w, w + dt * fw + np.array([p["b"], 0.0]), rtol=1e-6)
    np.testing.assert_allclose(new.tols, [2.5, 0.0])


def test_fixed_point_without_input_is_kept():
    """The subthreshold equilibrium (v*, a·(v* − E_L)) of j = 0, found here by bisection of
    −(v − E_L)(1 + aR) + Δ_T·exp((v − V_T)/Δ_T) = 0, is a fixed point of every integrator."""
    p = {k: np.float64(v) for k, v in CUSTOM.items()}
    p["v_sharpness"] = np.float64(2.5)

    def g(v):
        leak = -(v - p["v_rest"]) * (1 + p["a"] * p["resist_m"])
        return leak + p["v_sharpness"] * np.exp((v - p["intrinsic_mem_thr"]) / p["v_sharpness"])

    lo, hi = p["v_rest"], p["intrinsic_mem_thr"]
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if g(mid) > 0 else (lo, mid)
    v_star = 0.5 * (lo + hi)
    w_star = p["a"] * (v_star - p["v_rest"])
    for integrator in ("euler", "midpoint", "heun", "ralston", "rk4"):
        cell = AdExCell(3, **(CUSTOM | dict(v0=v_star, w0=w_star)), integration_type=integrator)
        final, _ = RUN(cell, cell.init_state(), AdExCell.Inputs(jnp.zeros((50, 3))), None, 0.1)
        np.testing.assert_allclose(final.v, v_star, atol=1e-4)
        np.testing.assert_allclose(final.w, w_star, atol=1e-5)


# ---------------------------------------------------------------- gradients


@functools.partial(jax.jit, static_argnames="integrator")
def _spike_count(tau_m, scale, integrator="euler"):
    cell = AdExCell(3, **(CUSTOM | dict(tau_m=tau_m)), integration_type=integrator)
    j = scale * jnp.linspace(20.0, 40.0, 300).reshape(100, 3)
    _, states = RUN(cell, cell.init_state(), AdExCell.Inputs(j), None, 0.1)
    return states.s.sum()


@pytest.mark.parametrize("integrator", ["euler", "midpoint"])
def test_surrogate_gradients_through_100_steps(integrator):
    spiking.assert_spike_count_gradients(_spike_count, 12.0, integrator)


def test_gradient_wrt_tau_matches_finite_difference():
    """A smooth (spike-free) loss: the gradient w.r.t. τ_m equals a central difference."""

    def loss(tau_m):
        cell = AdExCell(3, **(CUSTOM | dict(tau_m=tau_m)), integration_type="midpoint")
        j = jnp.tile(jnp.array([2.0, 6.0, 10.0]), (40, 1))
        final, _ = RUN(cell, cell.init_state(), AdExCell.Inputs(j), None, 0.2)
        return jnp.sum((final.v + 60.0) ** 2) + jnp.sum(final.w**2)

    contract.assert_grad_matches_finite_difference(loss, 12.0, rel_step=1e-2)


def test_surrogate_is_a_field():
    """Another surrogate changes the gradient, not the forward spikes."""
    cell = AdExCell(3, **CUSTOM)
    other = AdExCell(3, **CUSTOM, surrogate=Triangular(alpha=0.5))
    state = cell.init_state()
    state = state.replace(v=state.v + 30.0)

    def total(c, j):
        return c.step(state, AdExCell.Inputs(j), None, 0.1).s.sum()

    j = jnp.array([10.0, 20.0, 30.0])
    assert total(cell, j) == total(other, j)
    grad = jax.grad(total, argnums=1)
    assert not np.allclose(grad(cell, j), grad(other, j))


# ---------------------------------------------------------------- per-unit parameters

N = 4


def test_per_unit_parameters_are_heterogeneous():
    tau = jnp.array([5.0, 10.0, 20.0, 40.0])
    cell = AdExCell(N, tau_m=tau, v0=-72.0, w0=0.0)
    new = cell.step(cell.init_state(), AdExCell.Inputs(jnp.ones(N)), None, 0.5)
    p = _params(AdExCell(1))
    fv, _ = _field(p, -72.0, 0.0, 1.0)
    np.testing.assert_allclose(new.v, -72.0 + 0.5 * fv * 15.0 / np.asarray(tau), rtol=1e-5)
