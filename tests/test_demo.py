"""`make demo` (`python -m dynax.demo`): the whole showcase runs, prints its table and writes
its plots; the AdEx trace it draws fires only while the current is on."""

import numpy as np

from dynax import demo

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_quick_demo_prints_the_table_and_writes_the_plots(tmp_path, capsys):
    runs = demo.main(["--quick", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert len(runs) == 5
    for run in runs:
        # Two epochs each in quick mode, every metric finite, better than chance (0.1).
        assert run.history["test_accuracy"].shape == (2,)
        assert all(np.all(np.isfinite(values)) for values in run.history.values())
        assert run.history["test_accuracy"][-1] > 0.2, run
        assert f"{run.history['test_accuracy'][-1]:.3f}" in printed
    assert printed.count("epoch  2/2") == 5  # one progress line per epoch and model
    for name in demo.PLOTS:
        path = tmp_path / name
        assert path.read_bytes()[:8] == PNG_SIGNATURE, name
        assert path.stat().st_size > 10_000, name  # a drawn figure, not an empty canvas


def test_adex_trace_spikes_only_under_the_current_step():
    t, j, v = demo.adex_voltage_trace(duration=400.0, dt=0.1, current=25.0)
    spiking = v >= 5.0  # the plot draws spikes up to the threshold, 5 mV
    assert 4 <= np.sum(spiking[1:] & ~spiking[:-1]) <= 40  # tonic firing, then adaptation
    assert not np.any(spiking[t <= 50.0])  # rest before the step
    assert not np.any(spiking[t > 360.0])  # silent again 10 ms after it ends
    assert np.all(j[(t > 50.0) & (t <= 350.0)] == 25.0)
