"""Running the query library against a remote SPARQL 1.1 endpoint: ``chmgraph query --endpoint``.

The same preparation as a local run (parameters bound in a ``VALUES`` block, the SERVICE
allowlist checked before anything is sent), then one SPARQL 1.1 Protocol request through the
read-only ``RemoteStore.endpoint`` (the HTTP client every remote store uses): the graphs asked
for go as ``default-graph-uri`` and ``named-graph-uri``; without them the endpoint's own default
dataset answers. Entailment is the endpoint's own. Answers are parsed by pyoxigraph and read
within the same row cap and timeout; reads are retried with backoff when the connection fails,
and an answer the engine says it cut (``X-SPARQL-MaxRows``) or cut short is an error. Credentials
come from the ``endpoint_*`` settings or the netrc file's entry for the endpoint's host.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chmgraph.errors import InputError
from chmgraph.query.library import NamedQuery
from chmgraph.query.policy import check_services, read_within
from chmgraph.query.results import QueryResult
from chmgraph.query.run import resolve_graph
from chmgraph.query.text import PreparedQuery, prepare
from chmgraph.settings import Settings
from chmgraph.store import Credentials, RemoteStore


def run_remote(
    url: str,
    query: NamedQuery | str,
    *,
    params: Mapping[str, str] | None = None,
    graphs: Sequence[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
    settings: Settings | None = None,
) -> QueryResult:
    """Run ``query`` (a library query, or SPARQL text) at the endpoint ``url``.

    Raises what ``chmgraph.query.run_query`` raises, ``InputError`` when the endpoint refuses the
    query, and ``StoreError`` when it cannot be reached or cut its answer.
    """
    settings = settings or Settings.from_env()
    if isinstance(query, str):
        query = NamedQuery.from_text(query)
    prepared = prepare(query, query.bindings(params or {}))
    check_services(prepared.text, settings.service_allowlist)
    chosen = [resolve_graph(g) for g in graphs] if graphs else None
    credentials = Credentials(
        token=settings.endpoint_token or None,
        user=settings.endpoint_user or None,
        password=settings.endpoint_password or None,
        scheme=settings.endpoint_auth,
    )
    # A request may take the whole time limit; read_within stops waiting at the same deadline.
    with RemoteStore.endpoint(
        url, credentials=credentials, timeout_s=settings.query_timeout_s
    ) as store:
        result = read_within(
            lambda: _evaluate(store, prepared, chosen),
            prepared,
            limit=limit,
            settings=settings,
            offset=offset,
        )
    result.context = query.context
    return result


def _evaluate(store: RemoteStore, prepared: PreparedQuery, graphs: list[str] | None) -> object:
    try:
        return store.query(prepared.text, default_graph=graphs, named_graphs=graphs)
    except SyntaxError as exc:
        # The endpoint's words for a request it refused (status 400), not always about syntax.
        reason = " ".join(str(exc.msg or exc).split())
        raise InputError(f"{store.location}: the endpoint refused the query: {reason}") from None
