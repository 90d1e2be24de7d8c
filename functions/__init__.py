"""Lambda entry points: one package per function, each thin over the `oms` domain."""
