"""Channel stock: what the inventory table's stream says changed, published to the channels; and the resync."""
