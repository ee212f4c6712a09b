"""AdExCell: the adaptive exponential integrate-and-fire neuron of Brette & Gerstner (2005)
(ngclearn's `AdExCell`)."""

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

EXP_MARGIN = 10.0
"""The guard voltage lies `EXP_MARGIN·Δ_T` above the threshold (`exp` grows by e¹⁰ ≈ 2·10⁴
between the threshold and the guard)."""

EXP_ARG_MAX = 50.0
"""The largest exponent `(v − V_T)/Δ_T` the vector field ever evaluates (e⁵⁰ ≈ 5·10²¹, far
from float32's overflow at e⁸⁸·⁷)."""


class AdExCell(AbstractVoltageRecoveryCell):
    r"""Adaptive exponential integrate-and-fire units (Brette & Gerstner, J. Neurophysiol.
    94(5), 2005). With the input `j` held fixed over the step,

    $$τ_m \frac{dv}{dt} = −(v − E_L) + Δ_T \exp\frac{v − V_T}{Δ_T} − R·w + R·j, \qquad
      τ_w \frac{dw}{dt} = −w + a·(v − E_L),$$

    (`E_L = v_rest`, `V_T = intrinsic_mem_thr`, `Δ_T = v_sharpness`, `R = resist_m`).
    `(v, w)` is integrated over `dt` as ONE system (`vector_field`); then `s = 1[v′ > thr]`
    (the gradient is the derivative of `surrogate`), and a spiking unit is reset:
    `v⁺ = v_reset`, `w⁺ = w′ + b`; `tols⁺ = t + dt` where `s = 1`.

    Guard: the vector field is evaluated at `v̂ = min(v, v_cap)` with
    `v_cap = min(thr, V_T + 40·Δ_T) + 10·Δ_T`, so its exponent never exceeds
    `(thr − V_T)/Δ_T + 10` nor 50: the exponential otherwise overflows float32 (e⁸⁸·⁷) as
    soon as an explicit stage lands ~90·Δ_T above V_T, which the upswing of a spike does
    within one step; the adaptation coupling `a·(v − E_L)` is bounded the same way. A state
    that survives a step has `v ≤ thr < v_cap`, so Euler (which evaluates the field only
    there) is exactly the AdEx model, and above `v_cap` the spike is certain anyway.

    **Arguments** (times in ms, voltages in mV; every parameter is a scalar or one value
    per unit):

    - `n_units`: number of units.
    - `tau_m`: membrane time constant τ_m (> 0).
    - `resist_m`: membrane resistance R (multiplies `j` and `w`).
    - `tau_w`: adaptation time constant τ_w (> 0).
    - `v_sharpness`: slope factor Δ_T (> 0).
    - `intrinsic_mem_thr`: the soft threshold V_T of the exponential.
    - `thr`: the spike cut-off; `v_reset` must lie below it.
    - `v_rest`: leak reversal potential E_L.
    - `v_reset`: voltage after a spike.
    - `a`: subthreshold adaptation coupling.
    - `b`: spike-triggered adaptation increment.
    - `v0`, `w0`: the initial state.
    - `integration_type`: a name of `dynax.integrate.INTEGRATORS` or a stepper.
    - `surrogate`: the spike's surrogate derivative (default `ArcTan(alpha=0.2)`, a few mV
        wide).

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    n_units: int = size()
    tau_m: Param = parameter(15.0, POSITIVE)
    resist_m: Param = parameter(1.0)
    tau_w: Param = parameter(400.0, POSITIVE)
    v_sharpness: Param = parameter(2.0, POSITIVE)
    intrinsic_mem_thr: Param = parameter(-55.0)
    thr: Param = parameter(5.0)
    v_rest: Param = parameter(-72.0)
    v_reset: Param = parameter(-75.0, below="thr", why=RESET_BELOW_THRESHOLD)
    a: Param = parameter(0.1)
    b: Param = parameter(0.75)
    v0: Param = parameter(-70.0)
    w0: Param = parameter(0.0)
    integration_type: AbstractStepper = stepper("euler")
    surrogate: AbstractSurrogate = spike_surrogate(ArcTan(alpha=0.2))

    @property
    def v_cap(self) -> Param:
        """The guard voltage `min(thr, V_T + 40·Δ_T) + 10·Δ_T` (see the class docstring)."""
        delta = self.v_sharpness
        ceiling = self.intrinsic_mem_thr + (EXP_ARG_MAX - EXP_MARGIN) * delta
        return jnp.minimum(self.thr, ceiling) + EXP_MARGIN * delta

    def vector_field(
        self, t: Float[Array, ""], y: tuple[Array, Array], args: Float[Array, " n"]
    ) -> tuple[Array, Array]:
        """`(dv/dt, dw/dt)` at `y = (v, w)` under the input current `args = j` (autonomous:
        `t` is unused). Evaluated at `min(v, v_cap)`."""
        v, w = y
        v = jnp.minimum(v, self.v_cap)
        delta = self.v_sharpness
        spike_drive = delta * jnp.exp((v - self.intrinsic_mem_thr) / delta)
        dv = -(v - self.v_rest) + spike_drive - self.resist_m * w + self.resist_m * args
        dw = -w + (v - self.v_rest) * self.a
        # times the reciprocal: the reference's operations in its order (Euler agrees to an ulp)
        return dv * (1.0 / self.tau_m), dw * (1.0 / self.tau_w)

    def input_current(self, j: Array) -> Array:
        """`j` itself: `resist_m` scales it inside `vector_field`."""
        return j

    @property
    def spike_threshold(self) -> Param:
        """The spike cut-off `thr`."""
        return self.thr

    def after_spike(self, v: Array, w: Array, s: Array) -> tuple[Array, Array]:
        """`v⁺ = v_reset` and `w⁺ = w + b` where a unit spiked (switches: no surrogate
        gradient)."""
        return reset_potential(v, s, self.v_reset), w + self.b * jax.lax.stop_gradient(s)
