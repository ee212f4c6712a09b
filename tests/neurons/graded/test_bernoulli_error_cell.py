"""BernoulliErrorCell: golden parity with ngclearn, its pinned defect, derivatives against
autodiff and the Bernoulli log-probability, properties, bad input (the contract:
`tests/test_contract.py`)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jax.scipy.stats import bernoulli
from support import contract
from support.golden import constructor_kwargs, golden_names, load_golden
from support.replay import golden_inputs, scan_batch

from dynax.neurons.graded.bernoulli_error_cell import BernoulliErrorCell

TOL = {"rtol": 1e-5, "atol": 1e-6}
EPS = 1e-4  # the reference's clip of q


def _cell_from_golden(golden):
    return BernoulliErrorCell(**constructor_kwargs(golden, {"batch_size": None}))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x.astype(np.float64)))


@pytest.mark.parametrize("name", golden_names("BernoulliErrorCell"))
def test_matches_reference(name):
    golden = load_golden(name)
    cell = _cell_from_golden(golden)
    states = scan_batch(cell, golden_inputs(golden))
    np.testing.assert_allclose(states.dtarget, golden.traj["dtarget"], **TOL)
    if cell.input_logits:
        np.testing.assert_allclose(states.dp, golden.traj["dp"], **TOL)
    else:
        # Defect 7: the reference multiplies ∂L/∂p by σ'(p) of the probability p itself.
        p = golden.inputs["p"]
        wrong = states.dp * _sigmoid(p) * (1.0 - _sigmoid(p))
        np.testing.assert_allclose(golden.traj["dp"], wrong, rtol=1e-5, atol=1e-5)
        assert np.abs(states.dp - golden.traj["dp"]).max() > 1.0
    # The reference's L ignores the mask and sums over the batch; dynax's L is per sample and
    # counts only observed units, so the comparison is with no mask (all observed).
    unmasked = scan_batch(cell, golden_inputs(golden, with_mask=False))
    np.testing.assert_allclose(unmasked.L.sum(axis=1), golden.traj["L"], **TOL)


@pytest.mark.parametrize("name", golden_names("BernoulliErrorCell"))
def test_outputs_match_the_bernoulli_log_probability_on_golden_inputs(name):
    """Oracle on the recorded inputs (clip cases included): q = clip(p or σ(p), ε, 1 − ε);
    L = Σ mask·`bernoulli.logpmf(x, q)`; dp = modulator·mask·∂L/∂p, with
    ∂L/∂p = x/q − (1 − x)/(1 − q) for probabilities (the formula at the clipped q where the
    clip acts, as in the reference) and x − q for logits."""
    golden = load_golden(name)
    cell = _cell_from_golden(golden)
    states = scan_batch(cell, golden_inputs(golden))
    p, x = golden.inputs["p"].astype(np.float64), golden.inputs["target"].astype(np.float64)
    ones = np.ones_like(p)
    mod, mask = golden.inputs.get("modulator", ones), golden.inputs.get("mask", ones)
    # The clip bounds as float32 values (1 − ε rounds to 1 − 1.00017e-4 in float32).
    q = np.clip(_sigmoid(p) if cell.input_logits else p, np.float32(EPS), np.float32(1 - EPS))
    assert set(np.unique(x)) <= {0.0, 1.0}
    if not cell.input_logits:
        assert ((p < EPS) | (p > 1 - EPS)).any()  # the file exercises the clip
    logpmf = np.asarray(bernoulli.logpmf(x, q))
    np.testing.assert_allclose(states.L, (mask * logpmf).sum(axis=2), rtol=1e-5, atol=1e-5)
    grad = x - q if cell.input_logits else x / q - (1 - x) / (1 - q)
    np.testing.assert_allclose(states.dp, mod * mask * grad, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        states.dtarget, mod * mask * np.log(q / (1 - q)), rtol=1e-5, atol=1e-5
    )


# ---------------------------------------------------------------- properties (hypothesis)

N = 4  # one unit count keeps jit caches warm across examples


def _vector(elements):
    return st.lists(elements, min_size=N, max_size=N).map(lambda v: jnp.asarray(v, jnp.float32))


probabilities = _vector(st.floats(2**-10, 1 - 2**-10, width=32))
logits = _vector(st.floats(-12.0, 12.0, width=32))
wide = _vector(st.floats(-1e3, 1e3, width=32))  # probabilities out of [0, 1] included
binary = _vector(st.sampled_from([0.0, 1.0]))
soft = _vector(st.floats(0.0, 1.0, width=32))
positive = _vector(st.floats(0.0625, 5.0, width=32))


@st.composite
def cases(draw, with_modulator=True):
    """A cell and inputs: p a probability (sometimes out of range) or a logit (sometimes
    saturated), a binary or soft target, optional modulator and mask."""
    input_logits = draw(st.booleans())
    p = draw(st.one_of(logits if input_logits else probabilities, wide))
    modulator = draw(st.one_of(st.none(), positive)) if with_modulator else None
    mask = draw(st.one_of(st.none(), binary))
    target = draw(st.one_of(binary, soft))
    cell = BernoulliErrorCell(N, input_logits=input_logits)
    return cell, BernoulliErrorCell.Inputs(p, target, modulator, mask)


def _rest():
    return BernoulliErrorCell(N).init_state()


@given(cases(with_modulator=False))
def test_derivatives_are_gradients_of_L(case):
    """With modulator = 1, dp = ∂L/∂p and dtarget = ∂L/∂target for any mask, also where the
    clip acts (it is straight-through: the formula at the clipped q)."""
    cell, x = case
    out = cell.step(_rest(), x, None, 1.0)

    def loss(p, target):
        return cell.step(_rest(), eqx.tree_at(lambda i: (i.p, i.target), x, (p, target)), None, 1).L

    g_p, g_target = jax.grad(loss, argnums=(0, 1))(x.p, x.target)
    np.testing.assert_allclose(out.dp, g_p, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out.dtarget, g_target, rtol=1e-5, atol=1e-5)


@given(st.booleans(), probabilities, binary, st.one_of(st.none(), positive))
def test_dp_is_the_gradient_of_the_log_probability_inside_the_clip(input_logits, q, x, mod):
    """Oracle: autodiff of `bernoulli.logpmf(x, q)` w.r.t. p (q = p or σ(p)) where the clip is
    inactive, weighted by the modulator; L equals the summed log-probability."""
    p = jnp.log(q) - jnp.log1p(-q) if input_logits else q
    cell = BernoulliErrorCell(N, input_logits=input_logits)
    out = cell.step(_rest(), BernoulliErrorCell.Inputs(p, x, mod), None, 1.0)

    def logprob(p):
        return jnp.sum(bernoulli.logpmf(x, jax.nn.sigmoid(p) if input_logits else p))

    weight = 1.0 if mod is None else mod
    np.testing.assert_allclose(out.L, logprob(p), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out.dp, weight * jax.grad(logprob)(p), rtol=1e-3, atol=1e-3)


@given(st.booleans(), _vector(st.floats(2**-7, 1 - 2**-7, width=32)))
def test_no_gradient_when_the_prediction_equals_the_target(input_logits, x):
    """q = x (a soft target) maximises L over q: dp = 0."""
    p = jnp.log(x) - jnp.log1p(-x) if input_logits else x
    cell = BernoulliErrorCell(N, input_logits=input_logits)
    out = cell.step(_rest(), BernoulliErrorCell.Inputs(p, x), None, 1.0)
    np.testing.assert_allclose(out.dp, 0.0, atol=1e-4)


def test_clip_keeps_the_gradient_pointing_at_the_target():
    """p = 0 (or a logit of −1e3) with target 1: q = ε and dp = 1/ε − 0 (probabilities) or
    1 − ε (logits), as in the reference; p = 1 with target 0: dp = −1/ε."""
    probs = BernoulliErrorCell(2).step(
        BernoulliErrorCell(2).init_state(),
        BernoulliErrorCell.Inputs(jnp.array([0.0, 1.0]), jnp.array([1.0, 0.0])),
        None,
        1,
    )
    np.testing.assert_allclose(probs.dp, [1.0 / EPS, -1.0 / EPS], rtol=1e-3)
    np.testing.assert_allclose(probs.L, 2 * np.log(EPS), rtol=1e-3)
    lgts = BernoulliErrorCell(2, input_logits=True).step(
        BernoulliErrorCell(2).init_state(),
        BernoulliErrorCell.Inputs(jnp.array([-1e3, 1e3]), jnp.array([1.0, 0.0])),
        None,
        1,
    )
    np.testing.assert_allclose(lgts.dp, [1.0 - EPS, -(1.0 - EPS)], rtol=1e-5)
    np.testing.assert_allclose(lgts.L, 2 * np.log(EPS), rtol=1e-3)


def test_new_inputs_do_not_retrace():
    """The cell has no array parameter; new input values reuse one trace."""
    cell = BernoulliErrorCell(N)

    @eqx.filter_jit
    @eqx.debug.assert_max_traces(max_traces=1)
    def step(p):
        return cell.step(_rest(), BernoulliErrorCell.Inputs(p, jnp.ones(N)), None, 1.0)

    for value in [0.2, 0.5, 0.7]:
        jax.block_until_ready(step(jnp.full(N, value)))


@given(st.floats(0.05, 0.95), st.booleans())
def test_gradient_wrt_p_matches_finite_difference(value, input_logits):
    x = jnp.array([1.0, 0.0, 1.0, 0.3])
    cell = BernoulliErrorCell(N, input_logits=input_logits)
    offset = jnp.array([-0.04, 0.0, 0.02, 0.04])

    def loss(p):
        return cell.step(_rest(), BernoulliErrorCell.Inputs(p + offset, x), None, 1.0).L

    contract.assert_grad_matches_finite_difference(loss, value)


# ---------------------------------------------------------------- out-of-range input


def test_the_clip_loses_nothing_to_cancellation():
    """A probability far outside [ε, 1 − ε] is clipped exactly: p = −5 gives q = ε and
    dp = 1/ε (the clip written as `p + (clip(p) − p)` gave 9986), and p = 3000 with target 0
    gives q = 1 − ε, so L and dp stay finite (that form gave q = 1 and L = dp = −inf)."""
    cell = BernoulliErrorCell(2)
    inputs = BernoulliErrorCell.Inputs(jnp.array([-5.0, 3000.0]), jnp.array([1.0, 0.0]))
    out = cell.step(cell.init_state(), inputs, None, 1.0)
    np.testing.assert_allclose(out.dp[0], 1.0 / EPS, rtol=1e-6)
    q = np.float32(1.0) - np.float32(EPS)  # 1 − ε as float32 holds it
    np.testing.assert_allclose(out.dp[1], -1.0 / (1.0 - q), rtol=1e-6)
    np.testing.assert_allclose(out.L, 2 * np.log(EPS), rtol=1e-4)
