"""IFCell: integrate-and-fire units without leak (ngclearn's `IFCell`)."""

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..._core import AbstractCell
from ..._typing import Param, ParamLike, TimeStep
from ..._validate import (
    check_input,
    check_int,
    check_nonnegative,
    check_positive,
    check_time_step,
)
from ...integrate import check_integrator, get_integrator
from ...surrogate import AbstractSurrogate
from ._spikes import (
    advance_clock,
    computed_once,
    last_spike_times,
    refractory_update,
    reset_potential,
)
from .lif_cell import check_below, check_switch, make_surrogate, unit_param


class IFCellState(eqx.Module):
    """`v`: membrane potential (mV); `s`: spikes of the last step; `rfr`: time since the
    last spike; `tols`: time of the last spike (0 before the first); `t`: the clock."""

    v: Float[Array, " n"]
    s: Float[Array, " n"]
    rfr: Float[Array, " n"]
    tols: Float[Array, " n"]
    t: Float[Array, ""]


class IFCellInputs(eqx.Module):
    """`j`: the input current (multiplied by `resist_m`)."""

    j: Float[Array, " n"]


class IFCell(AbstractCell):
    r"""Integrate-and-fire units (no leak) with a refractory period.

    With the refractory mask `m = 1[rfr ≥ refract_time]` from the start of the step and
    R·j·m held fixed,

    $$τ_m \frac{dv}{dt} = R·j·m$$

    is integrated over `dt` to v′; `s = 1[v′ > thr]` (forward value; the gradient is the
    derivative of `surrogate_type`, default `ArcTan(alpha=0.2)`); `rfr⁺ = (rfr + dt)(1 − s)`;
    `v⁺ = v_reset` where `s` (a switch: no surrogate gradient through it), then
    `v⁺ = max(v⁺, v_rest)` if `lower_clamp_voltage`; `tols⁺ = t + dt` where `s = 1`.

    Differences from ngclearn 3.2.3: with `lower_clamp_voltage=False` a spiking unit is
    reset here (ngclearn stores the pre-reset voltage, so the unit fires on every later
    step; spec §9 defect 10); `surrogate_type` is honoured (unused there); one sample per
    cell, any batch by `vmap` (ngclearn hard-codes a batch of 1); integrator names mean
    what they say (ngclearn runs Euler for heun/ralston/rk4); `tols` records the end of the
    step, `t + dt`, which is the `t` ngclearn is passed.
    """

    State: ClassVar = IFCellState
    Inputs: ClassVar = IFCellInputs

    tau_m: Param
    resist_m: Param
    thr: Param
    v_rest: Param
    v_reset: Param
    refract_time: Param
    surrogate: AbstractSurrogate
    n_units: int = eqx.field(static=True)
    integration_type: str = eqx.field(static=True)
    lower_clamp_voltage: bool = eqx.field(static=True)

    def __init__(
        self,
        n_units: int,
        tau_m: ParamLike,
        resist_m: ParamLike = 1.0,
        thr: ParamLike = -52.0,
        v_rest: ParamLike = -65.0,
        v_reset: ParamLike = -60.0,
        refract_time: ParamLike = 0.0,
        integration_type: str = "euler",
        surrogate_type: str | AbstractSurrogate | None = None,
        lower_clamp_voltage: bool = True,
    ):
        """**Arguments:**

        - `n_units`: number of units.
        - `tau_m`: membrane time constant τ_m (> 0).
        - `resist_m`: membrane resistance R (> 0, multiplies `j`).
        - `thr`: threshold; `v_reset` must lie below it.
        - `v_rest`: resting potential (the initial voltage, and the lower clamp).
        - `v_reset`: voltage after a spike.
        - `refract_time`: refractory period (≥ 0), during which `j` is ignored.
        - `integration_type`: a name of `dynax.integrate.INTEGRATORS` (all are exact for
            this ODE, whose right-hand side is constant over a step).
        - `surrogate_type`: the spike's surrogate, a name of `dynax.surrogate.SURROGATES`
            or an `AbstractSurrogate`; default `ArcTan(alpha=0.2)`.
        - `lower_clamp_voltage`: keep `v ≥ v_rest` after each step.

        Every parameter but `n_units` and the switches is a scalar or one value per unit.
        """
        owner = type(self).__name__
        check_int(owner, "n_units", n_units, minimum=1)
        self.n_units = n_units
        self.tau_m = unit_param(owner, "tau_m", tau_m, n_units, check_positive)
        self.resist_m = unit_param(owner, "resist_m", resist_m, n_units, check_positive)
        self.thr = unit_param(owner, "thr", thr, n_units)
        self.v_rest = unit_param(owner, "v_rest", v_rest, n_units)
        self.v_reset = unit_param(owner, "v_reset", v_reset, n_units)
        self.refract_time = unit_param(
            owner, "refract_time", refract_time, n_units, check_nonnegative
        )
        check_below(owner, "v_reset", self.v_reset, "thr", self.thr)
        check_integrator(owner, integration_type)
        self.integration_type = integration_type
        self.surrogate = make_surrogate(owner, "surrogate_type", surrogate_type)
        self.lower_clamp_voltage = check_switch(owner, "lower_clamp_voltage", lower_clamp_voltage)

    def vector_field(
        self, t: Float[Array, ""], v: Float[Array, " n"], args: Float[Array, " n"]
    ) -> Float[Array, " n"]:
        """dv/dt under the masked current `args = R·j·m` (diffrax's signature)."""
        return args * (1.0 / self.tau_m)

    def init_state(self, *, key: PRNGKeyArray | None = None) -> IFCellState:
        """`v = v_rest`, no spike, `rfr = refract_time` (not refractory), `tols = 0`,
        `t = 0` (the reference's reset)."""
        dtype = self.tau_m.dtype
        zeros = jnp.zeros((self.n_units,), dtype)
        return IFCellState(
            v=(zeros + self.v_rest).astype(dtype),
            s=zeros,
            rfr=(zeros + self.refract_time).astype(dtype),
            tols=zeros,
            t=jnp.zeros((), dtype),
        )

    def step(
        self,
        state: IFCellState,
        inputs: IFCellInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> IFCellState:
        """Advances the cell by `dt` (see the class docstring); `key` is unused."""
        owner = type(self).__name__
        check_input(owner, "j", inputs.j, (self.n_units,))
        check_time_step(owner, dt)
        dtype = state.v.dtype
        mask = (state.rfr >= self.refract_time).astype(dtype)
        drive = inputs.j * self.resist_m * mask
        integrator = get_integrator(self.integration_type)
        v = computed_once(integrator(self.vector_field, state.t, state.v, dt, drive))
        s = self.surrogate(v - self.thr)
        rfr = refractory_update(state.rfr, jax.lax.stop_gradient(s), dt)
        v = reset_potential(v, s, self.v_reset)
        if self.lower_clamp_voltage:
            v = jnp.maximum(v, self.v_rest)
        t = advance_clock(state.t, dt)
        return IFCellState(
            v=v.astype(dtype),
            s=s.astype(state.s.dtype),
            rfr=rfr,
            tols=last_spike_times(state.tols, s, t),
            t=t,
        )
