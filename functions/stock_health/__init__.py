"""Stock health: stock changes from the inventory table's stream, and the daily run."""
