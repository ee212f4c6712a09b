"""The registry: one `support.registry.Component` for every public cell, synapse and network,
by family. `tests/test_contract.py` fails when a public component has no entry."""

from .encoders import COMPONENTS as ENCODERS
from .graded import COMPONENTS as GRADED
from .models import COMPONENTS as MODELS
from .spiking import COMPONENTS as SPIKING
from .synapses import COMPONENTS as SYNAPSES
from .traces import COMPONENTS as TRACES

REGISTRY = {**ENCODERS, **GRADED, **MODELS, **SPIKING, **SYNAPSES, **TRACES}
