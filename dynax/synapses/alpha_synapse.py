"""AlphaSynapse: an alpha-function conductance `g(t) ∝ t·exp(−t/τ)` driven by presynaptic
spikes (ngclearn's `AlphaSynapse`, which fails to compile in 3.2.3)."""

import math
from typing import ClassVar

from jaxtyping import Array

from .._typing import TimeStep
from ._conductance import AbstractConductanceSynapse, TwoStageConductanceState
from ._synapse_helpers import leak_fraction


class AlphaSynapse(AbstractConductanceSynapse):
    r"""An alpha-function conductance, the linear system

    $$\frac{dh}{dt} = −\frac{h}{τ} + e\,ḡ\sum_k (s_k @ W)\,δ(t − t_k),\qquad
    \frac{dg}{dt} = \frac{h − g}{τ},$$

    so that one spike through weight `w` gives `g(t) = ḡ·w·(t/τ)·exp(1 − t/τ)`, which peaks at
    `ḡ·w` at `t = τ` (`ḡ` is the peak conductance, as for `ExponentialSynapse`). The current
    is `i = −g·g_factor·(v − E_syn)` (`−g·g_factor` with `syn_rest=None`); `outputs = i_syn`.

    Discrete steps: `decay="linear"` (the reference's Euler scheme),
    `h⁺ = h − h·dt/τ + e·ḡ(s@W)`, `g⁺ = g − g·dt/τ + h⁺·dt/τ`, which tends to the alpha
    function as `dt → 0`; `decay="exponential"` propagates the system exactly over `dt`,
    `h⁺ = h·a + e·ḡ(s@W)`, `g⁺ = (g + h·dt/τ)·a` with `a = exp(−dt/τ)`, so the samples lie on
    the alpha function for any `dt`.

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = TwoStageConductanceState

    def conduct(self, state: TwoStageConductanceState, drive: Array, dt: TimeStep) -> dict:
        """`h⁺` and `g⁺` of the class docstring."""
        h, g = state.h_syn, state.g_syn
        jump = math.e * self.g_syn_bar * drive
        rate = dt / self.tau_decay
        if self.decay == "linear":
            h_new = h - rate * h + jump
            return {"h_syn": h_new, "g_syn": g - rate * g + rate * h_new}
        kept = 1.0 - leak_fraction(dt, self.tau_decay, "exponential")
        return {"h_syn": h * kept + jump, "g_syn": (g + rate * h) * kept}
