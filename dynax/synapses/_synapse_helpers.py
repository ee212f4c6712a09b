"""Pieces shared by the synapses: building weights, masks and biases from what a constructor
accepts, the deprecated `resist_scale` alias, decay factors, and the dense forward pass.

A constructor argument `*_init` may be

- an initializer: any callable `init(key, shape) -> array` (see `dynax.initializers`);
- a name (`"fan_in_gaussian"`) or a `(name, kwargs)` pair (`("uniform", {"low": 0.1})`), the
  form ngclearn's golden files record;
- an explicit array of the right shape (used as given; no key needed).

Construction keys follow ngclearn's layout, `(k, k_w, k_conn, k_b) = split(key, 4)`: the
weights are drawn with `k_w`, the `p_conn` mask with `k_conn`, the biases with `k_b`. Anything
else random (delays, release probabilities, STP resources) is drawn from `k`, split again, so
that no two draws share a key (the reference reuses `k_w` and `k_conn` for them).
"""

import warnings
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, PRNGKeyArray

from .._fields import argument
from .._validate import (
    FINITE,
    PROBABILITY,
    Interval,
    check_key,
    check_memory,
    concrete,
)
from ..initializers import as_initializer

DECAYS = ("linear", "exponential")
"""How a decay over one step is computed: `"linear"` is the reference's Euler factor
`1 − dt/τ`; `"exponential"` is the exact `exp(−dt/τ)`."""


class ConstructionKeys:
    """The construction keys `(k, k_w, k_conn, k_b) = split(key, 4)`, split lazily: a key is
    only required when something random is drawn (an error naming `key` otherwise)."""

    def __init__(self, owner: str, key: PRNGKeyArray | None):
        self.owner = owner
        if key is not None:
            check_key(owner, "key", key)
        self._keys = None if key is None else jax.random.split(key, 4)
        self._extra = None

    def _get(self, index: int, what: str, required: bool = True) -> PRNGKeyArray | None:
        if self._keys is None:
            if not required:
                return None
            raise ValueError(
                f"{self.owner}: `key` is needed to draw {what} at random, got key=None. Pass "
                "e.g. key=jax.random.key(0), or give explicit arrays."
            )
        return self._keys[index]

    def weights(self, what: str = "the weights", required: bool = True) -> PRNGKeyArray | None:
        return self._get(1, what, required)

    def conn(self, what: str = "the p_conn mask") -> PRNGKeyArray:
        return self._get(2, what)

    def biases(self, what: str = "the biases", required: bool = True) -> PRNGKeyArray | None:
        return self._get(3, what, required)

    def extra(self, index: int, what: str, required: bool = True) -> PRNGKeyArray | None:
        """The `index`-th of four keys split from `k` (delays, release, resources, ...)."""
        base = self._get(0, what, required)
        if base is None:
            return None
        if self._extra is None:
            self._extra = jax.random.split(base, 4)
        return self._extra[index]


def _is_spec(value: Any) -> bool:
    """A name or a `(name, kwargs)` pair, as opposed to an explicit array."""
    if isinstance(value, str):
        return True
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], dict)
    )


def materialize(
    owner: str,
    name: str,
    init: Any,
    shapes: Sequence[tuple[int, ...]],
    key_fn,
    draw_shape: tuple[int, ...] | None = None,
    constraint: Interval = FINITE,
) -> Array:
    """The array of `init` (an initializer, a spec or an explicit array).

    An initializer is called with `draw_shape` (default `shapes[0]`) and the key of `key_fn`;
    the result (or the explicit array) must have one of `shapes` and satisfy `constraint`.
    Raises `ValueError` naming `name` otherwise.
    """
    draw_shape = tuple(shapes[0] if draw_shape is None else draw_shape)
    if callable(init) or _is_spec(init):
        try:
            initializer = as_initializer(init)
        except ValueError as error:
            raise ValueError(f"{owner}: `{name}`: {error}") from None
        key = key_fn(f"`{name}`", required=False)
        try:
            array = initializer(key, draw_shape)
        except (ValueError, TypeError) as error:
            hint = " (it may need a PRNG `key`: pass key=...)" if key is None else ""
            raise ValueError(f"{owner}: `{name}` failed{hint}: {error}") from None
    else:
        try:
            array = jnp.asarray(init)
        except (TypeError, ValueError):
            raise ValueError(
                f"{owner}: `{name}` must be an initializer (a callable init(key, shape)), a "
                f"name, a (name, kwargs) pair or an array, got {init!r}."
            ) from None
        if not (jnp.issubdtype(array.dtype, jnp.number) or jnp.issubdtype(array.dtype, jnp.bool_)):
            raise ValueError(f"{owner}: `{name}` must hold numbers, got {init!r}.")
        if jnp.issubdtype(array.dtype, jnp.bool_):
            array = array.astype(jnp.result_type(float))
    return argument(owner, name, array, constraint, shapes=shapes)


def explicit_array(owner: str, name: str, value: Any, shapes: Sequence[tuple[int, ...]]) -> Array:
    """An explicit finite array of one of `shapes` (no initializer accepted)."""
    if callable(value) or _is_spec(value):
        raise ValueError(f"{owner}: `{name}` must be an array, got {value!r}.")

    def no_key(what, required=True):
        raise AssertionError(what)  # pragma: no cover - arrays never need a key

    return materialize(owner, name, value, shapes, no_key)


def check_synapse_shape(owner: str, shape: Any) -> tuple[int, int]:
    """`shape` is `(n_in, n_out)` with two ints >= 1."""
    ok = (
        isinstance(shape, Sequence | np.ndarray)
        and not isinstance(shape, str)
        and len(shape) == 2
        and all(isinstance(d, int | np.integer) and not isinstance(d, bool) for d in shape)
        and all(d >= 1 for d in shape)
    )
    if not ok:
        raise ValueError(
            f"{owner}: `shape` must be a pair of ints (n_in, n_out) >= 1, got {shape!r}."
        )
    return int(shape[0]), int(shape[1])


def resolve_gain(owner: str, g_conduct_factor: Any, resist_scale: Any) -> Any:
    """`g_conduct_factor`, or the deprecated alias `resist_scale` (with a warning)."""
    if resist_scale is None:
        return g_conduct_factor
    warnings.warn(
        f"{owner}: `resist_scale` is a deprecated alias of `g_conduct_factor` (as in ngclearn); "
        "pass g_conduct_factor instead.",
        DeprecationWarning,
        stacklevel=3,
    )
    given = concrete(g_conduct_factor)
    if given is None or given.shape != () or float(given) != 1.0:
        raise ValueError(
            f"{owner}: pass only one of `g_conduct_factor` and its deprecated alias "
            f"`resist_scale`, got g_conduct_factor={g_conduct_factor!r} and "
            f"resist_scale={resist_scale!r}."
        )
    return resist_scale


def build_weights(
    owner: str,
    shape: tuple[int, int],
    weight_init: Any,
    default_init: Any,
    p_conn: ArrayLike,
    mask: ArrayLike | None,
    keys: ConstructionKeys,
) -> tuple[Array, Array | None]:
    """The initial weights and the structural mask (None when everything is connected).

    The mask is the user's static `mask` times a Bernoulli(`p_conn`) draw (made only when
    `p_conn < 1`); the initial weights are zeroed where the Bernoulli draw is 0, as in the
    reference. The forward pass multiplies by the mask, so learning cannot revive a pruned
    connection.
    """
    init = default_init if weight_init is None else weight_init
    check_memory(owner, "the weights", shape, jnp.result_type(float))
    weights = materialize(owner, "weight_init", init, [shape], keys.weights)
    p = argument(owner, "p_conn", p_conn, PROBABILITY)
    full_mask = None
    if mask is not None:
        full_mask = explicit_array(owner, "mask", mask, [shape])
    p_value = concrete(p_conn)
    if p_value is None or float(p_value) < 1.0:
        conn = jax.random.bernoulli(keys.conn(), p, shape).astype(weights.dtype)
        weights = weights * conn
        full_mask = conn if full_mask is None else full_mask * conn
    return weights, full_mask


def connect(
    synapse: Any,
    shape: Any,
    weight_init: Any,
    default_init: Any,
    p_conn: ArrayLike,
    mask: ArrayLike | None,
    key: PRNGKeyArray | None,
) -> ConstructionKeys:
    """The first lines of a dense synapse's constructor: sets `n_in`, `n_out` (from the checked
    `shape`), the `weights` and the structural `mask` (see `build_weights`) on `synapse`, and
    returns the construction keys for what the constructor draws next."""
    owner = type(synapse).__name__
    synapse.n_in, synapse.n_out = check_synapse_shape(owner, shape)
    keys = ConstructionKeys(owner, key)
    synapse.weights, synapse.mask = build_weights(
        owner, (synapse.n_in, synapse.n_out), weight_init, default_init, p_conn, mask, keys
    )
    return keys


def build_biases(owner: str, n_out: int, bias_init: Any, keys: ConstructionKeys) -> Array | None:
    """`None` (no bias) or an array of shape `()` or `(n_out,)`. An initializer draws
    `(n_out,)` with the key `k_b` (same values as the reference's `(1, n_out)` draw)."""
    if bias_init is None:
        return None
    return materialize(
        owner, "bias_init", bias_init, [(n_out,), ()], keys.biases, draw_shape=(n_out,)
    )


def leak_fraction(dt: Any, tau: Array, decay: str) -> Array:
    """The fraction `λ` of a quantity lost over `dt` by a decay with time constant `tau`:
    `dt/τ` (linear, the reference's Euler step) or `1 − exp(−dt/τ)` (exponential, exact).
    Where `tau = 0` it returns 0 (the caller decides what `τ = 0` means)."""
    safe = jnp.where(tau > 0, tau, jnp.ones_like(tau))
    ratio = dt / safe
    lam = ratio if decay == "linear" else -jnp.expm1(-ratio)
    return jnp.where(tau > 0, lam, jnp.zeros_like(lam))


def effective_weights(weights: Array, mask: Array | None) -> Array:
    """`W ⊙ mask` (the mask is structure: no gradient flows into it)."""
    if mask is None:
        return weights
    return weights * jax.lax.stop_gradient(mask)


def dense_forward(
    x: Array,
    weights: Array,
    *,
    mask: Array | None = None,
    gate: Array | None = None,
    gain: ArrayLike = 1.0,
    biases: Array | None = None,
    matvec=jnp.matmul,
) -> Array:
    """`outputs = (x @ (W ⊙ mask)) ⊙ gate · gain + b` for one sample (`x` of shape `(n_in,)`),
    with the product `matvec(x, W)`. `mask`, `gate` and `biases` may be `None` (absent)."""
    out = matvec(x, effective_weights(weights, mask))
    if gate is not None:
        out = out * gate
    out = out * gain
    if biases is not None:
        out = out + biases
    return out


def delay_line(buffer: Array, head: Array, x: Array, delays: Array) -> tuple[Array, Array, Array]:
    """One step of per-presynaptic axonal delays kept in a ring buffer.

    `buffer` `(D, n_in)` holds the last `D` inputs; slot `(head − d) mod D` holds the input of
    `d` steps ago (1 ≤ d ≤ D). Unit `i` emits the input of `delays[i]` steps ago (`0`: the
    current input). The current input is then written at `head`, which advances by one.

    **Returns:** `(delayed, buffer⁺, head⁺)`.
    """
    depth, n_in = buffer.shape
    slots = jnp.mod(head - delays, depth)
    past = buffer[slots, jnp.arange(n_in)]
    delayed = jnp.where(delays == 0, x, past).astype(x.dtype)
    buffer = buffer.at[head].set(x.astype(buffer.dtype))
    return delayed, buffer, jnp.mod(head + 1, depth).astype(head.dtype)
