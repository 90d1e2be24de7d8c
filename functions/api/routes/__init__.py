"""One module per group of routes; each declares its routes on a Powertools Router."""
