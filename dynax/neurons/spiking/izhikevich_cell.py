"""IzhikevichCell: the two-variable spiking model of Izhikevich (2003) (ngclearn's
`IzhikevichCell`)."""

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ..._fields import parameter, size
from ..._typing import Param
from ..._validate import POSITIVE
from ...integrate import AbstractStepper, stepper
from ...surrogate import AbstractSurrogate, ArcTan, spike_surrogate
from ._base import RESET_BELOW_THRESHOLD, reset_potential
from .voltage_recovery import AbstractVoltageRecoveryCell


class IzhikevichCell(AbstractVoltageRecoveryCell):
    r"""Izhikevich's simple model of spiking neurons (IEEE TNN 14(6), 2003). With
    `J = resist_m·j`, Izhikevich's `a = 1/tau_w`, `b = coupling_factor`, `c = v_reset` and
    `d = w_reset`,

    $$τ_m \frac{dv}{dt} = 0.04v² + 5v + 140 − w + J, \qquad
      τ_w \frac{dw}{dt} = b·v − w.$$

    `(v, w)` is integrated over `dt` as one system (J held fixed); then, as in the paper,
    the spike is read on the new voltage, `s = 1[v > v_thr]` (`v_thr` is the spike apex,
    30 mV), and a spiking unit is reset: `v ← c`, `w ← w + d` (the integrated `w`); `tols`
    records the clock at the end of the step where `s = 1`. The reset is a switch: no
    surrogate gradient through it.

    Guard: the vector field is evaluated at `min(v, v_thr)`. Above the apex the model is
    not defined (the spike has happened and v is reset); explicit steppers can put a stage
    there within the step in which a unit fires, and the quadratic would then overflow under
    large currents (RK4, dt = 1, J = 1e3 gives inf, then NaN). A step whose stages stay
    below the apex is unchanged, and Euler evaluates the field only at the state, which
    after any step is at most the apex (or reset to c).

    **Arguments** (times in ms, voltages in mV; every parameter is a scalar or one value
    per unit):

    - `n_units`: number of units.
    - `tau_m`: membrane time constant (> 0).
    - `resist_m`: membrane resistance, multiplies `j`.
    - `v_thr`: spike apex; `v_reset` must lie below it.
    - `v_reset`: voltage after a spike, Izhikevich's `c`.
    - `tau_w`: recovery time constant (> 0), `1/a`.
    - `w_reset`: recovery increment at a spike, Izhikevich's `d`.
    - `coupling_factor`: sensitivity of the recovery to the voltage, Izhikevich's `b`.
    - `v0`, `w0`: the initial state.
    - `integration_type`: a name of `dynax.integrate.INTEGRATORS` or a stepper.
    - `surrogate`: the spike's surrogate derivative (default `ArcTan(alpha=0.2)`, a few mV
        wide).

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    n_units: int = size()
    tau_m: Param = parameter(1.0, POSITIVE)
    resist_m: Param = parameter(1.0)
    v_thr: Param = parameter(30.0)
    v_reset: Param = parameter(-65.0, below="v_thr", why=RESET_BELOW_THRESHOLD)
    tau_w: Param = parameter(50.0, POSITIVE)
    w_reset: Param = parameter(8.0)
    coupling_factor: Param = parameter(0.2)
    v0: Param = parameter(-65.0)
    w0: Param = parameter(-14.0)
    integration_type: AbstractStepper = stepper("euler")
    surrogate: AbstractSurrogate = spike_surrogate(ArcTan(alpha=0.2))

    def vector_field(
        self, t: Float[Array, ""], y: tuple[Array, Array], args: Float[Array, " n"]
    ) -> tuple[Array, Array]:
        """`(dv/dt, dw/dt)` at `y = (v, w)` under the scaled current `args = resist_m·j`
        (autonomous: `t` is unused)."""
        v, w = y
        v = jnp.minimum(v, self.v_thr)
        dv = (0.04 * v * v + 5.0 * v + 140.0 - w + args) / self.tau_m
        dw = (self.coupling_factor * v - w) / self.tau_w
        return dv, dw

    def input_current(self, j: Array) -> Array:
        """`resist_m·j`."""
        return self.resist_m * j

    @property
    def spike_threshold(self) -> Param:
        """The spike apex `v_thr`."""
        return self.v_thr

    def after_spike(self, v: Array, w: Array, s: Array) -> tuple[Array, Array]:
        """`v⁺ = v_reset` and `w⁺ = w + w_reset` where a unit spiked (switches: no surrogate
        gradient)."""
        return reset_potential(v, s, self.v_reset), w + self.w_reset * jax.lax.stop_gradient(s)
