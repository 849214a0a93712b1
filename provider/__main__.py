"""The ``llmd`` Pulumi package: a component provider hosting :mod:`pulumi_llmd.package` (``pulumi package add``).

Pulumi runs this with the plugin folder's virtualenv (``PulumiPlugin.yaml``: ``runtime: python``). Like
``pulumi.provider.experimental.component_provider_host`` (``pulumi/provider/experimental/host.py``), it infers the
schema from the components' annotations and serves them, with the package's own schema
(:func:`pulumi_llmd.package.schema`: references between its components are local) and resource references that
resolve to the components this process constructed (:func:`pulumi_llmd.package.register_references`).
"""

import json
import sys

from pulumi import Inputs
from pulumi.provider import main
from pulumi.provider.experimental.analyzer import ComponentDefinition
from pulumi.provider.experimental.component import ComponentProvider

from pulumi_llmd import package


class LlmdProvider(ComponentProvider):
    """The analyzer's component provider, serving the schema of :func:`pulumi_llmd.package.schema`."""

    def __init__(self) -> None:
        super().__init__(package.COMPONENTS, package.PACKAGE, package.NAMESPACE, package.VERSION)
        self.schema = json.dumps(package.schema())

    def map_inputs(self, inputs: Inputs, component_def: ComponentDefinition) -> Inputs:
        """The SDK's mapping (schema names to Python names, required inputs checked), then whole-number floats back
        to the ``int`` the component declares (:func:`pulumi_llmd.package.from_wire`: numbers travel as doubles)."""
        mapped = super().map_inputs(inputs, component_def)
        return package.from_wire(self._components[component_def.name], mapped)


if __name__ == "__main__":
    package.register_references()
    main(LlmdProvider(), sys.argv[1:])
