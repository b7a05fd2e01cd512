"""``chmgraph validate``: check RDF files against the network's rules (or any SHACL shapes)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from chmgraph.errors import EXIT_INVALID, EXIT_OK
from chmgraph.rdfio import FORMAT_NAMES
from chmgraph.settings import Settings
from chmgraph.validation import Source, read_source, validate
from chmgraph.validation.messages import LANGUAGES
from chmgraph.validation.report import FORMATS


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "report_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Report format: text for people, json for pipelines, turtle for the standard SHACL "
    "report, sarif for CI annotations.",
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    help="Language of the messages [default: the default_lang setting, en].",
)
@click.option(
    "--no-inference",
    is_flag=True,
    help="Do not add the RDFS subclass/subproperty consequences before validating.",
)
@click.option(
    "--shapes",
    "shapes",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Validate against these SHACL shapes instead of the CHM ones (repeatable).",
)
@click.option(
    "--country",
    metavar="XX",
    help="Apply the national rules for this country (ISO 3166-1 alpha-2 code).",
)
@click.option(
    "--input-format",
    type=click.Choice(sorted(FORMAT_NAMES)),
    help="RDF format of the files, when their extension does not tell.",
)
def validate_command(
    files: tuple[Path, ...],
    report_format: str,
    lang: str | None,
    no_inference: bool,
    shapes: tuple[Path, ...],
    country: str | None,
    input_format: str | None,
) -> None:
    """Validate FILE... and report what is wrong, where (file:line) and why.

    Exit status: 0 conforms (warnings allowed), 1 violations, 2 unreadable input, syntax error
    or usage error.
    """
    lang = lang or Settings.from_env().default_lang
    report = validate(
        _sources(files, input_format, file_base=bool(shapes)),
        country=country,
        shapes=list(shapes) or None,
        inference=not no_inference,
        lang=lang,
    )
    sys.stdout.write(report.render(report_format, lang=lang))
    sys.exit(EXIT_OK if report.conforms else EXIT_INVALID)


def _sources(files: tuple[Path, ...], input_format: str | None, *, file_base: bool) -> list[Source]:
    """With custom shapes, relative IRIs resolve against each file's location (as in pySHACL)."""
    return [
        read_source(f, format=input_format, base_iri=f.absolute().as_uri() if file_base else None)
        for f in files
    ]


def register(group: click.Group) -> None:
    """Add ``validate`` to the ``chmgraph`` command."""
    group.add_command(validate_command)
