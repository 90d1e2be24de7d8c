"""The OMS domain: models, inventory, routing, pricing, order lifecycle, ports and their adapters."""
