"""One of two processes (see test_multi_host.py): each has 2 CPU devices; together they form a
global 4-device mesh, feed their own half of the batch, and check a sharded `simulate`."""

import sys

import jax

process_id, port = int(sys.argv[1]), sys.argv[2]
jax.config.update("jax_platforms", "cpu")
jax.distributed.initialize(
    coordinator_address=f"127.0.0.1:{port}", num_processes=2, process_id=process_id
)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.experimental import multihost_utils  # noqa: E402

from dynax.neurons.graded.rate_cell import RateCell  # noqa: E402
from dynax.parallel import make_mesh, replicate, shard_leading  # noqa: E402
from dynax.simulate import simulate  # noqa: E402

assert jax.process_count() == 2 and jax.device_count() == 4 and jax.local_device_count() == 2
cell = RateCell(6, 3.0, act_fx="tanh", integration_type="rk4")
drive = np.asarray(jax.random.normal(jax.random.key(0), (8, 30, 6)))  # the global batch


def run(cell, drive):
    states = jax.vmap(lambda _: cell.init_state())(jnp.arange(drive.shape[0]))
    final, _ = jax.vmap(lambda s, j: simulate(cell, s, RateCell.Inputs(j), dt=0.25))(states, drive)
    return final.z


mesh = make_mesh("batch")  # spans both processes
mine = drive[process_id * 4 : (process_id + 1) * 4]
z = jax.jit(run)(replicate(cell, mesh), shard_leading(mine, mesh, process_local=True))
assert not z.is_fully_addressable  # a global array: half of it lives in the other process
gathered = multihost_utils.process_allgather(z, tiled=True)
expected = jax.jit(run)(*jax.device_put((cell, jnp.asarray(drive)), jax.local_devices()[0]))
np.testing.assert_allclose(gathered, expected, rtol=1e-6, atol=1e-7)
print(f"MULTI-HOST-OK {process_id}", flush=True)
jax.distributed.shutdown()
