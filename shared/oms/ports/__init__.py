"""Ports: the small interfaces behind which every external system sits (tax, payment, carrier, ...)."""
