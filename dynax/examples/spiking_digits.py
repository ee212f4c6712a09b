r"""A spiking classifier of scikit-learn's 8×8 digits, trained with surrogate gradients.

The network (`SpikingClassifier`, one sample, advanced by `dynax.simulate`) is a chain of
dynax cells updated in order within each step of `dt` (a feedforward pass, no synaptic
delay between layers):

    x ─▶ PoissonCell ─▶ DenseSynapse ─▶ LIFCell (hidden) ─▶ DenseSynapse ─▶ RateCell (readout)

- the encoder turns each pixel intensity `x_i ∈ [0, 1]` into a Poisson spike train of rate
  `x_i·target_freq` (omit it, `encoder=None`, to inject `x` as a current);
- the hidden LIF units (`v_rest = v_reset = 0`, threshold 1, no refractory period, no
  threshold adaptation) spike with `s = H(v − thr)` whose gradient is the surrogate's;
- the readout units are leaky and do not spike: `τ_out dz/dt = −z + j` (a RateCell with a
  gaussian prior of weight 1 and the identity activation), and the logits are the mean of
  `z` over the run.

`train` minimises the softmax cross-entropy of those logits by `jax.grad` through the whole
`lax.scan` of the run (backpropagation through time with the surrogate), with adam, a jitted
epoch (`lax.scan` over minibatches, `vmap` over each minibatch) and fresh Poisson draws for
every minibatch. It returns the trained network and per-epoch curves; `run` returns the
traces (input spikes, hidden spikes and voltages, readout potentials) of one sample for a
raster plot. Everything is seeded: the same arguments give the same numbers.

With the defaults (128 hidden LIF units, 25 steps of 1 ms, 500 Hz, 15 epochs of minibatches
of 64, adam 2e-2, seed 0) the held-out accuracy is 0.95 (0.93–0.95 over seeds 0–2), in about
14 s of CPU time, half of it compiling. `make_classifier(hidden=adex_hidden(n))` swaps the
LIF units for AdEx units (0.94 with `dynax.training.fit_keyed` as in `train`).

```python
data = dynax.datasets.load_digits()
model, history = train(data)                    # history["test_accuracy"], ["loss"], ...
trace = run(model, data.x_test[0], jax.random.key(0))
plt.imshow(trace.hidden_spikes.T, aspect="auto", cmap="binary")   # raster (unit × step)
plt.plot(trace.hidden_v[:, :5])                                   # voltages of 5 units
```
"""

from typing import Any, ClassVar, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray, PyTree

from .._core import AbstractCell
from .._typing import TimeStep
from ..datasets import Split
from ..encoders._base import SpikeTrainState
from ..encoders.poisson_cell import PoissonCell
from ..neurons.graded.rate_cell import RateCell, RateCellState
from ..neurons.spiking.adex_cell import AdExCell
from ..neurons.spiking.lif_cell import LIFCell
from ..simulate import simulate
from ..surrogate import AbstractSurrogate, FastSigmoid
from ..synapses.dense_synapse import DenseSynapse, DenseSynapseState
from ..training import EpochCallback, accuracy, fit_keyed

# ---------------------------------------------------------------------------------- model


class SpikingClassifierState(eqx.Module):
    """The states of the layers: `encoder` (`None` without an encoder; its `outputs` are the
    input spikes), `hidden_in` / `readout_in` (the synapses; `outputs` is the current they
    deliver), `hidden` (spikes `s`, voltages `v`) and `readout` (potentials `z`)."""

    encoder: SpikeTrainState | None
    hidden_in: DenseSynapseState
    hidden: PyTree
    readout_in: DenseSynapseState
    readout: RateCellState


class SpikingClassifierInputs(eqx.Module):
    """`x`: the input of this step, `(n_in,)` (pixel intensities in [0, 1] for the encoder, or
    a current without one)."""

    x: Float[Array, " n_in"]


class SpikingClassifier(AbstractCell):
    """`encoder → hidden_in → hidden → readout_in → readout`, updated in that order within a
    step (see the module docstring). `hidden` may be any spiking cell whose `Inputs` is a
    current `j` and whose state has spikes `s` (LIFCell, AdExCell, ...); `readout` is a
    leaky RateCell. Build one with `make_classifier`.

    **Arguments (fields):** `encoder` (a `PoissonCell` or `None`), `hidden_in`
    (`DenseSynapse` n_in → n_hidden), `hidden` (the spiking cell), `readout_in`
    (`DenseSynapse` n_hidden → n_out), `readout` (`RateCell`).
    """

    State: ClassVar = SpikingClassifierState
    Inputs: ClassVar = SpikingClassifierInputs

    encoder: PoissonCell | None
    hidden_in: DenseSynapse
    hidden: AbstractCell
    readout_in: DenseSynapse
    readout: RateCell

    def __check_init__(self):
        owner = type(self).__name__
        pairs = [
            ("hidden_in.n_out", self.hidden_in.n_out, "hidden.n_units", self.hidden.n_units),
            ("hidden.n_units", self.hidden.n_units, "readout_in.n_in", self.readout_in.n_in),
            ("readout_in.n_out", self.readout_in.n_out, "readout.n_units", self.readout.n_units),
        ]
        if self.encoder is not None:
            pairs.insert(
                0, ("encoder.n_units", self.encoder.n_units, "hidden_in.n_in", self.hidden_in.n_in)
            )
        for name_a, a, name_b, b in pairs:
            if a != b:
                raise ValueError(f"{owner}: `{name_a}` ({a}) must equal `{name_b}` ({b}).")

    @property
    def n_in(self) -> int:
        return self.hidden_in.n_in

    @property
    def n_hidden(self) -> int:
        return self.hidden.n_units

    @property
    def n_out(self) -> int:
        return self.readout.n_units

    def init_state(self, *, key: PRNGKeyArray | None = None) -> SpikingClassifierState:
        """Every layer at rest."""
        return SpikingClassifierState(
            encoder=None if self.encoder is None else self.encoder.init_state(),
            hidden_in=self.hidden_in.init_state(),
            hidden=self.hidden.init_state(),
            readout_in=self.readout_in.init_state(),
            readout=self.readout.init_state(),
        )

    def step(
        self,
        state: SpikingClassifierState,
        inputs: SpikingClassifierInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> SpikingClassifierState:
        """One step of every layer, in order; `key` is needed by the encoder only."""
        self.check_step(state, inputs, dt)
        x = inputs.x
        encoder = None
        if self.encoder is not None:
            encoder = self.encoder.step(state.encoder, PoissonCell.Inputs(inputs=x), key, dt)
            x = encoder.outputs
        hidden_in = self.hidden_in.step(state.hidden_in, DenseSynapse.Inputs(inputs=x), None, dt)
        hidden_inputs = type(self.hidden).Inputs(j=hidden_in.outputs)
        hidden = self.hidden.step(state.hidden, hidden_inputs, None, dt)
        readout_in = self.readout_in.step(
            state.readout_in, DenseSynapse.Inputs(inputs=hidden.s), None, dt
        )
        readout = self.readout.step(state.readout, RateCell.Inputs(j=readout_in.outputs), None, dt)
        return SpikingClassifierState(
            encoder=encoder,
            hidden_in=hidden_in,
            hidden=hidden,
            readout_in=readout_in,
            readout=readout,
        )


def make_classifier(
    n_in: int = 64,
    n_hidden: int = 128,
    n_out: int = 10,
    *,
    key: PRNGKeyArray,
    target_freq: float | None = 500.0,
    tau_m: Any = 10.0,
    tau_out: Any = 5.0,
    thr: float = 1.0,
    surrogate: AbstractSurrogate | None = None,
    input_gain: float = 3.0,
    readout_gain: float = 1.0,
    hidden: AbstractCell | None = None,
) -> SpikingClassifier:
    """A `SpikingClassifier` with LIF hidden units and a leaky readout.

    **Arguments:**

    - `n_in`, `n_hidden`, `n_out`: layer sizes.
    - `key`: draws the weights.
    - `target_freq`: the encoder's rate (Hz) for an intensity of 1; `None`: no encoder (`x` is
        injected as a current).
    - `tau_m`: the hidden membrane time constants (ms; a scalar or `(n_hidden,)`).
    - `tau_out`: the readout time constants (ms; a scalar or `(n_out,)`).
    - `thr`: the hidden threshold (rest and reset at 0).
    - `surrogate`: the spike's surrogate; default `FastSigmoid(alpha=5)`, sized for a
        threshold of 1.
    - `input_gain`, `readout_gain`: the weights are `gain·N(0, 1/fan_in)`.
    - `hidden`: another spiking cell of `n_hidden` units (e.g. an `AdExCell`) to use
        instead of the LIF units (`tau_m`, `thr` and `surrogate` then do not apply).
    """
    k_in, k_out = jax.random.split(key)
    surrogate = FastSigmoid(alpha=5.0) if surrogate is None else surrogate
    encoder = None if target_freq is None else PoissonCell(n_in, target_freq=target_freq)
    if hidden is None:
        hidden = LIFCell(
            n_hidden,
            tau_m=tau_m,
            thr=thr,
            v_rest=0.0,
            v_reset=0.0,
            tau_theta=0.0,
            refract_time=0.0,
            surrogate_type=surrogate,
        )
    readout = RateCell(n_out, tau_m=tau_out, prior=("gaussian", 1.0))
    return SpikingClassifier(
        encoder=encoder,
        hidden_in=DenseSynapse(
            (n_in, n_hidden), _gaussian_weights(k_in, n_in, n_hidden, input_gain)
        ),
        hidden=hidden,
        readout_in=DenseSynapse(
            (n_hidden, n_out), _gaussian_weights(k_out, n_hidden, n_out, readout_gain)
        ),
        readout=readout,
    )


def adex_hidden(n_units: int = 128, **overrides) -> AdExCell:
    """AdEx units on the LIF units' scale (rest and reset at 0, spike cut-off at 1, the
    exponential's soft threshold at 0.8 with slope 0.1, spike-triggered adaptation `b = 0.05`
    with τ_w = 100 ms, τ_m = 10 ms, `FastSigmoid(alpha=5)`), for
    `make_classifier(hidden=adex_hidden(n))`. `overrides` go to `AdExCell`."""
    params = dict(
        tau_m=10.0,
        tau_w=100.0,
        v_sharpness=0.1,
        intrinsic_mem_thr=0.8,
        thr=1.0,
        v_rest=0.0,
        v_reset=0.0,
        a=0.0,
        b=0.05,
        v0=0.0,
        w0=0.0,
        surrogate=FastSigmoid(alpha=5.0),
    )
    return AdExCell(n_units, **{**params, **overrides})


def _gaussian_weights(key, n_in, n_out, gain):
    return gain * jax.random.normal(key, (n_in, n_out)) / np.sqrt(n_in)


def weights(model: SpikingClassifier):
    """An equinox filter spec selecting the two weight matrices (what `train` learns)."""
    spec = jax.tree.map(lambda _: False, model)
    spec = eqx.tree_at(lambda m: m.hidden_in.weights, spec, True)
    return eqx.tree_at(lambda m: m.readout_in.weights, spec, True)


# ------------------------------------------------------------------------------- running


class Trace(NamedTuple):
    """The record of one run, each of shape `(num_steps, n)`: `input_spikes` (the encoder's
    output; the input itself without an encoder), `hidden_spikes`, `hidden_v` (the hidden
    voltages after the reset), `readout` (the readout potentials `z`)."""

    input_spikes: Float[Array, "time n_in"]
    hidden_spikes: Float[Array, "time n_hidden"]
    hidden_v: Float[Array, "time n_hidden"]
    readout: Float[Array, "time n_out"]


def _as_sequence(x: ArrayLike, num_steps: int | None) -> Array:
    """`x` of shape `(n_in,)` held for `num_steps` steps, or a sequence `(T, n_in)` as is."""
    x = jnp.asarray(x)
    if x.ndim == 1:
        if num_steps is None:
            raise ValueError("a constant input `(n_in,)` needs `num_steps`.")
        return jnp.broadcast_to(x, (num_steps, *x.shape))
    return x


@eqx.filter_jit
def run(
    model: SpikingClassifier,
    x: Float[Array, " n_in"] | Float[Array, "time n_in"],
    key: PRNGKeyArray | None,
    *,
    num_steps: int | None = 25,
    dt: float = 1.0,
) -> Trace:
    """The traces of one sample: `x` is held constant for `num_steps` steps, or is a sequence
    `(T, n_in)` (then `num_steps` is ignored). For raster plots and voltage traces. Jitted
    (`num_steps` and `dt` are static)."""
    xs = _as_sequence(x, num_steps)

    def record(state):
        spikes = state.hidden_in.delayed_inputs
        return Trace(spikes, state.hidden.s, state.hidden.v, state.readout.z)

    inputs = SpikingClassifier.Inputs(x=xs)
    return simulate(model, model.init_state(), inputs, key=key, dt=dt, record=record)[1]


def readout_trace(
    model: SpikingClassifier,
    x: Float[Array, " n_in"] | Float[Array, "time n_in"],
    key: PRNGKeyArray | None,
    *,
    num_steps: int | None = 25,
    dt: float = 1.0,
    checkpoint_every: int | None = None,
) -> Float[Array, "time n_out"]:
    """The readout potentials `z` at every step of one sample (differentiable)."""
    xs = _as_sequence(x, num_steps)
    inputs = SpikingClassifier.Inputs(x=xs)
    _, z = simulate(
        model,
        model.init_state(),
        inputs,
        key=key,
        dt=dt,
        record=lambda s: s.readout.z,
        checkpoint_every=checkpoint_every,
    )
    return z


@eqx.filter_jit
def logits(
    model: SpikingClassifier,
    x: Float[Array, "batch n_in"],
    key: PRNGKeyArray | None,
    *,
    num_steps: int = 25,
    dt: float = 1.0,
) -> Float[Array, "batch n_out"]:
    """The logits of a batch: the readout potentials averaged over the run (`vmap` over the
    batch, one key per sample split from `key`; `key=None` without an encoder). Jitted."""
    keys = None if key is None else jax.random.split(key, x.shape[0])

    def one(x, k):
        return jnp.mean(readout_trace(model, x, k, num_steps=num_steps, dt=dt), axis=0)

    return jax.vmap(one)(x, keys)


# ------------------------------------------------------------------------------ training


class CrossEntropy(eqx.Module):
    """`(model, (x, y), key) -> (loss, grads, metrics)` for a minibatch: the mean softmax
    cross-entropy of `logits`, differentiated through `dynax.simulate` (surrogate gradients),
    and the minibatch accuracy."""

    num_steps: int = eqx.field(static=True)
    dt: float = eqx.field(static=True)

    def __call__(self, model, batch, key):
        x, y = batch

        def loss_fn(model):
            z = logits(model, x, key, num_steps=self.num_steps, dt=self.dt)
            return jnp.mean(optax.softmax_cross_entropy(z, y)), z

        (loss, z), grads = eqx.filter_value_and_grad(loss_fn, has_aux=True)(model)
        return loss, grads, {"train_accuracy": accuracy(z, y)}


@eqx.filter_jit
def evaluate_accuracy(model, x, y, key, *, num_steps: int = 25, dt: float = 1.0):
    """The accuracy of `model` on `(x, y)` (one-hot `y`), with the Poisson draws of `key`."""
    return accuracy(logits(model, x, key, num_steps=num_steps, dt=dt), y)


def train(
    data: Split,
    *,
    n_hidden: int = 128,
    epochs: int = 15,
    batch_size: int = 64,
    learning_rate: float = 2e-2,
    num_steps: int = 25,
    dt: float = 1.0,
    target_freq: float = 500.0,
    tau_m: float = 10.0,
    tau_out: float = 5.0,
    seed: int = 0,
    on_epoch: EpochCallback | None = None,
) -> tuple[SpikingClassifier, dict[str, np.ndarray]]:
    """Trains a `make_classifier` network on `data` (e.g. `dynax.datasets.load_digits()`) with
    adam on the two weight matrices, `num_steps` steps of `dt` ms per image; `on_epoch` as
    `dynax.training.fit`'s.

    **Returns:** `(model, history)`, history with per-epoch `"loss"` (mean minibatch
    cross-entropy), `"train_accuracy"` (mean minibatch accuracy during the epoch) and
    `"test_accuracy"` (on `data.x_test`, with the Poisson draws of the key
    `jax.random.split(jax.random.key(seed), 3)[2]`; the first two draw the weights and
    drive the training).
    """
    init_key, train_key, test_key = jax.random.split(jax.random.key(seed), 3)
    model = make_classifier(
        data.x_train.shape[1],
        n_hidden,
        data.y_train.shape[1],
        key=init_key,
        target_freq=target_freq,
        tau_m=tau_m,
        tau_out=tau_out,
    )
    x_test, y_test = jnp.asarray(data.x_test), jnp.asarray(data.y_test)

    def evaluate(model):
        score = evaluate_accuracy(model, x_test, y_test, test_key, num_steps=num_steps, dt=dt)
        return {"test_accuracy": score}

    return fit_keyed(
        model,
        optax.adam(learning_rate),
        CrossEntropy(num_steps=num_steps, dt=dt),
        (data.x_train, data.y_train),
        epochs=epochs,
        batch_size=batch_size,
        key=train_key,
        filter_spec=weights(model),
        evaluate=evaluate,
        on_epoch=on_epoch,
    )
