"""IFCell: integrate-and-fire units without leak (ngclearn's `IFCell`)."""

from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..._fields import parameter, size, switch
from ..._typing import Param, TimeStep
from ..._validate import NONNEGATIVE, POSITIVE
from ...integrate import AbstractStepper, stepper
from ...surrogate import AbstractSurrogate, ArcTan, spike_surrogate
from ._base import RESET_BELOW_THRESHOLD, ClockedState, CurrentInputs, clock, reset_potential
from .integrate_and_fire import AbstractIntegrateAndFire


class IFCellState(ClockedState):
    """`v`: membrane potential (mV); `s`: spikes of the last step; `rfr`: time since the
    last spike (ms); `tols`: time of the last spike (ms; 0 before the first); `t`: the
    clock (ms)."""

    v: Float[Array, " n"]
    s: Float[Array, " n"]
    rfr: Float[Array, " n"]


class IFCell(AbstractIntegrateAndFire):
    r"""Integrate-and-fire units (no leak) with a refractory period.

    With the refractory mask `m` from the start of the step and R·j·m held fixed,

    $$τ_m \frac{dv}{dt} = R·j·m$$

    is integrated over `dt` to v′ (every stepper is exact here: the right-hand side is
    constant over a step); `s = 1[v′ > thr]`; `rfr⁺ = (rfr + dt)(1 − s)`; `v⁺ = v_reset`
    where `s` (a switch: no surrogate gradient through it), then `v⁺ = max(v⁺, v_rest)` if
    `lower_clamp_voltage`; `tols⁺ = t + dt` where `s = 1`.

    **Arguments** (times in ms, voltages in mV; every parameter is a scalar or one value
    per unit):

    - `n_units`: number of units.
    - `tau_m`: membrane time constant τ_m (> 0).
    - `resist_m`: membrane resistance R (> 0, multiplies `j`).
    - `thr`: threshold; `v_reset` must lie below it.
    - `v_rest`: resting potential (the initial voltage, and the lower clamp).
    - `v_reset`: voltage after a spike.
    - `refract_time`: refractory period (≥ 0), during which `j` is ignored.
    - `integration_type`: a name of `dynax.integrate.INTEGRATORS` or a stepper.
    - `surrogate_type`: the spike's surrogate, a name of `dynax.surrogate.SURROGATES` or an
        `AbstractSurrogate`; default `ArcTan(alpha=0.2)`.
    - `lower_clamp_voltage`: keep `v ≥ v_rest` after each step.

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = IFCellState
    Inputs: ClassVar = CurrentInputs

    n_units: int = size()
    tau_m: Param = parameter(constraint=POSITIVE)
    resist_m: Param = parameter(1.0, POSITIVE)
    thr: Param = parameter(-52.0)
    v_rest: Param = parameter(-65.0)
    v_reset: Param = parameter(-60.0, below="thr", why=RESET_BELOW_THRESHOLD)
    refract_time: Param = parameter(0.0, NONNEGATIVE)
    integration_type: AbstractStepper = stepper("euler")
    surrogate_type: AbstractSurrogate = spike_surrogate(ArcTan(alpha=0.2))
    lower_clamp_voltage: bool = switch(True)

    def vector_field(
        self, t: Float[Array, ""], v: Float[Array, " n"], args: Float[Array, " n"]
    ) -> Float[Array, " n"]:
        """dv/dt under the masked current `args = R·j·m`."""
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
        self, state: IFCellState, inputs: CurrentInputs, key: PRNGKeyArray | None, dt: TimeStep
    ) -> IFCellState:
        """Advances the cell by `dt` (see the class docstring); `key` is unused."""
        self.check_step(state, inputs, dt)
        v = self.membrane(state, inputs, dt, self.thr)
        s = self.fire(v, self.thr)
        v = reset_potential(v, s, self.v_reset)
        if self.lower_clamp_voltage:
            v = jnp.maximum(v, self.v_rest)
        t, tols = clock(state, s, dt)
        return state.replace(v=v, s=s, rfr=self.refractory_clock(state.rfr, s, dt), tols=tols, t=t)
