"""RAFCell: the resonate-and-fire neuron of Izhikevich (2001) (ngclearn's `RAFCell`)."""

from jaxtyping import Array, Float

from ..._fields import parameter, size, switch
from ..._typing import Param
from ..._validate import POSITIVE
from ...integrate import AbstractStepper, SemiImplicitEuler, stepper
from ...surrogate import AbstractSurrogate, ArcTan, spike_surrogate
from ._base import reset_potential
from .voltage_recovery import AbstractVoltageRecoveryCell

SYMPLECTIC_EULER = "symplectic_euler"
"""The name of `RAFCell`'s default scheme: `dynax.integrate.SemiImplicitEuler` on `(v, w)`
(`w` first with the old `v`, then `v` with the new `w`)."""


class RAFCell(AbstractVoltageRecoveryCell):
    r"""The resonate-and-fire neuron (Izhikevich, Neural Networks 14, 2001): a damped
    oscillator that fires when its voltage crosses a threshold. With `J = resist_v·j`,
    ω = `omega` and b = `dampen_factor`,

    $$τ_w \frac{dw}{dt} = b·w − ω·v + J, \qquad τ_v \frac{dv}{dt} = ω·w + b·v.$$

    Then `s = 1[v > thr]` on the new voltage; with `post_spike_reset=True` (default) a
    spiking unit is put to `(v_reset, w_reset)` (a switch: no surrogate gradient through the
    reset). `tols` records the clock at the end of the step where `s = 1`.

    Integration: the default, `"symplectic_euler"`, is the semi-implicit (Euler–Cromer)
    scheme `w⁺ = w + dt·f_w(v, w)`, then `v⁺ = v + dt·f_v(v, w⁺)`. It is first order like
    forward Euler, but its step scales phase-space area by (1 + dt·b/τ)² (τ_v = τ_w = τ),
    the damping alone, where forward Euler adds dt²ω²/τ² and so spirals outwards: the
    semi-implicit scheme is stable for `dt·ω/τ < 2√(1 + dt·b/τ)` (dt < 0.181 at the defaults
    b = −1, ω = 10, τ = 1), forward Euler only if `b < 0` and `dt < 2|b|τ/(b² + ω²)`
    (dt < 0.0198 at the defaults). Any other stepper integrates `(v, w)` as one system.
    Between spikes the cell is linear: without `post_spike_reset` a scheme stays bounded
    exactly where `dt·(b ± iω)/τ` lies in its stability region; the reset also catches
    every upward swing.

    **Arguments** (every parameter is a scalar or one value per unit):

    - `n_units`: number of units.
    - `tau_v`: voltage time constant (> 0).
    - `tau_w`: angular-driver time constant (> 0).
    - `thr`: spike threshold on `v`.
    - `omega`: angular frequency ω.
    - `dampen_factor`: damping b (< 0 damps the oscillation).
    - `v_reset`, `w_reset`: the state after a spike (if `post_spike_reset`).
    - `v0`, `w0`: the initial state.
    - `resist_v`: multiplies the input current.
    - `post_spike_reset`: put a spiking unit to `(v_reset, w_reset)`.
    - `integration_type`: `"symplectic_euler"` (default), a name of
        `dynax.integrate.INTEGRATORS` or a stepper.
    - `surrogate`: the spike's surrogate derivative (default `ArcTan(alpha=2)`, for a
        voltage of order 1).

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    n_units: int = size()
    tau_v: Param = parameter(1.0, POSITIVE)
    tau_w: Param = parameter(1.0, POSITIVE)
    thr: Param = parameter(1.0)
    omega: Param = parameter(10.0)
    dampen_factor: Param = parameter(-1.0)
    v_reset: Param = parameter(0.0)
    w_reset: Param = parameter(0.0)
    v0: Param = parameter(0.0)
    w0: Param = parameter(0.0)
    resist_v: Param = parameter(1.0)
    post_spike_reset: bool = switch(True)
    integration_type: AbstractStepper = stepper(
        SYMPLECTIC_EULER, names={SYMPLECTIC_EULER: SemiImplicitEuler()}
    )
    surrogate: AbstractSurrogate = spike_surrogate(ArcTan(alpha=2.0))

    def vector_field(
        self, t: Float[Array, ""], y: tuple[Array, Array], args: Float[Array, " n"]
    ) -> tuple[Array, Array]:
        """`(dv/dt, dw/dt)` at `y = (v, w)` under the scaled current `args = resist_v·j`
        (autonomous: `t` is unused)."""
        v, w = y
        b = self.dampen_factor
        dv = (self.omega * w + b * v) / self.tau_v
        dw = (b * w - self.omega * v + args) / self.tau_w
        return dv, dw

    def input_current(self, j: Array) -> Array:
        """`resist_v·j`."""
        return self.resist_v * j

    @property
    def spike_threshold(self) -> Param:
        """The spike threshold `thr`."""
        return self.thr

    def after_spike(self, v: Array, w: Array, s: Array) -> tuple[Array, Array]:
        """`(v_reset, w_reset)` where a unit spiked if `post_spike_reset`, else `(v, w)`
        unchanged."""
        if not self.post_spike_reset:
            return v, w
        return reset_potential(v, s, self.v_reset), reset_potential(w, s, self.w_reset)
