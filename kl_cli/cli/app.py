"""The click group and the exit-status mapping, in one place.

``KlGroup.main`` maps every outcome to an exit status: 0 ok, 1 over the
allowed limit, 2 trouble, 130 interrupted; every error is one line on
stderr (``--debug`` brings the traceback back).
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

import click

from ..errors import ExitStatus, KlError, UsageError
from .options import say

EXIT_OK, EXIT_EXCEEDED, EXIT_TROUBLE, EXIT_INTERRUPTED = (
    ExitStatus.OK,
    ExitStatus.EXCEEDED,
    ExitStatus.TROUBLE,
    ExitStatus.INTERRUPTED,
)


class KlGroup(click.Group):
    """A group whose ``main`` turns every exception into one line and an exit status."""

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        args = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in (args[: args.index("--")] if "--" in args else args)
        try:
            if any("\x00" in a for a in args):  # only possible in-process: no shell passes a NUL byte
                raise UsageError("an argument holds a NUL byte")
            rv = super().main(args, prog_name or "kl-cli", complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else EXIT_OK
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except (click.exceptions.Abort, KeyboardInterrupt):
            say("error", "interrupted")
            code = EXIT_INTERRUPTED
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "kl-cli"
            say("error", f"{exc.format_message()} (see '{where} --help')")
            code = EXIT_TROUBLE
        except click.ClickException as exc:
            say("error", exc.format_message())
            code = EXIT_TROUBLE
        except Exception as exc:
            code = _interrupted_or_error(exc, debug)
        if standalone_mode:
            sys.exit(code)
        return code


def _interrupted_or_error(exc: Exception, debug: bool) -> int:
    """One line for an error; 'interrupted' when Ctrl-C came first and a
    library turned it into an error of its own (pandas' C parser does)."""
    if _interrupted:
        say("error", "interrupted")
        return EXIT_INTERRUPTED
    if isinstance(exc, BrokenPipeError):
        return _quiet_broken_pipe()
    if debug:
        _print_traceback()
    if isinstance(exc, KlError):
        say("error", exc.one_line())
    else:  # an internal error: still one line, unless --debug
        say("error", f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)")
    return EXIT_TROUBLE


def _print_traceback() -> None:
    import traceback  # only for --debug: it costs start-up time otherwise

    traceback.print_exc()


def _quiet_broken_pipe() -> int:
    """The reader went away (``| head``): stop quietly, as cat does."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    return EXIT_OK


# Set by the SIGINT handler: some readers (pandas' C parser among them) turn
# the KeyboardInterrupt raised inside them into an error of their own.
_interrupted: list[int] = []


def _on_interrupt(signum: int, frame: Any) -> None:
    _interrupted.append(signum)
    raise KeyboardInterrupt


def run() -> None:
    """Console-script entry point."""
    import signal

    signal.signal(signal.SIGINT, _on_interrupt)
    if hasattr(signal, "SIGPIPE"):
        # Default SIGPIPE handling, as csvkit does, so `kl-cli ... | head -1` is quiet.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    code = cli.main(standalone_mode=False)
    if code == EXIT_INTERRUPTED:
        # Interrupted: leave at once. A reader thread stuck in a read would
        # otherwise hold the interpreter's exit (Arrow's thread pool waits for it).
        import os

        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(int(code))
    sys.exit(code)


@click.group(cls=KlGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kl-cli", prog_name="kl-cli")
def cli() -> None:
    """Kullback-Leibler and related divergences between two distributions,
    with both directions explained."""
