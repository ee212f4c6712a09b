"""RateCell: the leaky graded unit of predictive coding (ngclearn's `RateCell`)."""

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from ..._core import AbstractCell, CellState
from ..._fields import choice, pair, parameter, size, switch
from ..._typing import Param, ParamLike, TimeStep
from ..._validate import NONNEGATIVE, POSITIVE, check_value
from ...activations import activation_name, get_activation
from ...integrate import AbstractStepper, stepper

LEAK_SHAPES = {
    "gaussian": lambda z: z,
    "laplacian": jnp.sign,
    "cauchy": lambda z: 2.0 * z / (1.0 + z * z),
    "exp": lambda z: 2.0 * z * jnp.exp(-z * z),
}
"""The leak shape ρ(z) of each prior: the derivative of its negative log-density (up to γ)."""

THRESHOLDS = ("none", "soft_threshold")


class RateCellState(CellState):
    """`z`: the latent rate; `zF = f(z)·output_scale`: the output read by other cells."""

    z: Float[Array, " n"]
    zF: Float[Array, " n"]


class RateCellInputs(eqx.Module):
    """`j`: bottom-up current (modulated by f'(z)); `j_td`: top-down pressure (not modulated;
    `None` ⇒ 0)."""

    j: Float[Array, " n"]
    j_td: Float[Array, " n"] | None = None


class RateCell(AbstractCell):
    r"""A leaky rate unit whose leak is shaped by a prior. With `m = f'(z) ⊙ j · resist_scale`
    (only the bottom-up current is modulated),

    $$τ_m \frac{dz}{dt} = −γ·ρ(z) + m + j_{td},$$

    where the prior chooses the leak shape ρ(z) = z (gaussian), sign(z) (laplacian),
    2z/(1+z²) (cauchy) or 2z·exp(−z²) (exp), and γ is its weight. The ODE is integrated over
    `dt` with `m` and `j_td` held fixed; then an optional soft threshold shrinks z towards 0
    by λ, and `zF = f(z)·output_scale` (`output`).

    With `tau_m = 0` given as a number (or `is_stateful=False`) the cell is stateless:
    `z = j + j_td` (no modulation) and `zF = f(z)·output_scale`. (Whether a cell is stateful
    is structure, so it is decided by the Python value of `tau_m`, never by a traced array.)

    **Arguments** (every parameter is a scalar or one value per unit):

    - `n_units`: number of units.
    - `tau_m`: time constant (> 0); `0` (a Python or NumPy number) makes the cell stateless.
    - `prior`: `(kind, γ)`, kind one of gaussian, laplacian, cauchy, exp; γ ≥ 0.
    - `act_fx`: output activation name (see `dynax.activations`).
    - `output_scale`: multiplies `f(z)`.
    - `threshold`: `("none", 0)` or `("soft_threshold", λ)` with λ ≥ 0.
    - `integration_type`: a name of `dynax.integrate.INTEGRATORS` or a stepper.
    - `resist_scale`: multiplies the modulated bottom-up current.
    - `is_stateful`: `False` forces the stateless mode.

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = RateCellState
    Inputs: ClassVar = RateCellInputs

    n_units: int = size()
    tau_m: Param = parameter(constraint=NONNEGATIVE)
    prior_type: str = choice("gaussian", LEAK_SHAPES, argument="prior[0]")
    prior_weight: Param = parameter(0.0, NONNEGATIVE, argument="prior[1]")
    act_fx: str = activation_name("identity")
    output_scale: Param = parameter(1.0)
    threshold_type: str = choice("none", THRESHOLDS, argument="threshold[0]")
    threshold_value: Param = parameter(0.0, NONNEGATIVE, argument="threshold[1]")
    integration_type: AbstractStepper = stepper("euler")
    resist_scale: Param = parameter(1.0)
    is_stateful: bool = switch(True)

    def __init__(
        self,
        n_units: int,
        tau_m: ParamLike,
        prior: tuple[str, ParamLike] = ("gaussian", 0.0),
        act_fx: str = "identity",
        output_scale: ParamLike = 1.0,
        threshold: tuple[str, ParamLike] = ("none", 0.0),
        integration_type: str | AbstractStepper = "euler",
        resist_scale: ParamLike = 1.0,
        is_stateful: bool = True,
    ):
        owner = type(self).__name__
        self.n_units = n_units
        self.tau_m = tau_m
        self.prior_type, self.prior_weight = pair(owner, "prior", prior, "(kind, weight)")
        self.act_fx = act_fx
        self.output_scale = output_scale
        self.threshold_type, self.threshold_value = pair(
            owner, "threshold", threshold, "(kind, lambda)"
        )
        self.integration_type = integration_type
        self.resist_scale = resist_scale
        self.is_stateful = is_stateful
        if is_stateful is True and _known_zero(tau_m):
            self.is_stateful = False

    def check_parameters(self) -> None:
        """A stateful cell needs `tau_m > 0` for every unit."""
        if self.is_stateful:
            hint = "Use tau_m > 0, or tau_m=0 for the stateless mode."
            check_value(type(self).__name__, "tau_m", self.tau_m, POSITIVE, hint)

    def output(self, z: Float[Array, " n"]) -> Float[Array, " n"]:
        """The rate read by other cells, `zF = f(z)·output_scale`."""
        return get_activation(self.act_fx).fx(z) * self.output_scale

    def vector_field(
        self, t: Float[Array, ""], z: Float[Array, " n"], args: Float[Array, " n"]
    ) -> Float[Array, " n"]:
        """dz/dt at `z` under the drive `args = m + j_td` (autonomous: `t` is unused)."""
        return (args - self.prior_weight * LEAK_SHAPES[self.prior_type](z)) / self.tau_m

    def init_state(self, *, key: PRNGKeyArray | None = None) -> RateCellState:
        """All zeros: `z = 0`, `zF = 0` (the reference's reset)."""
        zeros = jnp.zeros((self.n_units,), dtype=self.tau_m.dtype)
        return RateCellState(z=zeros, zF=zeros)

    def step(
        self, state: RateCellState, inputs: RateCellInputs, key: PRNGKeyArray | None, dt: TimeStep
    ) -> RateCellState:
        """Advances `z` by `dt` (see the class docstring); `key` is unused."""
        self.check_step(state, inputs, dt)
        j_td = 0.0 if inputs.j_td is None else inputs.j_td
        if not self.is_stateful:
            z = inputs.j + j_td
        else:
            activation = get_activation(self.act_fx)
            slope = activation.dfx(state.z)
            modulated = slope * inputs.j if activation.elementwise else slope @ inputs.j
            drive = modulated * self.resist_scale + j_td
            z = self.integration_type(self.vector_field, 0.0, state.z, dt, drive)
            if self.threshold_type == "soft_threshold":
                lam = self.threshold_value
                z = jnp.maximum(z - lam, 0.0) - jnp.maximum(-z - lam, 0.0)
        z = z.astype(state.z.dtype)
        return state.replace(z=z, zF=self.output(z))


def _known_zero(tau_m) -> bool:
    """`tau_m` is a Python or NumPy number (not a JAX array, which may be traced) that is 0
    for every unit."""
    if isinstance(tau_m, jax.Array):
        return False
    try:
        values = np.asarray(tau_m, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return bool((values == 0).all())
