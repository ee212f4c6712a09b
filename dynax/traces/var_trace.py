"""VarTrace: a decaying trace of a spike train (ngclearn's `VarTrace`)."""

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .._core import AbstractCell
from .._typing import Param, ParamLike, TimeStep
from .._validate import (
    as_param,
    check_choice,
    check_finite,
    check_input,
    check_int,
    check_nonnegative,
    check_positive,
    check_time_step,
    check_unit_param,
)

DECAY_TYPES = ("exp", "lin", "step", "none")
"""`exp`: `e^{−dt/τ}`; `lin`: `max(1 − dt/τ, 0)`; `step` (= `none`): no memory, factor 0."""


class VarTraceState(eqx.Module):
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

    Differences from ngclearn 3.2.3: the linear decay factor is clipped at 0 (the
    reference's `1 − dt/τ_tr` turns negative, and the trace unstable, for `dt > τ_tr`);
    `decay_type` must be one of `DECAY_TYPES` (the reference matches substrings and treats
    any other name as "step"); negative `a_delta` (the reference's set-to-scale mode) is
    rejected: use 0; the gated rules clip their input to [0, 1] (the reference's traces
    diverge for inputs outside it); `outputs` is a property of the state, not a second copy.
    """

    State: ClassVar = VarTraceState
    Inputs: ClassVar = VarTraceInputs

    tau_tr: Param
    a_delta: Param
    P_scale: Param
    gamma_tr: Param
    n_units: int = eqx.field(static=True)
    decay_type: str = eqx.field(static=True)
    n_nearest_spikes: int = eqx.field(static=True)

    def __init__(
        self,
        n_units: int,
        tau_tr: ParamLike,
        a_delta: ParamLike,
        P_scale: ParamLike = 1.0,
        gamma_tr: ParamLike = 1.0,
        decay_type: str = "exp",
        n_nearest_spikes: int = 0,
    ):
        """**Arguments:**

        - `n_units`: number of units.
        - `tau_tr`: trace time constant (> 0).
        - `a_delta`: increment per spike (≥ 0); 0 selects the set-to-`P_scale` rule.
        - `P_scale`: the value a spike sets the trace to when `a_delta = 0`.
        - `gamma_tr`: extra factor on the decayed trace (≥ 0).
        - `decay_type`: one of `DECAY_TYPES`.
        - `n_nearest_spikes`: k ≥ 0; k > 0 selects the nearest-spike rule.
        """
        owner = type(self).__name__
        check_int(owner, "n_units", n_units, minimum=1)
        self.n_units = n_units
        params = {
            "tau_tr": (tau_tr, check_positive),
            "a_delta": (a_delta, check_nonnegative),
            "P_scale": (P_scale, check_finite),
            "gamma_tr": (gamma_tr, check_nonnegative),
        }
        for name, (value, check) in params.items():
            param = as_param(value)
            check_unit_param(owner, name, param, n_units)
            check(owner, name, param)
            setattr(self, name, param)
        check_choice(owner, "decay_type", decay_type, DECAY_TYPES)
        self.decay_type = decay_type
        check_int(owner, "n_nearest_spikes", n_nearest_spikes, minimum=0)
        self.n_nearest_spikes = n_nearest_spikes

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
        owner = type(self).__name__
        check_input(owner, "inputs", inputs.inputs, (self.n_units,))
        check_time_step(owner, dt)
        z, s = state.trace, inputs.inputs
        gate = jnp.clip(s, 0.0, 1.0)  # = s for spikes; keeps the gated rules bounded
        decayed = self.gamma_tr * z * self.decay_factor(dt)
        if self.n_nearest_spikes > 0:
            new = decayed + gate * (self.a_delta - z / self.n_nearest_spikes)
        else:
            additive = decayed + s * self.a_delta
            set_to_scale = decayed * (1.0 - gate) + gate * self.P_scale
            new = jnp.where(self.a_delta > 0, additive, set_to_scale)
        return VarTraceState(trace=new.astype(z.dtype))
