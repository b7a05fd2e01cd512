"""Who may write: the bearer token of a request, checked against the credentials file.

A token never appears in a message or a log line: errors name the credential's public id at
most.
"""

from __future__ import annotations

from starlette.requests import Request

from chmgraph.credentials import WriteCredential, bearer
from chmgraph.server.http import HttpError
from chmgraph.server.service import Service

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="chmgraph"'}


def credential(request: Request, service: Service) -> WriteCredential:
    """The credential the request's ``Authorization: Bearer`` proves; 401 without one."""
    token = bearer(request.headers.get("authorization"))
    if token is None:
        raise HttpError(
            401,
            "writing needs a credential: send Authorization: Bearer TOKEN (a steward's token "
            "comes from `chmgraph token create COUNTRY`)",
            _CHALLENGE,
        )
    found = service.credentials.verify(token)
    if found is None:
        raise HttpError(401, "the credential sent is not valid (unknown or revoked)", _CHALLENGE)
    return found


def may_write_national(request: Request, service: Service, country: str) -> WriteCredential:
    """The credential of ``country``'s steward; 403 for any other (an admin's included: the
    Secretariat does not write national graphs)."""
    found = credential(request, service)
    if not found.may_write_national(country):
        whose = "an admin credential" if found.admin else f"a credential of {found.country}"
        raise HttpError(403, f"{country}'s graph can be written only by {country}; this is {whose}")
    return found


def may_write_secretariat(request: Request, service: Service) -> WriteCredential:
    """An admin credential (the Secretariat's graphs, SPARQL Update); 403 for a steward's."""
    found = credential(request, service)
    if not found.admin:
        raise HttpError(
            403,
            f"this needs an admin credential; a credential of {found.country} writes only "
            f"{found.country}'s national graph (PUT /store?graph=... or POST /api/submissions/"
            f"{found.country})",
        )
    return found
