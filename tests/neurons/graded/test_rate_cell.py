"""RateCell: golden parity with ngclearn, its fixed point, gradient and closed form (the
contract: `tests/test_contract.py`)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from components.graded import rate_cells
from hypothesis import given
from hypothesis import strategies as st
from support import contract
from support.golden import constructor_kwargs, golden_names, load_golden

from dynax.integrate import get_integrator
from dynax.neurons.graded.rate_cell import RateCell

# Defect 1 of the spec's §9: ngclearn's RateCell maps "heun" to RK4 and "rk4"/"ralston" to
# Euler. The parity test runs the integrator that really ran.
REFERENCE_RAN = {"heun": "rk4", "rk2_heun": "rk4", "rk4": "euler", "ralston": "euler"}


def _cell_from_golden(golden, integration_type=None):
    kwargs = constructor_kwargs(golden, {"batch_size": None})
    label = kwargs.get("integration_type", "euler")
    kwargs["integration_type"] = integration_type or REFERENCE_RAN.get(label, label)
    return RateCell(**kwargs)


def _run(cell, golden):
    step = jax.jit(jax.vmap(lambda s, i: cell.step(s, i, None, golden.dt)))
    state = jax.vmap(lambda _: cell.init_state())(jnp.arange(golden.batch_size))
    out = []
    for k in range(golden.num_steps):
        inputs = RateCell.Inputs(j=golden.inputs["j"][k], j_td=golden.inputs["j_td"][k])
        state = step(state, inputs)
        out.append(state)
    return jax.tree.map(lambda *xs: np.stack(xs), *out)


@pytest.mark.parametrize("name", golden_names("RateCell"))
def test_matches_reference(name):
    golden = load_golden(name)
    states = _run(_cell_from_golden(golden), golden)
    np.testing.assert_allclose(states.z, golden.traj["z"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(states.zF, golden.traj["zF"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", golden_names("RateCell"))
def test_reference_mislabels_integrators(name):
    """Where the file's label is one the reference dispatches wrongly, dynax's integrator of
    that name gives a different trajectory (the defect is pinned, not copied)."""
    golden = load_golden(name)
    label = golden.params.get("integration_type", "euler")
    if label not in REFERENCE_RAN:
        assert _cell_from_golden(golden).integration_type == get_integrator(label)
        return
    states = _run(_cell_from_golden(golden, integration_type=label), golden)
    assert np.abs(states.z - golden.traj["z"]).max() > 1e-4


def test_modulated_current_is_what_the_reference_writes_back():
    """ngclearn stores `m = f'(z_old)·j·resist_scale` into its input `j` (defect 2); dynax keeps
    its inputs untouched, but the same quantity drives z. With the file's τ, resist_scale,
    activation and dt, and the prior's weight and the threshold set to 0 (they add terms
    that are not m), one Euler step's increment is `dt·(m + j_td)/τ`: m is recovered from
    it. Tolerance:
    z is O(1) in float32 and the recovery multiplies its rounding (≈6e-8) by τ/dt = 40."""
    golden = load_golden("RateCell_tanh_cauchy_midpoint")
    kwargs = constructor_kwargs(golden, {"batch_size": None})
    no_prior, no_threshold = (kwargs["prior"][0], 0.0), ("none", 0.0)
    kwargs |= {"prior": no_prior, "threshold": no_threshold, "integration_type": "euler"}
    cell = RateCell(**kwargs)
    tau = golden.params["tau_m"]
    z_old = golden.traj["z"][3, 0]
    j, j_td = golden.inputs["j"][4, 0], golden.inputs["j_td"][4, 0]
    state = RateCell.State(z=z_old, zF=cell.output(jnp.asarray(z_old)))
    new = cell.step(state, RateCell.Inputs(j, j_td), None, golden.dt)
    m = (new.z - z_old) * tau / golden.dt - j_td
    np.testing.assert_allclose(m, golden.traj["j"][4, 0], rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- properties (hypothesis)

N = 4  # one unit count keeps jit caches warm across examples


@given(
    rate_cells(stateful=True, integrators=["euler", "midpoint", "heun", "ralston", "rk4"]),
    st.floats(0.01, 1.0),
)
def test_rest_is_a_fixed_point_without_input(cell, dt):
    """z = 0 is an equilibrium of every leak shape; zF = f(0)·scale there."""
    rest = cell.init_state()
    new = cell.step(rest, RateCell.Inputs(jnp.zeros(N)), None, dt)
    np.testing.assert_array_equal(new.z, rest.z)


@given(st.floats(2.0, 30.0), st.sampled_from(["euler", "midpoint", "rk4"]))
def test_gradient_wrt_tau_matches_finite_difference(tau, integrator):
    j = jnp.linspace(-1.0, 1.0, N)

    def loss(tau_m):
        cell = RateCell(
            N, tau_m, act_fx="tanh", prior=("gaussian", 0.5), integration_type=integrator
        )
        final, _ = contract.run_steps(
            cell, cell.init_state(), RateCell.Inputs(jnp.tile(j, (20, 1))), None, 0.5
        )
        return jnp.sum(final.z**2)

    contract.assert_grad_matches_finite_difference(loss, tau)


def test_per_unit_tau_is_heterogeneous():
    tau = jnp.array([1.0, 2.0, 4.0, 8.0])
    cell = RateCell(N, tau)
    new = cell.step(cell.init_state(), RateCell.Inputs(jnp.ones(N)), None, 0.5)
    np.testing.assert_allclose(new.z, 0.5 / tau)


def test_euler_matches_the_closed_form_decay():
    """Gaussian prior, constant drive: z(t) → j/γ with rate γ/τ; Euler is z⁺ = z + dt(j − γz)/τ."""
    cell = RateCell(1, 4.0, prior=("gaussian", 2.0))
    z = jnp.array([0.3])
    new = cell.step(RateCell.State(z, z), RateCell.Inputs(jnp.array([1.0])), None, 0.1)
    np.testing.assert_allclose(new.z, 0.3 + 0.1 * (1.0 - 2.0 * 0.3) / 4.0, rtol=1e-6)
