"""Networks built from dynax cells and synapses."""

from .ei_network import EINetwork
from .predictive_coding import PredictiveCodingNetwork
from .recurrent_spiking import RecurrentSpikingNetwork

__all__ = ["EINetwork", "PredictiveCodingNetwork", "RecurrentSpikingNetwork"]
