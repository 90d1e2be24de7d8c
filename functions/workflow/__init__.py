"""The workflow function."""
