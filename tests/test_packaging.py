"""An installed tenantry (a wheel, not this checkout) carries its migrations and migrates.

The wheel is built from this checkout and unpacked into a scratch virtual
environment outside the repository; its dependencies come from this
environment's site-packages through a ``.pth`` line, which adds them as a plain
path, so this checkout's editable install (a finder that only site directories
run) stays invisible and the wheel's code is what runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

REPO = Path(__file__).resolve().parent.parent
CLI = "from tenantry.cli import main; main()"
UNTRACKED = (".git", ".venv", "build", "*.egg-info", "instance", "test-artifacts", "__pycache__")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a scratch venv that has the tenantry wheel and nothing of this checkout."""
    root = tmp_path_factory.mktemp("wheel")
    # Built from a copy of the tracked sources: a checkout's build/ may hold files that
    # were renamed since (setuptools reuses it), and the wheel must not pick them up.
    source = root / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*UNTRACKED))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root / "dist"), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (root / "dist").glob("tenantry-*.whl")
    env = root / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(env), "platbase": str(env)}))
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    unpacked = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), wheel],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert unpacked.returncode == 0, unpacked.stdout + unpacked.stderr
    return env / "bin" / "python"


def core_head() -> str:
    """The head of the core's branch in this checkout: what the wheel must migrate to."""
    config = Config()
    config.set_main_option("script_location", str(REPO / "alembic"))
    return ScriptDirectory.from_config(config).get_current_head() or ""


def run(python: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENANTRY_", "PYTHON"))}
    env.update(
        TENANTRY_ENV="test",
        TENANTRY_SECRET_KEY="wheel-test-secret-key-0123456789",
        TENANTRY_DATABASE_URL=f"sqlite:///{cwd / 'wheel.db'}",
        TENANTRY_INSTANCE_PATH=str(cwd / "instance"),
    )
    return subprocess.run(
        [str(python), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_wheel_runs_its_own_code_and_not_the_checkout(installed: Path, tmp_path: Path):
    where = run(installed, tmp_path, "-c", "import tenantry.migrate as m; print(m.environment())")
    assert where.returncode == 0, where.stderr
    environment = Path(where.stdout.strip())
    assert REPO not in environment.parents
    assert (environment / "env.py").is_file() and (environment / "script.py.mako").is_file()


def test_an_installed_tenantry_migrates_from_anywhere(installed: Path, tmp_path: Path):
    upgraded = run(installed, tmp_path, "-c", CLI, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert f"database is at: {core_head()}" in upgraded.stdout
    current = run(installed, tmp_path, "-c", CLI, "db", "current")
    assert "up to date" in current.stdout
