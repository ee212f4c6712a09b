"""BrainPy (2.x, `brainpy.dyn`) versions of the SNN and POP workloads, for comparison.

Runs in its own virtual environment (BrainPy pins its own `brainstate`/`brainunit` stack):

    python -m venv /tmp/bp-venv && /tmp/bp-venv/bin/pip install brainpy brainstate
    /tmp/bp-venv/bin/python -m benchmarks.brainpy_adex --workload snn --resources presynaptic
    /tmp/bp-venv/bin/python -m benchmarks.brainpy_adex --workload pop --n 1000000

The same models as `benchmarks.snn` and `benchmarks.pop`: `bp.dyn.AdExIF` with ngclearn's
AdEx parameters and `method="euler"` (dt = 0.5), a hard reset (`v ← v_reset`, `w ← w + b`), a
constant drive of 25, and for the SNN a recurrent 1000×1000 weight matrix U(0, 0.5) whose
efficacy is `bp.dyn.STP` (Tsodyks–Markram, per presynaptic neuron: `size=n`; per synapse:
`size=(n, n)` gated by the presynaptic spike of the row). The time loop is
`brainpy.math.for_loop` (one jitted `lax.scan`) over `--steps` steps per call.
"""

import argparse
import time

import numpy as np

from ._harness import emit, per_step, result, time_call

DT = 0.5
DRIVE = 25.0
ADEX = dict(
    V_rest=-72.0,
    V_reset=-75.0,
    V_th=5.0,
    V_T=-55.0,
    delta_T=2.0,
    a=0.1,
    b=0.75,
    tau=15.0,
    tau_w=400.0,
    R=1.0,
)


def build(workload: str, n: int, steps: int, resources: str):
    import brainpy as bp
    import brainpy.math as bm
    import jax

    bm.set_dt(DT)
    neuron = bp.dyn.AdExIF(
        n,
        method="euler",
        V_initializer=bp.init.Constant(-70.0),
        w_initializer=bp.init.ZeroInit(),
        **ADEX,
    )
    if workload == "pop":

        class Pop(bp.DynamicalSystem):
            def __init__(self):
                super().__init__()
                self.neu = neuron

            def update(self):
                return self.neu(DRIVE)

        net = Pop()
    else:
        rng = np.random.default_rng(1)
        weights = bm.asarray(rng.uniform(0.0, 0.5, (n, n)).astype(np.float32))
        shape = n if resources == "presynaptic" else (n, n)
        resources_u = bm.asarray(rng.uniform(0.125, 0.175, shape).astype(np.float32))
        # τ_f, τ_d of the reference are in steps: in time units they are τ·dt
        stp = bp.dyn.STP(
            shape,
            keep_size=True,
            U=resources_u,
            tau_f=750.0 * DT,
            tau_d=50.0 * DT,
            method="euler",
        )

        class Net(bp.DynamicalSystem):
            def __init__(self):
                super().__init__()
                self.neu = neuron
                self.stp = stp
                self.w = weights
                self.current = bm.Variable(bm.zeros(n))

            def update(self):
                spikes = self.neu.spike.value.astype(np.float32)
                self.neu(self.current.value + DRIVE)
                if resources == "presynaptic":
                    efficacy = self.stp(spikes)
                    self.current.value = (spikes * efficacy) @ self.w
                else:
                    efficacy = self.stp(spikes[:, None])
                    self.current.value = spikes @ (self.w * efficacy)
                return spikes

        net = Net()

    def body(i):
        with bm.environment(dt=DT):
            bp.share.save(t=i * DT, dt=DT, i=i)
            net.update()

    indices = np.arange(steps)

    def call():
        bm.for_loop(body, indices, jit=True)
        jax.block_until_ready(net.neu.V.value)

    def spikes():
        return float(np.asarray(net.neu.spike.value).sum())

    return call, spikes, bp.__version__


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workload", choices=["snn", "pop"], required=True)
    parser.add_argument("--resources", choices=["synapse", "presynaptic"], default="synapse")
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    n = args.n or (1000 if args.workload == "snn" else 1_000_000)
    steps = args.steps or (500 if args.workload == "snn" else 100)
    start = time.perf_counter()
    call, spikes, version = build(args.workload, n, steps, args.resources)
    call()
    setup_s = time.perf_counter() - start
    timing = per_step(time_call(call, repeats=args.repeats, warmup=args.warmup), steps)
    if args.workload == "pop":
        from .pop import BYTES_PER_CELL

        name, moved = "pop", BYTES_PER_CELL * n
    else:
        from .snn import matrix_bytes

        name, moved = f"snn_{args.resources}", matrix_bytes(n, args.resources, "dynax")
    emit(
        result(
            name,
            "brainpy",
            "for_loop",
            {"n": n, "dt": DT, "steps": steps, "drive": DRIVE, "resources": args.resources},
            timing=timing,
            bytes_per_step=moved,
            gbytes_per_s=moved / timing["median_step_s"] / 1e9,
            spikes_last_step=spikes(),
            setup_and_first_call_s=setup_s,
            brainpy_version=version,
        )
    )


if __name__ == "__main__":
    main()
