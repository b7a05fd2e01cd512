"""``chmgraph synth``: write a synthetic CHM network (a benchmark and test workload) as TriG."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from chmgraph.cli.console import console
from chmgraph.iris import country_of_graph
from chmgraph.synth import PARTY_COUNT, SIZES, SyntheticNetwork, parse_size


def register(group: click.Group) -> None:
    group.add_command(synth)


@click.command()
@click.option(
    "--size",
    default="100k",
    show_default=True,
    help=f"About how many triples: {', '.join(SIZES)}, or a number.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="The random seed.")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The TriG file to write.",
)
@click.option(
    "--violations",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many shape violations to inject (of known kinds, listed after writing).",
)
@click.option(
    "--countries",
    default=PARTY_COUNT,
    show_default=True,
    type=click.IntRange(1, PARTY_COUNT),
    help="How many national graphs (the first N countries by ISO code).",
)
@click.option(
    "--country",
    metavar="XX",
    help="Write only this country's national graph, as a Turtle submission.",
)
@click.option(
    "--with-network-data",
    is_flag=True,
    help="Also write the real ontology, reference and CBD graphs (a whole network in one file).",
)
def synth(
    size: str,
    seed: int,
    out: Path,
    violations: int,
    countries: int,
    country: str | None,
    with_network_data: bool,
) -> None:
    """Write a synthetic network of national graphs to OUT (TriG), the same bytes for the same
    seed; with --country, one national submission (Turtle).

    All generated things live under https://example.org/chmgraph/synthetic/ and say they are
    synthetic; only the countries and toolkits are the network's real IRIs.
    """

    network = SyntheticNetwork(
        target_triples=parse_size(size),
        seed=seed,
        countries=[country] if country else countries,
        violations=violations,
        with_network_data=with_network_data,
    )
    summary = network.write_file(out, submission=country)
    graphs = f"{summary.graphs} national graph" + ("s" if summary.graphs != 1 else "")
    console.print(
        f"wrote {out}: {graphs}, {summary.triples:,} triples "
        f"(seed {seed}), {len(summary.violations)} injected violations",
        soft_wrap=True,
    )
    if summary.violations:
        table = Table("kind", "country", "focus node")
        for v in summary.violations:
            table.add_row(v.kind, country_of_graph(v.graph), v.focus, end_section=False)
        table.columns[2].overflow = "fold"
        console.print(table)
