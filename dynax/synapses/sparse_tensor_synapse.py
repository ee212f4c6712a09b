"""SparseTensorSynapse: a locally connected (unshared-convolution) cable between streams of
units (ngclearn's `SparseTensorSynapse`, and `StaticSparseTensorSynapse`, the same without
learning).

The input is `n_in_streams` streams of `K_local` units; output stream `s` reads the `P_l`
input streams `conn[s, p] = s·stride + p·dilation` and has `O_local` units of its own:

    out[s·O + o] = Σ_p Σ_k x[conn[s, p]·K + k] · W[p, s, k, o]

with one `(K, O)` block of weights per (slot `p`, output stream `s`) — nothing is shared.
"""

from collections.abc import Callable
from typing import Any, ClassVar, Self

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from .._core import AbstractSynapse, CellState
from .._fields import _Number, _to_number, checked_size, number, parameter, size, switch
from .._typing import TimeStep
from .._validate import NONNEGATIVE, check_memory, check_shape, fail
from ..initializers import uniform
from ._synapse_helpers import (
    ConstructionKeys,
    build_biases,
    build_weights,
    effective_weights,
    resolve_gain,
)

NORM_EPS = 1e-8
"""Added to a block row's L2 norm before dividing by it (the reference's ε)."""


# ---------------------------------------------------------------- geometry (plain Python)


def _window(P: int, s: int, center: float, convergent_factor: float, rounding) -> int:
    """The number of slots stream `s` uses: `P`, shrunk away from `center` by
    `convergent_factor` (at least 1)."""
    if convergent_factor <= 0.0:
        return P
    distance = abs(s - center) / center
    return max(1, rounding(P * (1.0 - convergent_factor * distance)))


def output_streams(
    n_in_streams: int, P: int, stride: int, dilation: int, convergent_factor: float
) -> int:
    """`S`, the number of output streams whose last read index `s·stride + (P_s − 1)·dilation`
    lies inside the input (the reference's `initialize_layer_geometry`: with
    `convergent_factor`, `P_s` uses `int()` and the estimated centre `max(1, n_in // stride)/2`,
    while the map uses `round()` and the true `S`)."""
    guess = max(1, n_in_streams // stride) / 2.0
    s = 0
    while True:
        local = _window(P, s, guess, convergent_factor, int)
        if s * stride + (local - 1) * dilation >= n_in_streams:
            break
        s += 1
    return max(1, s)


def connectivity_map(
    P: int, S: int, stride: int, dilation: int, convergent_factor: float
) -> np.ndarray:
    """The `(S, P)` map `conn[s, p] = s·stride + p·dilation` for `p < P_s`, `−1` beyond."""
    conn = np.full((S, P), -1, dtype=np.int32)
    for s in range(S):
        local = _window(P, s, S / 2.0, convergent_factor, round)
        conn[s, :local] = s * stride + np.arange(local) * dilation
    return conn


def backward_connectivity_map(forward: np.ndarray, n_in_streams: int) -> np.ndarray:
    """The map of the transposed layer: row `i` lists, in order of `(s, p)`, the forward output
    streams `s` that read input stream `i`, `−1`-padded to the largest fan-in (at least 1)."""
    links: list[list[int]] = [[] for _ in range(n_in_streams)]
    for s, row in enumerate(forward):
        for index in row:
            if 0 <= index < n_in_streams:
                links[int(index)].append(s)
    width = max(1, max(len(row) for row in links))
    back = np.full((n_in_streams, width), -1, dtype=np.int32)
    for i, row in enumerate(links):
        back[i, : len(row)] = row
    return back


def _checked_switch(owner: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        fail(owner, name, "a bool", repr(value))
    return value


def _check_norm_axis(owner: str, norm_axis: int) -> None:
    if norm_axis > 1:
        fail(owner, "norm_axis", "0 or 1", repr(norm_axis))


def _checked_number(owner: str, name: str, value: Any) -> float:
    converted = _to_number(value)
    _Number(constraint=NONNEGATIVE).check(owner, name, converted, None)
    return converted


# ---------------------------------------------------------------- the synapse


class SparseTensorSynapseState(CellState):
    """`outputs`: the postsynaptic signal, `(n_out,) = (S·O,)`."""

    outputs: Float[Array, " n_out"]


class SparseTensorSynapseInputs(eqx.Module):
    """`inputs`: presynaptic activity, `(n_in,)`, stream after stream (`K` units each)."""

    inputs: Float[Array, " n_in"]


class SparseTensorSynapse(AbstractSynapse):
    r"""A locally connected synaptic tensor (an unshared convolution over streams).

    The layer reads `n_streams_in` streams of `k` units and writes `n_streams_out` streams of
    `o` units; output stream `s` reads the input streams of row `s` of `connectivity_map`
    (`−1`: an empty slot). With `W` of shape `(P, n_streams_out, k, o)`,

    $$\text{out}_{s·o + j} = g \sum_p \sum_{i<k} x_{\text{conn}[s,p]·k + i}\, W_{p,s,i,j} + b,$$

    where an empty slot reads zeros. Forward (`invert_conn=False`): `n_streams_in =
    n_in_streams`, `k = K_local`, `o = O_local`, and `conn[s, p] = s·stride + p·dilation`
    (`P = P_l`; with `convergent_factor > 0` the windows shrink away from the centre).
    Inverted (`invert_conn=True`): the transposed geometry of that forward layer — it reads
    the forward layer's `S` output streams of `O_local` units and writes `n_in_streams`
    streams of `K_local` units; row `i` of its map lists the forward output streams that read
    forward input `i` (`P` = the largest fan-in).

    `use_block_matrix_format=True` computes the same product as `x @ block_matrix()`, a dense
    `(n_in, n_out)` matrix with the blocks in place (zeros elsewhere); the weights stay the
    `(P, S, k, o)` tensor either way. `normalize=True` divides every row `W[p, s, i, :]`
    (`norm_axis=1`) or column `W[p, s, :, j]` (`norm_axis=0`) by its L2 norm plus `1e-8`,
    once, at construction.

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = SparseTensorSynapseState
    Inputs: ClassVar = SparseTensorSynapseInputs

    n_in_streams: int = size()
    K_local: int = size()
    O_local: int = size()
    P_l: int = size()
    stride: int = size()
    convergent_factor: float = number(0.0, NONNEGATIVE)
    dilation: int = size()
    invert_conn: bool = switch(False)
    normalize: bool = switch(False)
    norm_axis: int = size(minimum=0)
    use_block_matrix_format: bool = switch(False)
    n_in: int = size()
    n_out: int = size()
    connectivity_map: tuple[tuple[int, ...], ...] = eqx.field(static=True)
    weights: Float[Array, "P S k o"]
    mask: Float[Array, "P S k o"] | None
    biases: Float[Array, " n_out"] | Float[Array, ""] | None
    g_conduct_factor: Float[Array, ""] | Float[Array, " n_out"] = parameter(per="n_out")

    def __init__(
        self,
        n_in_streams: int,
        K_local: int,
        O_local: int,
        P_l: int = 1,
        stride: int = 1,
        convergent_factor: float = 0.0,
        dilation: int = 1,
        invert_conn: bool = False,
        normalize: bool = False,
        norm_axis: int = 1,
        weight_init=None,
        bias_init=None,
        g_conduct_factor: ArrayLike = 1.0,
        p_conn: ArrayLike = 1.0,
        use_block_matrix_format: bool = False,
        *,
        key: PRNGKeyArray | None = None,
        resist_scale: ArrayLike | None = None,
    ):
        """**Arguments:**

        - `n_in_streams`: the number of input streams of the forward layer.
        - `K_local`: the units per input stream (forward).
        - `O_local`: the units per output stream (forward).
        - `P_l`: the window, the number of input streams each output stream reads; its span
            `(P_l − 1)·dilation + 1` must fit in `n_in_streams`.
        - `stride`: the step between the windows of successive output streams, an int ≥ 1.
        - `convergent_factor`: `≥ 0`; `> 0` shrinks the windows away from the centre of the
            layer to `max(1, round(P_l·(1 − f·|s − S/2|/(S/2))))` slots.
        - `dilation`: the step between the input streams of one window, an int ≥ 1.
        - `invert_conn`: build the transposed layer (see the class docstring).
        - `normalize`: divide the weights by their L2 norm along `norm_axis` at construction.
        - `norm_axis`: `1` (the reference's): each `W[p, s, i, :]`, the weights from one input
            unit into an output stream; `0`: each `W[p, s, :, j]`, those into one output unit.
        - `weight_init`: an initializer, a name or `(name, kwargs)` pair of
            `dynax.initializers`, or an explicit `(P, S, k, o)` array (the layer's geometry:
            `weight_shape`). Default `uniform(0.025, 0.8)`.
        - `bias_init`: the same for the biases, drawn as `(n_out,)` (an explicit array may be
            a scalar or `(n_out,)`). `None`: no bias.
        - `g_conduct_factor`: output gain, a scalar or `(n_out,)`.
        - `p_conn`: probability that a weight exists, in [0, 1]; `< 1` draws a Bernoulli mask
            of the weight tensor at construction (kept: the pruned weights stay zero).
        - `use_block_matrix_format`: compute the product as one dense matrix product.
        - `key`: the PRNG key of the random initial values (weights, biases, `p_conn` mask).
        - `resist_scale`: deprecated alias of `g_conduct_factor`.
        """
        owner = type(self).__name__
        n = checked_size(owner, "n_in_streams", n_in_streams)
        k = checked_size(owner, "K_local", K_local)
        o = checked_size(owner, "O_local", O_local)
        P = checked_size(owner, "P_l", P_l)
        stride = checked_size(owner, "stride", stride)
        dilation = checked_size(owner, "dilation", dilation)
        convergent_factor = _checked_number(owner, "convergent_factor", convergent_factor)
        invert_conn = _checked_switch(owner, "invert_conn", invert_conn)
        normalize = _checked_switch(owner, "normalize", normalize)
        use_block_matrix_format = _checked_switch(
            owner, "use_block_matrix_format", use_block_matrix_format
        )
        norm_axis = checked_size(owner, "norm_axis", norm_axis, minimum=0)
        _check_norm_axis(owner, norm_axis)
        if (P - 1) * dilation + 1 > n:
            fail(
                owner,
                "P_l",
                f"a window whose span (P_l − 1)·dilation + 1 fits in n_in_streams={n}",
                f"P_l={P} with dilation={dilation}, a span of {(P - 1) * dilation + 1}",
            )
        S = output_streams(n, P, stride, dilation, convergent_factor)
        forward = connectivity_map(P, S, stride, dilation, convergent_factor)
        if invert_conn:
            conn = backward_connectivity_map(forward, n)
            streams_in, k_in, streams_out, o_out = S, o, n, k
        else:
            conn = forward
            streams_in, k_in, streams_out, o_out = n, k, S, o
        self.n_in_streams, self.K_local, self.O_local, self.P_l = n, k, o, P
        self.stride, self.dilation, self.convergent_factor = stride, dilation, convergent_factor
        self.invert_conn = invert_conn
        self.normalize, self.norm_axis = normalize, norm_axis
        self.use_block_matrix_format = use_block_matrix_format
        self.connectivity_map = tuple(tuple(int(c) for c in row) for row in conn)
        self.n_in, self.n_out = streams_in * k_in, streams_out * o_out

        shape = (conn.shape[1], streams_out, k_in, o_out)
        if use_block_matrix_format:
            check_memory(owner, "the block matrix", (self.n_in, self.n_out), jnp.float32)
        keys = ConstructionKeys(owner, key)
        weights, self.mask = build_weights(
            owner, shape, weight_init, uniform(0.025, 0.8), p_conn, None, keys
        )
        if normalize:
            axis = 3 if norm_axis == 1 else 2
            norms = jnp.sqrt(jnp.sum(jnp.square(weights), axis=axis, keepdims=True))
            weights = weights / (norms + NORM_EPS)
        self.weights = weights
        self.biases = build_biases(owner, self.n_out, bias_init, keys)
        self.g_conduct_factor = resolve_gain(owner, g_conduct_factor, resist_scale)

    def check_parameters(self) -> None:
        _check_norm_axis(type(self).__name__, self.norm_axis)

    # ------------------------------------------------------------ geometry

    @property
    def n_streams_in(self) -> int:
        """The number of streams this layer reads (`S` of the forward layer if inverted)."""
        return self.n_in // self.weights.shape[2]

    @property
    def n_streams_out(self) -> int:
        """The number of streams this layer writes."""
        return self.weights.shape[1]

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        """`(P, n_streams_out, k, o)`."""
        return tuple(self.weights.shape)

    def dimensions(self) -> dict[str, int]:
        """`n_in`, `n_out` and the weight tensor's `(P, S, k, o)`."""
        P, S, k, o = self.weights.shape
        return {"n_in": self.n_in, "n_out": self.n_out, "P": P, "S": S, "k": k, "o": o}

    def _valid_slots(self) -> tuple[np.ndarray, np.ndarray]:
        """The `(p, s)` of every slot that reads an input stream (not `−1`, not past the end)."""
        conn = np.asarray(self.connectivity_map, dtype=np.int64)
        valid = (conn >= 0) & (conn < self.n_streams_in)
        s, p = np.nonzero(valid)
        return p, s

    def block_matrix(self, weights: Float[Array, "P S k o"] | None = None) -> Array:
        """The dense `(n_in, n_out)` matrix of `weights` (default: the masked module weights):
        block `(p, s)` at rows `conn[s, p]·k …` and columns `s·o …`, zeros elsewhere (the
        reference's block-matrix `weights`)."""
        w = effective_weights(self.weights, self.mask) if weights is None else weights
        _, _, k, o = self.weights.shape
        p, s = self._valid_slots()
        conn = np.asarray(self.connectivity_map, dtype=np.int64)
        rows = (conn[s, p] * k)[:, None, None] + np.arange(k)[None, :, None]
        cols = (s * o)[:, None, None] + np.arange(o)[None, None, :]
        rows, cols = np.broadcast_to(rows, (len(p), k, o)), np.broadcast_to(cols, (len(p), k, o))
        dense = jnp.zeros((self.n_in, self.n_out), w.dtype)
        return dense.at[rows.ravel(), cols.ravel()].set(w[p, s].ravel())

    def tie_transpose_weights(self, weight_transpose_target: Float[Array, "P S K O"]) -> Self:
        """This inverted layer with the weights of its forward layer, transposed: entry
        `[q, i, o, k]` is `target[p, s, k, o]` with `s = conn[i, q]` and `p` the slot of `s`'s
        window that reads stream `i` (0 for an empty slot). `target` has the forward shape
        `(P_l, S, K_local, O_local)`. Only for `invert_conn=True`."""
        owner = type(self).__name__
        if not self.invert_conn:
            fail(
                owner,
                "invert_conn",
                "True to tie the weights to a forward layer's",
                "False",
                "A forward layer's transpose is an inverted SparseTensorSynapse.",
            )
        forward_shape = (self.P_l, self.n_streams_in, self.K_local, self.O_local)
        target = jnp.asarray(weight_transpose_target)
        check_shape(
            f"{owner}.tie_transpose_weights", "weight_transpose_target", target, [forward_shape]
        )
        index, keep = self._transpose_index()
        tied = jnp.where(keep, target.ravel()[index], 0.0).reshape(self.weights.shape)
        return eqx.tree_at(lambda m: m.weights, self, tied.astype(self.weights.dtype))

    def _transpose_index(self) -> tuple[np.ndarray, np.ndarray]:
        """For every entry of this inverted layer's weights, the flat index into the forward
        tensor it copies, and whether it has one (the reference's `transpose_indices`,
        `transpose_mask`)."""
        forward = connectivity_map(
            self.P_l, self.n_streams_in, self.stride, self.dilation, self.convergent_factor
        )
        S, K, n_o = self.n_streams_in, self.K_local, self.O_local
        Q, n, _, _ = self.weights.shape
        index = np.zeros((Q, n, n_o, K), dtype=np.int32)
        keep = np.zeros((Q, n, n_o, K), dtype=bool)
        for i, row in enumerate(self.connectivity_map):
            for q, s in enumerate(row):
                if s < 0:
                    continue
                p = int(np.flatnonzero(forward[s] == i)[0])
                kk, oo = np.meshgrid(np.arange(K), np.arange(n_o), indexing="ij")
                index[q, i] = (((p * S + s) * K + kk) * n_o + oo).T
                keep[q, i] = True
        return index.ravel(), keep.ravel()

    # ------------------------------------------------------------ dynamics

    def init_state(self, *, key: PRNGKeyArray | None = None) -> SparseTensorSynapseState:
        """Zero output (the reference's reset)."""
        return SparseTensorSynapseState(outputs=jnp.zeros((self.n_out,), self.weights.dtype))

    def transmit(
        self,
        state: SparseTensorSynapseState,
        inputs: SparseTensorSynapseInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
        *,
        weights: Float[Array, "P S k o"] | None = None,
        matvec: Callable[[Array, Array], Array] = jnp.matmul,
    ) -> SparseTensorSynapseState:
        """One step: `outputs = contract(x, W ⊙ mask)·g + b`, with `self.weights` or the given
        `weights` (same shape). The block format computes the product as
        `matvec(x, block_matrix(W))`; the tensor format gathers each output stream's window
        and contracts it with its blocks (`matvec` is not used). `key` and `dt` are unused."""
        self.check_step(state, inputs, dt)
        owner = type(self).__name__
        w = self.weights if weights is None else weights
        check_shape(f"{owner}.transmit", "weights", w, [self.weights.shape])
        w = effective_weights(w, self.mask)
        dtype = state.outputs.dtype
        x = inputs.inputs.astype(dtype)
        if self.use_block_matrix_format:
            out = matvec(x, self.block_matrix(w))
        else:
            k = self.weights.shape[2]
            streams = self.n_streams_in
            conn = np.asarray(self.connectivity_map, dtype=np.int64)
            safe = np.where((conn >= 0) & (conn < streams), conn, streams)
            padded = jnp.concatenate([x.reshape(streams, k), jnp.zeros((1, k), dtype)])
            gathered = padded[safe]  # (S, P, k)
            out = jnp.einsum("spk,psko->so", gathered, w).reshape(self.n_out)
        out = out * self.g_conduct_factor
        if self.biases is not None:
            out = out + self.biases
        return state.replace(outputs=out)


class StaticSparseTensorSynapse(SparseTensorSynapse):
    """ngclearn's `StaticSparseTensorSynapse`: a `SparseTensorSynapse` without learning, which
    `SparseTensorSynapse` already is (the reference's subclass adds nothing either). Its own
    class so that messages and checkpoints carry its name."""
