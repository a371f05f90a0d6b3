"""Where settings come from, which source wins, and how a bad setting is reported."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tenantry.settings import ENV_PREFIX, SettingsError, load_settings


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current directory with a settings/ folder and no TENANTRY_* variables."""
    for key in list(os.environ):
        if key.upper().startswith(ENV_PREFIX):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "settings").mkdir()
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def settings_error(**overrides: object) -> str:
    """The message load_settings refuses with; it must be one message, not a chained traceback."""
    with pytest.raises(SettingsError) as caught:
        load_settings(**overrides)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__
    message = str(caught.value)
    assert "Traceback" not in message
    return message


def line_about(message: str, field: str) -> str:
    lines = [line for line in message.splitlines() if line.strip().startswith(field)]
    assert len(lines) == 1, f"expected one line about {field!r} in:\n{message}"
    return lines[0]


# --- sources and precedence ---------------------------------------------------------------------


def test_built_in_defaults_apply_without_any_source(workdir):
    settings = load_settings()
    assert settings.env == "development"
    assert settings.port == 8000
    assert settings.plugins.disabled == []


def test_default_toml_supplies_values(workdir):
    write(workdir / "settings/default.toml", "port = 8101\nlog_level = 'ERROR'\n")
    settings = load_settings()
    assert settings.port == 8101
    assert settings.log_level == "ERROR"


def test_environment_toml_overrides_default_toml(workdir):
    write(workdir / "settings/default.toml", "port = 8101\nthreads = 3\n")
    write(workdir / "settings/development.toml", "port = 8102\n")
    settings = load_settings()
    assert settings.port == 8102
    assert settings.threads == 3


def test_env_setting_chooses_which_environment_toml_is_read(workdir, monkeypatch):
    write(workdir / "settings/development.toml", "port = 8102\n")
    write(workdir / "settings/test.toml", "port = 8103\n")
    monkeypatch.setenv("TENANTRY_ENV", "test")
    settings = load_settings()
    assert settings.env == "test"
    assert settings.port == 8103


def test_env_keyword_chooses_which_environment_toml_is_read(workdir):
    write(workdir / "settings/test.toml", "port = 8103\n")
    assert load_settings(env="test").port == 8103


def test_dotenv_can_choose_the_environment_toml(workdir):
    write(workdir / "settings/test.toml", "port = 8103\n")
    write(workdir / ".env", "TENANTRY_ENV=test\n")
    assert load_settings().port == 8103


def test_dotenv_overrides_toml(workdir):
    write(workdir / "settings/default.toml", "port = 8101\n")
    write(workdir / "settings/development.toml", "port = 8102\n")
    write(workdir / ".env", "TENANTRY_PORT=8104\n")
    assert load_settings().port == 8104


def test_environment_variable_overrides_dotenv(workdir, monkeypatch):
    write(workdir / "settings/development.toml", "port = 8102\n")
    write(workdir / ".env", "TENANTRY_PORT=8104\n")
    monkeypatch.setenv("TENANTRY_PORT", "8105")
    assert load_settings().port == 8105


def test_keyword_argument_overrides_environment_variable(workdir, monkeypatch):
    write(workdir / ".env", "TENANTRY_PORT=8104\n")
    monkeypatch.setenv("TENANTRY_PORT", "8105")
    assert load_settings(port=8106).port == 8106


def test_nested_environment_variable_sets_a_field_of_a_nested_setting(workdir, monkeypatch):
    monkeypatch.setenv("TENANTRY_PLUGINS__DISABLED", '["x"]')
    settings = load_settings()
    assert settings.plugins.disabled == ["x"]
    assert settings.plugins.enabled is None
    assert not settings.plugins.allows("x")
    assert settings.plugins.allows("notes")


def test_nested_environment_variable_overrides_the_same_table_in_toml(workdir, monkeypatch):
    write(workdir / "settings/default.toml", '[plugins]\ndisabled = ["from-toml"]\n')
    monkeypatch.setenv("TENANTRY_PLUGINS__DISABLED", '["from-env"]')
    assert load_settings().plugins.disabled == ["from-env"]


def test_settings_dir_variable_points_at_another_folder(workdir, monkeypatch, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    write(workdir / "settings/default.toml", "port = 8101\n")
    write(elsewhere / "default.toml", "port = 8107\n")
    monkeypatch.setenv("TENANTRY_SETTINGS_DIR", str(elsewhere))
    assert load_settings().port == 8107


def test_missing_settings_folder_is_not_an_error(workdir, monkeypatch):
    monkeypatch.setenv("TENANTRY_SETTINGS_DIR", str(workdir / "does-not-exist"))
    assert load_settings().port == 8000


def test_the_projects_own_settings_files_load_for_each_environment(monkeypatch):
    for key in list(os.environ):
        if key.upper().startswith(ENV_PREFIX):
            monkeypatch.delenv(key)
    project = Path(__file__).resolve().parent.parent
    monkeypatch.setenv("TENANTRY_SETTINGS_DIR", str(project / "settings"))
    assert load_settings(env="test", secret_key="k" * 32).log_level == "WARNING"
    production = load_settings(env="production", secret_key="k" * 32)
    assert production.secure_cookies is True
    assert production.strict_plugins is True


# --- bad settings: one readable message naming field, source and expectation --------------------


def test_bad_type_in_environment_variable_names_field_variable_and_expectation(
    workdir, monkeypatch
):
    monkeypatch.setenv("TENANTRY_PORT", "abc")
    line = line_about(settings_error(), "port")
    assert "'abc'" in line
    assert "environment variable TENANTRY_PORT" in line
    assert "valid integer" in line


def test_bad_boolean_in_environment_variable_is_reported(workdir, monkeypatch):
    monkeypatch.setenv("TENANTRY_STRICT_PLUGINS", "maybe")
    line = line_about(settings_error(), "strict_plugins")
    assert "environment variable TENANTRY_STRICT_PLUGINS" in line
    assert "valid boolean" in line


def test_bad_nested_environment_variable_names_the_exact_variable(workdir, monkeypatch):
    monkeypatch.setenv("TENANTRY_PLUGINS__DISABLED", '"x"')
    line = line_about(settings_error(), "plugins.disabled")
    assert "environment variable TENANTRY_PLUGINS__DISABLED" in line
    assert "valid list" in line


def test_malformed_json_in_nested_environment_variable_is_a_readable_error(workdir, monkeypatch):
    monkeypatch.setenv("TENANTRY_PLUGINS__DISABLED", "[x")
    message = settings_error()
    line = line_about(message, "plugins")
    assert "environment variable TENANTRY_PLUGINS__DISABLED" in line
    assert "JSON" in line


def test_unknown_nested_key_in_environment_is_reported_as_unknown(workdir, monkeypatch):
    monkeypatch.setenv("TENANTRY_PLUGINS__COLOUR", '["x"]')
    line = line_about(settings_error(), "plugins.colour")
    assert "TENANTRY_PLUGINS__COLOUR" in line
    assert "unknown setting" in line


def test_bad_type_in_dotenv_names_dotenv_as_the_source(workdir):
    write(workdir / ".env", "TENANTRY_PORT=nope\n")
    line = line_about(settings_error(), "port")
    assert ".env (TENANTRY_PORT)" in line
    assert "valid integer" in line


def test_bad_value_in_toml_names_the_file_and_the_limit(workdir):
    write(workdir / "settings/default.toml", "threads = 0\n")
    line = line_about(settings_error(), "threads")
    assert "= 0" in line
    assert str(Path("settings") / "default.toml") in line
    assert "greater than or equal to 1" in line


def test_bad_value_in_environment_toml_names_that_file(workdir):
    write(workdir / "settings/default.toml", "threads = 4\n")
    write(workdir / "settings/development.toml", 'threads = "lots"\n')
    line = line_about(settings_error(), "threads")
    assert str(Path("settings") / "development.toml") in line
    assert "valid integer" in line


def test_bad_value_in_toml_chosen_through_dotenv_names_that_file(workdir):
    write(workdir / ".env", "TENANTRY_ENV=test\n")
    write(workdir / "settings/test.toml", 'log_level = "LOUD"\n')
    line = line_about(settings_error(), "log_level")
    assert str(Path("settings") / "test.toml") in line
    assert "'DEBUG'" in line


def test_unsupported_database_url_says_what_is_expected(workdir):
    write(workdir / "settings/default.toml", 'database_url = "mysql://db/x"\n')
    line = line_about(settings_error(), "database_url")
    assert "settings" in line
    assert "sqlite:///" in line
    assert "postgresql" in line


def test_server_name_with_a_path_is_refused_from_a_keyword(workdir):
    line = line_about(settings_error(server_name="example.com/app"), "server_name")
    assert "keyword argument" in line
    assert "host[:port]" in line


def test_unknown_key_in_toml_is_reported_with_its_file(workdir):
    write(workdir / "settings/default.toml", 'colour = "blue"\n')
    line = line_about(settings_error(), "colour")
    assert str(Path("settings") / "default.toml") in line
    assert "unknown setting" in line


def test_malformed_toml_file_is_named_in_one_message(workdir):
    write(workdir / "settings/default.toml", "port = 8000\n")
    write(workdir / "settings/development.toml", "port = = 1\n")
    message = settings_error()
    assert "development.toml" in message
    assert "default.toml" not in message
    assert "line 1" in message
    assert "expected TOML" in message


def test_every_bad_setting_is_reported_at_once(workdir, monkeypatch):
    monkeypatch.setenv("TENANTRY_PORT", "abc")
    write(workdir / "settings/default.toml", "threads = 0\n")
    message = settings_error()
    line_about(message, "port")
    line_about(message, "threads")


def test_production_without_secret_key_is_refused(workdir, monkeypatch):
    monkeypatch.setenv("TENANTRY_ENV", "production")
    line = line_about(settings_error(), "secret_key")
    assert "required in production" in line
    assert "TENANTRY_SECRET_KEY" in line
    assert not (workdir / "instance" / "secret_key").exists()


def test_production_with_secret_key_from_environment_loads(workdir, monkeypatch):
    monkeypatch.setenv("TENANTRY_ENV", "production")
    monkeypatch.setenv("TENANTRY_SECRET_KEY", "s" * 40)
    settings = load_settings()
    assert settings.secret_key.get_secret_value() == "s" * 40


def test_settings_error_exits_cli_with_status_2_and_no_traceback(workdir):
    script = Path(sys.executable).parent / "tenantry"
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    env["TENANTRY_PORT"] = "abc"
    result = subprocess.run(
        [str(script), "db", "current"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "invalid settings" in result.stderr
    assert "port = 'abc' (from environment variable TENANTRY_PORT)" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_malformed_toml_exits_cli_with_status_2_and_no_traceback(workdir):
    write(workdir / "settings/default.toml", "port = [\n")
    script = Path(sys.executable).parent / "tenantry"
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    result = subprocess.run(
        [str(script), "db", "current"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "default.toml" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


# --- the development secret key ----------------------------------------------------------------


def test_development_secret_key_is_generated_under_instance(workdir):
    settings = load_settings()
    key_file = workdir / "instance" / "secret_key"
    assert key_file.is_file()
    assert settings.secret_key.get_secret_value() == key_file.read_text().strip()
    assert len(settings.secret_key.get_secret_value()) >= 32


def test_development_secret_key_file_is_private(workdir):
    load_settings()
    mode = stat.S_IMODE((workdir / "instance" / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_development_secret_key_is_reused_on_the_next_load(workdir):
    first = load_settings().secret_key.get_secret_value()
    second = load_settings().secret_key.get_secret_value()
    assert first == second


def test_given_secret_key_is_used_and_nothing_is_generated(workdir):
    settings = load_settings(secret_key="given-" + "k" * 30)
    assert settings.secret_key.get_secret_value() == "given-" + "k" * 30
    assert not (workdir / "instance" / "secret_key").exists()


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("login_rate_limit", "lots", "10 per minute"),
        ("redis_url", "http://cache", "redis://"),
    ],
)
def test_bad_rate_limit_and_redis_url_are_refused_up_front(
    workdir, monkeypatch, field, value, expected
):
    monkeypatch.setenv(f"TENANTRY_{field.upper()}", value)
    line = line_about(settings_error(), field)
    assert f"TENANTRY_{field.upper()}" in line
    assert expected in line
