"""The click group and the exit-status mapping, in one place.

``KlGroup.main`` maps every outcome to an exit status: 0 ok, 1 over the
allowed limit, 2 trouble, 130 interrupted (Ctrl-C), 143 and 129 terminated
(SIGTERM, SIGHUP); every error is one line on stderr (``--debug`` brings the
traceback back). While a command runs, standard output and standard error are
guarded (``streams.py``): a result that cannot be written is exit 2, a
diagnostic that cannot be written is dropped, so neither turns into 1.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click

from ..errors import ExitStatus, InputError, KlError, Terminated, UsageError
from .options import say
from .streams import guarded_streams

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
        completion = _shell_completion(self, prog_name or "kl-cli", complete_var, extra)
        if completion is not None:  # before the guarded streams: click writes the script as bytes
            if standalone_mode:
                sys.exit(completion)
            return completion
        _committed.clear()  # a new run (in-process runs come one after another)
        debug = "--debug" in (args[: args.index("--")] if "--" in args else args)
        with guarded_streams() as out:
            code = self._run(out, args, prog_name, complete_var, debug, **extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """``kl-cli`` alone prints the help on standard output and exits 0, as git does."""
        if not args and not ctx.resilient_parsing:
            click.echo(ctx.get_help(), color=ctx.color)
            ctx.exit(EXIT_OK)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EOFError as exc:
            # click would turn it into Abort, as for Ctrl-C (exit 130): it is an input that ended early
            raise InputError(f"an input ended early: {exc}") from None

    def _run(
        self, out: Any, args: list[str], prog_name: str | None, complete_var: str | None, debug: bool, **extra: Any
    ) -> int:
        try:
            if any("\x00" in a for a in args):  # only possible in-process: no shell passes a NUL byte
                raise UsageError("an argument holds a NUL byte")
            try:
                rv = super().main(args, prog_name or "kl-cli", complete_var, standalone_mode=False, **extra)
                code = rv if isinstance(rv, int) else EXIT_OK
            except click.exceptions.Exit as exc:
                code = exc.exit_code
            out.flush()  # a result that cannot be written is trouble, found here and not at exit
            if _interrupted and not _committed:  # a signal whose exception was lost: still not a success
                code = _signalled()
        except (click.exceptions.Abort, KeyboardInterrupt, Terminated) as exc:
            code = _signalled(exc.signum if isinstance(exc, Terminated) else None)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "kl-cli"
            say("error", f"{exc.format_message()} (see '{where} --help')")
            code = EXIT_TROUBLE
        except click.ClickException as exc:
            say("error", exc.format_message())
            code = EXIT_TROUBLE
        except Exception as exc:
            code = _interrupted_or_error(exc, debug)
        return int(code)


def _shell_completion(
    group: click.Group, prog_name: str, complete_var: str | None, extra: dict[str, Any]
) -> int | None:
    """The exit status of a shell-completion request (``_KL_CLI_COMPLETE=bash_source kl-cli``
    prints the script), or None when the run is not one."""
    import os

    var = complete_var or f"_{prog_name}_COMPLETE".replace("-", "_").replace(".", "_").upper()
    instruction = os.environ.get(var)
    if not instruction:
        return None
    from click.shell_completion import shell_complete

    return shell_complete(group, extra, prog_name, var, instruction)


def _signalled(signum: int | None = None) -> int:
    """The line and status of the signal that stopped the run: ``signum``,
    else the first one recorded, else SIGINT (Ctrl-C in-process)."""
    import signal

    if signum is None:
        signum = _interrupted[0] if _interrupted else signal.SIGINT
    if signum == signal.SIGINT:
        say("error", "interrupted")
        return EXIT_INTERRUPTED
    say("error", f"terminated ({signal.Signals(signum).name})")
    return 128 + signum


def _interrupted_or_error(exc: Exception, debug: bool) -> int:
    """One line for an error; 'interrupted' (or 'terminated') when a signal
    came first and a library turned it into an error of its own (pandas' C
    parser does)."""
    if _interrupted:
        return _signalled()
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


# Set by the signal handlers: some readers (pandas' C parser among them) turn
# the exception raised inside them into an error of their own.
_interrupted: list[int] = []


# Set when the command's work is committed (a profile has replaced its file):
# a signal after that has nothing left to stop, and is dropped.
_committed: list[bool] = []


def check_interrupted() -> None:
    """Raise a signal that came but whose exception was lost: Python drops an
    exception raised inside a garbage-collection callback (a library's
    finalizer), so the handlers' record is checked again at safe points."""
    if _interrupted and not _committed:
        import signal

        if _interrupted[0] == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(_interrupted[0], signal.Signals(_interrupted[0]).name)


def watched(callback: Callable[[int, int], None]) -> Callable[[int, int], None]:
    """A progress callback that first checks for a lost signal (see ``check_interrupted``)."""

    def call(done: int, total: int) -> None:
        check_interrupted()
        callback(done, total)

    return call


def _on_interrupt(signum: int, frame: Any) -> None:
    if _committed:
        return
    _interrupted.append(signum)
    raise KeyboardInterrupt


def _on_terminate(signum: int, frame: Any) -> None:
    """SIGTERM and SIGHUP go the way of Ctrl-C: an exception in the main
    thread, so that cleanups run (profile -o's temporary file)."""
    import signal

    if _committed:
        return
    _interrupted.append(signum)
    raise Terminated(signum, signal.Signals(signum).name)


@contextlib.contextmanager
def signals_held() -> Iterator[Callable[[], None]]:
    """A ``hold()`` to call at a commit point (a profile about to replace its
    file): from then on SIGINT, SIGTERM and SIGHUP wait, and those that came
    are dropped, at the end and until the process exits, since the work they
    would stop is done. So an interrupted ``profile -o`` exits 130 with the
    old file, or 0 with the new one, never 130 with the new one."""
    import signal
    import threading

    wanted = {getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)}
    saved: list[set[signal.Signals]] = []

    def hold() -> None:
        check_interrupted()  # a signal whose exception was lost stops the run before the commit
        if hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread():
            saved.append(signal.pthread_sigmask(signal.SIG_BLOCK, wanted))

    try:
        yield hold
    finally:
        if saved:
            _committed.append(True)  # from here to the exit, the handlers drop signals
            pending = signal.sigpending() & wanted
            handlers = {s: signal.signal(s, signal.SIG_IGN) for s in pending}  # a pending ignored signal is dropped
            signal.pthread_sigmask(signal.SIG_SETMASK, saved[0])
            for s, handler in handlers.items():
                signal.signal(s, handler)


def run() -> None:
    """Console-script entry point."""
    import signal
    import warnings

    _open_standard_descriptors()
    signal.signal(signal.SIGINT, _on_interrupt)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _on_terminate)
    if hasattr(signal, "SIGPIPE"):
        # Default SIGPIPE handling, as csvkit does, so `kl-cli ... | head -1` is quiet.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    warnings.showwarning = _show_warning
    try:
        code = cli.main(standalone_mode=False)
    except KeyboardInterrupt:  # a signal in the few lines after the command's own handlers
        code = EXIT_INTERRUPTED
    except Terminated as exc:
        code = exc.status
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):  # the run is over: a late signal must not become a traceback
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    _settle_streams()
    # Everything is written and flushed: leave at once, without the
    # interpreter's teardown. A reader thread stuck in a read would otherwise
    # hold the exit (Arrow's thread pool waits for it), and Arrow's native
    # threads torn down with the interpreter abort the process now and then
    # ("terminate called without an active exception", exit 134 after a
    # complete report: apache/arrow issue 34314).
    import os

    os._exit(int(code))


def _open_standard_descriptors() -> None:
    """A closed standard descriptor is opened on /dev/null, so that no file
    kl-cli opens can take its number (and a stray write to fd 1 land in a
    profile); ``sys.stdout`` stays None, and writing a result to it is an error."""
    import os

    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            with contextlib.suppress(OSError):
                null = os.open(os.devnull, os.O_RDWR)
                if null != fd:
                    os.dup2(null, fd)
                    os.close(null)


def _settle_streams() -> None:
    """Flush both streams now; one that cannot be written is pointed at
    /dev/null, so that the interpreter's own flush at exit cannot fail and
    change the exit status."""
    import os

    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue
        try:
            stream.flush()
        except (OSError, ValueError):
            with contextlib.suppress(OSError, ValueError, AttributeError):
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, stream.fileno())
                os.close(null)


def _show_warning(message: Any, category: type[Warning], filename: str, lineno: int, *args: Any) -> None:
    """A Python warning (from a library) as one visible line, like every diagnostic."""
    say("warning", f"{category.__name__}: {message}")


@click.group(cls=KlGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kl-cli", prog_name="kl-cli")
def cli() -> None:
    """Kullback-Leibler and related divergences between two distributions,
    with both directions explained."""
