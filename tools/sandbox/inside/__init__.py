"""Dependency-free modules that run inside the sandbox, put on its PYTHONPATH as a folder (not imported here)."""
