"""docker-compose.yml, the Dockerfile and portal/settings.py, read as the tests need them.

Docker does not run here, so the tests read both files: which commands and variables each service
has, what the image copies, and which variables the settings read.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import os
import re
import runpy
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = ROOT / "portal" / "settings.py"
# Where the Dockerfile puts the checkout (WORKDIR); the tests run it from ROOT instead.
IMAGE_ROOT = "/app"

# Functions of portal/settings.py (and the os module's) whose first argument names a variable.
ENV_READERS = {"env", "env_bool", "env_int", "env_list", "getenv", "get"}


def settings_from(environment: Mapping[str, str]) -> dict[str, Any]:
    """portal/settings.py evaluated afresh under exactly `environment` (Django's own untouched)."""
    with mock.patch.dict(os.environ, environment, clear=True):
        return runpy.run_path(str(SETTINGS_FILE))


# Read by the libraries themselves, not by the settings: Celery's worker (billiard) turns SIGTERM
# into a bounded warm shutdown when REMAP_SIGTERM=SIGQUIT is in its environment at start.
LIBRARY_VARIABLES = frozenset({"REMAP_SIGTERM"})


def settings_variables() -> set[str]:
    """Every environment variable portal/settings.py reads, found in its code."""
    tree = ast.parse(SETTINGS_FILE.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if called in ENV_READERS and isinstance(first, ast.Constant):
                names.add(str(first.value))
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and ast.unparse(node.value) == "os.environ"
        ):
            names.add(str(node.slice.value))
    return names


# -- docker-compose.yml ------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def app_services() -> dict[str, dict[str, Any]]:
    """The services that run this project's image (the others are PostgreSQL, Redis, Mailpit)."""
    return {name: spec for name, spec in compose()["services"].items() if "build" in spec}


INTERPOLATION = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(value: str, environment: Mapping[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}`, `${NAME:?error}` and `$$` against `environment`."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        given = environment.get(name)
        if op in (":-", "-") and (given is None or (op == ":-" and given == "")):
            return arg
        if op in (":?", "?") and (given is None or (op == ":?" and given == "")):
            raise ValueError(f"docker compose would stop: {name}: {arg}")
        return given or ""

    return INTERPOLATION.sub(replace, value)


def interpolated_names(value: str) -> set[str]:
    return {m.group("name") for m in INTERPOLATION.finditer(value) if m.group("name")}


def service_environment(service: str, environment: Mapping[str, str]) -> dict[str, str]:
    """The variables `docker compose up` gives `service`, with `environment` as the host's .env."""
    spec = compose()["services"][service]
    return {
        name: interpolate(str(value), environment)
        for name, value in (spec.get("environment") or {}).items()
    }


def service_command(service: str) -> list[str]:
    """The command `service` runs: its own `command`, or the image's CMD."""
    spec = compose()["services"][service]
    command = spec.get("command")
    if command is None:
        return dockerfile_cmd()
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def shell_commands(command: list[str]) -> list[list[str]]:
    """The simple commands of `command`: itself, or each one an `sh -c` script chains with `&&`."""
    if command[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in command[2].split("&&")]
    return [command]


def published_ports(service: str) -> list[tuple[str, int, int]]:
    """(host address, host port, container port) for each of `service`'s published ports."""
    published = []
    for entry in compose()["services"][service].get("ports", []):
        *host, container = str(entry).split(":")
        address = host[0] if len(host) == 2 else "0.0.0.0"
        published.append((address, int(host[-1]), int(container)))
    return published


# -- Dockerfile --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def dockerfile() -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined and comments dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def dockerfile_cmd() -> list[str]:
    (cmd,) = [i for i in dockerfile() if i.keyword == "CMD"]
    return [str(part) for part in json.loads(cmd.arguments)]


def dockerfile_env() -> dict[str, str]:
    values: dict[str, str] = {}
    for instruction in dockerfile():
        if instruction.keyword == "ENV":
            for assignment in shlex.split(instruction.arguments):
                name, _, value = assignment.partition("=")
                values[name] = value
    return values


def dockerfile_workdir() -> str:
    (workdir,) = [i.arguments for i in dockerfile() if i.keyword == "WORKDIR"]
    return workdir


def dockerfile_run(containing: str) -> str:
    (run,) = [i.arguments for i in dockerfile() if i.keyword == "RUN" and containing in i.arguments]
    return run


def dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ignore_matches(pattern: str, path: str) -> bool:
    """Whether a .dockerignore pattern matches `path` or a folder above it (which takes it all)."""
    pattern = pattern.strip("/")
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    if pattern.startswith("**/"):
        return any(fnmatch.fnmatchcase(part, pattern[3:]) for part in parts)
    return any(fnmatch.fnmatchcase(candidate, pattern) for candidate in candidates)


def is_dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern that matches decides, `!` lets a path back in."""
    ignored = False
    for pattern in patterns:
        if _ignore_matches(pattern.removeprefix("!"), path):
            ignored = not pattern.startswith("!")
    return ignored


def copied_into_image(path: str, instructions: list[Instruction], patterns: list[str]) -> bool:
    """Whether a COPY of the build context puts `path` (relative to the checkout) in the image."""
    if is_dockerignored(path, patterns):
        return False
    for instruction in instructions:
        if instruction.keyword not in ("COPY", "ADD") or "--from" in instruction.arguments:
            continue
        *sources, _ = [a for a in shlex.split(instruction.arguments) if not a.startswith("--")]
        for source in sources:
            source = source.strip("/").removeprefix("./") or "."
            if source == "." or path == source or path.startswith(source + "/"):
                return True
    return False
