"""One construct per concern of the OMS stack: data, functions, messaging, workflow, api, monitoring."""
