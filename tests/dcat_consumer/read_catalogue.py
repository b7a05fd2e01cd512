"""Read a DCAT catalogue with ckanext-dcat's RDF parser, as a CKAN harvester would, and print
the CKAN datasets it makes as JSON. Runs in the DCAT consumer's own venv (see
requirements.txt beside this file): ``python read_catalogue.py FILE [PROFILE]``."""

import json
import sys

from ckanext.dcat.processors import RDFParser


def main() -> None:
    path = sys.argv[1]
    profile = sys.argv[2] if len(sys.argv) > 2 else "euro_dcat_ap_3"
    parser = RDFParser(profiles=[profile])
    with open(path, "rb") as stream:
        parser.parse(stream.read(), _format="turtle")
    json.dump(list(parser.datasets()), sys.stdout, indent=1, sort_keys=True, default=str)


if __name__ == "__main__":
    main()
