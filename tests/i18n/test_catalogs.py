"""The German catalogs are complete: a string added to the core or a bundled plugin without
its translation (or with a fuzzy one) fails here, and so does a catalog not updated
since a string was added, or a ``.mo`` not compiled since its ``.po`` changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantry import catalogs
from tenantry.cli.i18n import bundled

PACKAGES = bundled()


def test_the_core_and_each_bundled_plugin_have_catalogs():
    assert [path.name for path in PACKAGES] == ["tenantry", "tenantry_notes", "tenantry_tasks"]
    for package in PACKAGES:
        assert catalogs.catalog_path(package, "de").is_file(), package


@pytest.mark.parametrize("package", PACKAGES, ids=lambda path: path.name)
def test_every_string_is_translated_and_none_is_fuzzy(package: Path):
    left = [f"{entry.why}: {entry.msgid!r}" for entry in catalogs.untranslated(package)]
    assert not left, f"untranslated in {package.name} (run `make i18n`, translate): {left}"


@pytest.mark.parametrize("package", PACKAGES, ids=lambda path: path.name)
def test_extraction_finds_no_string_missing_from_the_catalog(package: Path, tmp_path: Path):
    template = catalogs.write_template(package, tmp_path / "messages.pot")
    assert template.read_text().count("msgid") > 10  # it found the package's strings
    assert catalogs.missing(package) == {"de": []}, "run `tenantry i18n update`, translate"


@pytest.mark.parametrize("package", PACKAGES, ids=lambda path: path.name)
def test_the_committed_mo_files_say_what_the_po_files_say(package: Path):
    assert catalogs.stale_compiled(package) == [], "run `tenantry i18n compile`"


def test_a_new_untranslated_string_is_caught(tmp_path: Path):
    """The checks above can fail: a package with one marked string and no translation."""
    package = tmp_path / "tenantry_demo"
    (package / "templates" / "demo").mkdir(parents=True)
    (package / "templates" / "demo" / "index.html").write_text('<p>{{ _("Hello there") }}</p>')
    (package / "views.py").write_text('from tenantry import gettext\nSAID = gettext("Bye")\n')
    assert catalogs.missing(package) == {"de": ["Bye", "Hello there"]}
    catalogs.update(package)
    assert catalogs.missing(package) == {"de": []}
    assert {entry.msgid for entry in catalogs.untranslated(package)} == {"Bye", "Hello there"}
    assert catalogs.stale_compiled(package) == ["de"]
    catalogs.compile_all(package)
    assert catalogs.stale_compiled(package) == []


def test_a_scaffolded_plugin_ships_a_complete_german_catalog(tmp_path: Path):
    from click.testing import CliRunner

    from tenantry.cli import cli

    made = CliRunner().invoke(cli, ["plugins", "new", "recipes", "--path", str(tmp_path)])
    assert made.exit_code == 0, made.output
    package = tmp_path / "tenantry-recipes" / "tenantry_recipes"
    assert catalogs.catalog_path(package, "de", ".mo").is_file()
    assert catalogs.missing(package) == {"de": []}
    assert list(catalogs.untranslated(package)) == []
    assert catalogs.stale_compiled(package) == []
