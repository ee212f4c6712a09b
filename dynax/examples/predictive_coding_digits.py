r"""Predictive coding on scikit-learn's 8×8 digits, trained two ways.

1. **Local Hebbian learning** (`train_hebbian`): for each image, the latents start at the
   feedforward prediction (`feedforward_state`), relax for `steps` inference steps with the
   image `x` and its one-hot label `y` both clamped, and each synapse then takes the local
   gradient `∂F/∂W_l = −f(z_{l−1})ᵀ e_l` (`hebbian_gradients`), averaged over the minibatch
   and applied by an optax optimiser. No gradient is back-propagated anywhere.
2. **End to end** (`train_end_to_end`): the latents start at rest (zero) and relax for
   `steps` steps with the label free; the squared error (default; or the softmax
   cross-entropy) of the top prediction `μ_L` after the last step is differentiated by
   `jax.grad` through the whole `dynax.simulate` run, so training shapes the transient of
   the inference dynamics, not only its fixed point. (With one hidden layer that transient
   is a linear relaxation, `z_1(T) = (1 − (1 − dt/τ)^T)·μ_1` under Euler; deeper layers lag
   behind the ones below them, so with more hidden layers it matters more.)

A network with the label free is at a fixed point in its feedforward state (every error is
zero), so for (1) the feedforward prediction is also the answer after inference; for (2) the
answer is the prediction after `steps` steps from rest (`predict(..., from_rest=True)`).

Both return the trained network and per-epoch metrics (`"loss"`, `"train_accuracy"`,
`"test_accuracy"`) for learning curves. The defaults are sized for CI (10 epochs, 10
inference steps): each run takes about 5 s of CPU time, compilation included, and reaches
≈ 0.97 test accuracy on the 359 held-out digits. `python -m
dynax.examples.predictive_coding_digits` runs both and prints the learning curves.
"""

from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float, PRNGKeyArray

from ..datasets import Split
from ..models.predictive_coding import PredictiveCodingNetwork, PredictiveCodingState
from ..simulate import simulate
from ..training import EpochCallback, accuracy, fit

PCN = PredictiveCodingNetwork


def make_network(
    sizes: Sequence[int] = (64, 128, 10),
    *,
    key: PRNGKeyArray,
    act_fx: str = "relu",
    tau_m: float = 5.0,
    init_scale: float | None = None,
) -> PredictiveCodingNetwork:
    """A `PredictiveCodingNetwork` with tied feedback, Σ = 1, biases, and uniform weights in
    `±init_scale` (default `1/√n` for the widest layer below the top, n = `max(sizes[:-1])`).

    ReLU hidden units are the default: with the squared-error energy of predictive coding,
    tanh units learned these digits worse in our runs (0.92–0.96 test accuracy, depending on
    the initial scale, against 0.96–0.98 with ReLU; a plain tanh MLP trained by backprop on
    squared error behaves the same)."""
    if init_scale is None:
        init_scale = 1.0 / float(np.sqrt(max(sizes[:-1])))
    weight_init = ("uniform", {"low": -init_scale, "high": init_scale})
    return PCN(sizes, act_fx=act_fx, tau_m=tau_m, weight_init=weight_init, key=key)


def synaptic_parameters(model: PredictiveCodingNetwork):
    """An equinox filter spec selecting the forward weights and biases (the parameters both
    rules learn); time constants, variances and synaptic gains stay fixed."""
    spec = jax.tree.map(lambda _: False, model)
    for i, synapse in enumerate(model.forward):
        spec = eqx.tree_at(lambda s, i=i: s.forward[i].weights, spec, True)
        if synapse.biases is not None:
            spec = eqx.tree_at(lambda s, i=i: s.forward[i].biases, spec, True)
    return spec


def relax(
    model: PredictiveCodingNetwork,
    x: Float[Array, " n_in"],
    y: Float[Array, " n_out"] | None = None,
    *,
    steps: int,
    dt: float,
    from_rest: bool = False,
) -> PredictiveCodingState:
    """The state after `steps` inference steps of one sample (`y=None`: label free), started
    from the feedforward state or, with `from_rest`, from zero. One `lax.scan`
    (`dynax.simulate`); differentiable."""
    state = model.init_state() if from_rest else model.feedforward_state(x)
    if steps == 0:
        return state
    clamped = PCN.Inputs(x=x, y=y)
    return simulate(
        model, state, constant_inputs=clamped, num_steps=steps, dt=dt, record=lambda s: None
    )[0]


def predict(
    model: PredictiveCodingNetwork,
    x: Float[Array, "batch n_in"],
    *,
    steps: int = 0,
    dt: float = 1.0,
    from_rest: bool = False,
) -> Float[Array, "batch n_out"]:
    """The top prediction `μ_L` for a batch, after `steps` inference steps with the label free
    (`steps=0` and not `from_rest`: the feedforward answer)."""

    def one(x):
        return model.predict(relax(model, x, steps=steps, dt=dt, from_rest=from_rest), x)

    return jax.vmap(one)(x)


class HebbianObjective(eqx.Module):
    """`(model, (x, y)) -> (mean energy, mean local gradients)` for a minibatch: inference
    with `x` and `y` clamped from the feedforward state, then `batch_hebbian_gradients` (the
    minibatch mean). The loss is the mean energy F at the relaxed state."""

    steps: int = eqx.field(static=True)
    dt: float = eqx.field(static=True)

    def __call__(self, model: PredictiveCodingNetwork, batch):
        def one(x, y):
            state = relax(model, x, y, steps=self.steps, dt=self.dt)
            energy = model.energy(model.step(state, PCN.Inputs(x=x, y=y), None, self.dt))
            return energy, state

        energies, states = jax.vmap(one)(*batch)
        grads = model.batch_hebbian_gradients(states, PCN.Inputs(*batch), reduce="mean")
        return jnp.mean(energies), grads


class EndToEndObjective(eqx.Module):
    """`(model, (x, y)) -> (loss, grads)`: the loss of the prediction after `steps` inference
    steps from rest with the label free, differentiated through `dynax.simulate` by
    `eqx.filter_value_and_grad`. `loss`: `"squared_error"` (`½‖μ_L − y‖²`, batch mean) or
    `"cross_entropy"` (softmax cross-entropy of `μ_L`)."""

    steps: int = eqx.field(static=True)
    dt: float = eqx.field(static=True)
    loss: str = eqx.field(static=True, default="squared_error")

    def __call__(self, model: PredictiveCodingNetwork, batch):
        x, y = batch

        def loss(model):
            out = predict(model, x, steps=self.steps, dt=self.dt, from_rest=True)
            if self.loss == "cross_entropy":
                return jnp.mean(optax.softmax_cross_entropy(out, y))
            return 0.5 * jnp.mean(jnp.sum((out - y) ** 2, axis=-1))

        return eqx.filter_value_and_grad(loss)(model)


def train_hebbian(
    data: Split,
    *,
    sizes: Sequence[int] = (64, 128, 10),
    act_fx: str = "relu",
    epochs: int = 10,
    batch_size: int = 32,
    learning_rate: float = 3e-3,
    steps: int = 10,
    dt: float = 1.0,
    tau_m: float = 5.0,
    seed: int = 0,
    on_epoch: EpochCallback | None = None,
) -> tuple[PredictiveCodingNetwork, dict[str, np.ndarray]]:
    """Local Hebbian training (see the module docstring) with `optax.adam(learning_rate)`;
    accuracies are those of the feedforward prediction; `on_epoch` as `dynax.training.fit`'s.

    **Returns:** the trained network and per-epoch arrays `loss` (mean energy F at the
    relaxed states), `train_accuracy` and `test_accuracy`.
    """
    return _train(
        data,
        HebbianObjective(steps=steps, dt=dt),
        sizes=sizes,
        act_fx=act_fx,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        tau_m=tau_m,
        seed=seed,
        on_epoch=on_epoch,
        evaluation=dict(steps=0, dt=dt, from_rest=False),
    )


def train_end_to_end(
    data: Split,
    *,
    sizes: Sequence[int] = (64, 128, 10),
    act_fx: str = "relu",
    epochs: int = 10,
    batch_size: int = 32,
    learning_rate: float = 3e-3,
    steps: int = 10,
    dt: float = 1.0,
    tau_m: float = 5.0,
    loss: str = "squared_error",
    seed: int = 0,
    on_epoch: EpochCallback | None = None,
) -> tuple[PredictiveCodingNetwork, dict[str, np.ndarray]]:
    """End-to-end training through the inference dynamics (see the module docstring) with
    `optax.adam(learning_rate)`; accuracies are those of the prediction after `steps` steps
    from rest. `loss`: `"squared_error"` (the top layer's energy, what the Hebbian rule
    descends) or `"cross_entropy"` (softmax of `μ_L`); `on_epoch` as `dynax.training.fit`'s.

    **Returns:** the trained network and per-epoch arrays `loss` (the mean minibatch loss),
    `train_accuracy` and `test_accuracy`.
    """
    if loss not in ("squared_error", "cross_entropy"):
        raise ValueError(
            f"train_end_to_end: `loss` must be 'squared_error' or 'cross_entropy', got {loss!r}."
        )
    return _train(
        data,
        EndToEndObjective(steps=steps, dt=dt, loss=loss),
        sizes=sizes,
        act_fx=act_fx,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        tau_m=tau_m,
        seed=seed,
        on_epoch=on_epoch,
        evaluation=dict(steps=steps, dt=dt, from_rest=True),
    )


def _train(
    data,
    objective,
    *,
    sizes,
    act_fx,
    epochs,
    batch_size,
    learning_rate,
    tau_m,
    seed,
    evaluation,
    on_epoch,
):
    init_key, shuffle_key = jax.random.split(jax.random.key(seed))
    model = make_network(sizes, key=init_key, act_fx=act_fx, tau_m=tau_m)
    return fit(
        model,
        optax.adam(learning_rate),
        objective,
        (data.x_train, data.y_train),
        epochs=epochs,
        batch_size=batch_size,
        key=shuffle_key,
        filter_spec=synaptic_parameters(model),
        evaluate=_evaluator(data, **evaluation),
        on_epoch=on_epoch,
    )


def _evaluator(data: Split, *, steps: int, dt: float, from_rest: bool):
    x_train, y_train = jnp.asarray(data.x_train), jnp.asarray(data.y_train)
    x_test, y_test = jnp.asarray(data.x_test), jnp.asarray(data.y_test)

    def evaluate(model):
        return _accuracies(model, x_train, y_train, x_test, y_test, steps, dt, from_rest)

    return evaluate


@eqx.filter_jit
def _accuracies(model, x_train, y_train, x_test, y_test, steps, dt, from_rest):
    def score(x, y):
        return accuracy(predict(model, x, steps=steps, dt=dt, from_rest=from_rest), y)

    return {"train_accuracy": score(x_train, y_train), "test_accuracy": score(x_test, y_test)}


def main() -> None:
    """Trains both ways on the digits and prints the per-epoch test accuracy."""
    import time

    from ..datasets import load_digits

    data = load_digits()
    print(f"digits: {len(data.x_train)} training and {len(data.x_test)} test images")
    for name, train in (("local Hebbian", train_hebbian), ("end to end", train_end_to_end)):
        start = time.perf_counter()
        _, history = train(data)
        seconds = time.perf_counter() - start
        curve = " ".join(f"{a:.3f}" for a in history["test_accuracy"])
        print(f"{name:>14}: test accuracy per epoch {curve} ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
