"""The embedded local runtime: runs the synthesized cloud assembly in one process for `make run`."""
