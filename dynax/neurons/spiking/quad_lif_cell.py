"""QuadLIFCell: quadratic integrate-and-fire units (ngclearn's `QuadLIFCell`)."""

import jax.numpy as jnp
from jaxtyping import Array, Float

from ..._fields import parameter, size, switch
from ..._typing import Param
from ..._validate import NONNEGATIVE, POSITIVE
from ...integrate import AbstractStepper, stepper
from ...surrogate import AbstractSurrogate, ArcTan, spike_surrogate
from ._base import RESET_BELOW_THRESHOLD
from .integrate_and_fire import AbstractAdaptiveIntegrateAndFire


class QuadLIFCell(AbstractAdaptiveIntegrateAndFire):
    r"""Quadratic integrate-and-fire units (Latham et al., 2000) with the refractory period,
    adaptive threshold and one-spike rules of `LIFCell`.

    With the refractory mask `m` and R·j·m held fixed over the step,

    $$τ_m \frac{dv}{dt} = a_0·(v − v_{rest})·(v − v_c) + R·j·m,$$

    integrated over `dt` to v′; then everything as in `LIFCell` (spikes at `v′ > θ` with
    `θ = thr + thr_theta`, reset, refractory clock, adaptation, `surrogate`, `v_thr`,
    `tols`; `integrate_and_fire.AbstractAdaptiveIntegrateAndFire`). With `a0 > 0`, `v_rest`
    is the stable rest and `v_c` the critical voltage above which v runs away (the spike
    upswing).

    Guard: the vector field is evaluated at `min(v, v_cap)`, `v_cap = max(θ, v_c) +
    |v_c − v_rest|`, one root spacing above both the threshold and the critical voltage.
    Above the threshold the step fires and resets anyway, but explicit stages (RK4 with a
    large current) could otherwise square their way to inf within one step; Euler never
    evaluates the field there.

    Names: ngclearn's `v_scale` (−41.6) is the critical voltage, here `v_c`; its
    `critical_v` (1.0) is the gain with the opposite sign, here `a0`: port
    `QuadLIFCell(v_scale=x, critical_v=y)` as `QuadLIFCell(v_c=x, a0=-y)`.

    **Arguments** (times in ms, voltages in mV; every parameter is a scalar or one value
    per unit):

    - `n_units`: number of units.
    - `tau_m`: membrane time constant τ_m (> 0).
    - `resist_m`: membrane resistance R (> 0, multiplies `j`).
    - `thr`: base threshold; `v_reset` must lie below it.
    - `v_rest`: resting potential (stable for `a0 > 0`).
    - `v_reset`: voltage after a spike.
    - `v_c`: critical voltage (ngclearn's `v_scale`).
    - `a0`: gain of the quadratic term (ngclearn's `critical_v`, negated); any finite value.
    - `tau_theta`, `theta_plus`, `refract_time`, `one_spike`, `integration_type`,
        `surrogate_type`, `v_min`, `max_one_spike`: as in `LIFCell`.

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    n_units: int = size()
    tau_m: Param = parameter(constraint=POSITIVE)
    resist_m: Param = parameter(1.0, POSITIVE)
    thr: Param = parameter(-52.0)
    v_rest: Param = parameter(-65.0)
    v_reset: Param = parameter(-60.0, below="thr", why=RESET_BELOW_THRESHOLD)
    v_c: Param = parameter(-41.6)
    a0: Param = parameter(1.0)
    tau_theta: Param = parameter(1e7, NONNEGATIVE)
    theta_plus: Param = parameter(0.05)
    refract_time: Param = parameter(5.0, NONNEGATIVE)
    one_spike: bool = switch(False)
    integration_type: AbstractStepper = stepper("euler")
    surrogate_type: AbstractSurrogate = spike_surrogate(ArcTan(alpha=0.2))
    v_min: Param | None = parameter(None, optional=True)
    max_one_spike: bool = switch(False)

    def field_args(self, drive: Array, theta: Array) -> tuple[Array, Array]:
        """`(R·j·m, v_cap)`: the guard voltage lies one root spacing above `max(θ, v_c)`."""
        return drive, jnp.maximum(theta, self.v_c) + jnp.abs(self.v_c - self.v_rest)

    def vector_field(
        self, t: Float[Array, ""], v: Float[Array, " n"], args: tuple[Array, Array]
    ) -> Float[Array, " n"]:
        """dv/dt at `v` under `args = (R·j·m, v_cap)` (autonomous). Evaluated at
        `min(v, v_cap)`."""
        drive, v_cap = args
        v = jnp.minimum(v, v_cap)
        quadratic = (v - self.v_rest) * (v - self.v_c) * self.a0
        return (quadratic + drive) * (1.0 / self.tau_m)
