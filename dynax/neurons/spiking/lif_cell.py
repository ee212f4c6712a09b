"""LIFCell: leaky integrate-and-fire units with a refractory period and an adaptive
threshold (ngclearn's `LIFCell`)."""

import jax.numpy as jnp
from jaxtyping import Array, Float

from ..._fields import parameter, size, switch
from ..._typing import Param
from ..._validate import NONNEGATIVE, POSITIVE
from ...integrate import AbstractStepper, stepper
from ...surrogate import AbstractSurrogate, ArcTan, spike_surrogate
from ._base import RESET_BELOW_THRESHOLD, refractory_mask
from .integrate_and_fire import AbstractAdaptiveIntegrateAndFire


class LIFCell(AbstractAdaptiveIntegrateAndFire):
    r"""Leaky integrate-and-fire units with a refractory period and an adaptive threshold
    (by default `tau_theta = 1e7`: a threshold that rises by `theta_plus` per spike and
    hardly decays, as in ngclearn; `tau_theta=0` switches adaptation off).

    With `J = R·j`, the refractory mask `m` and the threshold `θ = thr + thr_theta` from the
    start of the step, J·m is held fixed and

    $$τ_m \frac{dv}{dt} = g_L·(v_{rest} − v) + J·m$$

    is integrated over `dt` to v′ (`g_L = conduct_leak`; 0 gives an IF cell); then the spike,
    reset, refractory clock, one-spike rules and threshold adaptation of
    `integrate_and_fire.AbstractAdaptiveIntegrateAndFire`. The equation is linear in v, so
    `integration_type="exponential_euler"` is its exact solution for any `dt`.

    **Arguments** (times in ms, voltages in mV; every parameter is a scalar or one value
    per unit):

    - `n_units`: number of units.
    - `tau_m`: membrane time constant τ_m (> 0).
    - `resist_m`: membrane resistance R (> 0, multiplies `j`).
    - `thr`: base threshold; `v_reset` must lie below it.
    - `v_rest`: resting (leak reversal) potential.
    - `v_reset`: voltage after a spike.
    - `conduct_leak`: leak conductance g_L (≥ 0; 0 is integrate-and-fire).
    - `tau_theta`: time constant of the threshold adaptation (≥ 0; 0: no adaptation).
    - `theta_plus`: threshold increment per spike.
    - `refract_time`: refractory period (≥ 0), during which `j` is ignored.
    - `one_spike`: keep at most one (random) spike per step; `step` then needs a key.
    - `integration_type`: a name of `dynax.integrate.INTEGRATORS` or a stepper.
    - `surrogate_type`: the spike's surrogate, a name of `dynax.surrogate.SURROGATES`
        (default parameters) or an `AbstractSurrogate`; default `ArcTan(alpha=0.2)`, the
        reference's.
    - `v_min`: optional lower bound of the voltage after each step.
    - `max_one_spike`: keep only the spike of the unit with the largest voltage (takes
        precedence over `one_spike`, as in the reference).
    - `hold_refractory`: hold `v` where it is during the refractory period (Brian2's
        `(unless refractory)`, Brette et al. 2007) instead of the reference's leak without
        input; the same when `v_reset = v_rest`. Not an ngclearn argument.

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    n_units: int = size()
    tau_m: Param = parameter(constraint=POSITIVE)
    resist_m: Param = parameter(1.0, POSITIVE)
    thr: Param = parameter(-52.0)
    v_rest: Param = parameter(-65.0)
    v_reset: Param = parameter(-60.0, below="thr", why=RESET_BELOW_THRESHOLD)
    conduct_leak: Param = parameter(1.0, NONNEGATIVE)
    tau_theta: Param = parameter(1e7, NONNEGATIVE)
    theta_plus: Param = parameter(0.05)
    refract_time: Param = parameter(5.0, NONNEGATIVE)
    one_spike: bool = switch(False)
    integration_type: AbstractStepper = stepper("euler")
    surrogate_type: AbstractSurrogate = spike_surrogate(ArcTan(alpha=0.2))
    v_min: Param | None = parameter(None, optional=True)
    max_one_spike: bool = switch(False)
    hold_refractory: bool = switch(False)

    def vector_field(
        self, t: Float[Array, ""], v: Float[Array, " n"], args: Float[Array, " n"]
    ) -> Float[Array, " n"]:
        """dv/dt at `v` under the masked current `args = R·j·m` (autonomous: `t` is
        unused)."""
        return ((self.v_rest - v) * self.conduct_leak + args) * (1.0 / self.tau_m)

    def membrane(self, state, inputs, dt, theta):
        """v′ of the integrate-and-fire step, or `v` itself for a refractory unit under
        `hold_refractory`."""
        v = super().membrane(state, inputs, dt, theta)
        if not self.hold_refractory:
            return v
        return jnp.where(refractory_mask(state.rfr, self.refract_time, dt), v, state.v)
