"""Walk the catalog: ids, paths, tests, metadata and import hygiene."""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hostaudit import catalog

ROOT = Path(__file__).resolve().parents[2]
CHECKS = catalog.load()
ID = re.compile(r"^[a-z][a-z0-9]*\.[a-z0-9_]+$")
CIS = re.compile(r"^[1-7](\.\d+){1,2}$")


def _module_file(check: catalog.Check) -> Path:
    return Path(importlib.import_module(check.module).__file__)


def test_catalog_is_not_empty():
    assert len(CHECKS) >= 40


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_id_matches_its_path(check_id):
    check = CHECKS[check_id]
    family, name = check_id.split(".", 1)
    assert ID.match(check_id), check_id
    path = _module_file(check)
    assert path.parent.name == family
    module = importlib.import_module(check.module)
    if not getattr(module, "FAMILY", False):
        assert path.stem == name, f"{check_id} lives in {path.name}"


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_metadata_is_complete(check_id):
    meta = CHECKS[check_id].meta
    assert meta.title and meta.rationale and meta.remediation
    assert not meta.title.lower().startswith("ensure"), "titles state the situation"
    assert all(CIS.match(cis) for cis in meta.cis), meta.cis
    assert set(meta.needs) <= set(catalog.COLLECTORS)


@pytest.mark.parametrize("check_id", sorted(c for c in CHECKS if CHECKS[c].meta.ansible_key))
def test_every_remediation_key_has_its_role_task_and_variable(check_id):
    key = CHECKS[check_id].meta.ansible_key
    role = ROOT / "ansible" / "roles" / "container_hardening"
    assert (role / "tasks" / f"{key}.yml").exists(), f"no task file for {key}"
    assert f"container_hardening_{key}_enabled:" in (role / "defaults" / "main.yml").read_text()


ROLE = ROOT / "ansible" / "roles" / "container_hardening"
ROLE_KEYS = sorted(p.stem for p in (ROLE / "tasks").glob("*.yml") if p.stem != "main" and not p.stem.startswith("_"))


def _yaml(path: Path):
    import yaml

    return yaml.safe_load(path.read_text())


def test_argument_specs_document_exactly_the_defaults():
    defaults = _yaml(ROLE / "defaults" / "main.yml")
    options = _yaml(ROLE / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert sorted(options) == sorted(defaults)
    for name, spec in options.items():
        assert spec.get("description"), f"{name} is not documented"
        assert spec.get("default") == defaults[name], f"{name}: argument_specs default differs from defaults/main.yml"


@pytest.mark.parametrize("key", ROLE_KEYS)
def test_every_role_task_file_is_off_by_default_and_imported_under_its_tag(key):
    assert _yaml(ROLE / "defaults" / "main.yml")[f"container_hardening_{key}_enabled"] is False
    imports = [t for t in _yaml(ROLE / "tasks" / "main.yml") if t.get("ansible.builtin.import_tasks") == f"{key}.yml"]
    assert len(imports) == 1, f"tasks/main.yml imports {key}.yml {len(imports)} times"
    assert imports[0]["when"] == f"container_hardening_{key}_enabled | bool"
    assert key in imports[0]["tags"]


def test_importing_the_catalog_does_not_import_docker():
    code = "import sys; from hostaudit import catalog; catalog.load(); print('docker' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_duplicate_ids_are_refused():
    meta = next(iter(CHECKS.values())).meta
    with pytest.raises(ValueError, match="duplicate check id"):
        catalog.register(meta)(lambda facts: [])


CHECK_SOURCES = {path: path.read_text() for path in sorted((ROOT / "checks").rglob("*.py"))}
# Ids generated one per row of the CVE data file (its row is their home), read from the file itself
DATA_FILE_IDS = {f"{'kernel' if row['component'] == 'kernel' else 'runtime'}.{row['id'].lower().replace('-', '_')}"
                 for row in json.loads((ROOT / "hostaudit" / "data" / "cves.json").read_text())["cves"]}


def literal_places(check_id: str) -> list[str]:
    """Where `check_id` is written as a whole string literal under checks/ (what `grep -F '"ID"'` finds)."""
    return [f"{path.relative_to(ROOT)}" for path, text in CHECK_SOURCES.items()
            for quote in ('"', "'") for _ in range(text.count(f"{quote}{check_id}{quote}"))]


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_id_is_written_literally_once_under_checks(check_id):
    places = literal_places(check_id)
    if check_id in DATA_FILE_IDS:
        assert places == [], f"{check_id} comes from a row of cves.json, yet is also written in {places}"
    else:
        assert len(places) == 1, f"{check_id} is written {len(places)} times: {places}"


def test_only_the_cve_families_take_ids_from_the_data_file():
    modules = {CHECKS[c].module for c in CHECKS if c in DATA_FILE_IDS}
    assert modules == {"hostaudit.checks.kernel.cves", "hostaudit.checks.runtime.cves"}


FAMILIES = sorted({check.module for check in CHECKS.values()
                   if getattr(importlib.import_module(check.module), "FAMILY", False)})


@pytest.mark.parametrize("module_name", FAMILIES)
def test_a_family_file_is_a_table_of_rows_of_one_shape(module_name):
    rows = importlib.import_module(module_name).ROWS
    assert rows and all(isinstance(row, catalog.Row) for row in rows)
    assert len({type(row.spec) for row in rows}) == 1, "one spec type per family"
    registered = {cid: check for cid, check in CHECKS.items() if check.module == module_name}
    assert sorted(row.id for row in rows) == sorted(registered)
    assert all(registered[row.id].meta.severity is row.severity for row in rows)


def test_a_module_with_several_checks_is_a_family():
    modules = [check.module for check in CHECKS.values()]
    assert sorted({m for m in modules if modules.count(m) > 1}) == FAMILIES


def test_a_row_whose_metadata_disagrees_with_it_is_refused():
    row = catalog.Row("container.some_row", catalog.Severity.LOW, None)
    meta = dataclasses.replace(next(iter(CHECKS.values())).meta, id="container.some_row")
    with pytest.raises(ValueError, match="not the row's id and severity"):
        catalog.register_family([row], lambda r: dataclasses.replace(meta, severity=catalog.Severity.HIGH),
                                lambda spec, facts: [])
