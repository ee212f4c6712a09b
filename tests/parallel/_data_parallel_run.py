"""Run in its own process with 8 CPU devices (see test_multi_device.py): a data-parallel
`simulate` over a sharded batch equals the single-device answer, for a rate cell and for a
recurrent spiking network whose event-driven STP synapse takes one skip flag for the batch."""

import jax
import jax.numpy as jnp
import numpy as np

from dynax.models.recurrent_spiking import RecurrentSpikingNetwork
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

network = RecurrentSpikingNetwork(64, key=jax.random.key(1))
currents = jnp.linspace(15.0, 35.0, 16)[:, None] * jnp.ones((16, 64))  # one drive per sample


def run_network(network, currents):
    states = jax.vmap(lambda _: network.init_state())(jnp.arange(currents.shape[0]))

    def one(state, current):
        held = RecurrentSpikingNetwork.Inputs(current=current)
        record = lambda s: s.cell.s  # noqa: E731
        return simulate(network, state, constant_inputs=held, num_steps=150, dt=0.5, record=record)

    return jax.vmap(one)(states, currents)


single_spikes = jax.jit(run_network)(*jax.device_put((network, currents), jax.devices()[0]))[1]
spikes = jax.jit(run_network)(replicate(network, mesh), shard_leading(currents, mesh))[1]
assert spikes.sharding.spec[0] == "batch", spikes.sharding
assert 0 < float(spikes.sum()) < spikes.size / 2
np.testing.assert_array_equal(spikes, single_spikes)
print("DATA-PARALLEL-OK")
