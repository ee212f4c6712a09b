"""VarTrace: a decaying trace of a spike train (ngclearn's `VarTrace`)."""

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .._core import AbstractCell, CellState
from .._fields import choice, parameter, size
from .._typing import Param, TimeStep
from .._validate import NONNEGATIVE, POSITIVE, PROBABILITY

DECAY_TYPES = ("exp", "lin", "step", "none")
"""`exp`: `e^{−dt/τ}`; `lin`: `max(1 − dt/τ, 0)`; `step` (= `none`): no memory, factor 0."""


class VarTraceState(CellState):
    """`trace`: the trace z; `outputs` is the same array (ngclearn's output name)."""

    trace: Float[Array, " n"]

    @property
    def outputs(self) -> Float[Array, " n"]:
        """The trace (ngclearn's `outputs` compartment equals its `trace`)."""
        return self.trace


class VarTraceInputs(eqx.Module):
    """`inputs`: the signal to trace, typically spikes in {0, 1}."""

    inputs: Float[Array, " n"]


class VarTrace(AbstractCell):
    r"""A low-pass trace of a (spike) signal s, as used by trace-based STDP.

    With the decay factor d of `decay_type` (`e^{−dt/τ_tr}`, `max(1 − dt/τ_tr, 0)`, or 0 for
    `"step"`/`"none"`) and `z' = γ_tr·z·d`,

    - `n_nearest_spikes = k > 0` (nearest-spike trace): `z⁺ = z' + s·(a_δ − z/k)`;
    - else, where `a_δ > 0` (all-to-all, additive): `z⁺ = z' + a_δ·s`;
    - else (`a_δ = 0`, set-to-scale): `z⁺ = z'·(1 − s) + P_scale·s`.

    (z is the trace before the step.) With k = 1 and `a_δ = 1` a spike sets the trace to 1
    whatever its history, up to the decay term. The two gated rules (nearest-spike and
    set-to-scale) use `clip(s, 0, 1)` for s: the same for spikes, and it keeps the trace
    bounded for any input (the additive rule is linear in s, so counts or rates work). The
    choice between the last two rules is made per unit from `a_delta`, so it may be per-unit
    and stays differentiable.

    **Arguments** (every parameter is a scalar or one value per unit):

    - `n_units`: number of units.
    - `tau_tr`: trace time constant (> 0).
    - `a_delta`: increment per spike (≥ 0); 0 selects the set-to-`P_scale` rule.
    - `P_scale`: the value a spike sets the trace to when `a_delta = 0`.
    - `gamma_tr`: extra factor on the decayed trace, in [0, 1] (above 1 the trace would grow
        without bound).
    - `decay_type`: one of `DECAY_TYPES`.
    - `n_nearest_spikes`: k ≥ 0; k > 0 selects the nearest-spike rule.

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = VarTraceState
    Inputs: ClassVar = VarTraceInputs

    n_units: int = size()
    tau_tr: Param = parameter(constraint=POSITIVE)
    a_delta: Param = parameter(constraint=NONNEGATIVE)
    P_scale: Param = parameter(1.0)
    gamma_tr: Param = parameter(
        1.0, PROBABILITY, hint="A factor above 1 on the decayed trace makes it grow without bound."
    )
    decay_type: str = choice("exp", DECAY_TYPES)
    n_nearest_spikes: int = size(0, minimum=0)

    def init_state(self, *, key: PRNGKeyArray | None = None) -> VarTraceState:
        """`trace = 0`."""
        return VarTraceState(trace=jnp.zeros((self.n_units,), self.tau_tr.dtype))

    def decay_factor(self, dt: TimeStep) -> Float[Array, ""] | Float[Array, " n"]:
        """The factor d that multiplies the trace over one step of length `dt`."""
        if self.decay_type == "exp":
            return jnp.exp(-dt / self.tau_tr)
        if self.decay_type == "lin":
            return jnp.maximum(1.0 - dt / self.tau_tr, 0.0)
        return jnp.zeros_like(self.tau_tr)

    def step(
        self,
        state: VarTraceState,
        inputs: VarTraceInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> VarTraceState:
        """Decays the trace over `dt`, then adds this step's input (see the class docstring);
        `key` is unused."""
        self.check_step(state, inputs, dt)
        z, s = state.trace, inputs.inputs
        gate = jnp.clip(s, 0.0, 1.0)  # = s for spikes; keeps the gated rules bounded
        decayed = self.gamma_tr * z * self.decay_factor(dt)
        if self.n_nearest_spikes > 0:
            new = decayed + gate * (self.a_delta - z / self.n_nearest_spikes)
        else:
            additive = decayed + s * self.a_delta
            set_to_scale = decayed * (1.0 - gate) + gate * self.P_scale
            new = jnp.where(self.a_delta > 0, additive, set_to_scale)
        return state.replace(trace=new)
