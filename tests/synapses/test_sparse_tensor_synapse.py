"""SparseTensorSynapse / StaticSparseTensorSynapse: golden parity with ngclearn, the product
against a dense matrix built by hand, the geometry, bad input (the contract itself:
tests/test_contract.py, entries in tests/components/synapses.py)."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from support.golden import GOLDEN_DIR, constructor_kwargs, golden_names, load_golden

import dynax
from dynax.synapses.sparse_tensor_synapse import SparseTensorSynapse, StaticSparseTensorSynapse

EPS = float(np.finfo(np.float32).eps)
GOLDEN = golden_names("SparseTensorSynapse") + golden_names("StaticSparseTensorSynapse")


def _from_golden(golden):
    """Built from the file's own constructor arguments and key (the reference draws the
    weights with split(PRNGKey(key_seed), 4)[1], as dynax does)."""
    kwargs = constructor_kwargs(golden, {"batch_size": None, "key_seed": None})
    kwargs["key"] = jax.random.PRNGKey(golden.params["key_seed"])
    return getattr(dynax, golden.component)(**kwargs)


def _attrs(name):
    with np.load(GOLDEN_DIR / f"{name}.npz", allow_pickle=False) as data:
        return {k[len("attr__") :]: data[k] for k in data.files if k.startswith("attr__")}


def _dense_by_hand(synapse):
    """The dense (n_in, n_out) matrix of the formula, written with loops:
    out[s·O + o] = Σ_p Σ_k x[conn[s, p]·K + k]·W[p, s, k, o]; slots with conn = −1 read
    nothing."""
    w = np.asarray(synapse.weights, np.float64)
    n_p, n_s, n_k, n_o = w.shape
    dense = np.zeros((synapse.n_in, synapse.n_out))
    for s in range(n_s):
        for p in range(n_p):
            stream = synapse.connectivity_map[s][p]
            if stream < 0 or stream >= synapse.n_in // n_k:
                continue
            for k in range(n_k):
                for o in range(n_o):
                    dense[stream * n_k + k, s * n_o + o] += w[p, s, k, o]
    return dense


def _run(synapse, inputs, dt):
    step = jax.jit(jax.vmap(lambda s, x: synapse.step(s, type(synapse).Inputs(x), None, dt)))
    state = jax.vmap(lambda _: synapse.init_state())(jnp.arange(inputs.shape[1]))
    outs = []
    for x in inputs:
        state = step(state, x)
        outs.append(state.outputs)
    return np.stack(outs)


# ---------------------------------------------------------------- golden parity


@pytest.mark.parametrize("name", GOLDEN)
def test_matches_reference(name):
    """Outputs over the file's 10 steps. Tolerance: each output is a float32 sum of N terms
    (N = P·K in the tensor format, n_in in the block format), computed by both libraries in
    their own order; two such sums differ by at most 2·γ_N·Σ|x·w| ≤ N·eps·Σ|x·w| (u = eps/2),
    and the gain g adds one rounding, eps·|out| on both sides together."""
    golden = load_golden(name)
    synapse = _from_golden(golden)
    got = _run(synapse, golden.inputs["inputs"], golden.dt)
    dense = np.abs(_dense_by_hand(synapse))
    P, _, K, _ = synapse.weights.shape
    n_terms = synapse.n_in if synapse.use_block_matrix_format else P * K
    g = float(synapse.g_conduct_factor)
    scale = g * (np.abs(golden.inputs["inputs"]).astype(np.float64) @ dense)
    bound = n_terms * EPS * scale + EPS * np.abs(golden.traj["outputs"])
    error = np.abs(got - golden.traj["outputs"])
    assert np.all(error <= bound), (error.max(), bound.min())


@pytest.mark.parametrize("name", GOLDEN)
def test_key_reproduces_reference_weights_and_map(name):
    """Built from the file's key and initializer spec, dynax draws (and normalises) the
    reference's initial weights bit for bit and builds its connectivity map; in the block
    format the reference's dense matrix is `block_matrix()`."""
    golden = load_golden(name)
    synapse = _from_golden(golden)
    weights = synapse.block_matrix() if synapse.use_block_matrix_format else synapse.weights
    np.testing.assert_array_equal(weights, golden.init["weights"])
    np.testing.assert_array_equal(
        np.asarray(synapse.connectivity_map), _attrs(name)["connectivity_map"]
    )
    assert synapse.n_in == golden.inputs["inputs"].shape[-1]
    assert synapse.n_out == golden.traj["outputs"].shape[-1]


def test_inverted_transpose_layout_matches_reference():
    """The inverted layer's weight `[q, i, o, k]` copies the forward weight the reference's
    `transpose_indices` name (flat into the forward (P, S, K, O) tensor), where its
    `transpose_mask` is 1, and is 0 where it is 0."""
    name = "StaticSparseTensorSynapse_inverted"
    synapse = _from_golden(load_golden(name))
    attrs = _attrs(name)
    forward = jnp.arange(2 * 3 * 2 * 3, dtype=jnp.float32).reshape(2, 3, 2, 3) + 1.0
    tied = synapse.tie_transpose_weights(forward).weights
    expected = np.where(
        attrs["transpose_mask"] > 0, np.asarray(forward).ravel()[attrs["transpose_indices"]], 0.0
    )
    np.testing.assert_array_equal(np.asarray(tied).ravel(), expected)


def test_inverted_layer_is_the_transpose_of_the_forward_layer():
    """Oracle: with tied weights, the inverted layer's dense matrix is the transpose of the
    forward layer's (each of them written out by hand)."""
    forward = SparseTensorSynapse(5, 2, 3, 3, stride=1, key=jax.random.key(0))
    inverted = SparseTensorSynapse(5, 2, 3, 3, invert_conn=True, key=jax.random.key(1))
    tied = inverted.tie_transpose_weights(forward.weights)
    np.testing.assert_array_equal(_dense_by_hand(tied), _dense_by_hand(forward).T)


# ---------------------------------------------------------------- the product


@pytest.mark.parametrize("block", [False, True])
@pytest.mark.parametrize(
    "geometry",
    [
        {"n_in_streams": 7, "K_local": 3, "O_local": 2, "P_l": 3, "stride": 2},
        {"n_in_streams": 9, "K_local": 2, "O_local": 4, "P_l": 3, "dilation": 2},
        {"n_in_streams": 10, "K_local": 2, "O_local": 3, "P_l": 4, "convergent_factor": 0.6},
        {"n_in_streams": 6, "K_local": 2, "O_local": 3, "P_l": 3, "invert_conn": True},
    ],
    ids=["stride", "dilation", "convergent", "inverted"],
)
def test_product_equals_dense_matrix_built_by_hand(geometry, block):
    """Against x @ D with D built by loops from the formula (float64), bias and gain
    included, in both formats. Tolerance: one float32 sum of N = n_in terms against the exact
    one, γ_N·Σ|x·w| ≤ N·eps·Σ|x·w|, plus the gain's and the bias's roundings."""
    synapse = SparseTensorSynapse(
        **geometry,
        weight_init=("gaussian", {"std": 0.5}),
        bias_init=("uniform", {"low": -0.5, "high": 0.5}),
        g_conduct_factor=1.5,
        use_block_matrix_format=block,
        key=jax.random.key(3),
    )
    x = np.asarray(jax.random.normal(jax.random.key(4), (synapse.n_in,)), np.float64)
    dense = _dense_by_hand(synapse)
    expected = 1.5 * (x @ dense) + np.asarray(synapse.biases, np.float64)
    got = synapse.step(synapse.init_state(), synapse.Inputs(jnp.asarray(x, jnp.float32)), None, 1.0)
    bound = synapse.n_in * EPS * 1.5 * (np.abs(x) @ np.abs(dense)) + 2 * EPS * np.abs(expected)
    assert np.all(np.abs(np.asarray(got.outputs) - expected) <= bound + 1e-7)


def test_block_matrix_is_the_dense_matrix_by_hand():
    synapse = SparseTensorSynapse(10, 2, 3, 4, convergent_factor=0.6, key=jax.random.key(5))
    np.testing.assert_array_equal(
        synapse.block_matrix(), _dense_by_hand(synapse).astype(np.float32)
    )


def test_each_output_unit_reads_only_its_window():
    """A one-hot input on stream i moves exactly the output streams whose window holds i."""
    synapse = SparseTensorSynapse(7, 1, 1, 3, stride=2, weight_init=jnp.ones((3, 3, 1, 1)))
    for i in range(7):
        x = jnp.zeros(7).at[i].set(1.0)
        out = synapse.step(synapse.init_state(), synapse.Inputs(x), None, 1.0).outputs
        readers = [s for s, row in enumerate(synapse.connectivity_map) if i in row]
        np.testing.assert_array_equal(np.flatnonzero(np.asarray(out)), readers)


# ---------------------------------------------------------------- geometry


def test_geometry_of_the_reference():
    """S = the number of windows that fit; conn[s, p] = s·stride + p·dilation."""
    synapse = SparseTensorSynapse(9, 1, 1, 3, stride=2, dilation=2, key=jax.random.key(0))
    assert synapse.connectivity_map == ((0, 2, 4), (2, 4, 6), (4, 6, 8))
    assert synapse.weights.shape == (3, 3, 1, 1)
    inverted = SparseTensorSynapse(4, 2, 3, 2, invert_conn=True, key=jax.random.key(0))
    assert inverted.connectivity_map == ((0, -1), (0, 1), (1, 2), (2, -1))
    assert (inverted.n_in, inverted.n_out, inverted.weights.shape) == (9, 8, (2, 4, 3, 2))


def test_convergent_windows_shrink_away_from_the_centre():
    """max(1, round(P·(1 − f·|s − S/2|/(S/2)))) slots, the rest −1 (read as zeros)."""
    synapse = SparseTensorSynapse(10, 1, 1, 4, convergent_factor=0.6, key=jax.random.key(0))
    conn = np.asarray(synapse.connectivity_map)
    S = conn.shape[0]
    widths = [max(1, round(4 * (1 - 0.6 * abs(s - S / 2) / (S / 2)))) for s in range(S)]
    np.testing.assert_array_equal((conn >= 0).sum(axis=1), widths)
    assert widths[0] < 4 and max(widths) == 4


@pytest.mark.parametrize("norm_axis", [0, 1])
def test_normalize_gives_unit_rows_along_norm_axis(norm_axis):
    """norm_axis 1 (the reference's, the only one it applies): ‖W[p, s, k, :]‖ = 1; 0:
    ‖W[p, s, :, o]‖ = 1 (the reference ignores norm_axis, defect 40)."""
    synapse = SparseTensorSynapse(
        5, 3, 4, 2, normalize=True, norm_axis=norm_axis, key=jax.random.key(6)
    )
    norms = np.linalg.norm(np.asarray(synapse.weights), axis=3 if norm_axis == 1 else 2)
    np.testing.assert_allclose(norms, 1.0, rtol=1e-6)


def test_bias_has_one_value_per_output_unit():
    """Defect 39: the reference draws its bias as (1, S) and crashes for O_local > 1."""
    synapse = SparseTensorSynapse(
        4, 2, 2, 2, bias_init=("constant", {"value": 0.1}), key=jax.random.key(0)
    )
    assert synapse.biases.shape == (6,)
    out = synapse.step(synapse.init_state(), synapse.Inputs(jnp.zeros(8)), None, 1.0).outputs
    np.testing.assert_allclose(out, 0.1)


def test_p_conn_mask_is_kept():
    synapse = SparseTensorSynapse(6, 3, 3, 3, p_conn=0.5, key=jax.random.key(7))
    pruned = np.asarray(synapse.mask) == 0
    assert 0.3 < pruned.mean() < 0.7 and np.all(np.asarray(synapse.weights)[pruned] == 0)


def test_static_is_the_same_synapse():
    a = SparseTensorSynapse(4, 2, 2, 2, key=jax.random.key(0))
    b = StaticSparseTensorSynapse(4, 2, 2, 2, key=jax.random.key(0))
    assert isinstance(b, SparseTensorSynapse)
    x = jnp.linspace(-1.0, 1.0, 8)
    np.testing.assert_array_equal(
        a.step(a.init_state(), a.Inputs(x), None, 1.0).outputs,
        b.step(b.init_state(), b.Inputs(x), None, 1.0).outputs,
    )


def test_gradient_reaches_only_existing_weights_in_block_format():
    """In the block format the structural zeros are not parameters: the gradient is the
    tensor-format gradient."""
    import equinox as eqx

    x = jax.random.normal(jax.random.key(8), (8,))

    def loss(s):
        return jnp.sum(jnp.sin(s.step(s.init_state(), s.Inputs(x), None, 1.0).outputs))

    tensor = SparseTensorSynapse(4, 2, 2, 2, key=jax.random.key(9))
    block = SparseTensorSynapse(4, 2, 2, 2, use_block_matrix_format=True, key=jax.random.key(9))
    np.testing.assert_allclose(
        eqx.filter_grad(loss)(tensor).weights,
        eqx.filter_grad(loss)(block).weights,
        rtol=1e-5,
        atol=1e-6,
    )


# ---------------------------------------------------------------- bad input

GOOD = {"n_in_streams": 4, "K_local": 2, "O_local": 2, "P_l": 2, "key": jax.random.key(0)}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"stride": 0}, "`stride` must be an int >= 1, got 0"),
        ({"stride": 1.5}, "`stride` must be an int >= 1, got 1.5"),
        ({"dilation": 0}, "`dilation` must be an int >= 1, got 0"),
        (
            {"P_l": 5},
            "`P_l` must be a window whose span (P_l − 1)·dilation + 1 fits in n_in_streams=4, "
            "got P_l=5",
        ),
        ({"dilation": 4}, "got P_l=2 with dilation=4, a span of 5"),
        ({"n_in_streams": 0}, "`n_in_streams` must be an int >= 1, got 0"),
        ({"K_local": True}, "`K_local` must be an int >= 1, got True"),
        ({"norm_axis": 2}, "`norm_axis` must be 0 or 1, got 2"),
        ({"norm_axis": -1}, "`norm_axis` must be an int >= 0, got -1"),
        (
            {"convergent_factor": -0.1},
            "`convergent_factor` must be finite and in [0.0, inf), got -0.1",
        ),
        ({"invert_conn": 1}, "`invert_conn` must be a bool, got 1"),
        (
            {"weight_init": jnp.ones((2, 3, 2, 1))},
            "`weight_init` must be of shape (2, 3, 2, 2), got shape (2, 3, 2, 1)",
        ),
        ({"bias_init": jnp.ones(3)}, "`bias_init` must be of shape (6,) or (), got shape (3,)"),
        ({"p_conn": 1.5}, "`p_conn` must be finite and in [0.0, 1.0], got 1.5"),
        (
            {"g_conduct_factor": jnp.ones(3)},
            "`g_conduct_factor` must be of shape () or (6,), got shape (3,)",
        ),
        ({"key": None}, "`weight_init` failed (it may need a PRNG `key`"),
    ],
)
def test_bad_arguments_name_the_argument(changes, message):
    with pytest.raises(ValueError, match="^SparseTensorSynapse: .*" + re.escape(message)):
        SparseTensorSynapse(**{**GOOD, **changes})


def test_tie_transpose_needs_an_inverted_layer_and_the_forward_shape():
    forward = SparseTensorSynapse(**GOOD)
    with pytest.raises(ValueError, match=r"SparseTensorSynapse: `invert_conn` must be True"):
        forward.tie_transpose_weights(forward.weights)
    inverted = SparseTensorSynapse(**GOOD, invert_conn=True)
    with pytest.raises(
        ValueError, match=r"`weight_transpose_target` must be of shape \(2, 3, 2, 2\)"
    ):
        inverted.tie_transpose_weights(jnp.ones((2, 3, 2, 3)))


def test_wrong_input_shape_raises_at_trace_time():
    synapse = SparseTensorSynapse(**GOOD)
    pattern = re.escape(
        "SparseTensorSynapse.step: input `inputs` must have shape (8,), got shape (6,)"
    )
    with pytest.raises(ValueError, match=pattern):
        jax.jit(lambda s: synapse.step(s, synapse.Inputs(jnp.ones(6)), None, 1.0))(
            synapse.init_state()
        )
