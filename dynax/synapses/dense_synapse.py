"""DenseSynapse: a dense synaptic cable `outputs = (x @ (W ⊙ mask)) ⊙ gate · g + b`
(ngclearn's `DenseSynapse`, also its `StaticSynapse`)."""

from collections.abc import Callable
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int, PRNGKeyArray

from .._core import AbstractSynapse, CellState, require_key
from .._fields import argument, checked_size, parameter, size
from .._typing import TimeStep
from .._validate import PROBABILITY, check_shape, concrete
from ..initializers import uniform
from ._synapse_helpers import (
    ConstructionKeys,
    build_biases,
    connect,
    delay_line,
    dense_forward,
    resolve_gain,
)


class DenseSynapseState(CellState):
    """`outputs`: the postsynaptic signal; `delayed_inputs`: what crossed the cable this step
    (after delays and stochastic release); `buffer`, `head`: the ring buffer of the last
    `max_delay_steps` inputs (`(0, n_in)` and unused without delays)."""

    outputs: Float[Array, " n_out"]
    delayed_inputs: Float[Array, " n_in"]
    buffer: Float[Array, "d n_in"]
    head: Int[Array, ""]


class DenseSynapseInputs(eqx.Module):
    """`inputs`: presynaptic activity; `gate`: a multiplicative gate on the outputs
    (`None` ⇒ 1)."""

    inputs: Float[Array, " n_in"]
    gate: Float[Array, " n_out"] | None = None


class DenseSynapse(AbstractSynapse):
    r"""A dense synaptic cable.

    With `x` the presynaptic input after the axonal delays and the stochastic release,

    $$\text{outputs} = (x\,@\,(W ⊙ M)) ⊙ \text{gate} · g + b,$$

    where `M` is the structural mask (the static `mask` times a Bernoulli(`p_conn`) draw made
    at construction), `g` is `g_conduct_factor` and `b` the biases (absent by default).

    Axonal delays: presynaptic unit `i` emits its input of `delays[i]` steps ago
    (`0 ≤ delays[i] ≤ max_delay_steps`, `0` meaning no delay); the last inputs are kept in the
    state as a ring buffer. Stochastic release: each presynaptic unit transmits with its own
    probability `p_release[i]`, a Bernoulli draw per step from `key`.

    The forward pass is reusable: `transmit(state, inputs, key, dt, weights=...)` runs it with
    other weights (a plastic synapse keeping `W` in its state).

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = DenseSynapseState
    Inputs: ClassVar = DenseSynapseInputs

    n_in: int = size()
    n_out: int = size()
    weights: Float[Array, "n_in n_out"]
    biases: Float[Array, " n_out"] | Float[Array, ""] | None
    g_conduct_factor: Float[Array, ""] | Float[Array, " n_out"] = parameter(per="n_out")
    mask: Float[Array, "n_in n_out"] | None
    p_release: Float[Array, " n_in"] | None
    delays: Int[Array, " n_in"] | None
    max_delay_steps: int = size(minimum=0)

    def __init__(
        self,
        shape: tuple[int, int],
        weight_init=None,
        bias_init=None,
        g_conduct_factor: ArrayLike = 1.0,
        p_release_mean: ArrayLike = 1.0,
        p_conn: ArrayLike = 1.0,
        max_delay_steps: int = 0,
        mask: ArrayLike | None = None,
        *,
        delays: ArrayLike | None = None,
        key: PRNGKeyArray | None = None,
        resist_scale: ArrayLike | None = None,
    ):
        """**Arguments:**

        - `shape`: `(n_in, n_out)`.
        - `weight_init`: an initializer `(key, shape) -> array`, a name or `(name, kwargs)`
            pair of `dynax.initializers`, or an explicit `(n_in, n_out)` array. Default
            `uniform(0.025, 0.8)`.
        - `bias_init`: the same for the biases (drawn as `(n_out,)`; an explicit array may be
            a scalar or `(n_out,)`). `None`: no bias.
        - `g_conduct_factor`: output gain, a scalar or `(n_out,)`.
        - `p_release_mean`: probability that a presynaptic signal is transmitted, in [0, 1].
            `1`: deterministic. A scalar `p < 1` gives each presynaptic unit its own
            probability drawn from `U(p − 0.1, p + 0.1)` clipped to [0, 1] (the reference's
            jitter); an `(n_in,)` array is used as given.
        - `p_conn`: probability that a connection exists, in [0, 1]; `< 1` draws a Bernoulli
            mask at construction (kept: the pruned weights stay zero).
        - `max_delay_steps`: the longest axonal delay, in steps (`0`: no delays).
        - `mask`: a static multiplicative `(n_in, n_out)` mask.
        - `delays`: explicit per-presynaptic delays, ints in `[0, max_delay_steps]`;
            default (with `max_delay_steps > 0`) uniform over that range.
        - `key`: the PRNG key of the random initial values (weights, biases, `p_conn` mask,
            release probabilities, delays); needed only if one of them is random.
        - `resist_scale`: deprecated alias of `g_conduct_factor`.
        """
        owner = type(self).__name__
        keys = connect(self, shape, weight_init, uniform(0.025, 0.8), p_conn, mask, key)
        self.biases = build_biases(owner, self.n_out, bias_init, keys)
        self.g_conduct_factor = resolve_gain(owner, g_conduct_factor, resist_scale)
        self.p_release = _release_probabilities(owner, self.n_in, p_release_mean, keys)
        self.max_delay_steps = checked_size(owner, "max_delay_steps", max_delay_steps, minimum=0)
        self.delays = _delays(owner, self.n_in, self.max_delay_steps, delays, keys)

    def dimensions(self) -> dict[str, int]:
        """`n_in`, `n_out`, and `d = max_delay_steps` (the depth of the delay buffer)."""
        return {"n_in": self.n_in, "n_out": self.n_out, "d": self.max_delay_steps}

    def init_state(self, *, key: PRNGKeyArray | None = None) -> DenseSynapseState:
        """All zeros: no output, an empty delay buffer (the reference's reset)."""
        dtype = self.weights.dtype
        return DenseSynapseState(
            outputs=jnp.zeros((self.n_out,), dtype),
            delayed_inputs=jnp.zeros((self.n_in,), dtype),
            buffer=jnp.zeros((self.max_delay_steps, self.n_in), dtype),
            head=jnp.zeros((), jnp.int32),
        )

    def transmit(
        self,
        state: DenseSynapseState,
        inputs: DenseSynapseInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
        *,
        weights: Float[Array, "n_in n_out"] | None = None,
        matvec: Callable[[Array, Array], Array] = jnp.matmul,
    ) -> DenseSynapseState:
        """One step of the cable (delays, release, `dense_forward`), with `self.weights` or
        the given `weights` (a plastic synapse keeping its weights in its state), and the
        product `matvec(x, W) = x @ W`; `dt` is unused (delays count steps), `key` is needed
        only with stochastic release."""
        self.check_step(state, inputs, dt)
        owner = type(self).__name__
        w = self.weights if weights is None else weights
        check_shape(f"{owner}.transmit", "weights", w, [(self.n_in, self.n_out)])
        dtype = state.outputs.dtype
        x = inputs.inputs.astype(dtype)
        buffer, head = state.buffer, state.head
        if self.max_delay_steps > 0:
            x, buffer, head = delay_line(buffer, head, x, self.delays)
        if self.p_release is not None:
            released = jax.random.bernoulli(require_key(owner, key), self.p_release)
            x = x * released.astype(dtype)
        outputs = dense_forward(
            x,
            w,
            mask=self.mask,
            gate=inputs.gate,
            gain=self.g_conduct_factor,
            biases=self.biases,
            matvec=matvec,
        )
        return state.replace(outputs=outputs, delayed_inputs=x, buffer=buffer, head=head)


def _release_probabilities(
    owner: str, n_in: int, p_release_mean: ArrayLike, keys: ConstructionKeys
) -> Array | None:
    p = argument(owner, "p_release_mean", p_release_mean, PROBABILITY, shapes=[(), (n_in,)])
    if p.ndim == 1:
        return p
    value = concrete(p_release_mean)
    if value is not None and float(value) == 1.0:
        return None
    jitter = 0.1
    draw = jax.random.uniform(
        keys.extra(1, "the release probabilities"),
        (n_in,),
        dtype=p.dtype,
        minval=p - jitter,
        maxval=p + jitter,
    )
    return jnp.clip(draw, 0.0, 1.0)


def _delays(
    owner: str,
    n_in: int,
    max_delay_steps: int,
    delays: ArrayLike | None,
    keys: ConstructionKeys,
) -> Array | None:
    if delays is None:
        if max_delay_steps == 0:
            return None
        key = keys.extra(0, "the axonal delays")
        return jax.random.randint(key, (n_in,), 0, max_delay_steps + 1, dtype=jnp.int32)
    array = jnp.asarray(delays)
    check_shape(owner, "delays", array, [(n_in,)])
    values = concrete(delays)
    if values is not None:
        ok = (
            np.issubdtype(values.dtype, np.number)
            and np.all(np.isfinite(values))
            and np.all(values == np.round(values))
            and np.all(values >= 0)
            and np.all(values <= max_delay_steps)
        )
        if not ok:
            raise ValueError(
                f"{owner}: `delays` must be ints in [0, max_delay_steps={max_delay_steps}], "
                f"got {values.tolist()}. Raise max_delay_steps for longer delays."
            )
    if max_delay_steps == 0:
        return None
    return array.astype(jnp.int32)
