"""`restsync check` and `plan`: no network, one-sentence errors, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SEEDS = sorted(Path(__file__).parents[1].joinpath("seeds").glob("*.py"))


# what the seeds read from dlt's providers
SEED_VALUES = {"API_KEY": "k-secret", "API_TOKEN": "t-secret", "START_DATE": "2024-01-01T00:00:00Z"}


def restsync(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI in a clean environment: no secret or destination setting but those in ``env``."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in SEED_VALUES and not k.startswith("DESTINATION__")
    }
    return subprocess.run(
        [sys.executable, "-m", "restsync", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**clean, "COLUMNS": "200", **(env or {})},
    )


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_check_passes_on_every_seed_as_written(seed: Path) -> None:
    result = restsync("check", str(seed), env=SEED_VALUES)
    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stdout


def test_plan_shows_the_inferences() -> None:
    result = restsync("plan", str(Path(__file__).parents[1] / "seeds" / "video_rooms.py"))
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "'{room_id}' in the path is filled from parent 'rooms' field 'id'" in text
    assert "'{temp_id}' in the path is filled from parent 'templates'" in text
    assert "page_format: arrow" in text


def test_plan_shows_fetch_ahead_and_page_format() -> None:
    # account_analytics pages with offset and no total: fetching ahead is a guess, and says so
    result = restsync("plan", "account_analytics")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "fetches up to 4 pages ahead after a run of full pages" in text


def test_a_bad_config_is_one_sentence_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "client: {base_url: 'https://x'}\n"
        "resources:\n"
        "  - name: a\n"
        "    endpoint: {path: /a, paginator: {type: cursr}}\n"
    )
    result = restsync("check", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "resources[0].endpoint.paginator.type: unknown paginator type 'cursr'" in " ".join(
        result.stderr.split()
    )


def test_an_unknown_source_lists_the_connectors() -> None:
    result = restsync("check", "no_such_thing")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "neither a file nor a bundled connector" in " ".join(result.stderr.split())


# --- issue 13.3: what check finds before a run --------------------------------------------------


def test_check_names_every_value_it_cannot_find_and_where_dlt_looked(tmp_path: Path) -> None:
    result = restsync("check", str(SEEDS[0].parent / "device_management.py"), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    text = " ".join(result.stderr.split())
    assert "error: secret 'api_key' cannot be found; dlt looked for these names" in text
    assert "api_key: Environment Variables API_KEY" in text
    assert "error: config value 'start_date' cannot be found" in text
    assert f"files read: {tmp_path}/.dlt/secrets.toml (missing)" in text


def test_check_finds_secrets_in_secrets_toml_and_never_prints_them(tmp_path: Path) -> None:
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "secrets.toml").write_text('api_key = "toml-secret-value"\n')
    result = restsync("check", "webhook_service", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "toml-secret-value" not in result.stdout + result.stderr


def test_check_without_secrets_validates_the_config_alone(tmp_path: Path) -> None:
    result = restsync("check", "webhook_service", "--no-secrets", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stdout


@pytest.mark.parametrize("dataset", ["pg_sales", "PG_Sales", "information_schema"])
def test_check_refuses_a_dataset_postgres_reserves(dataset: str, tmp_path: Path) -> None:
    result = restsync(
        "check", "webhook_service", "--destination", "postgres", "--dataset", dataset,
        cwd=tmp_path,
        env={"API_KEY": "k", "DESTINATION__POSTGRES__CREDENTIALS": "postgresql://u:p@h:1/d"},
    )  # fmt: skip
    assert result.returncode == 2
    text = " ".join(result.stderr.split())
    assert f"error: dataset '{dataset}' cannot be used with --destination postgres" in text
    assert "choose another --dataset" in text


def test_check_lists_where_dlt_looked_for_destination_credentials(tmp_path: Path) -> None:
    args = ("check", "webhook_service", "--destination", "postgres", "--dataset", "sales")
    missing = restsync(*args, cwd=tmp_path, env={"API_KEY": "k"})
    assert missing.returncode == 2
    text = " ".join(missing.stderr.split())
    assert "error: the postgres destination is missing credentials.database" in text
    assert "WEBHOOK_SERVICE__DESTINATION__POSTGRES__CREDENTIALS__PASSWORD" in text
    credentials = "postgresql://loader:Pg-Secret-42@db.example:5432/analytics"
    given = restsync(
        *args, cwd=tmp_path, env={"API_KEY": "k", "DESTINATION__POSTGRES__CREDENTIALS": credentials}
    )
    assert given.returncode == 0, given.stderr
    assert "Pg-Secret-42" not in given.stdout + given.stderr
    assert not (tmp_path / ".dlt").exists() and not list(tmp_path.iterdir())  # no state left


def test_check_warns_that_plain_files_append_instead_of_merging(tmp_path: Path) -> None:
    result = restsync(
        "check", "video_rooms", "--destination", "filesystem",
        cwd=tmp_path, env={"API_TOKEN": "t", "DESTINATION__FILESYSTEM__BUCKET_URL": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stderr.split())
    warning = "warning: the filesystem destination cannot merge into plain files: sessions, rooms,"
    assert warning in text
    assert "a rerun adds their rows again" in text


@pytest.mark.parametrize("base_url", ["not a url", "ftp://x/", ""])
def test_check_refuses_a_base_url_that_is_no_http_url(tmp_path: Path, base_url: str) -> None:
    config = tmp_path / "bad.json"
    config.write_text(
        json.dumps({"client": {"base_url": base_url}, "resources": ["users"]}), encoding="utf-8"
    )
    result = restsync("check", str(config))
    assert result.returncode != 0
    assert "client.base_url" in result.stderr + result.stdout
    assert "is not an http(s) URL with a host" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


# --- the missing credential: named by the key dlt looks up, as rest_api_source names it ---------


def test_check_and_plan_name_the_dlt_key_of_a_missing_credential(tmp_path: Path) -> None:
    config = tmp_path / "blog.yaml"
    config.write_text(
        "client: {base_url: 'https://api.example.com', auth: {type: bearer}}\nresources: [posts]\n"
    )
    for command in ("check", "plan"):
        result = restsync(command, str(config), cwd=tmp_path)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        text = " ".join(result.stderr.split())
        assert "client.auth.token: the bearer auth has no 'token'" in text
        assert "set sources.rest_api.blog.credentials.token in .dlt/secrets.toml" in text
        assert "SOURCES__REST_API__BLOG__CREDENTIALS__TOKEN" in text


def test_check_finds_the_credential_where_the_message_says(tmp_path: Path) -> None:
    config = tmp_path / "blog.yaml"
    config.write_text(
        "client: {base_url: 'https://api.example.com', auth: {type: bearer}}\nresources: [posts]\n"
    )
    env = {"SOURCES__REST_API__BLOG__CREDENTIALS__TOKEN": "found-token-value"}
    result = restsync("check", str(config), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "found-token-value" not in result.stdout + result.stderr
