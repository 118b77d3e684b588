"""The lock files (`make lock`) against what the repository asks for: every third-party package it
needs is pinned with hashes, the runtime lock agrees with the development lock, and the Makefile and
the Dockerfile install from them with --require-hashes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.harness import REPO_DIR

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)")
PROJECTS = sorted((REPO_DIR / "services").glob("*/pyproject.toml"))
LOCAL = {canonicalize_name(tomllib.loads(path.read_text())["project"]["name"]) for path in PROJECTS}
SERVICE_PROJECTS = [path for path in PROJECTS if any(path.parent.glob("*_service"))]


def pins(lock: str) -> dict[str, str]:
    """Package → version of a lock file, each pin checked to carry at least one hash."""
    text = (REPO_DIR / lock).read_text()
    found: dict[str, str] = {}
    for block in re.split(r"\n(?=\S)", text):
        match = PIN.match(block)
        if match:
            assert "--hash=sha256:" in block, f"{lock}: {match.group(1)} has no hash"
            found[canonicalize_name(match.group(1))] = match.group(2)
        else:
            assert block.startswith("#") or not block.strip(), f"{lock}: unexpected line {block.splitlines()[0]!r}"
    return found


def dependencies(path: Path) -> set[str]:
    project = tomllib.loads(path.read_text())["project"]
    return {canonicalize_name(Requirement(item).name) for item in project.get("dependencies", [])} - LOCAL


DEV, RUNTIME = pins("requirements-dev.lock"), pins("requirements.lock")


def test_no_local_package_is_in_a_lock() -> None:
    assert not (LOCAL & (DEV.keys() | RUNTIME.keys()))


@pytest.mark.parametrize("project", PROJECTS, ids=lambda path: path.parent.name)
def test_every_dependency_of_every_package_is_locked_for_development(project: Path) -> None:
    assert dependencies(project) <= DEV.keys(), "run make lock"


@pytest.mark.parametrize("project", SERVICE_PROJECTS, ids=lambda path: path.parent.name)
def test_every_dependency_of_a_service_is_in_the_runtime_lock(project: Path) -> None:
    assert dependencies(project) <= RUNTIME.keys(), "run make lock"


def test_every_tool_of_requirements_dev_is_locked() -> None:
    wanted = set()
    for line in (REPO_DIR / "requirements-dev.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            wanted.add(canonicalize_name(Requirement(line).name))
    assert wanted <= DEV.keys(), "run make lock"


def test_the_runtime_lock_pins_the_development_versions() -> None:
    assert RUNTIME.keys() <= DEV.keys()
    assert {name: version for name, version in RUNTIME.items() if DEV[name] != version} == {}


def test_the_venv_and_the_image_install_only_from_the_locks() -> None:
    makefile = (REPO_DIR / "Makefile").read_text()
    assert re.search(r"^LOCK := requirements-dev\.lock$", makefile, re.MULTILINE)
    assert "pip install -q --require-hashes -r $(LOCK)" in makefile
    assert "--no-deps --no-build-isolation $(addprefix -e ,$(LOCAL_PACKAGES))" in makefile
    dockerfile = (REPO_DIR / "Dockerfile").read_text()
    assert "--require-hashes -r requirements.lock" in dockerfile
    assert re.search(r"pip install [^\n]*--no-deps --no-build-isolation \./services/shared", dockerfile)
