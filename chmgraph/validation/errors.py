"""Why validation could not run. It then raises: no report, so nothing can be accepted on it."""

from __future__ import annotations

from chmgraph.errors import ChmgraphError, InputError


class ShapesError(InputError):
    """Shapes that cannot be used (pySHACL reports a failure, e.g. a malformed shape, or the
    files hold no shape at all)."""


class EngineError(ChmgraphError):
    """pySHACL failed while validating, or gave a report that contradicts itself."""


class NothingChecked(InputError):
    """No shape has a focus node in the data: SHACL would conform without checking anything."""
