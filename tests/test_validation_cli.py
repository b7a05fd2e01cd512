"""``chmgraph validate``: output, exit codes and errors, as a steward or a CI job sees them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from chmgraph.cli import cli
from chmgraph.settings import DATA_DIR, PROJECT_ROOT

SUBMISSIONS = Path(__file__).parent / "submissions"
W3C_SHACL = PROJECT_ROOT.parent / "shared" / "w3c" / "shacl" / "tests"


def run(*args: str):
    return CliRunner().invoke(cli, ["validate", *args])


def test_cbd_data_conforms_and_shows_the_module_count_warning_with_its_line():
    files = [str(p) for p in sorted((DATA_DIR / "cbd").glob("*.ttl"))]
    result = run(*files)
    assert result.exit_code == 0, result.output
    toolkits = DATA_DIR / "cbd" / "toolkits.ttl"
    line = next(
        n
        for n, text in enumerate(toolkits.read_text(encoding="utf-8").splitlines(), start=1)
        if text.startswith("<toolkit/chm-toolkit>")
    )
    assert f"{toolkits}:{line}  CHM Toolkit" in result.output
    assert "CHM-W001" in result.output and "States 6 modules but lists 7." in result.output
    assert result.output.rstrip().endswith("0 violation(s), 1 warning(s), 0 info. Conforms.")


def test_violations_exit_1():
    result = run(str(SUBMISSIONS / "invalid" / "end-before-start.ttl"))
    assert result.exit_code == 1
    assert "CHM-V030" in result.output


def test_a_syntax_error_exits_2_with_file_line_and_column():
    path = SUBMISSIONS / "invalid" / "syntax-error.ttl"
    result = run(str(path))
    assert result.exit_code == 2
    assert f"{path}:12:5: syntax error:" in result.output
    assert "Traceback" not in result.output


def test_a_missing_file_and_a_bad_country_exit_2():
    missing = run("no-such-file.ttl")
    assert missing.exit_code == 2 and "cannot read file" in missing.output
    country = run(str(SUBMISSIONS / "valid" / "national-cm.ttl"), "--country", "ZZ")
    assert country.exit_code == 2 and "unknown country 'ZZ'" in country.output


def test_national_rules_apply_with_country():
    path = str(SUBMISSIONS / "invalid" / "national-other-country.ttl")
    assert run(path).exit_code == 0
    national = run(path, "--country", "CM")
    assert national.exit_code == 1 and "CHM-V091" in national.output


def test_formats_and_languages():
    path = str(SUBMISSIONS / "invalid" / "end-before-start.ttl")
    as_json = json.loads(run(path, "--format", "json", "--lang", "es").output)
    assert as_json["results"][0]["message"] == (
        "La fecha de finalización 2014-05-01 es anterior a la fecha de inicio 2014-05-05."
    )
    sarif = json.loads(run(path, "--format", "sarif").output)
    assert sarif["runs"][0]["results"][0]["ruleId"] == "CHM-V030"
    assert "sh:ValidationReport" in run(path, "--format", "turtle").output


def test_no_inference():
    path = str(SUBMISSIONS / "invalid" / "end-before-start.ttl")
    assert run(path, "--no-inference").exit_code == 0


def test_input_format_for_an_unusual_extension(tmp_path: Path):
    copy = tmp_path / "submission.txt"
    copy.write_bytes((SUBMISSIONS / "invalid" / "end-before-start.ttl").read_bytes())
    assert run(str(copy)).exit_code == 2
    result = run(str(copy), "--input-format", "turtle")
    assert result.exit_code == 1 and f"{copy}:10" in result.output


def test_custom_shapes_replace_the_chm_ones():
    test_file = str(W3C_SHACL / "core" / "property" / "minCount-001.ttl")
    result = run(test_file, "--shapes", test_file, "--no-inference", "--format", "json")
    assert result.exit_code == 1
    (found,) = json.loads(result.output)["results"]
    assert found["code"] is None
    assert found["component"] == "sh:MinCountConstraintComponent"
    assert found["message"].endswith("0 value(s) found, at least 1 expected.")
    assert found["line"] is not None


def test_a_real_run_of_the_installed_command():
    path = SUBMISSIONS / "invalid" / "end-before-start.ttl"
    done = subprocess.run(
        [sys.executable, "-m", "chmgraph", "validate", str(path), "--lang", "zh"],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 1, done.stderr
    assert f"{path}:10" in done.stdout
    assert "结束日期 2014-05-01 早于开始日期 2014-05-05。" in done.stdout
    assert done.stderr == ""


def test_the_default_language_is_a_setting(monkeypatch):
    monkeypatch.setenv("CHMGRAPH_DEFAULT_LANG", "ru")
    result = run(str(SUBMISSIONS / "invalid" / "end-before-start.ttl"))
    assert "Дата окончания 2014-05-01 раньше даты начала 2014-05-05." in result.output
