"""STPDenseSynapse: a dense synapse with Tsodyks–Markram short-term plasticity (ngclearn's
`STPDenseSynapse`, done as the model is written: the presynaptic spike gates its own row)."""

import functools
from collections.abc import Callable
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from .._backend import any_in_batch, materialised
from .._core import AbstractSynapse, CellState
from .._fields import choice, parameter, size, switch
from .._typing import TimeStep
from .._validate import (
    NONNEGATIVE,
    PROBABILITY,
    check_shape,
    concrete,
)
from ..initializers import uniform
from ._synapse_helpers import (
    DECAYS,
    build_biases,
    connect,
    effective_weights,
    leak_fraction,
    materialize,
    resolve_gain,
)


class STPDenseSynapseState(CellState):
    """`u`: utilisation (release probability); `x`: available resources; `efficacy`: the
    latched `u⁺·x` of the last spike (the dynamic weight is `W ⊙ efficacy`); `outputs`.

    `u`, `x`, `efficacy` are `(n_in, n_out)` with per-synapse resources, `(n_in,)` with
    per-presynaptic resources."""

    u: Float[Array, "n_in n_out"] | Float[Array, " n_in"]
    x: Float[Array, "n_in n_out"] | Float[Array, " n_in"]
    efficacy: Float[Array, "n_in n_out"] | Float[Array, " n_in"]
    outputs: Float[Array, " n_out"]


class STPDenseSynapseInputs(eqx.Module):
    """`inputs`: presynaptic spikes (0/1; graded values interpolate the latch)."""

    inputs: Float[Array, " n_in"]


class STPDenseSynapse(AbstractSynapse):
    r"""Tsodyks–Markram short-term plasticity on a dense cable.

    With `s` the presynaptic spikes (spike `s_i` gates row `i`; the updates are gated by `s`
    clipped to [0, 1], so no input drives `u`, `x` out of [0, 1]), `U` the resources and the
    leak fractions `λ_f = dt/τ_f`, `λ_d = dt/τ_d` (`decay="linear"`, the reference's) or
    `λ = 1 − exp(−dt/τ)` (`decay="exponential"`, the exact decay between spikes):

    $$u^+ = u − λ_f u + U(1 − u)s \quad(\text{or } u^+ = U \text{ if } τ_f = 0),$$
    $$e^+ = u^+ x\,s + e(1 − s) \quad(\text{the latched efficacy}),$$
    $$x^+ = x + λ_d(1 − x) − u^+ x\,s \quad(\text{or } x^+ = x \text{ if } τ_d = 0),$$
    $$\text{outputs} = s\,@\,(W ⊙ M ⊙ e^+) · g + b.$$

    The shape of `resources` chooses the model:

    - per synapse, `(n_in, n_out)`: `u`, `x`, `e` are `(n_in, n_out)`, updated in one
      elementwise pass; the dynamic weight `W ⊙ e` is never stored (see `Wdyn`).
    - per presynaptic neuron, `(n_in,)`: `u`, `x`, `e` are `(n_in,)` and
      `outputs = ((s ⊙ e) @ (W ⊙ M)) · g + b`, one matrix-vector product (with no `mask`,
      the only pass over `W`).

    Event-driven steps (`skip_silent_steps=True`, the default): a step on which no
    presynaptic neuron spikes leaves `e` as it is and gives `outputs = b`, so it only decays
    `u` and `x` (`lax.cond` on `any(s ≠ 0)`); with per-synapse resources that is 4 passes
    over `(n_in, n_out)` arrays instead of 16, and with per-presynaptic ones it skips the
    matrix product. The values are exactly those of the full update, and so are the
    derivatives: its JVP (and so `jax.grad`) is the full update's, so a surrogate gradient
    still flows through the spikes of a silent step. Under `jax.vmap` the condition is taken
    over the whole batch (a step is skipped when no sample has a presynaptic spike), so it
    stays one branch instead of a select that would run both updates.

    The time constants are in the unit of `dt`; with `dt = 1` and `decay="linear"` the update
    is the reference's. The linear decay needs `dt ≤ τ` to stay in [0, 1] (a larger `dt` is
    rejected at trace time); the exponential one is exact for any `dt`.

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = STPDenseSynapseState
    Inputs: ClassVar = STPDenseSynapseInputs

    n_in: int = size()
    n_out: int = size()
    weights: Float[Array, "n_in n_out"]
    biases: Float[Array, " n_out"] | Float[Array, ""] | None
    g_conduct_factor: Float[Array, ""] | Float[Array, " n_out"] = parameter(per="n_out")
    resources: Float[Array, "n_in n_out"] | Float[Array, " n_in"]
    tau_f: Float[Array, ""] | Float[Array, "n_in n_out"] | Float[Array, " n_in"] = parameter(
        constraint=NONNEGATIVE, per="resources", hint="Use 0 to disable this process."
    )
    tau_d: Float[Array, ""] | Float[Array, "n_in n_out"] | Float[Array, " n_in"] = parameter(
        constraint=NONNEGATIVE, per="resources", hint="Use 0 to disable this process."
    )
    mask: Float[Array, "n_in n_out"] | None
    presynaptic: bool = switch()
    decay: str = choice("linear", DECAYS)
    skip_silent_steps: bool = switch()

    def __init__(
        self,
        shape: tuple[int, int],
        weight_init=None,
        bias_init=None,
        g_conduct_factor: ArrayLike = 1.0,
        p_conn: ArrayLike = 1.0,
        tau_f: ArrayLike = 750.0,
        tau_d: ArrayLike = 50.0,
        resources_init=None,
        *,
        mask: ArrayLike | None = None,
        presynaptic: bool | None = None,
        decay: str = "linear",
        skip_silent_steps: bool = True,
        key: PRNGKeyArray | None = None,
        resist_scale: ArrayLike | None = None,
    ):
        """**Arguments:**

        - `shape`: `(n_in, n_out)`.
        - `weight_init`, `bias_init`: as `DenseSynapse` (default weights
            `uniform(0.025, 0.8)`, no bias).
        - `g_conduct_factor`: output gain, a scalar or `(n_out,)`.
        - `p_conn`: probability that a connection exists, in [0, 1] (a kept Bernoulli mask).
        - `tau_f`: facilitation time constant (≥ 0; `0` disables facilitation: `u = U`),
            a scalar or the shape of `resources`.
        - `tau_d`: depression time constant (≥ 0; `0` disables depression: `x = 1`),
            a scalar or the shape of `resources`.
        - `resources_init`: the resources `U` in [0, 1]: an initializer, a spec or an
            explicit array of shape `(n_in, n_out)` (per synapse) or `(n_in,)` (per
            presynaptic neuron). Default `uniform(0.125, 0.175)`.
        - `mask`: a static multiplicative `(n_in, n_out)` mask.
        - `presynaptic`: draw `U` per presynaptic neuron (`True`) or per synapse (`False`);
            default: from the shape of an explicit array, else per synapse.
        - `decay`: `"linear"` (λ = dt/τ, the reference's) or `"exponential"`
            (λ = 1 − exp(−dt/τ)).
        - `skip_silent_steps`: on a step without any presynaptic spike, only decay `u` and
            `x` (no pass over `W`, `e` or the matrix product; see the class docstring).
            The result and its derivatives are the same either way.
        - `key`: PRNG key for the random initial values (needed only if one is random).
        - `resist_scale`: deprecated alias of `g_conduct_factor`.
        """
        owner = type(self).__name__
        keys = connect(self, shape, weight_init, uniform(0.025, 0.8), p_conn, mask, key)
        self.biases = build_biases(owner, self.n_out, bias_init, keys)
        self.g_conduct_factor = resolve_gain(owner, g_conduct_factor, resist_scale)
        synapse_shape, pre_shape = (self.n_in, self.n_out), (self.n_in,)
        if presynaptic is None:
            allowed, draw = [synapse_shape, pre_shape], synapse_shape
        elif isinstance(presynaptic, bool):
            allowed = [pre_shape if presynaptic else synapse_shape]
            draw = allowed[0]
        else:
            raise ValueError(
                f"{owner}: `presynaptic` must be True, False or None, got {presynaptic!r}."
            )
        init = uniform(0.125, 0.175) if resources_init is None else resources_init
        self.resources = materialize(
            owner,
            "resources_init",
            init,
            allowed,
            lambda what, required=True: keys.extra(2, f"the resources ({what})", required),
            draw_shape=draw,
            constraint=PROBABILITY,
        )
        self.presynaptic = self.resources.ndim == 1
        self.tau_f = tau_f
        self.tau_d = tau_d
        self.decay = decay
        self.skip_silent_steps = skip_silent_steps

    def init_state(self, *, key: PRNGKeyArray | None = None) -> STPDenseSynapseState:
        """The reference's reset: `u = 0`, `x = 1`, `efficacy = 0`, `outputs = 0`."""
        dtype = self.weights.dtype
        shape = self.resources.shape
        return STPDenseSynapseState(
            u=jnp.zeros(shape, dtype),
            x=jnp.ones(shape, dtype),
            efficacy=jnp.zeros(shape, dtype),
            outputs=jnp.zeros((self.n_out,), dtype),
        )

    def Wdyn(self, state: STPDenseSynapseState) -> Float[Array, "n_in n_out"]:
        """The dynamic weight matrix `W ⊙ M ⊙ efficacy` (the reference's `Wdyn`), derived
        from the state for inspection; `outputs = s @ Wdyn · g + b`."""
        efficacy = state.efficacy[:, None] if self.presynaptic else state.efficacy
        return effective_weights(self.weights, self.mask) * efficacy

    def stable_time_step(self) -> tuple[Any, str] | None:
        """With `decay="linear"`: `dt ≤ min τ` over the active processes (τ = 0 disables one),
        for the linear decay `u − (dt/τ)·u` leaves [0, 1] beyond; `None` otherwise."""
        taus = [concrete(tau) for tau in (self.tau_f, self.tau_d)]
        if self.decay != "linear" or any(tau is None for tau in taus):
            return None
        active = [tau[tau > 0] for tau in taus if (tau > 0).any()]
        if not active:
            return None
        return min(tau.min() for tau in active), (
            "The linear decay u − (dt/τ)·u leaves [0, 1] for dt > τ; use decay='exponential'."
        )

    def transmit(
        self,
        state: STPDenseSynapseState,
        inputs: STPDenseSynapseInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
        *,
        weights: Float[Array, "n_in n_out"] | None = None,
        matvec: Callable[[Array, Array], Array] = jnp.matmul,
    ) -> STPDenseSynapseState:
        """Advances `u`, `x` and the latched efficacy by `dt` and transmits the spikes, with
        `self.weights` or the given `weights` and the product `matvec(a, W) = a @ W` (a
        model-parallel network passes `dynax.parallel.gather_matvec(mesh)`); `key` is
        unused."""
        self.check_step(state, inputs, dt)
        w = self.weights if weights is None else weights
        check_shape(f"{type(self).__name__}.transmit", "weights", w, [(self.n_in, self.n_out)])
        s = inputs.inputs.astype(state.u.dtype)
        if self.skip_silent_steps:
            return _event_driven(self, state, s, dt, w, matvec)
        return self._update(state, s, dt, w, matvec)

    def _update(self, state, s, dt, weights, matvec) -> STPDenseSynapseState:
        # The full update of the class docstring. The gate is the spike clipped to [0, 1]:
        # graded values in between interpolate, and no input can drive u, x out of [0, 1].
        gate = jnp.clip(s, 0.0, 1.0)
        gate = gate if self.presynaptic else gate[:, None]  # spike s_i gates row i
        u, x, e = state.u, state.x, state.efficacy
        lam_f = leak_fraction(dt, self.tau_f, self.decay)
        lam_d = leak_fraction(dt, self.tau_d, self.decay)
        facilitated = u - lam_f * u + self.resources * (1.0 - u) * gate
        u_new = jnp.where(self.tau_f > 0, facilitated, self.resources)
        release = u_new * x * gate
        u_new, release = materialised((u_new, release))  # so that x is updated in place
        e_new = release + e * (1.0 - gate)
        depressed = x + lam_d * (1.0 - x) - release
        x_new = jnp.where(self.tau_d > 0, depressed, x)
        w = effective_weights(weights, self.mask)
        if self.presynaptic:
            outputs = matvec(s * e_new, w)
        else:
            outputs = matvec(s, w * e_new)
        return state.replace(u=u_new, x=x_new, efficacy=e_new, outputs=self._output(outputs))

    def _silent(self, state, dt) -> STPDenseSynapseState:
        # `_update` with s = 0, term by term: the spike terms vanish exactly (u, x, e ≥ 0 are
        # finite), `e` is kept and the product of a zero vector is zero.
        dtype = state.u.dtype
        u, x = state.u, state.x
        lam_f = leak_fraction(dt, self.tau_f, self.decay)
        lam_d = leak_fraction(dt, self.tau_d, self.decay)
        u_new = jnp.where(self.tau_f > 0, u - lam_f * u, self.resources)
        x_new = jnp.where(self.tau_d > 0, x + lam_d * (1.0 - x), x)
        outputs = self._output(jnp.zeros((self.n_out,), dtype))
        return state.replace(u=u_new, x=x_new, outputs=outputs)

    def _output(self, current: Array) -> Array:
        current = current * self.g_conduct_factor
        return current if self.biases is None else current + self.biases


@functools.partial(jax.custom_jvp, nondiff_argnums=(5,))
def _event_driven(synapse, state, s, dt, weights, matvec):
    """`synapse._update`, with the silent steps short-cut (same values). The flag is one for
    a whole batch under `vmap` (`dynax._backend.any_in_batch`), so the branch survives."""
    return jax.lax.cond(
        any_in_batch(s),
        lambda: synapse._update(state, s, dt, weights, matvec),
        lambda: synapse._silent(state, dt),
    )


@_event_driven.defjvp
def _event_driven_jvp(matvec, primals, tangents):
    # The derivative of the full update, also on silent steps: ∂outputs/∂s = W ⊙ e⁺ there
    # too, which is what a surrogate gradient through the spikes needs.
    def update(synapse, state, s, dt, weights):
        return synapse._update(state, s, dt, weights, matvec)

    return jax.jvp(update, primals, tangents)
