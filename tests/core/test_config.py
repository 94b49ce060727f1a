"""Settings: production mode refuses a missing or placeholder secret with a clear message; unknown
KOMMUNEKI_* variables are refused (a typo must not be silently ignored)."""

from __future__ import annotations

import secrets

import pytest

from kommuneki.config import ConfigError, Settings, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    # no stray KOMMUNEKI_* variable or .env file from the machine running the tests
    for k in list(__import__("os").environ):
        if k.startswith("KOMMUNEKI_"):
            monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)


# (secret, why it is refused in production)
BAD_SECRETS = [
    (None, "not set: the built-in demo secret would be used"),
    ("", "empty"),
    ("changeme", "a placeholder"),
    ("demo-secret-not-for-production", "the demo secret, named explicitly"),
    ("kort-men-ekte", "too short to resist guessing"),
]


@pytest.mark.parametrize("secret, why", BAD_SECRETS, ids=[b[1] for b in BAD_SECRETS])
def test_production_refuses_a_missing_or_placeholder_secret(monkeypatch, secret, why):
    monkeypatch.setenv("KOMMUNEKI_MODE", "production")
    if secret is not None:
        monkeypatch.setenv("KOMMUNEKI_SECRET_KEY", secret)
    with pytest.raises(ConfigError, match="KOMMUNEKI_SECRET_KEY"):
        load_settings()


def test_production_starts_with_a_real_secret(monkeypatch):
    monkeypatch.setenv("KOMMUNEKI_MODE", "production")
    monkeypatch.setenv("KOMMUNEKI_SECRET_KEY", secrets.token_urlsafe(48))
    assert load_settings().mode == "production"


@pytest.mark.parametrize("mode", ["development", "demo"])
def test_demo_and_development_allow_the_demo_secret(monkeypatch, mode):
    monkeypatch.setenv("KOMMUNEKI_MODE", mode)
    assert load_settings().secret_key == "demo-secret-not-for-production"


def test_production_in_a_dotenv_file_is_checked_too(tmp_path):
    (tmp_path / ".env").write_text("KOMMUNEKI_MODE=production\n")
    with pytest.raises(ConfigError, match="KOMMUNEKI_SECRET_KEY"):
        load_settings()


def test_unknown_setting_is_refused(monkeypatch):
    monkeypatch.setenv("KOMMUNEKI_DATABSE_URL", "sqlite://")  # a typo of DATABASE
    with pytest.raises(ConfigError, match="KOMMUNEKI_DATABSE_URL"):
        load_settings()


def test_invalid_value_is_a_readable_config_error(monkeypatch):
    monkeypatch.setenv("KOMMUNEKI_PORT", "åtte tusen")
    with pytest.raises(ConfigError, match="port"):
        load_settings()


def test_database_url_defaults_to_sqlite_in_the_data_dir(tmp_path):
    s = Settings(data_dir=tmp_path)
    assert s.resolved_database_url == f"sqlite:///{(tmp_path / 'kommuneki.db').resolve()}"
    assert Settings(database_url="postgresql://u@h/db").resolved_database_url == "postgresql+psycopg://u@h/db"
