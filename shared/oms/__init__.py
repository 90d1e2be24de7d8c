"""The OMS domain: models, inventory, routing, pricing, order lifecycle, ports and their adapters."""

import os

# No function installs a Pydantic plugin; without this, the first model any function builds scans the
# entry points of every installed distribution looking for one (a few ms of every cold start). An
# environment that sets the variable itself keeps its own value.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
