"""Registry entries of the models."""

COMPONENTS: dict = {}
