"""docker-compose.yml and the Dockerfile, checked against the code and the README by reading them.

Docker does not run here: these tests are how both files stay true. Each service's command must
exist with the options it passes, each variable it sets must be one portal/settings.py reads, the
image must hold every app, and the README must say what the files do.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
import pytest
from celery.app.utils import find_app
from celery.bin.base import CLIContext
from celery.bin.celery import celery as celery_cli
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, get_commands, load_command_class
from gunicorn.config import Config as GunicornConfig
from gunicorn.errors import AppImportError
from gunicorn.util import import_app

from tests.production import stack_environment
from tests.stack_files import (
    IMAGE_ROOT,
    LIBRARY_VARIABLES,
    ROOT,
    Instruction,
    app_services,
    compose,
    copied_into_image,
    dockerfile,
    dockerfile_cmd,
    dockerfile_env,
    dockerfile_run,
    dockerfile_workdir,
    dockerignore,
    interpolated_names,
    published_ports,
    service_command,
    service_environment,
    settings_from,
    settings_variables,
    shell_commands,
)

README = (ROOT / "README.md").read_text()


def check_manage_py(args: list[str]) -> None:
    """`python manage.py NAME OPTIONS…`: the command exists and takes those options."""
    assert args[:2] == ["python", "manage.py"], args
    name, options = args[2], args[3:]
    commands = get_commands()
    assert name in commands, f"manage.py has no command {name!r}"
    parser = load_command_class(commands[name], name).create_parser("manage.py", name)
    parser.parse_args(options)  # CommandError on an unknown option


def check_celery(args: list[str]) -> None:
    """`celery -A APP SUBCOMMAND OPTIONS…`: the app is found and the subcommand takes the options."""
    assert args[0] == "celery", args
    at = next(i for i, token in enumerate(args) if token in celery_cli.commands)
    context = celery_cli.make_context("celery", args[1:at])
    app = find_app(context.params["app"])
    assert app.main == "portal", app
    context.obj = CLIContext(app=app, no_color=True, workdir=None, quiet=True)
    subcommand = celery_cli.commands[args[at]]
    subcommand.make_context(args[at], args[at + 1 :], parent=context)


def check_gunicorn(args: list[str]) -> None:
    """`gunicorn MODULE:CALLABLE OPTIONS…`: gunicorn takes the options, the WSGI callable loads."""
    assert args[0] == "gunicorn", args
    parsed = GunicornConfig().parser().parse_args(args[1:])
    (target,) = parsed.args
    assert callable(import_app(target))


CHECKS = {"python": check_manage_py, "celery": check_celery, "gunicorn": check_gunicorn}


@pytest.mark.parametrize("service", sorted(app_services()))
def test_it_runs_only_commands_that_exist_with_options_they_take(service: str) -> None:
    for args in shell_commands(service_command(service)):
        assert args[0] in CHECKS, f"{service}: no check for {args}"
        CHECKS[args[0]](args)


@pytest.mark.parametrize(
    "args",
    [
        ["python", "manage.py", "seed_the_sandbox"],
        ["python", "manage.py", "seed_sandbox", "--i-know-it"],
        ["celery", "-A", "portal", "worker", "--concurency", "2"],
        ["gunicorn", "portal.wsgi:app"],
        ["gunicorn", "portal.wsgi:application", "--max-request", "1000"],
    ],
)
def test_its_command_checks_catch_a_command_that_does_not_exist(args: list[str]) -> None:
    # The checks above prove nothing unless they fail on a typo.
    with pytest.raises(
        (AssertionError, CommandError, click.UsageError, AppImportError, SystemExit)
    ):
        CHECKS[args[0]](args)


def test_it_sets_only_variables_that_the_settings_read() -> None:
    read = settings_variables() | LIBRARY_VARIABLES

    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "SANDBOX", "STATIC_ROOT"} <= read
    for service, spec in app_services().items():
        unknown = set(spec.get("environment") or {}) - read
        assert unknown == set(), f"{service} sets variables portal/settings.py never reads"
    image_variables = {name for name in dockerfile_env() if not name.startswith("PYTHON")}
    assert image_variables - read == set()


def test_it_finds_the_variables_the_settings_read_in_their_code() -> None:
    assert settings_variables() >= {"CELERY_BROKER_URL", "REDIS_URL", "UPLOAD_MAX_BYTES"}
    assert "NOT_A_SETTING" not in settings_variables()


def env_example_names() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def test_it_lists_every_variable_the_settings_read_in_env_example() -> None:
    assert settings_variables() - env_example_names() == set()


def test_it_takes_every_value_it_interpolates_from_a_variable_env_example_lists() -> None:
    text = (ROOT / "docker-compose.yml").read_text()

    assert interpolated_names(text) - env_example_names() == set()


def local_app_folders() -> set[str]:
    """The folder of every installed app that lives in this repository."""
    folders = set()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(ROOT) and not path.is_relative_to(ROOT / ".venv"):
            folders.add(path.relative_to(ROOT).parts[0])
    return folders


def runtime_paths() -> set[str]:
    """What the application needs from the checkout at run time."""
    templates: list[dict[str, Any]] = settings.TEMPLATES
    template_dirs = [Path(d) for t in templates for d in t.get("DIRS", [])]
    static_dirs = [Path(d) for d in settings.STATICFILES_DIRS]
    extra = {str(p.resolve().relative_to(ROOT)) for p in template_dirs + static_dirs}
    return local_app_folders() | extra | {"manage.py"}


def test_it_copies_every_app_templates_and_static_files_into_the_image() -> None:
    instructions, patterns = dockerfile(), dockerignore()

    assert {"portal", "learners", "uploads", "webservices"} <= local_app_folders()
    missing = {p for p in runtime_paths() if not copied_into_image(p, instructions, patterns)}
    assert missing == set()
    assert dockerfile_workdir() == IMAGE_ROOT


def test_its_image_check_catches_an_app_left_out() -> None:
    explicit = [Instruction("COPY", "portal ./portal"), Instruction("COPY", "manage.py ./")]

    assert copied_into_image("portal", explicit, [])
    assert not copied_into_image("learners", explicit, [])
    assert copied_into_image("learners", [Instruction("COPY", ". .")], [])
    assert not copied_into_image("learners", [Instruction("COPY", ". .")], ["learners"])
    assert not copied_into_image("learners", dockerfile(), [*dockerignore(), "learn*"])


def test_it_keeps_secrets_and_local_data_out_of_the_image() -> None:
    instructions, patterns = dockerfile(), dockerignore()

    for path in (".env", ".env.production", "var/portal.sqlite3", "var/media/uploads/a.txt"):
        assert not copied_into_image(path, instructions, patterns), path
    assert copied_into_image(".env.example", instructions, patterns)


def readme_services() -> dict[str, str]:
    """The README's production table: service name → the command it documents."""
    section = README.split("## Production", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| `([^`]+)` \|", section, flags=re.MULTILINE)
    return dict(rows)


def documented(command: list[str]) -> str:
    return command[2] if command[:2] == ["sh", "-c"] else " ".join(command)


def test_it_runs_each_service_as_the_readme_documents() -> None:
    documented_commands = readme_services()

    assert set(documented_commands) == set(app_services())
    for service, command in documented_commands.items():
        assert documented(service_command(service)) == command, service


def test_it_publishes_the_web_port_the_readme_documents_and_gunicorn_binds() -> None:
    command = service_command("web")
    bind = command[command.index("--bind") + 1]

    ((address, host_port, container_port),) = published_ports("web")
    assert bind == f"0.0.0.0:{container_port}"
    assert address == "127.0.0.1", "with no proxy in front, plain HTTP stays on this machine"
    assert f"http://localhost:{host_port}" in README
    assert dockerfile_cmd() == command
    assert f"EXPOSE {container_port}" in (ROOT / "Dockerfile").read_text()


def test_it_publishes_nothing_beyond_this_machine() -> None:
    for service in compose()["services"]:
        for address, _, _ in published_ports(service):
            assert address == "127.0.0.1", service


def test_it_recycles_gunicorn_workers() -> None:
    parsed = GunicornConfig().parser().parse_args(service_command("web")[1:])

    assert 100 <= parsed.max_requests <= 10_000
    assert 0 < parsed.max_requests_jitter < parsed.max_requests


def compose_settings(service: str, **host_env: str) -> dict[str, Any]:
    """portal/settings.py as `service` sees it under `docker compose up` with this .env."""
    environment = {"SECRET_KEY": "k" * 60, **host_env}
    return settings_from(
        {**stack_environment(service), **service_environment(service, environment)}
    )


def test_it_is_secure_by_default() -> None:
    values = compose_settings("web")

    assert values["DEBUG"] is False
    assert values["SANDBOX"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    # Nothing in the file speaks HTTPS; the redirect is the one thing a TLS proxy turns on.
    assert values["SECURE_SSL_REDIRECT"] is False
    assert compose_settings("web", SECURE_SSL_REDIRECT="true")["SECURE_SSL_REDIRECT"] is True


def test_it_refuses_to_start_without_a_secret_key() -> None:
    with pytest.raises(ValueError, match="SECRET_KEY"):
        service_environment("web", {})


def test_it_seeds_demo_data_only_on_a_sandbox() -> None:
    seeding = [
        args for args in shell_commands(service_command("migrate")) if "seed_sandbox" in args
    ]

    assert seeding == [["python", "manage.py", "seed_sandbox", "--if-sandbox", "--i-know"]]
    assert compose_settings("migrate")["SANDBOX"] is False
    assert compose_settings("migrate", SANDBOX="true")["SANDBOX"] is True
    for service in set(app_services()) - {"migrate"}:
        assert not any("seed_sandbox" in args for args in shell_commands(service_command(service)))


def test_it_stores_files_in_s3_and_static_files_in_the_image_when_told() -> None:
    values = compose_settings(
        "web", STORAGE_BACKEND="s3", AWS_STORAGE_BUCKET_NAME="pars-files", AWS_S3_REGION_NAME="eu"
    )

    assert values["STORAGES"]["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert values["STORAGES"]["default"]["OPTIONS"]["bucket_name"] == "pars-files"
    assert values["STORAGES"]["default"]["OPTIONS"]["region_name"] == "eu"
    assert values["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    assert compose_settings("web")["STORAGES"]["default"]["BACKEND"] == (
        "django.core.files.storage.FileSystemStorage"
    )


def test_its_command_checks_report_a_bad_celery_option_as_a_usage_error() -> None:
    with pytest.raises(click.UsageError, match="--bogus"):
        check_celery(["celery", "-A", "portal", "beat", "--bogus"])


def test_it_serves_the_static_files_the_image_collected() -> None:
    # The build collects with the image's ENV and DEBUG=true (no broker: settings would make its folder).
    build = settings_from({**dockerfile_env(), "DEBUG": "true", "CELERY_BROKER_URL": "memory://"})
    collected = Path(build["STATIC_ROOT"])

    assert "DEBUG=true" in dockerfile_run("collectstatic")
    assert collected.is_relative_to(IMAGE_ROOT)
    assert Path(compose_settings("web")["STATIC_ROOT"]) == collected
    for volume in compose()["services"]["web"].get("volumes", []):
        mounted = Path(str(volume).split(":")[1])
        assert not collected.is_relative_to(mounted), f"{volume} hides the collected files"
