"""Adapters that implement the ports: sandboxes that behave like the real systems, and real vendors."""
