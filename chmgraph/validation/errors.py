"""Why validation could not run."""

from __future__ import annotations

from chmgraph.errors import InputError


class ShapesError(InputError):
    """Shapes that cannot be used (pySHACL reports a failure, e.g. a malformed shape)."""
