"""TraceSTDPSynapse: trace-based spike-timing-dependent plasticity (ngclearn's
`TraceSTDPSynapse`), with the rule as pure functions; `OnlineTraceSTDPSynapse` keeps the
plastic weights in its state to learn at every step of a simulated trajectory."""

from collections.abc import Callable
from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, Int, PRNGKeyArray

from .._core import AbstractSynapse, CellState
from .._fields import parameter, size
from .._typing import TimeStep
from .._validate import NONNEGATIVE, POSITIVE, check_shape
from ._synapse_helpers import check_synapse_shape, explicit_array
from .dense_synapse import DenseSynapse, DenseSynapseInputs, DenseSynapseState
from .hebbian_synapse import _check_batches, as_batch


def _power(base: Array, mu: Array) -> Array:
    """`max(base, 0)^μ`, exactly 1 where `μ = 0` (also at base 0), with finite gradients
    everywhere: at base 0 (a weight at its bound) the derivative of `base^μ`, infinite for
    μ < 1, is taken to be 0 (a one-sided subgradient: the bound is not crossed)."""
    base = jnp.maximum(base, 0)
    positive = mu > 0
    inside = positive & (base > 0)
    safe = jnp.where(inside, base, jnp.ones_like(base))
    powered = jnp.where(inside, jnp.power(safe, mu), jnp.zeros_like(base))
    return jnp.where(positive, powered, jnp.ones_like(base))


def trace_stdp_update(
    weights: Float[Array, "n_in n_out"],
    pre_spike: Float[ArrayLike, " n_in"] | Float[ArrayLike, "batch n_in"],
    post_spike: Float[ArrayLike, " n_out"] | Float[ArrayLike, "batch n_out"],
    pre_trace: Float[ArrayLike, " n_in"] | Float[ArrayLike, "batch n_in"],
    post_trace: Float[ArrayLike, " n_out"] | Float[ArrayLike, "batch n_out"],
    *,
    A_plus: ArrayLike,
    A_minus: ArrayLike,
    mu: ArrayLike = 0.0,
    pretrace_target: ArrayLike = 0.0,
    w_bound: ArrayLike = 1.0,
) -> Float[Array, "n_in n_out"]:
    r"""The trace-STDP weight change `ΔW` (a pure function; the reference's `dWeights`).

    With presynaptic spikes `s_pre`, traces `x_pre`, postsynaptic `s_post`, `x_post` (rows
    are samples, **summed** over a leading batch axis, as in the reference),

    $$ΔW = A_+ (w_{bound} − W)^μ ⊙ [(x_{pre} − x_{tar})^⊤ s_{post}]
          − A_− W^μ ⊙ [s_{pre}^⊤ x_{post}],$$

    which for `μ = 0` is the plain trace rule
    `A₊(x_pre − x_tar)ᵀ s_post − A₋ s_preᵀ x_post` (LTP when the post neuron fires after the
    pre trace built up, LTD when the pre neuron fires after the post trace). The bases of the
    powers are taken at `max(·, 0)`, so weights outside `[0, w_bound]` give no NaN.
    """
    owner = "trace_stdp_update"
    n_in, n_out = weights.shape
    s_pre = as_batch(owner, "pre_spike", pre_spike, n_in)
    s_post = as_batch(owner, "post_spike", post_spike, n_out)
    x_pre = as_batch(owner, "pre_trace", pre_trace, n_in)
    x_post = as_batch(owner, "post_trace", post_trace, n_out)
    _check_batches(
        owner,
        ("pre_spike", "post_spike", "pre_trace", "post_trace"),
        (s_pre, s_post, x_pre, x_post),
    )
    mu = jnp.asarray(mu)
    potentiation = jnp.matmul((x_pre - pretrace_target).T, s_post)
    depression = jnp.matmul(s_pre.T, x_post)
    dW_post = (_power(w_bound - weights, mu) * potentiation) * A_plus
    dW_pre = -(_power(weights, mu) * depression) * A_minus
    return (dW_post + dW_pre).astype(weights.dtype)


def trace_stdp_apply(
    weights: Float[Array, "n_in n_out"],
    dW: Float[ArrayLike, "n_in n_out"],
    *,
    eta: ArrayLike,
    w_bound: ArrayLike,
    tau_w: ArrayLike = 0.0,
    mask: Float[Array, "n_in n_out"] | None = None,
    dt: TimeStep = 1.0,
) -> Float[Array, "n_in n_out"]:
    """The weights after one update (a pure function):
    `W⁺ = clip(W + η ΔW − W·dt/τ_w, 0, w_bound)` (no decay when `τ_w = 0`), then zero wherever
    `mask` is 0. With `dt = 1` the decay is the reference's per-call `W/τ_w`."""
    tau_w = jnp.asarray(tau_w)
    positive = tau_w > 0
    safe_tau = jnp.where(positive, tau_w, jnp.ones_like(tau_w))
    decay = jnp.where(positive, weights * dt / safe_tau, jnp.zeros_like(weights))
    new = weights + (jnp.asarray(dW) * eta) - decay
    new = jnp.clip(new, 0.0, w_bound)
    if mask is not None:
        new = jnp.where(mask != 0, new, jnp.zeros_like(new))
    return new.astype(weights.dtype)


class TraceSTDPSynapse(DenseSynapse):
    r"""A dense synapse whose weights learn by trace-based STDP (optionally power-law).

    The forward pass, state, inputs, masks and initializers are `DenseSynapse`'s (no biases).
    Learning is a pure function returning a **new** synapse:

    ```python
    syn = TraceSTDPSynapse((n_in, n_out), A_plus=0.01, A_minus=0.005, key=key)
    state = syn.step(state, syn.Inputs(s_pre), None, dt)                   # forward
    syn = syn.evolve(s_pre, s_post, x_pre, x_post)                         # learning
    ```

    `calc_update` is `ΔW` of `trace_stdp_update` (the reference's `dWeights`):
    `ΔW = A₊(w_bound − W)^μ ⊙ [(x_pre − x_tar)ᵀ s_post] − A₋ W^μ ⊙ [s_preᵀ x_post]`, summed
    over a leading batch axis of the signals if they have one; `apply_update` is
    `W⁺ = clip(W + η ΔW − W·dt/τ_w, 0, w_bound)`, zero where the structural mask is 0
    (`weight_mask ≠ 0`, `mask` and the `p_conn` draw). `μ = 0` is the classic additive rule,
    `μ > 0` the weight-dependent (power-law) one. `τ_w` counts in the unit of `dt` (default 1: one
    update); the STDP increment itself is per update, as in the reference.

    For plasticity at every step of a simulated trajectory, `OnlineTraceSTDPSynapse` keeps
    the weights in its state.

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    A_plus: Float[Array, ""] = parameter(constraint=NONNEGATIVE, per=None)
    A_minus: Float[Array, ""] = parameter(constraint=NONNEGATIVE, per=None)
    eta: Float[Array, ""] = parameter(constraint=NONNEGATIVE, per=None)
    mu: Float[Array, ""] = parameter(constraint=NONNEGATIVE, per=None)
    pretrace_target: Float[Array, ""] = parameter(per=None)
    w_bound: Float[Array, ""] = parameter(constraint=POSITIVE, per=None)
    tau_w: Float[Array, ""] = parameter(constraint=NONNEGATIVE, per=None)

    def __init__(
        self,
        shape: tuple[int, int],
        A_plus: ArrayLike,
        A_minus: ArrayLike,
        eta: ArrayLike = 1.0,
        mu: ArrayLike = 0.0,
        pretrace_target: ArrayLike = 0.0,
        weight_init=None,
        g_conduct_factor: ArrayLike = 1.0,
        p_conn: ArrayLike = 1.0,
        w_bound: ArrayLike = 1.0,
        tau_w: ArrayLike = 0.0,
        weight_mask: ArrayLike | None = None,
        *,
        mask: ArrayLike | None = None,
        max_delay_steps: int = 0,
        p_release_mean: ArrayLike = 1.0,
        delays: ArrayLike | None = None,
        key: PRNGKeyArray | None = None,
        resist_scale: ArrayLike | None = None,
    ):
        """**Arguments:**

        - `shape`: `(n_in, n_out)`.
        - `A_plus`, `A_minus`: strengths (≥ 0) of potentiation and depression.
        - `eta`: learning rate (≥ 0).
        - `mu`: power of the weight dependence (≥ 0; 0: additive STDP).
        - `pretrace_target`: `x_tar`, subtracted from the presynaptic trace in the LTP term.
        - `weight_init`, `g_conduct_factor`, `p_conn`, `mask`, `max_delay_steps`,
            `p_release_mean`, `delays`, `key`, `resist_scale`: as `DenseSynapse`.
        - `w_bound`: upper bound (> 0) of the weights, which stay in `[0, w_bound]`.
        - `tau_w`: weight-decay time constant (≥ 0; 0: no decay), in the unit of `dt`.
        - `weight_mask`: a fixed `(n_in, n_out)` connectivity mask: the initial weights are
            multiplied by it and the weights stay zero wherever it is 0 (its non-zero pattern
            joins the structural mask).
        """
        owner = type(self).__name__
        if weight_mask is not None:
            n_in, n_out = check_synapse_shape(owner, shape)
            weight_mask = explicit_array(owner, "weight_mask", weight_mask, [(n_in, n_out)])
            connected = (weight_mask != 0).astype(weight_mask.dtype)
            if mask is not None:
                mask = explicit_array(owner, "mask", mask, [(n_in, n_out)]) * connected
            else:
                mask = connected
        super().__init__(
            shape,
            weight_init=weight_init,
            bias_init=None,
            g_conduct_factor=g_conduct_factor,
            p_release_mean=p_release_mean,
            p_conn=p_conn,
            max_delay_steps=max_delay_steps,
            mask=mask,
            delays=delays,
            key=key,
            resist_scale=resist_scale,
        )
        if weight_mask is not None:  # the reference scales the initial weights by it
            self.weights = self.weights * weight_mask.astype(self.weights.dtype)
        if self.mask is not None:
            self.weights = jnp.where(self.mask != 0, self.weights, jnp.zeros_like(self.weights))
        self.A_plus = A_plus
        self.A_minus = A_minus
        self.eta = eta
        self.mu = mu
        self.pretrace_target = pretrace_target
        self.w_bound = w_bound
        self.tau_w = tau_w

    def calc_update(
        self,
        pre_spike: Float[ArrayLike, " n_in"] | Float[ArrayLike, "batch n_in"],
        post_spike: Float[ArrayLike, " n_out"] | Float[ArrayLike, "batch n_out"],
        pre_trace: Float[ArrayLike, " n_in"] | Float[ArrayLike, "batch n_in"],
        post_trace: Float[ArrayLike, " n_out"] | Float[ArrayLike, "batch n_out"],
    ) -> Float[Array, "n_in n_out"]:
        """`ΔW` for the current weights (see `trace_stdp_update`); the signals are one sample
        or a batch (summed). These are the reference's `preSpike`, `postSpike`, `preTrace`,
        `postTrace` compartments."""
        return trace_stdp_update(
            self.weights,
            pre_spike,
            post_spike,
            pre_trace,
            post_trace,
            A_plus=self.A_plus,
            A_minus=self.A_minus,
            mu=self.mu,
            pretrace_target=self.pretrace_target,
            w_bound=self.w_bound,
        )

    def apply_update(
        self, dW: Float[ArrayLike, "n_in n_out"], *, dt: TimeStep = 1.0
    ) -> "TraceSTDPSynapse":
        """The synapse with `W⁺ = clip(W + η ΔW − W·dt/τ_w, 0, w_bound)`, masked
        (see `trace_stdp_apply`). `self` is unchanged."""
        dW = jnp.asarray(dW)
        check_shape(type(self).__name__, "dW", dW, [(self.n_in, self.n_out)])
        weights = self._next_weights(self.weights, dW, dt)
        return eqx.tree_at(lambda s: s.weights, self, weights)

    def evolve(
        self,
        pre_spike: Float[ArrayLike, " n_in"] | Float[ArrayLike, "batch n_in"],
        post_spike: Float[ArrayLike, " n_out"] | Float[ArrayLike, "batch n_out"],
        pre_trace: Float[ArrayLike, " n_in"] | Float[ArrayLike, "batch n_in"],
        post_trace: Float[ArrayLike, " n_out"] | Float[ArrayLike, "batch n_out"],
        *,
        dt: TimeStep = 1.0,
    ) -> "TraceSTDPSynapse":
        """`apply_update(calc_update(...), dt=dt)`: one learning step; returns the new
        synapse (`self` is unchanged)."""
        dW = self.calc_update(pre_spike, post_spike, pre_trace, post_trace)
        return self.apply_update(dW, dt=dt)

    def _next_weights(self, weights: Array, dW: Array, dt: TimeStep) -> Array:
        return trace_stdp_apply(
            weights,
            dW,
            eta=self.eta,
            w_bound=self.w_bound,
            tau_w=self.tau_w,
            mask=self.mask,
            dt=dt,
        )


# ----------------------------------------------------------------------- online form


class OnlineTraceSTDPState(CellState):
    """`outputs`: the postsynaptic signal (computed with the weights at the start of the
    step); `weights`: the plastic weights after the step's update; `dWeights`: the step's
    `ΔW`; `delayed_inputs`, `buffer`, `head`: as `DenseSynapseState`."""

    outputs: Float[Array, " n_out"]
    weights: Float[Array, "n_in n_out"]
    dWeights: Float[Array, "n_in n_out"]
    delayed_inputs: Float[Array, " n_in"]
    buffer: Float[Array, "d n_in"]
    head: Int[Array, ""]


class OnlineTraceSTDPInputs(eqx.Module):
    """`inputs`: presynaptic activity transmitted by the cable; `post_spike`, `pre_trace`,
    `post_trace`: the STDP signals; `pre_spike`: presynaptic spikes (`None` ⇒ `inputs`);
    `gate`: output gate (`None` ⇒ 1)."""

    inputs: Float[Array, " n_in"]
    post_spike: Float[Array, " n_out"]
    pre_trace: Float[Array, " n_in"]
    post_trace: Float[Array, " n_out"]
    pre_spike: Float[Array, " n_in"] | None = None
    gate: Float[Array, " n_out"] | None = None


class OnlineTraceSTDPSynapse(AbstractSynapse):
    """Trace STDP acting at every step of a simulation: the plastic weights live in the state.

    Each `step` does what the reference's `advance_state` followed by `evolve` does, for one
    sample: `outputs` from the current weights, then `W⁺` from the step's STDP signals
    (`TraceSTDPSynapse.calc_update` / `apply_update`, the decay scaled by `dt`). Under
    `jax.vmap` every sample learns its own weights (the module `TraceSTDPSynapse.evolve`
    instead sums a batch into one shared update).

    ```python
    cell = OnlineTraceSTDPSynapse(TraceSTDPSynapse((n_in, n_out), 0.01, 0.005, key=key))
    final, states = simulate(cell, cell.init_state(), inputs, dt=1.0)  # dynax.simulate
    ```

    **Arguments:**

    - `synapse`: the rule, the structure (masks, gain, delays) and the initial weights.
    """

    State: ClassVar = OnlineTraceSTDPState
    Inputs: ClassVar = OnlineTraceSTDPInputs

    synapse: TraceSTDPSynapse
    n_in: int = size()
    n_out: int = size()

    def __init__(self, synapse: TraceSTDPSynapse):
        if not isinstance(synapse, TraceSTDPSynapse):
            raise ValueError(
                f"OnlineTraceSTDPSynapse: `synapse` must be a TraceSTDPSynapse, got {synapse!r}."
            )
        self.synapse = synapse
        self.n_in, self.n_out = synapse.n_in, synapse.n_out

    def dimensions(self) -> dict[str, int]:
        return self.synapse.dimensions()

    def init_state(self, *, key: PRNGKeyArray | None = None) -> OnlineTraceSTDPState:
        """The synapse's initial weights, `dWeights = 0` and the cable's resting state."""
        cable = self.synapse.init_state()
        return OnlineTraceSTDPState(
            outputs=cable.outputs,
            weights=self.synapse.weights,
            dWeights=jnp.zeros_like(self.synapse.weights),
            delayed_inputs=cable.delayed_inputs,
            buffer=cable.buffer,
            head=cable.head,
        )

    def transmit(
        self,
        state: OnlineTraceSTDPState,
        inputs: OnlineTraceSTDPInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
        *,
        weights: Float[Array, "n_in n_out"] | None = None,
        matvec: Callable[[Array, Array], Array] = jnp.matmul,
    ) -> OnlineTraceSTDPState:
        """Transmits `inputs` with the weights of the state (or `weights`), then applies one
        STDP update to them; `key` is needed only with stochastic release."""
        self.check_step(state, inputs, dt)
        weights = state.weights if weights is None else weights
        pre_spike = inputs.inputs if inputs.pre_spike is None else inputs.pre_spike
        cable = self.synapse.transmit(
            DenseSynapseState(
                outputs=state.outputs,
                delayed_inputs=state.delayed_inputs,
                buffer=state.buffer,
                head=state.head,
            ),
            DenseSynapseInputs(inputs=inputs.inputs, gate=inputs.gate),
            key,
            dt,
            weights=weights,
            matvec=matvec,
        )
        rule = eqx.tree_at(lambda s: s.weights, self.synapse, weights)
        dW = rule.calc_update(pre_spike, inputs.post_spike, inputs.pre_trace, inputs.post_trace)
        return state.replace(
            outputs=cable.outputs,
            weights=rule._next_weights(weights, dW, dt),
            dWeights=dW,
            delayed_inputs=cable.delayed_inputs,
            buffer=cable.buffer,
            head=cable.head,
        )


__all__ = [
    "OnlineTraceSTDPInputs",
    "OnlineTraceSTDPState",
    "OnlineTraceSTDPSynapse",
    "TraceSTDPSynapse",
    "trace_stdp_apply",
    "trace_stdp_update",
]
