"""Start-up refusals reach the person starting the app as a message, exit status 2, no traceback.

In process: ``main()`` of the ``tenantry`` script and ``run.py`` as ``__main__``, with
the environment a user would set.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

import tenantry.serve as serving
from tenantry.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("TENANTRY_ENV", "test")
    monkeypatch.setenv("TENANTRY_LOG_LEVEL", "ERROR")  # what is printed, not what is logged
    monkeypatch.setenv("TENANTRY_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("TENANTRY_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("TENANTRY_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    return monkeypatch


def refuse_to_serve(*_args: object) -> None:
    raise AssertionError("run.py went on to serve: the start-up error did not stop it")


def start(how: str, monkeypatch: pytest.MonkeyPatch) -> int:
    if how == "tenantry":
        monkeypatch.setattr(sys, "argv", ["tenantry", "db", "current"])
        run = main
    else:
        monkeypatch.setattr(sys, "argv", ["run.py"])
        monkeypatch.setattr(serving, "serve", refuse_to_serve)  # never block on a port

        def run() -> None:
            runpy.run_path(str(REPO / "run.py"), run_name="__main__")

    with pytest.raises(SystemExit) as exited:
        run()
    return exited.value.code


@pytest.mark.parametrize("how", ["tenantry", "run.py"])
def test_a_strict_plugins_refusal_is_a_message(environment, capsys, how):
    environment.setenv("TENANTRY_STRICT_PLUGINS", "true")
    environment.setenv("TENANTRY_PLUGINS__DISABLED", '["notes"]')  # so tasks is refused
    assert start(how, environment) == 2
    err = capsys.readouterr().err
    assert "plugins refused (strict_plugins is on):\n  tasks: requires tenantry-notes" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("/proc/no-such-folder/tenantry.db", "cannot create the folder /proc/no-such-folder"),
        ("{tmp}", "is a folder, not a file"),
    ],
)
@pytest.mark.parametrize("how", ["tenantry", "run.py"])
def test_an_unusable_sqlite_path_is_a_message(environment, capsys, tmp_path, how, path, said):
    environment.setenv("TENANTRY_DATABASE_URL", f"sqlite:///{path.format(tmp=tmp_path)}")
    assert start(how, environment) == 2
    err = capsys.readouterr().err
    assert said in err and "set database_url to a file in a writable folder" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
