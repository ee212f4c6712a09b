"""HebbianSynapse: golden parity with ngclearn, the rule by hand, properties of learning, bad
input (the contract of the step: tests/test_contract.py, entry in tests/components/synapses.py)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from components.synapses import hebbian_synapses
from hypothesis import given
from hypothesis import strategies as st
from support import contract
from support.golden import constructor_kwargs, golden_names, load_golden

from dynax.synapses.hebbian_synapse import HebbianSynapse, hebbian_update

RTOL, ATOL = 1e-5, 1e-6


def _from_golden(golden, weights=None):
    kwargs = constructor_kwargs(golden, {"batch_size": None, "key_seed": None})
    syn = HebbianSynapse(**kwargs, key=jax.random.PRNGKey(golden.params["key_seed"]))
    if weights is not None:
        syn = eqx.tree_at(lambda s: s.weights, syn, jnp.asarray(weights))
    return syn


@eqx.filter_jit
def _advance_then_evolve(syn, opt_state, state, x, pre, post, dt):
    """The files' schedule: `advance_state` (the batch by vmap), then `evolve` on the batch."""
    state = jax.vmap(lambda s, xi: syn.step(s, syn.Inputs(xi), None, dt))(state, x)
    dW, db = syn.calc_update(pre, post)
    syn, opt_state = syn.evolve(opt_state, pre, post)
    return syn, opt_state, state, dW, db


_jit_evolve = eqx.filter_jit(lambda syn, opt_state, pre, post: syn.evolve(opt_state, pre, post))


@pytest.mark.parametrize("name", golden_names("HebbianSynapse"))
def test_matches_reference(name):
    """Outputs (with the weights before the step's evolve), dWeights/dBiases (the batch of 3
    summed) and the weights/biases after every evolve."""
    golden = load_golden(name)
    syn = _from_golden(golden, golden.init["weights"])
    opt_state = syn.init_opt_state()
    state = jax.vmap(lambda _: syn.init_state())(jnp.arange(golden.batch_size))
    for k in range(golden.num_steps):
        x, pre, post = (golden.inputs[c][k] for c in ("inputs", "pre", "post"))
        syn, opt_state, state, dW, db = _advance_then_evolve(
            syn, opt_state, state, x, pre, post, golden.dt
        )
        traj = {c: v[k] for c, v in golden.traj.items()}
        np.testing.assert_allclose(state.outputs, traj["outputs"], rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(state.delayed_inputs, traj["delayed_inputs"], rtol=RTOL)
        np.testing.assert_allclose(dW, traj["dWeights"], rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(db, traj["dBiases"].reshape(-1), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(syn.weights, traj["weights"], rtol=RTOL, atol=ATOL)
        if syn.biases is None:  # no bias_init: the reference keeps a scalar 0 it never learns
            np.testing.assert_array_equal(traj["biases"], 0.0)
        else:
            np.testing.assert_allclose(syn.biases, traj["biases"].reshape(-1), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", golden_names("HebbianSynapse"))
def test_construction_key_draws_the_reference_weights(name):
    golden = load_golden(name)
    np.testing.assert_array_equal(_from_golden(golden).weights, golden.init["weights"])


# ---------------------------------------------------------------- the rule by hand

W_HAND = jnp.array([[0.5], [-0.25]])
PRE_HAND, POST_HAND = jnp.array([1.0, 2.0]), jnp.array([3.0])


def _hand_synapse(**kwargs):
    defaults = {"w_bound": 0.0, "eta": 0.1, "weight_init": W_HAND, "bias_init": jnp.zeros(1)}
    return HebbianSynapse((2, 1), **{**defaults, **kwargs})


def test_single_pair_by_hand():
    """P = 0.5·[1, 2], Q = 2·[3] ⇒ PᵀQ = [[3], [6]]; soft bound (1 − |W|) = [[0.5], [0.75]]
    ⇒ [[1.5], [4.5]]; l2 prior −0.1·W = [[−0.05], [0.025]]; sign −1."""
    syn = _hand_synapse(
        w_bound=1.0, pre_wght=0.5, post_wght=2.0, prior=("l2", 0.1), sign_value=-1.0
    )
    dW, db = syn.calc_update(PRE_HAND, POST_HAND)
    np.testing.assert_allclose(dW, [[-1.45], [-4.525]], rtol=1e-6)
    np.testing.assert_allclose(db, [-6.0], rtol=1e-6)
    new, _ = syn.evolve(syn.init_opt_state(), PRE_HAND, POST_HAND)
    # sgd descends: W − η·dW = [[0.5 + 0.145], [−0.25 + 0.4525]]; then clip to [−1, 1]
    np.testing.assert_allclose(new.weights, [[0.645], [0.2025]], rtol=1e-6)
    np.testing.assert_allclose(new.biases, [0.6], rtol=1e-6)


@pytest.mark.parametrize(
    ("prior", "expected"),
    [
        (("constant", 0.3), [[3.0], [6.0]]),
        (("l1", 0.3), [[3.0 - 0.3], [6.0 + 0.3]]),
        (("l2", 0.3), [[3.0 - 0.15], [6.0 + 0.075]]),
        # −λ(r·sign W + (1 − r)·W/2) with λ = 0.3, r = 0.25
        (
            ("elastic_net", (0.3, 0.25)),
            [[3.0 - 0.3 * (0.25 + 0.75 * 0.25)], [6.0 + 0.3 * (0.25 + 0.75 * 0.125)]],
        ),
    ],
)
def test_priors_by_hand(prior, expected):
    dW, _ = _hand_synapse(prior=prior).calc_update(2 * PRE_HAND, POST_HAND / 2)
    np.testing.assert_allclose(dW, expected, rtol=1e-6)


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("ridge", ("l2", 0.2)),
        ("gaussian", ("l2", 0.2)),
        ("lasso", ("l1", 0.2)),
        ("laplacian", ("l1", 0.2)),
        ("elastic_net", ("l1l2", (0.2, 0.4))),
    ],
)
def test_prior_aliases_and_w_decay(alias, canonical):
    value = canonical[1]
    a = _hand_synapse(prior=(alias, value)).calc_update(PRE_HAND, POST_HAND)
    b = _hand_synapse(prior=canonical).calc_update(PRE_HAND, POST_HAND)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    c = _hand_synapse(w_decay=0.2).calc_update(PRE_HAND, POST_HAND)
    d = _hand_synapse(prior=("l2", 0.2)).calc_update(PRE_HAND, POST_HAND)
    np.testing.assert_array_equal(c[0], d[0])


def test_batch_is_summed_and_the_prior_added_once():
    rng = np.random.default_rng(0)
    pre, post = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    W = jnp.asarray(rng.uniform(-0.5, 0.5, (4, 3)), jnp.float32)
    dW, db = hebbian_update(W, pre, post, prior_type="l2", prior_lmbda=0.1)
    outer = sum(np.outer(pre[b], post[b]) for b in range(6))
    np.testing.assert_allclose(dW, outer - 0.1 * np.asarray(W), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(db, post.sum(0), rtol=1e-5)
    single, _ = hebbian_update(W, pre[0], post[0])
    np.testing.assert_allclose(single, np.outer(pre[0], post[0]), rtol=1e-6)


def test_adam_first_step_moves_by_eta_times_the_sign():
    """Adam's first bias-corrected step is η·g/(|g| + ε) ≈ η·sign(g)."""
    syn = _hand_synapse(optim_type="adam", eta=0.01)
    new, _ = syn.evolve(syn.init_opt_state(), PRE_HAND, POST_HAND)
    np.testing.assert_allclose(new.weights, W_HAND - 0.01, rtol=1e-6)


def _reference_nag(W0, grads, eta, mu=0.9):
    """ngclearn's NAG (spec §2.5), written out: φ = θ − ηΔ; θ⁺ = φ + μ(φ − φ_prev)·1[n > 1]."""
    theta, phi_prev = np.asarray(W0, np.float64), np.zeros_like(W0, np.float64)
    out = []
    for n, g in enumerate(grads, start=1):
        phi = theta - eta * g
        theta = phi + mu * (phi - phi_prev) * (n > 1)
        phi_prev = phi
        out.append(theta)
    return out


def test_nag_equals_the_reference_formula():
    """Without clipping (w_bound = 0) dynax's "nag" is the reference's recursion; optax's plain
    `sgd(nesterov=True)` is not (its first step is −η(1 + μ)Δ and Δ₁ stays in its velocity)."""
    rng = np.random.default_rng(1)
    pre = rng.standard_normal((20, 3, 2)).astype(np.float32)
    post = rng.standard_normal((20, 3, 1)).astype(np.float32)
    syn = _hand_synapse(optim_type="nag", eta=0.05, sign_value=-1.0, bias_init=None)
    plain = _hand_synapse(
        optim_type=optax.sgd(0.05, momentum=0.9, nesterov=True),
        eta=None,
        sign_value=-1.0,
        bias_init=None,
    )
    grads = [-(pre[k].T @ post[k]) for k in range(20)]  # no bound, no prior: Δ is W-free
    expected = _reference_nag(W_HAND, grads, 0.05)
    opt, opt_plain = syn.init_opt_state(), plain.init_opt_state()
    for k in range(20):
        syn, opt = _jit_evolve(syn, opt, pre[k], post[k])
        plain, opt_plain = _jit_evolve(plain, opt_plain, pre[k], post[k])
        np.testing.assert_allclose(syn.weights, expected[k], rtol=1e-5, atol=1e-5)
    assert np.abs(plain.weights - expected[-1]).max() > 1e-2


def test_custom_optax_transformation():
    a = _hand_synapse(optim_type=optax.sgd(0.1), eta=None)
    b = _hand_synapse(optim_type="sgd", eta=0.1)
    new_a, _ = a.evolve(a.init_opt_state(), PRE_HAND, POST_HAND)
    new_b, _ = b.evolve(b.init_opt_state(), PRE_HAND, POST_HAND)
    np.testing.assert_array_equal(new_a.weights, new_b.weights)
    np.testing.assert_array_equal(new_a.biases, new_b.biases)


def test_without_biases_only_the_weights_learn():
    syn = _hand_synapse(bias_init=None)
    new, _ = syn.evolve(syn.init_opt_state(), PRE_HAND, POST_HAND)
    assert new.biases is None
    # sign_value = 1: the optimiser descends along +preᵀpost (anti-Hebbian)
    np.testing.assert_allclose(new.weights, W_HAND - 0.1 * jnp.outer(PRE_HAND, POST_HAND))


def test_scalar_bias_learns_the_summed_update():
    """A bias shared by all outputs descends along Σ_j Δb_j = −(1 + 2) with sign −1."""
    syn = HebbianSynapse(
        (2, 2),
        eta=0.1,
        w_bound=0.0,
        sign_value=-1.0,
        weight_init=jnp.zeros((2, 2)),
        bias_init=jnp.asarray(0.5),
    )
    new, _ = syn.evolve(syn.init_opt_state(), PRE_HAND, jnp.array([1.0, 2.0]))
    assert new.biases.shape == ()
    np.testing.assert_allclose(new.biases, 0.5 + 0.1 * 3.0, rtol=1e-6)


# ---------------------------------------------------------------- properties (hypothesis)

N_IN, N_OUT = 4, 3  # the shape of `hebbian_synapses`
MASK = jnp.asarray(np.random.default_rng(2).uniform(size=(N_IN, N_OUT)) < 0.7, jnp.float32)
finite = st.floats(-10.0, 10.0, allow_nan=False, width=32)


def vectors(n):
    return st.lists(finite, min_size=n, max_size=n).map(lambda v: jnp.asarray(v, jnp.float32))


def _snapshot(tree):
    return jax.tree.map(lambda x: np.array(x, copy=True), eqx.filter(tree, eqx.is_array))


@given(hebbian_synapses(), vectors(N_IN), vectors(N_OUT))
def test_evolve_is_pure(syn, pre, post):
    """Two calls give the same result and leave the old synapse and state untouched."""
    opt_state = syn.init_opt_state()
    before = _snapshot((syn, opt_state, pre, post))
    first = syn.evolve(opt_state, pre, post)
    second = syn.evolve(opt_state, pre, post)
    jax.tree.map(np.testing.assert_array_equal, _snapshot(first), _snapshot(second))
    jax.tree.map(np.testing.assert_array_equal, before, _snapshot((syn, opt_state, pre, post)))
    new_syn, new_opt = first
    assert jax.tree.structure(new_syn) == jax.tree.structure(syn)
    assert jax.tree.structure(new_opt) == jax.tree.structure(opt_state)


@pytest.mark.parametrize("optim_type", ["sgd", "adam", "nag"])
@pytest.mark.parametrize("is_nonnegative", [False, True])
def test_evolve_jit_matches_eager(optim_type, is_nonnegative):
    rng = np.random.default_rng(4)
    syn = HebbianSynapse(
        (N_IN, N_OUT),
        eta=0.1,
        bias_init=("constant", {"value": 0.0}),
        w_bound=0.5,
        is_nonnegative=is_nonnegative,
        prior=("l2", 0.01),
        optim_type=optim_type,
        key=jax.random.key(0),
    )
    eager = jitted = (syn, syn.init_opt_state())
    for _ in range(3):
        pre, post = rng.standard_normal((2, N_IN)), rng.standard_normal((2, N_OUT))
        eager = eager[0].evolve(eager[1], pre, post)
        jitted = _jit_evolve(*jitted, pre, post)
    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
        _snapshot(eager),
        _snapshot(jitted),
    )


@given(
    hebbian_synapses(),
    st.lists(vectors(N_IN), min_size=3, max_size=3),
    st.lists(vectors(N_OUT), min_size=3, max_size=3),
)
def test_per_sample_update_under_vmap_matches_a_loop(syn, pres, posts):
    """The per-sample update under vmap equals a loop of samples."""
    pre, post = jnp.stack(pres), jnp.stack(posts)
    dWs, dbs = jax.vmap(syn.calc_update)(pre, post)
    for b in range(3):
        dW, db = syn.calc_update(pre[b], post[b])
        np.testing.assert_allclose(dWs[b], dW, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(dbs[b], db, rtol=1e-6, atol=1e-6)


@eqx.filter_jit
def _train(syn, pre, post):
    def body(carry, signals):
        s, opt = carry
        return s.evolve(opt, *signals), None

    (syn, _), _ = jax.lax.scan(body, (syn, syn.init_opt_state()), (pre, post))
    return syn


@st.composite
def masked_synapses(draw):
    optim_type = draw(st.sampled_from(["sgd", "adam", "nag"]))
    is_nonnegative = draw(st.booleans())
    return draw(hebbian_synapses(optim_type, is_nonnegative, mask=MASK))


@given(masked_synapses(), st.integers(0, 2**31 - 1), st.floats(1.0, 1e3))
def test_bounds_and_mask_hold_after_many_updates(syn, seed, scale):
    """200 updates from large signals: W stays in [0, w_bound] / [−w_bound, w_bound] (W ≥ 0
    if non-negative without a bound), masked weights stay zero, nothing becomes NaN."""
    k1, k2 = jax.random.split(jax.random.key(seed))
    pre = scale * jax.random.normal(k1, (200, 2, N_IN))
    post = scale * jax.random.normal(k2, (200, 2, N_OUT))
    W = np.asarray(_train(syn, pre, post).weights)
    assert np.isfinite(W).all()
    bound = float(syn.w_bound)
    if bound > 0:
        assert W.max() <= bound
        assert W.min() >= (0.0 if syn.is_nonnegative else -bound)
    elif syn.is_nonnegative:
        assert W.min() >= 0.0
    np.testing.assert_array_equal(W[np.asarray(MASK) == 0], 0.0)


def test_new_eta_does_not_retrace():
    @eqx.filter_jit
    @eqx.debug.assert_max_traces(max_traces=1)
    def evolve(syn, opt_state):
        return syn.evolve(opt_state, jnp.ones(N_IN), jnp.ones(N_OUT))

    for eta in (0.01, 0.1, 0.3):
        syn = HebbianSynapse((N_IN, N_OUT), eta=eta, optim_type="adam", key=jax.random.key(0))
        evolve(syn, syn.init_opt_state())


def test_gradient_wrt_eta_matches_finite_difference():
    """eta is an array leaf: a loss of the weights after 5 updates can be differentiated."""
    rng = np.random.default_rng(3)
    pre = jnp.asarray(rng.standard_normal((5, N_IN)), jnp.float32)
    post = jnp.asarray(rng.standard_normal((5, N_OUT)), jnp.float32)

    def loss(eta):
        syn = HebbianSynapse(
            (N_IN, N_OUT), eta=eta, w_bound=0.0, prior=("l2", 0.1), key=jax.random.key(0)
        )
        return jnp.sum(_train(syn, pre, post).weights ** 2)

    contract.assert_grad_matches_finite_difference(loss, 0.05)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("pre", "post", "match"),
    [
        (jnp.ones(N_IN + 1), jnp.ones(N_OUT), "`pre`"),
        (jnp.ones(N_IN), jnp.ones((2, N_OUT + 1)), "`post`"),
        (jnp.ones((2, 2, N_IN)), jnp.ones((2, N_OUT)), "`pre`"),
        (jnp.ones((2, N_IN)), jnp.ones((3, N_OUT)), "batch size"),
    ],
)
def test_wrong_signal_shapes_raise_at_trace_time(pre, post, match):
    syn = HebbianSynapse((N_IN, N_OUT), eta=0.1, key=jax.random.key(0))
    with pytest.raises(ValueError, match=match):
        jax.jit(lambda p, q: syn.calc_update(p, q))(pre, post)


def test_wrong_update_shape_raises():
    syn = HebbianSynapse((N_IN, N_OUT), eta=0.1, key=jax.random.key(0))
    with pytest.raises(ValueError, match="dW"):
        syn.apply_update(syn.init_opt_state(), jnp.ones((N_OUT, N_IN)))
