"""Several devices on one host: each scenario runs in its own process with 8 CPU devices
(`XLA_FLAGS=--xla_force_host_platform_device_count=8` must be set before JAX starts)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def run_with_devices(script: str, count: int = 8, timeout: int = 300, args=()) -> str:
    env = dict(os.environ)
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={count}"
    env["JAX_PLATFORMS"] = "cpu"
    done = subprocess.run(
        [sys.executable, str(HERE / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.multiprocess
def test_data_parallel_simulate_equals_single_device():
    assert "DATA-PARALLEL-OK" in run_with_devices("_data_parallel_run.py")


@pytest.mark.multiprocess
@pytest.mark.parametrize("mode", ["pre", "syn"])
def test_model_parallel_network_equals_single_device(mode):
    out = run_with_devices("_model_parallel_run.py", args=["1024", mode])
    assert "MODEL-PARALLEL-OK" in out
