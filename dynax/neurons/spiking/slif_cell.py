"""SLIFCell: the simplified LIF of Samadi et al. (2017) (ngclearn's `SLIFCell`)."""

from typing import ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..._fields import argument, checked_size, parameter, size, switch
from ..._typing import Param, ParamLike, TimeStep
from ..._validate import NONNEGATIVE, POSITIVE, check_key
from ...integrate import AbstractStepper, stepper
from ...surrogate import AbstractSurrogate, FastSigmoid, spike_surrogate
from ._base import (
    AbstractSpikingCell,
    ClockedState,
    CurrentInputs,
    clock,
    refractory_mask,
    reset_potential,
)
from ._thresholds import (
    THRESHOLD_FLOOR,
    jittered_thresholds,
    needs_jitter,
    refractory_restart,
    require_construction_key,
)

_SECANT_SLOPE = 0.08  # c2 of the reference's secant_lif estimator


def secant_lif(j: ArrayLike) -> Array:
    """The reference's secant-LIF pseudo-derivative `sech(0.08·j)·1[j > 0]`, computed as
    `2e^{−|x|}/(1 + e^{−2|x|})` so that no intermediate overflows for large currents."""
    j = jnp.asarray(j)
    x = jnp.abs(_SECANT_SLOPE * j)
    decay = jnp.exp(-x)
    return jnp.where(j > 0, 2.0 * decay / (1.0 + decay * decay), 0.0).astype(j.dtype)


class SLIFCellState(ClockedState):
    """`v`: membrane potential; `s`: spikes (pinned to 1 while refractory if sticky); `thr`:
    adaptive thresholds; `rfr`: time since the last spike; `tols`: time of the last spike;
    `surrogate`: the reference's secant estimate `sech(0.08·J)·1[J > 0]` of the input
    current J (an output for parity, not what `jax.grad` uses); `t`: the clock."""

    v: Float[Array, " n"]
    s: Float[Array, " n"]
    thr: Float[Array, " n"]
    rfr: Float[Array, " n"]
    surrogate: Float[Array, " n"]


class SLIFCell(AbstractSpikingCell):
    r"""Simplified leaky integrate-and-fire units with lateral inhibition, adaptive
    thresholds, a refractory period and optional "sticky" spikes (Samadi et al., 2017).

    With the spikes `s` of the previous step, the refractory mask `m = 1[rfr ≥ T_ref]`
    (counted in steps) and the current `J = R·j − R_inh·(s @ W_inh)` (held fixed over the step),

    $$τ_m \frac{dv}{dt} = (−v + J)·m,$$

    integrated over `dt` to v′; the raw spikes are `s′ = 1[v′ > thr]` (forward value; the
    gradient is the cell's `surrogate` of `v′ − thr`), then `v⁺ = v′·(1 − s′)` (reset to 0;
    the reset carries no surrogate gradient),

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

    **Arguments** (every parameter but `thr` is a scalar or one value per unit):

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
    - `integration_type`: a name of `dynax.integrate.INTEGRATORS` or a stepper.
    - `surrogate`: spike function with surrogate gradient (default `FastSigmoid()`, suited
        to potentials of order 1).
    - `key`: draws the lateral weights and the threshold jitter (not needed when both
        `inh_weights` is given and `thr_jitter` is 0).
    - `inh_weights`: explicit `(n_units, n_units)` lateral weights (used as given).

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = SLIFCellState
    Inputs: ClassVar = CurrentInputs

    n_units: int = size()
    tau_m: Param = parameter(constraint=POSITIVE)
    resist_m: Param = parameter()
    resist_inh: Param = parameter(0.0, NONNEGATIVE)
    thr_gain: Param = parameter(0.0)
    thr_leak: Param = parameter(0.0, NONNEGATIVE)
    rho_b: Param = parameter(0.0, NONNEGATIVE)
    refract_time: Param = parameter(0.0, NONNEGATIVE)
    sticky_spikes: bool = switch(False)
    integration_type: AbstractStepper = stepper("euler")
    surrogate: AbstractSurrogate = spike_surrogate(FastSigmoid())
    threshold0: Float[Array, " n"] = parameter()
    inh_weights: Float[Array, "n n"]

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
        integration_type: str | AbstractStepper = "euler",
        surrogate: AbstractSurrogate | None = None,
        *,
        key: PRNGKeyArray | None = None,
        inh_weights: Float[ArrayLike, "n n"] | None = None,
    ):
        self.n_units = n_units
        self.tau_m = tau_m
        self.resist_m = resist_m
        self.resist_inh = resist_inh
        self.thr_gain = thr_gain
        self.thr_leak = thr_leak
        self.rho_b = rho_b
        self.refract_time = refract_time
        self.sticky_spikes = sticky_spikes
        self.integration_type = integration_type
        self.surrogate = surrogate
        # What is drawn at construction, from checked arguments, with the reference's keys:
        # the first split draws the weights, the second the jitter.
        owner = type(self).__name__
        n = checked_size(owner, "n_units", n_units)
        base = argument(owner, "thr", thr, per=n)
        jitter = argument(owner, "thr_jitter", thr_jitter, NONNEGATIVE, per=n)
        jittered = needs_jitter(thr_jitter)
        if key is None and (inh_weights is None or jittered):
            what = "the lateral weights" if inh_weights is None else "the threshold jitter"
            require_construction_key(owner, key, what)
        k_inh = k_thr = None
        if key is not None:
            check_key(owner, "key", key)
            key, k_inh = jax.random.split(key)
            key, k_thr = jax.random.split(key)
        if inh_weights is None:
            draw = jax.random.uniform(k_inh, (n, n), base.dtype, 0.025, 1.0)
            inh_weights = draw * (1.0 - jnp.eye(n, dtype=base.dtype))
        else:
            inh_weights = argument(owner, "inh_weights", inh_weights, shapes=[(n, n)])
        self.inh_weights = inh_weights
        self.threshold0 = jittered_thresholds(k_thr if jittered else None, base, jitter, n)

    def vector_field(
        self, t: Float[Array, ""], v: Float[Array, " n"], args: tuple[Array, Array]
    ) -> Float[Array, " n"]:
        """dv/dt at `v` under `args = (J, m)`: the current and the refractory mask."""
        current, mask = args
        return (-v + current) * mask / self.tau_m

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

    def input_current(self, state: SLIFCellState, inputs: CurrentInputs) -> Float[Array, " n"]:
        """The current `J = R·j − R_inh·(s @ W_inh)` that drives the step from `state` (the
        value the reference writes back into its input `j`)."""
        return self.resist_m * inputs.j - self.resist_inh * (state.s @ self.inh_weights)

    def step(
        self, state: SLIFCellState, inputs: CurrentInputs, key: PRNGKeyArray | None, dt: TimeStep
    ) -> SLIFCellState:
        """Advances the cell by `dt` (see the class docstring); `key` is unused."""
        self.check_step(state, inputs, dt)
        current = self.input_current(state, inputs)
        mask = refractory_mask(state.rfr, self.refract_time, dt).astype(state.v.dtype)
        v = self.integrate(state.t, state.v, dt, (current, mask))
        spikes = self.fire(v, state.thr)
        v = reset_potential(v, spikes, 0.0)
        sparsity = jnp.maximum(state.thr + self.rho_b * (jnp.sum(spikes) - 1.0), THRESHOLD_FLOOR)
        gain_leak = state.thr + self.thr_gain * spikes - self.thr_leak * state.thr
        thr = jnp.where(self.rho_b > 0, sparsity, gain_leak)
        rfr = refractory_restart(state.rfr, spikes, dt)
        if self.sticky_spikes:
            spikes = spikes * mask + (1.0 - mask)
        t, tols = clock(state, spikes, dt)
        return state.replace(
            v=v, s=spikes, thr=thr, rfr=rfr, tols=tols, surrogate=secant_lif(current), t=t
        )
