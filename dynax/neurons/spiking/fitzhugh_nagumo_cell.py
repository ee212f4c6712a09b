"""FitzhughNagumoCell: the FitzHugh–Nagumo model (ngclearn's `FitzhughNagumoCell`)."""

from jaxtyping import Array, Float

from ..._fields import parameter, size, switch
from ..._typing import Param
from ..._validate import POSITIVE
from ...integrate import AbstractStepper, stepper
from ...surrogate import AbstractSurrogate, ArcTan, spike_surrogate
from ._base import reset_potential
from .voltage_recovery import AbstractVoltageRecoveryCell


class FitzhughNagumoCell(AbstractVoltageRecoveryCell):
    r"""The FitzHugh–Nagumo model (FitzHugh 1961; Nagumo, Arimoto & Yoshizawa 1962). With
    `J = resist_m·j`, α = `alpha`, β = `beta`, γ = `gamma`,

    $$τ_m \frac{dv}{dt} = v − \frac{v³}{γ} − w + J, \qquad
      τ_w \frac{dw}{dt} = v + α − β·w.$$

    `(v, w)` is integrated over `dt` as one system (J held fixed); then `s = 1[v > v_thr]`
    on the new voltage. With `spike_reset=True` a spiking unit is put back to `(v0, w0)` (a
    switch: no surrogate gradient through the reset). `tols` records the clock at the end
    of the step where `s = 1`.

    Stable domain: the model stays finite for every finite input (the cubic is
    dissipative), but an explicit step diverges when `dt·|∂f/∂v|` leaves the stepper's
    stability region, with `|∂f/∂v| = |1 − 3v²/γ|/τ_m` and `v ≈ (γ|J|)^{1/3}` under a large
    current: for |J| ≤ 1e3 (γ = 3) Euler and the RK2 family need `dt ≲ 0.0095·τ_m`, RK4
    `dt ≲ 0.013·τ_m`. No guard is applied (it would change the model); take a smaller dt.

    **Arguments** (dimensionless voltage; every parameter is a scalar or one value per
    unit):

    - `n_units`: number of units.
    - `tau_m`: voltage time constant (> 0).
    - `resist_m`: multiplies the input current.
    - `tau_w`: recovery time constant (> 0).
    - `alpha`: recovery shift α.
    - `beta`: recovery decay β.
    - `gamma`: divisor of the cubic term γ (> 0).
    - `v0`, `w0`: the initial state, and the state after a spike if `spike_reset`.
    - `v_thr`: spike threshold on `v`.
    - `spike_reset`: put a spiking unit back to `(v0, w0)`.
    - `integration_type`: a name of `dynax.integrate.INTEGRATORS` or a stepper.
    - `surrogate`: the spike's surrogate derivative (default `ArcTan(alpha=2)`, for a
        voltage of order 1).

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    n_units: int = size()
    tau_m: Param = parameter(1.0, POSITIVE)
    resist_m: Param = parameter(1.0)
    tau_w: Param = parameter(12.5, POSITIVE)
    alpha: Param = parameter(0.7)
    beta: Param = parameter(0.8)
    gamma: Param = parameter(3.0, POSITIVE)
    v0: Param = parameter(0.0)
    w0: Param = parameter(0.0)
    v_thr: Param = parameter(1.07)
    spike_reset: bool = switch(False)
    integration_type: AbstractStepper = stepper("euler")
    surrogate: AbstractSurrogate = spike_surrogate(ArcTan(alpha=2.0))

    def vector_field(
        self, t: Float[Array, ""], y: tuple[Array, Array], args: Float[Array, " n"]
    ) -> tuple[Array, Array]:
        """`(dv/dt, dw/dt)` at `y = (v, w)` under the scaled current `args = resist_m·j`
        (autonomous: `t` is unused)."""
        v, w = y
        dv = (v - v * v * v / self.gamma - w + args) / self.tau_m
        dw = (v + self.alpha - self.beta * w) / self.tau_w
        return dv, dw

    def input_current(self, j: Array) -> Array:
        """`resist_m·j`."""
        return self.resist_m * j

    @property
    def spike_threshold(self) -> Param:
        """The spike threshold `v_thr`."""
        return self.v_thr

    def after_spike(self, v: Array, w: Array, s: Array) -> tuple[Array, Array]:
        """`(v0, w0)` where a unit spiked if `spike_reset`, else `(v, w)` unchanged."""
        if not self.spike_reset:
            return v, w
        return reset_potential(v, s, self.v0), reset_potential(w, s, self.w0)
