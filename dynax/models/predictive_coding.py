"""PredictiveCodingNetwork: ngclearn's discriminative predictive-coding model as one module."""

from collections.abc import Sequence
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray, PyTree

from .._core import AbstractCell
from .._typing import ParamLike, TimeStep
from .._validate import check_input, check_int
from ..activations import get_activation
from ..neurons.graded.gaussian_error_cell import GaussianErrorCell, GaussianErrorCellState
from ..neurons.graded.rate_cell import RateCell, RateCellState
from ..synapses._synapse_helpers import dense_forward
from ..synapses.dense_synapse import DenseSynapse


class PredictiveCodingState(eqx.Module):
    """`z`: the hidden layers' states (layers 1 … L−1); `e`: the error cells' outputs of the
    last step (layers 1 … L; `e[l].dmu` is the precision-weighted error of layer l + 1)."""

    z: tuple[RateCellState, ...]
    e: tuple[GaussianErrorCellState, ...]


class PredictiveCodingInputs(eqx.Module):
    """`x`: the clamped input (layer 0); `y`: the clamped target of the top layer, or `None`
    to leave the top free (it then equals its prediction and carries no error)."""

    x: Float[Array, " n_in"]
    y: Float[Array, " n_out"] | None = None


class PredictiveCodingNetwork(AbstractCell):
    r"""A hierarchy of rate cells and Gaussian error cells with dense synapses.

    Layers `0 … L` of sizes `sizes`; layer 0 is the input `x`, layer L the output. Forward
    synapses `W_l` predict layer l from layer l − 1 and the error cells compare:

    $$μ_l = f(z_{l−1})\,W_l + b_l,\qquad e_l = (z_l − μ_l)/Σ_l,\qquad
    F = \sum_l \tfrac12 \lVert z_l − μ_l \rVert^2 / Σ_l,$$

    with `z_0 = x`, `z_L = y` when clamped (else `z_L = μ_L`, so `e_L = 0`). A hidden layer
    `0 < l < L` is a `RateCell` driven bottom-up by the error above, passed back through the
    feedback synapse `E_{l+1}` (or `W_{l+1}ᵀ` with `tie_feedback`), and top-down by its own
    error:

    $$τ_m \frac{dz_l}{dt} = f'(z_l) ⊙ (e_{l+1} E_{l+1}) − e_l,$$

    which, with tied feedback, is gradient descent on the energy F. Updates are synchronous:
    every layer reads the state at time t. `step` returns the new latents with the errors
    computed at time t (so `energy(state)` is F at the start of the step).

    Learning is local: `hebbian_gradients` gives ∂F/∂W_l = −f(z_{l−1})ᵀ e_l (and ∂F/∂b_l),
    a model-shaped pytree for optax (`batch_hebbian_gradients` for a batch: one matrix
    product per layer); `hebbian_update` applies one SGD step. The same module can also be
    trained end to end by `jax.grad` through `dynax.simulate`.
    """

    State: ClassVar = PredictiveCodingState
    Inputs: ClassVar = PredictiveCodingInputs

    latents: tuple[RateCell, ...]
    errors: tuple[GaussianErrorCell, ...]
    forward: tuple[DenseSynapse, ...]
    feedback: tuple[DenseSynapse, ...] | None
    sizes: tuple[int, ...] = eqx.field(static=True)

    def __init__(
        self,
        sizes: Sequence[int],
        *,
        act_fx: str = "tanh",
        tau_m: ParamLike = 10.0,
        sigma: ParamLike = 1.0,
        weight_init=("uniform", {"low": -0.05, "high": 0.05}),
        bias: bool = True,
        tie_feedback: bool = True,
        integration_type: str = "euler",
        key: PRNGKeyArray,
    ):
        """**Arguments:**

        - `sizes`: `(n_in, n_hidden_1, …, n_out)`, at least three layers.
        - `act_fx`: the hidden layers' activation f.
        - `tau_m`: the hidden layers' time constant.
        - `sigma`: the error cells' variance Σ.
        - `weight_init`: initializer of the forward (and untied feedback) weights.
        - `bias`: whether the forward synapses have biases (initialised to 0).
        - `tie_feedback`: feed errors back through `W_{l+1}ᵀ` (exact energy descent) instead
            of separate feedback synapses `E_{l+1}` (initialised like `W`, kept fixed by
            `hebbian_update`).
        - `integration_type`: the hidden layers' integrator.
        - `key`: for the initial weights.
        """
        owner = type(self).__name__
        sizes = tuple(sizes)
        if len(sizes) < 3:
            raise ValueError(
                f"{owner}: `sizes` needs at least three layers (input, hidden, output), "
                f"got {sizes!r}."
            )
        for i, n in enumerate(sizes):
            check_int(owner, f"sizes[{i}]", n, minimum=1)
        self.sizes = sizes
        n_layers = len(sizes) - 1
        forward_keys = jax.random.split(key, 2 * n_layers)
        bias_init = ("constant", {"value": 0.0}) if bias else None
        self.forward = tuple(
            DenseSynapse(
                (sizes[i], sizes[i + 1]),
                weight_init=weight_init,
                bias_init=bias_init,
                key=forward_keys[i],
            )
            for i in range(n_layers)
        )
        self.feedback = (
            None
            if tie_feedback
            else tuple(
                DenseSynapse(
                    (sizes[i + 1], sizes[i]),
                    weight_init=weight_init,
                    key=forward_keys[n_layers + i],
                )
                for i in range(1, n_layers)
            )
        )
        self.latents = tuple(
            RateCell(n, tau_m, act_fx=act_fx, integration_type=integration_type)
            for n in sizes[1:-1]
        )
        self.errors = tuple(GaussianErrorCell(n, sigma) for n in sizes[1:])

    @property
    def tie_feedback(self) -> bool:
        return self.feedback is None

    def init_state(self, *, key: PRNGKeyArray | None = None) -> PredictiveCodingState:
        """Latents and errors at zero."""
        return PredictiveCodingState(
            z=tuple(cell.init_state() for cell in self.latents),
            e=tuple(cell.init_state() for cell in self.errors),
        )

    def feedforward_state(self, x: Float[Array, " n_in"]) -> PredictiveCodingState:
        """Latents set to the bottom-up prediction `z_l = μ_l` (zero error everywhere): the
        usual starting point of inference, and the network's feedforward answer."""
        check_input(type(self).__name__, "x", x, (self.sizes[0],))
        latents = []
        activity = x
        for synapse, cell in zip(self.forward[:-1], self.latents, strict=True):
            z = _project(synapse, activity)
            zf = get_activation(cell.act_fx).fx(z) * cell.output_scale
            latents.append(RateCellState(z=z, zF=zf))
            activity = zf
        return PredictiveCodingState(
            z=tuple(latents), e=tuple(cell.init_state() for cell in self.errors)
        )

    def predict(self, state: PredictiveCodingState, x: Float[Array, " n_in"]) -> Array:
        """The top layer's prediction `μ_L` from the current latents."""
        return self._predictions(state, x)[-1]

    def _predictions(self, state: PredictiveCodingState, x: Array) -> list[Array]:
        below = [x] + [z.zF for z in state.z]
        return [_project(w, a) for w, a in zip(self.forward, below, strict=True)]

    def _errors(
        self, state: PredictiveCodingState, inputs: PredictiveCodingInputs
    ) -> tuple[GaussianErrorCellState, ...]:
        mu = self._predictions(state, inputs.x)
        targets = [z.z for z in state.z] + [mu[-1] if inputs.y is None else inputs.y]
        return tuple(
            cell.step(err, GaussianErrorCell.Inputs(mu=m, target=t), None, 1.0)
            for cell, err, m, t in zip(self.errors, state.e, mu, targets, strict=True)
        )

    def step(
        self,
        state: PredictiveCodingState,
        inputs: PredictiveCodingInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> PredictiveCodingState:
        """One synchronous inference step (see the class docstring); `key` is unused."""
        owner = type(self).__name__
        check_input(owner, "x", inputs.x, (self.sizes[0],))
        if inputs.y is not None:
            check_input(owner, "y", inputs.y, (self.sizes[-1],))
        errors = self._errors(state, inputs)
        latents = []
        for i, cell in enumerate(self.latents):  # hidden layer i + 1
            above = errors[i + 1].dmu
            if self.feedback is None:
                bottom_up = above @ _effective(self.forward[i + 1]).T
            else:
                bottom_up = _project(self.feedback[i], above)
            drive = RateCell.Inputs(j=bottom_up, j_td=errors[i].dtarget)
            latents.append(cell.step(state.z[i], drive, None, dt))
        return PredictiveCodingState(z=tuple(latents), e=errors)

    def energy(self, state: PredictiveCodingState) -> Float[Array, ""]:
        """The energy F = −Σ_l L_l of the errors stored in `state`."""
        return -sum(e.L for e in state.e)

    def hebbian_gradients(
        self, state: PredictiveCodingState, inputs: PredictiveCodingInputs
    ) -> PyTree:
        """∂F/∂W_l = −f(z_{l−1})ᵀ e_l and ∂F/∂b_l = −e_l at `state` (local: each synapse sees
        only its presynaptic activity and its error), as a pytree shaped like
        `eqx.filter(model, eqx.is_inexact_array)` with `None` for everything else, ready for
        an optax optimiser. For a batch use `batch_hebbian_gradients`, not `vmap` of this:
        that sums outer products elementwise, one `(batch, n_in, n_out)` pass per layer,
        instead of one matrix product."""
        errors = self._errors(state, inputs)
        below = [inputs.x] + [z.zF for z in state.z]
        return self._local_gradients(
            [a[None] for a in below], [e.dmu[None] for e in errors], scale=1.0
        )

    def batch_hebbian_gradients(
        self,
        states: PredictiveCodingState,
        inputs: PredictiveCodingInputs,
        *,
        reduce: str = "mean",
    ) -> PyTree:
        """`hebbian_gradients` of a batch (`states` and `inputs` with a leading batch axis, as
        `vmap(simulate)` returns them), averaged (`reduce="mean"`) or summed (`"sum"`, as
        ngclearn's Hebbian synapse does) over it: `∂F/∂W_l = −f(Z_{l−1})ᵀ E_l`, one matrix
        product per layer."""
        owner = f"{type(self).__name__}.batch_hebbian_gradients"
        if reduce not in ("mean", "sum"):
            raise ValueError(f"{owner}: `reduce` must be 'mean' or 'sum', got {reduce!r}.")
        x = jnp.asarray(inputs.x)
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(
                f"{owner}: `inputs.x` must have shape (batch, {self.sizes[0]}), got {x.shape}."
            )
        errors = jax.vmap(self._errors)(states, inputs)
        below = [x] + [z.zF for z in states.z]
        scale = 1.0 / x.shape[0] if reduce == "mean" else 1.0
        return self._local_gradients(below, [e.dmu for e in errors], scale=scale)

    def _local_gradients(self, below: list[Array], dmu: list[Array], scale: float) -> PyTree:
        # `below[l]`, `dmu[l]`: (batch, ·) presynaptic activities and errors of synapse l.
        grads = jax.tree.map(lambda _: None, eqx.filter(self, eqx.is_inexact_array))
        for i, synapse in enumerate(self.forward):
            d_w = -(below[i].T @ dmu[i]) * (scale * synapse.g_conduct_factor)
            if synapse.mask is not None:
                d_w = d_w * synapse.mask
            grads = eqx.tree_at(lambda g, i=i: g.forward[i].weights, grads, d_w, is_leaf=_none)
            if synapse.biases is not None:
                d_b = -scale * jnp.sum(dmu[i], axis=0)
                grads = eqx.tree_at(lambda g, i=i: g.forward[i].biases, grads, d_b, is_leaf=_none)
        return grads

    def hebbian_update(
        self, state: PredictiveCodingState, inputs: PredictiveCodingInputs, learning_rate: float
    ) -> "PredictiveCodingNetwork":
        """One local SGD step, `W_l ← W_l + η f(z_{l−1})ᵀ e_l`: a new network."""
        grads = self.hebbian_gradients(state, inputs)
        updates = jax.tree.map(lambda g: -learning_rate * g, grads)
        return eqx.apply_updates(self, updates)


def _none(x) -> bool:
    return x is None


def _effective(synapse: DenseSynapse) -> Array:
    w = synapse.weights * synapse.g_conduct_factor
    return w if synapse.mask is None else w * synapse.mask


def _project(synapse: DenseSynapse, x: Array) -> Array:
    """The synapse's instantaneous output for `x` (no delays: the network builds none)."""
    return dense_forward(
        x,
        synapse.weights,
        mask=synapse.mask,
        gain=synapse.g_conduct_factor,
        biases=synapse.biases,
    )
