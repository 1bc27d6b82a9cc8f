"""`kl-cli profile DATA... -o OUT`: options into one call, the profile to a file or stdout."""

from __future__ import annotations

import sys
from typing import Any

import click

from .app import EXIT_OK, signals_held
from .config_options import apply_config, config_options
from .needs import KlCommand, complete_files
from .options import dataset_options, debug_option, engine_options, open_stdin, say
from .streams import check_stdout


@click.command(cls=KlCommand)
@click.argument("data", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    required=True,
    shell_complete=complete_files,
    help="Where to write the profile JSON (- for standard output); an existing file is replaced only if it is "
    "a kl-cli profile (or empty).",
)
@dataset_options
@engine_options
@config_options(
    "the settings that shape a profile (bins, binning, numeric, categorical, columns, exclude; a column's bins, "
    "type and ignore; drift's other keys are skipped)"
)
@debug_option
def profile(data: tuple[str, ...], output: str, **options: Any) -> int:
    """Write a small reference profile of DATA for later drift checks.

    Several data files are profiled as one dataset. A profile given among
    DATA fixes the types and bin edges, and the data files are added to its
    counts; several profiles are merged by adding counts. The keys of the
    configuration file that shape a profile apply as in drift (those that
    only judge are drift's), so that drift agrees with the profile.
    """
    from ..profiles.store import ProfileTarget
    from ..render.progress import ReadProgress
    from ..render.writers import write_json
    from ..reports.profile import run_profile
    from ..text import visible

    options.pop("debug")
    apply_config(click.get_current_context(), options, "profile")
    if output == "-":
        check_stdout()  # a closed standard output is refused before any input is read
        with ReadProgress() as progress:
            result = run_profile(
                list(data), open_stdin=open_stdin, progress=progress, partition_progress=progress.partitions, **options
            )
        _notes(result.notes)
        write_json(result.to_dict(), sys.stdout)
        return EXIT_OK
    # Checked before any input is read; locked until the profile replaces it.
    with ProfileTarget(output) as target:
        with ReadProgress() as progress:
            result = run_profile(
                list(data),
                open_stdin=open_stdin,
                progress=progress,
                partition_progress=progress.partitions,
                target=target,
                **options,
            )
        _notes(result.notes)
        with signals_held() as hold:
            target.write(result, before_commit=hold)
            say("note", f"wrote profile of {result.rows} rows, {len(result.columns)} columns to {visible(output)}")
    return EXIT_OK


def _notes(notes: list[str]) -> None:
    for note in notes:
        say("note", note)
