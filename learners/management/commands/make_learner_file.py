"""Write a realistic learner file from the sandbox, with a chosen share of defective rows."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from learners.filegen import FileGenerationError, generate_learner_file
from learners.formats import FILE_TYPES
from portal.models import Provider


class Command(BaseCommand):
    help = (
        "Write a learner file (.txt, .xml or .xlsx) for a sandbox provider: real directory "
        "physicians and the provider's activities, a share of rows with known defects. "
        "Run `manage.py seed_sandbox` first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, required=True, help="number of learner rows")
        parser.add_argument(
            "--error-rate", type=float, default=0.0, help="share of defective rows, 0 to 1"
        )
        parser.add_argument("--format", choices=FILE_TYPES, default="txt", dest="file_type")
        parser.add_argument("--provider", required=True, help="ACCME Provider ID, e.g. 0001234")
        parser.add_argument("--program", choices=("board", "rems"), default="board")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--output", help="file to write ('-' for standard output); default: a name in ."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        accme_id = options["provider"].strip().zfill(7)
        provider = Provider.objects.filter(accme_id=accme_id).first()
        if provider is None:
            raise CommandError(f"No provider with ACCME Provider ID {accme_id}.")
        try:
            data = generate_learner_file(
                provider=provider,
                rows=options["rows"],
                error_rate=options["error_rate"],
                file_type=options["file_type"],
                program=options["program"],
                seed=options["seed"],
                today=timezone.localdate(),
            )
        except FileGenerationError as problem:
            raise CommandError(str(problem)) from None
        output = options["output"] or (
            f"learners-{accme_id}-{options['program']}-{options['rows']}"
            f"-seed{options['seed']}.{options['file_type']}"
        )
        if output == "-":
            sys.stdout.buffer.write(data)
            return
        Path(output).write_bytes(data)
        self.stdout.write(f"Wrote {options['rows']} rows ({len(data):,} bytes) to {output}.")
