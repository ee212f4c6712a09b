"""Registry entries of the encoders."""

COMPONENTS: dict = {}
