"""Use cases, one module each: load through a unit of work, call the domain, commit."""
