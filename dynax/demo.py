"""The showcase behind `make demo`: four models trained on scikit-learn's 8×8 digits.

1. A predictive-coding network (64-128-10, ReLU rate cells, Gaussian error cells) trained
   by the local Hebbian rule, then the same network trained by `jax.grad` through its
   inference dynamics (`dynax.examples.predictive_coding_digits`).
2. A spiking classifier (Poisson encoder, 128 LIF units, leaky readout) trained with
   surrogate gradients through `dynax.simulate` (`dynax.examples.spiking_digits`).
3. Delayed digit recall with per-neuron membrane time constants trained, against the same
   network with frozen ones (`dynax.examples.learnable_dynamics`).

It prints one progress line per epoch, then a table of test accuracies and wall times
(compilation included), and writes `learning_curves.png`, `spike_raster.png` and
`voltage_traces.png` to the output folder (one AdEx neuron's voltage under a current step,
and the hidden LIF voltages of the trained classifier). Everything is seeded.

    python -m dynax.demo [--out demo-output] [--quick]

`--quick` trains each model for two epochs (a smoke test of the whole showcase, used by the
test suite); the accuracies it prints are then far from the converged ones.
"""

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .datasets import Split, load_digits
from .examples import learnable_dynamics, predictive_coding_digits, spiking_digits
from .neurons.spiking.adex_cell import AdExCell
from .simulate import simulate

PLOTS = ("learning_curves.png", "spike_raster.png", "voltage_traces.png")
"""The files `main` writes to its output folder."""


SHOWN = ("loss", "train_accuracy", "test_accuracy")
"""The metrics of the per-epoch progress lines."""


class Run(NamedTuple):
    """One trained model: its table row and its per-epoch history."""

    name: str
    rule: str
    model: Any
    history: dict[str, np.ndarray]
    seconds: float


def _progress(name: str, epochs: int) -> Callable[[int, dict[str, float]], None]:
    def report(epoch: int, metrics: dict[str, float]) -> None:
        shown = "  ".join(f"{key} {metrics[key]:.3f}" for key in SHOWN if key in metrics)
        print(f"  {name:<24} epoch {epoch + 1:>2}/{epochs}  {shown}", flush=True)

    return report


def _timed(name: str, rule: str, epochs: int, train: Callable[..., tuple]) -> Run:
    start = time.perf_counter()
    model, history = train(epochs=epochs, on_epoch=_progress(name, epochs))
    return Run(name, rule, model, history, time.perf_counter() - start)


def train_all(data: Split, *, quick: bool = False) -> list[Run]:
    """Trains the four models of the module docstring (two epochs each with `quick`)."""

    def epochs(full: int) -> int:
        return 2 if quick else full

    pcd, sd, ld = predictive_coding_digits, spiking_digits, learnable_dynamics
    runs = [
        _timed(
            "PC network",
            "local Hebbian",
            epochs(10),
            lambda **kw: pcd.train_hebbian(data, **kw),
        ),
        _timed(
            "PC network",
            "grad through inference",
            epochs(10),
            lambda **kw: pcd.train_end_to_end(data, **kw),
        ),
        _timed(
            "spiking LIF (Poisson in)",
            "surrogate gradients",
            epochs(15),
            lambda **kw: sd.train(data, **kw),
        ),
    ]
    optimiser = ld.default_optimiser()  # one object: the two runs share a compiled epoch
    for label, train_tau in (("frozen τ_m", ()), ("trained τ_m", ld.POPULATIONS)):
        runs.append(
            _timed(
                f"delayed recall, {label}",
                "surrogate gradients",
                epochs(10),
                lambda train_tau=train_tau, **kw: ld.train(
                    data, train_tau=train_tau, optimiser=optimiser, **kw
                ),
            )
        )
    return runs


def table(runs: Sequence[Run]) -> str:
    """The summary table: model, learning rule, final test accuracy, wall time."""
    rows = [("model", "learning", "test accuracy", "time (s)")]
    rows += [
        (run.name, run.rule, f"{run.history['test_accuracy'][-1]:.3f}", f"{run.seconds:.1f}")
        for run in runs
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def adex_voltage_trace(
    *, duration: float = 400.0, dt: float = 0.1, current: float = 25.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One AdEx neuron (defaults) at rest, then a current step of `current` from 50 ms to
    `duration − 50` ms. Returns `(t, j, v)` (v after the reset, with the spikes drawn to
    the threshold's top for the plot)."""
    cell = AdExCell(n_units=1)
    t = np.arange(1, round(duration / dt) + 1) * dt
    j = np.where((t > 50.0) & (t <= duration - 50.0), current, 0.0).astype(np.float32)
    _, (v, s) = simulate(
        cell,
        cell.init_state(),
        AdExCell.Inputs(j=jnp.asarray(j)[:, None]),
        dt=dt,
        record=lambda state: (state.v[0], state.s[0]),
    )
    v = np.where(np.asarray(s) > 0, float(cell.thr), np.asarray(v))
    return t, j, v


def plot(runs: Sequence[Run], data: Split, out: Path) -> list[Path]:
    """Writes the three figures of the module docstring to `out`; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / name for name in PLOTS]

    fig, (acc_ax, loss_ax) = plt.subplots(1, 2, figsize=(11, 4))
    for run in runs:
        epochs = np.arange(1, len(run.history["test_accuracy"]) + 1)
        label = f"{run.name} ({run.rule})"
        acc_ax.plot(epochs, run.history["test_accuracy"], marker="o", ms=3, label=label)
        loss_ax.plot(epochs, run.history["loss"], marker="o", ms=3, label=label)
    acc_ax.set(xlabel="epoch", ylabel="held-out accuracy", title="test accuracy")
    loss_ax.set(xlabel="epoch", ylabel="training loss", yscale="log", title="training loss")
    acc_ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(paths[0], dpi=120)
    plt.close(fig)

    classifier = next(run.model for run in runs if run.name.startswith("spiking"))
    trace = spiking_digits.run(classifier, data.x_test[0], jax.random.key(0), num_steps=25)
    label = int(np.argmax(data.y_test[0]))
    fig, (in_ax, hid_ax) = plt.subplots(1, 2, figsize=(11, 4))
    for ax, spikes, title in (
        (in_ax, trace.input_spikes, f"Poisson input (test digit {label})"),
        (hid_ax, trace.hidden_spikes, "hidden LIF spikes"),
    ):
        steps, units = np.nonzero(np.asarray(spikes))
        ax.scatter(steps, units, s=4, marker="|", color="k")
        ax.set(xlabel="step (1 ms)", ylabel="unit", title=title)
    fig.tight_layout()
    fig.savefig(paths[1], dpi=120)
    plt.close(fig)

    t, j, v = adex_voltage_trace()
    fig, (adex_ax, lif_ax) = plt.subplots(1, 2, figsize=(11, 4))
    adex_ax.plot(t, v, lw=0.8)
    adex_ax.set(xlabel="time (ms)", ylabel="v (mV)", title="AdEx neuron (defaults), step j = 25")
    current_ax = adex_ax.twinx()
    current_ax.plot(t, j, color="tab:red", lw=0.8, alpha=0.5)
    current_ax.set_ylabel("j", color="tab:red")
    lif_ax.plot(np.asarray(trace.hidden_v)[:, :6], lw=0.9)
    lif_ax.axhline(float(classifier.hidden.thr), color="k", ls="--", lw=0.8, label="threshold")
    lif_ax.set(xlabel="step (1 ms)", ylabel="v", title="six hidden LIF units, after reset")
    lif_ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(paths[2], dpi=120)
    plt.close(fig)
    return paths


def main(argv: Sequence[str] | None = None) -> list[Run]:
    """Trains, prints the table, writes the plots (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m dynax.demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, default=Path("demo-output"), help="plot folder")
    parser.add_argument("--quick", action="store_true", help="two epochs per model")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    data = load_digits()
    print(
        f"dynax demo: digits, {len(data.x_train)} training and {len(data.x_test)} held-out "
        f"images; jax {jax.__version__} on {jax.default_backend()}",
        flush=True,
    )
    runs = train_all(data, quick=args.quick)
    paths = plot(runs, data, args.out)
    print()
    print(table(runs))
    print("(times include compilation; the two delayed-recall runs share one compiled epoch)")
    print()
    print("plots: " + ", ".join(str(path) for path in paths))
    print(f"total {time.perf_counter() - start:.1f} s")
    return runs


if __name__ == "__main__":
    main()
