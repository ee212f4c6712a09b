"""LaplacianErrorCell: golden parity with ngclearn, its pinned defects, derivatives against
autodiff and the Laplace log-density, properties, bad input (the contract:
`tests/test_contract.py`)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jax.scipy.stats import laplace
from support import contract
from support.golden import constructor_kwargs, golden_names, load_golden
from support.replay import golden_inputs, scan_batch, unit_param

from dynax.neurons.graded.laplacian_error_cell import LaplacianErrorCell

TOL = {"rtol": 1e-5, "atol": 1e-6}


def _cell_from_golden(golden):
    kwargs = constructor_kwargs(golden, {"batch_size": None})
    if "scale" in kwargs:
        kwargs["scale"] = unit_param(kwargs["scale"])
    return LaplacianErrorCell(**kwargs)


def _weights(golden):
    ones = np.ones_like(golden.inputs["shift"])
    return golden.inputs.get("modulator", ones), golden.inputs.get("mask", ones)


@pytest.mark.parametrize("name", golden_names("LaplacianErrorCell"))
def test_matches_reference(name):
    golden = load_golden(name)
    e = golden.inputs["target"] - golden.inputs["shift"]
    assert (e == 0).any()  # the files exercise ties: sign(0) = 0 in both
    states = scan_batch(_cell_from_golden(golden), golden_inputs(golden))
    np.testing.assert_allclose(states.dshift, golden.traj["dshift"], **TOL)
    np.testing.assert_allclose(states.dtarget, golden.traj["dtarget"], **TOL)


@pytest.mark.parametrize("name", golden_names("LaplacianErrorCell"))
def test_reference_L_counts_mismatches_dynax_gives_the_L1_loss(name):
    """Defect 6: the reference's L is −(number of entries with target ≠ shift)/scale, summed
    over batch and units with no mask; dynax's L is −Σ mask·|target − shift|/scale per sample.
    Both are recomputed here from the recorded inputs."""
    golden = load_golden(name)
    scale = unit_param(golden.params.get("scale", 1.0))
    e = golden.inputs["target"] - golden.inputs["shift"]
    _, mask = _weights(golden)
    mismatches = (e != 0) / scale
    np.testing.assert_allclose(golden.traj["L"], -mismatches.sum(axis=(1, 2)), **TOL)
    states = scan_batch(_cell_from_golden(golden), golden_inputs(golden))
    np.testing.assert_allclose(states.L, -(mask * np.abs(e) / scale).sum(axis=2), **TOL)
    assert np.abs(states.L.sum(axis=1) - golden.traj["L"]).max() > 1.0


@pytest.mark.parametrize("name", golden_names("LaplacianErrorCell"))
def test_reference_dscale_is_ones_dynax_gives_the_derivative(name):
    """The reference outputs dScale = 1; dynax's dScale is the derivative of the observed
    units' Laplace log-density w.r.t. the scale, here by autodiff of
    `jax.scipy.stats.laplace.logpdf` (summed over units for a shared scale), weighted by the
    modulator."""
    golden = load_golden(name)
    np.testing.assert_array_equal(golden.traj["dScale"], 1.0)
    cell = _cell_from_golden(golden)
    states = scan_batch(cell, golden_inputs(golden))
    modulator, mask = _weights(golden)

    def logdensity(scale, shift, target, weight):
        return jnp.sum(weight * laplace.logpdf(target, shift, jnp.broadcast_to(scale, shift.shape)))

    expected = jax.vmap(jax.vmap(jax.grad(logdensity), (None, 0, 0, 0)), (None, 0, 0, 0))(
        cell.scale, golden.inputs["shift"], golden.inputs["target"], modulator * mask
    )
    np.testing.assert_allclose(states.dScale, expected, rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------- properties (hypothesis)

N = 4  # one unit count keeps jit caches warm across examples
# Values on a coarse grid (as in the golden files) make ties target == shift likely.
grid = st.integers(-20, 20).map(lambda k: k / 4)
units = st.lists(grid, min_size=N, max_size=N).map(lambda v: jnp.asarray(v, jnp.float32))
positive_units = st.lists(st.floats(0.0625, 5.0, width=32), min_size=N, max_size=N).map(
    lambda v: jnp.asarray(v, jnp.float32)
)
masks = st.lists(st.sampled_from([0.0, 1.0]), min_size=N, max_size=N).map(
    lambda v: jnp.asarray(v, jnp.float32)
)
scales = st.one_of(
    st.floats(0.0625, 5.0).map(lambda s: jnp.asarray(s, jnp.float32)), positive_units
)


@st.composite
def inputs(draw, with_modulator=True):
    modulator = draw(st.one_of(st.none(), positive_units)) if with_modulator else None
    mask = draw(st.one_of(st.none(), masks))
    return LaplacianErrorCell.Inputs(draw(units), draw(units), modulator, mask)


def _rest():
    return LaplacianErrorCell(N).init_state()


@given(scales, inputs(with_modulator=False))
def test_derivatives_are_gradients_of_L(scale, x):
    """With modulator = 1, dshift = ∂L/∂shift and dtarget = ∂L/∂target for any mask; at a tie
    both are 0 (sign(0) = 0), a subgradient, and autodiff of L agrees."""
    cell = LaplacianErrorCell(N, scale)
    out = cell.step(_rest(), x, None, 1.0)

    def loss(shift, target):
        new = eqx.tree_at(lambda i: (i.shift, i.target), x, (shift, target))
        return cell.step(_rest(), new, None, 1.0).L

    g_shift, g_target = jax.grad(loss, argnums=(0, 1))(x.shift, x.target)
    np.testing.assert_allclose(out.dshift, g_shift, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out.dtarget, g_target, rtol=1e-6, atol=1e-6)


@given(scales, inputs())
def test_outputs_match_the_laplace_log_density(scale, x):
    """Oracle: `jax.scipy.stats.laplace.logpdf`. L is the observed units' log-density plus
    Σ log(2b); away from ties the derivatives are its gradients weighted unit by unit by the
    modulator; dScale is the derivative of the log-density."""
    cell = LaplacianErrorCell(N, scale)
    out = cell.step(_rest(), x, None, 1.0)
    mask = jnp.ones(N) if x.mask is None else x.mask
    mod = jnp.ones(N) if x.modulator is None else x.modulator
    b = jnp.broadcast_to(scale, (N,))

    def logdensity(shift, target, s, weight):
        return jnp.sum(weight * laplace.logpdf(target, shift, jnp.broadcast_to(s, (N,))))

    full = logdensity(x.shift, x.target, scale, mask)
    np.testing.assert_allclose(out.L, full + jnp.sum(mask * jnp.log(2 * b)), rtol=1e-5, atol=1e-4)
    g_shift, g_target, g_scale = jax.grad(logdensity, argnums=(0, 1, 2))(
        x.shift, x.target, scale, mod * mask
    )
    untied = np.asarray(x.target != x.shift)
    np.testing.assert_allclose(out.dshift[untied], g_shift[untied], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.dtarget[untied], g_target[untied], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.dScale, g_scale, rtol=1e-4, atol=1e-4)


@given(scales, units)
def test_no_error_at_the_target(scale, shift):
    """shift = target: zero derivatives w.r.t. shift and target, L = 0."""
    cell = LaplacianErrorCell(N, scale)
    out = cell.step(_rest(), LaplacianErrorCell.Inputs(shift, shift), None, 1.0)
    np.testing.assert_array_equal(out.dshift, 0.0)
    np.testing.assert_array_equal(out.dtarget, 0.0)
    assert float(out.L) == 0.0


@given(units, positive_units, masks)
def test_dscale_vanishes_at_the_maximum_likelihood_scale(shift, size, sign):
    """Ascending dScale drives the scale to |e| (per unit): there dScale = 0, below it > 0."""
    x = LaplacianErrorCell.Inputs(shift, shift + size * (2.0 * sign - 1.0))
    abs_e = jnp.abs(x.target - x.shift)
    at_ml = LaplacianErrorCell(N, abs_e).step(_rest(), x, None, 1.0)
    np.testing.assert_allclose(at_ml.dScale * abs_e, 0.0, atol=1e-5)
    below = LaplacianErrorCell(N, 0.5 * abs_e).step(_rest(), x, None, 1.0)
    assert (below.dScale > 0).all()


@given(st.floats(0.2, 5.0))
def test_gradient_wrt_scale_matches_finite_difference(scale):
    shift, target = jnp.linspace(-1.0, 1.0, N), jnp.linspace(0.7, -0.6, N)
    x = LaplacianErrorCell.Inputs(shift, target, modulator=jnp.full(N, 0.7))

    def loss(b):
        out = LaplacianErrorCell(N, b).step(_rest(), x, None, 1.0)
        return out.L + jnp.sum(out.dshift**2) + out.dScale

    contract.assert_grad_matches_finite_difference(loss, scale)


def test_per_unit_scale_is_heterogeneous():
    scale = jnp.array([0.5, 1.0, 2.0, 4.0])
    x = LaplacianErrorCell.Inputs(jnp.zeros(N), jnp.array([3.0, -3.0, 3.0, 0.0]))
    out = LaplacianErrorCell(N, scale).step(_rest(), x, None, 1.0)
    np.testing.assert_allclose(out.dshift, [2.0, -1.0, 0.5, 0.0])
    np.testing.assert_allclose(out.L, -(6.0 + 3.0 + 1.5), rtol=1e-6)
    assert out.dScale.shape == (N,)
