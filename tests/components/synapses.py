"""Registry entries of the synapses."""

COMPONENTS: dict = {}
