"""dynax."""
