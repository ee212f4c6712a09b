"""SLIFCell: the simplified LIF of Samadi et al. (2017) (ngclearn's `SLIFCell`)."""

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..._core import AbstractCell
from ..._typing import Param, ParamLike, TimeStep
from ..._validate import (
    as_param,
    check_finite,
    check_input,
    check_int,
    check_nonnegative,
    check_positive,
    check_shape,
    check_time_step,
    check_unit_param,
    concrete,
)
from ...integrate import check_integrator, get_integrator
from ...surrogate import AbstractSurrogate, FastSigmoid
from ._spikes import (
    advance_clock,
    jittered_thresholds,
    last_spike_times,
    refractory_restart,
    require_construction_key,
    reset_potential,
)

_THR_FLOOR = 0.025  # the reference's lower bound of a sparsity-adapted threshold
_SECANT_SLOPE = 0.08  # c2 of the reference's secant_lif estimator


def secant_lif(j: ArrayLike) -> Array:
    """The reference's secant-LIF pseudo-derivative `sech(0.08·j)·1[j > 0]`, computed as
    `2e^{−|x|}/(1 + e^{−2|x|})` so that no intermediate overflows for large currents."""
    j = jnp.asarray(j)
    x = jnp.abs(_SECANT_SLOPE * j)
    decay = jnp.exp(-x)
    return jnp.where(j > 0, 2.0 * decay / (1.0 + decay * decay), 0.0).astype(j.dtype)


class SLIFCellState(eqx.Module):
    """`v`: membrane potential; `s`: spikes (pinned to 1 while refractory if sticky); `thr`:
    adaptive thresholds; `rfr`: time since the last spike; `tols`: time of the last spike;
    `surrogate`: the reference's secant estimate `sech(0.08·J)·1[J > 0]` of the input
    current J (an output for parity, not what `jax.grad` uses); `t`: the clock."""

    v: Float[Array, " n"]
    s: Float[Array, " n"]
    thr: Float[Array, " n"]
    rfr: Float[Array, " n"]
    tols: Float[Array, " n"]
    surrogate: Float[Array, " n"]
    t: Float[Array, ""]


class SLIFCellInputs(eqx.Module):
    """`j`: the input current (never written to)."""

    j: Float[Array, " n"]


class SLIFCell(AbstractCell):
    r"""Simplified leaky integrate-and-fire units with lateral inhibition, adaptive
    thresholds, a refractory period and optional "sticky" spikes (Samadi et al., 2017).

    With the spikes `s` of the previous step, the refractory mask `m = 1[rfr ≥ T_ref]` and the
    current `J = R·j − R_inh·(s @ W_inh)` (held fixed over the step),

    $$τ_m \frac{dv}{dt} = (−v + J)·m,$$

    integrated over `dt` to v′; the raw spikes are `s′ = 1[v′ > thr]` (forward value; the
    gradient is the cell's `surrogate` of `v′ − thr`), then `v⁺ = v′·(1 − s′)` (reset to 0;
    the reset does not carry the surrogate gradient, see `_spikes.reset_potential`),

    - `thr⁺ = max(thr + ρ_b·(Σ_units s′ − 1), 0.025)` if `ρ_b > 0`, else
      `thr⁺ = thr + thr_gain·s′ − thr_leak·thr`;
    - `rfr⁺ = (rfr + dt)·(1 − s′) + s′·dt`;
    - `s⁺ = s′·m + (1 − m)` if `sticky_spikes` (pinned to 1 while refractory), else `s′`;
    - `tols⁺ = t⁺` where `s⁺ = 1`; `surrogate⁺ = sech(0.08·J)·1[J > 0]`.

    The lateral weights `W_inh` (hollow, `U(0.025, 1)` off the diagonal) and the initial
    thresholds `threshold0 = thr + U(−thr_jitter, thr_jitter)` are drawn at construction
    from `key`, with the reference's split order (`key, k_inh = split(key)`;
    `key, k_thr = split(key)`), so the same raw key gives the reference's values. Both are
    array leaves; explicit arrays may be passed instead.

    Differences from ngclearn 3.2.3: the transformed current J is not written back into the
    input `j` (the reference overwrites it); any integrator name of `dynax.integrate` is
    allowed (the reference only has Euler, the default); spikes carry a surrogate gradient
    (`surrogate` field), and the secant estimate is kept as the state output `surrogate`;
    `thr_persist` is not an argument: a state's `thr` persists as long as the caller keeps
    it, and `eqx.tree_at(lambda c: c.threshold0, cell, state.thr)` makes adapted thresholds
    the new resting ones; negative `resist_inh` (ignored by the reference) is rejected.
    """

    State: ClassVar = SLIFCellState
    Inputs: ClassVar = SLIFCellInputs

    tau_m: Param
    resist_m: Param
    resist_inh: Param
    thr_gain: Param
    thr_leak: Param
    rho_b: Param
    refract_time: Param
    threshold0: Float[Array, " n"]
    inh_weights: Float[Array, "n n"]
    surrogate: AbstractSurrogate
    n_units: int = eqx.field(static=True)
    sticky_spikes: bool = eqx.field(static=True)
    integration_type: str = eqx.field(static=True)

    def __init__(
        self,
        n_units: int,
        tau_m: ParamLike,
        resist_m: ParamLike,
        thr: ParamLike,
        resist_inh: ParamLike = 0.0,
        thr_gain: ParamLike = 0.0,
        thr_leak: ParamLike = 0.0,
        rho_b: ParamLike = 0.0,
        refract_time: ParamLike = 0.0,
        sticky_spikes: bool = False,
        thr_jitter: ParamLike = 0.05,
        integration_type: str = "euler",
        surrogate: AbstractSurrogate | None = None,
        *,
        key: PRNGKeyArray | None = None,
        inh_weights: Float[ArrayLike, "n n"] | None = None,
    ):
        """**Arguments:**

        - `n_units`: number of units.
        - `tau_m`: membrane time constant (> 0).
        - `resist_m`: membrane resistance R (multiplies `j`).
        - `thr`: base threshold (scalar or per unit); `threshold0 = thr + jitter`. Pass the
            exact thresholds as a `(n_units,)` array with `thr_jitter=0`.
        - `resist_inh`: strength R_inh ≥ 0 of the lateral inhibition (0: none).
        - `thr_gain`: threshold increment per spike.
        - `thr_leak`: threshold decay per step (≥ 0).
        - `rho_b`: sparsity factor ≥ 0; > 0 replaces the gain/leak rule by the sparsity rule.
        - `refract_time`: refractory period T_ref ≥ 0.
        - `sticky_spikes`: pin spikes to 1 during the refractory period.
        - `thr_jitter`: half-width ≥ 0 of the uniform jitter of the initial thresholds.
        - `integration_type`: a name of `dynax.integrate.INTEGRATORS`.
        - `surrogate`: spike function with surrogate gradient (default `FastSigmoid()`,
            suited to potentials of order 1).
        - `key`: draws the lateral weights and the threshold jitter (not needed when both
            `inh_weights` is given and `thr_jitter` is 0).
        - `inh_weights`: explicit `(n_units, n_units)` lateral weights (used as given).
        """
        owner = type(self).__name__
        check_int(owner, "n_units", n_units, minimum=1)
        self.n_units = n_units
        params = {
            "tau_m": (tau_m, check_positive),
            "resist_m": (resist_m, check_finite),
            "resist_inh": (resist_inh, check_nonnegative),
            "thr_gain": (thr_gain, check_finite),
            "thr_leak": (thr_leak, check_nonnegative),
            "rho_b": (rho_b, check_nonnegative),
            "refract_time": (refract_time, check_nonnegative),
        }
        for name, (value, check) in params.items():
            param = as_param(value)
            check_unit_param(owner, name, param, n_units)
            check(owner, name, param)
            setattr(self, name, param)
        base = as_param(thr)
        check_unit_param(owner, "thr", base, n_units)
        check_finite(owner, "thr", base)
        jitter = as_param(thr_jitter)
        check_unit_param(owner, "thr_jitter", jitter, n_units)
        check_nonnegative(owner, "thr_jitter", jitter)
        if not isinstance(sticky_spikes, bool):
            raise ValueError(f"{owner}: `sticky_spikes` must be a bool, got {sticky_spikes!r}.")
        self.sticky_spikes = sticky_spikes
        check_integrator(owner, integration_type)
        self.integration_type = integration_type
        surrogate = FastSigmoid() if surrogate is None else surrogate
        if not isinstance(surrogate, AbstractSurrogate):
            raise ValueError(
                f"{owner}: `surrogate` must be a dynax.surrogate.AbstractSurrogate, "
                f"got {surrogate!r}."
            )
        self.surrogate = surrogate

        # The raw argument: under a trace even a Python 0.0 becomes a tracer once converted.
        jitter_values = concrete(thr_jitter)
        needs_jitter = jitter_values is None or bool((jitter_values != 0).any())
        if key is None and (inh_weights is None or needs_jitter):
            what = "the lateral weights" if inh_weights is None else "the threshold jitter"
            require_construction_key(owner, key, what)
        if key is not None:
            # The reference's order: the first split draws the weights, the second the jitter.
            key, k_inh = jax.random.split(key)
            key, k_thr = jax.random.split(key)
        if inh_weights is None:
            draw = jax.random.uniform(k_inh, (n_units, n_units), base.dtype, 0.025, 1.0)
            inh_weights = draw * (1.0 - jnp.eye(n_units, dtype=base.dtype))
        weights = as_param(inh_weights)
        check_shape(owner, "inh_weights", weights, [(n_units, n_units)])
        check_finite(owner, "inh_weights", weights)
        self.inh_weights = weights
        if needs_jitter:
            threshold0 = jittered_thresholds(k_thr, base, jitter, n_units)
        else:
            threshold0 = jnp.broadcast_to(base, (n_units,))
        self.threshold0 = threshold0.astype(base.dtype)

    def init_state(self, *, key: PRNGKeyArray | None = None) -> SLIFCellState:
        """`v = s = tols = 0`, `thr = threshold0`, `rfr = refract_time` (not refractory),
        `surrogate = 1`, `t = 0` (the reference's reset)."""
        dtype = self.threshold0.dtype
        zeros = jnp.zeros((self.n_units,), dtype)
        return SLIFCellState(
            v=zeros,
            s=zeros,
            thr=self.threshold0,
            rfr=jnp.broadcast_to(self.refract_time, (self.n_units,)).astype(dtype),
            tols=zeros,
            surrogate=jnp.ones((self.n_units,), dtype),
            t=jnp.zeros((), dtype),
        )

    def input_current(self, state: SLIFCellState, inputs: SLIFCellInputs) -> Float[Array, " n"]:
        """The current `J = R·j − R_inh·(s @ W_inh)` that drives the step from `state` (the
        value the reference writes back into its input `j`)."""
        check_input(type(self).__name__, "j", inputs.j, (self.n_units,))
        return self.resist_m * inputs.j - self.resist_inh * (state.s @ self.inh_weights)

    def step(
        self,
        state: SLIFCellState,
        inputs: SLIFCellInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> SLIFCellState:
        """Advances the cell by `dt` (see the class docstring); `key` is unused."""
        check_time_step(type(self).__name__, dt)
        dtype = state.v.dtype
        current = self.input_current(state, inputs)
        mask = (state.rfr >= self.refract_time).astype(dtype)

        def vector_field(t, v, args):
            return (-v + current) * mask / self.tau_m

        v = get_integrator(self.integration_type)(vector_field, state.t, state.v, dt, None)
        spikes = self.surrogate(v - state.thr)
        v = reset_potential(v, spikes, 0.0)
        sparsity = jnp.maximum(state.thr + self.rho_b * (jnp.sum(spikes) - 1.0), _THR_FLOOR)
        gain_leak = state.thr + self.thr_gain * spikes - self.thr_leak * state.thr
        thr = jnp.where(self.rho_b > 0, sparsity, gain_leak)
        rfr = refractory_restart(state.rfr, spikes, dt)
        if self.sticky_spikes:
            spikes = spikes * mask + (1.0 - mask)
        t = advance_clock(state.t, dt)
        return SLIFCellState(
            v=v.astype(dtype),
            s=spikes.astype(dtype),
            thr=thr.astype(dtype),
            rfr=rfr,
            tols=last_spike_times(state.tols, spikes, t),
            surrogate=secant_lif(current).astype(dtype),
            t=t,
        )
