"""The domain: orders and their lifecycle, stock, routing, pricing and promises. Pure: no I/O."""
