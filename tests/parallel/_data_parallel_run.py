"""Run in its own process with 8 CPU devices (see test_multi_device.py): a data-parallel
`simulate` over a sharded batch equals the single-device answer."""

import jax
import jax.numpy as jnp
import numpy as np

from dynax.neurons.graded.rate_cell import RateCell
from dynax.parallel import make_mesh, replicate, shard_leading
from dynax.simulate import simulate

assert jax.device_count() == 8, jax.devices()
cell = RateCell(16, jnp.linspace(2.0, 9.0, 16), act_fx="tanh", prior=("cauchy", 0.4))
drive = jax.random.normal(jax.random.key(0), (32, 50, 16))  # (batch, time, units)


def run(cell, drive):
    states = jax.vmap(lambda _: cell.init_state())(jnp.arange(drive.shape[0]))
    return jax.vmap(lambda s, j: simulate(cell, s, RateCell.Inputs(j), dt=0.5))(states, drive)


single_final, single_rec = jax.jit(run)(*jax.device_put((cell, drive), jax.devices()[0]))

mesh = make_mesh("batch")
sharded_drive = shard_leading(drive, mesh)
final, recorded = jax.jit(run)(replicate(cell, mesh), sharded_drive)

assert len(final.z.sharding.device_set) == 8, final.z.sharding
assert final.z.sharding.spec[0] == "batch", final.z.sharding
np.testing.assert_allclose(final.z, single_final.z, rtol=1e-6, atol=1e-7)
np.testing.assert_allclose(recorded.zF, single_rec.zF, rtol=1e-6, atol=1e-7)
print("DATA-PARALLEL-OK")
