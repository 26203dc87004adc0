"""``teipress daemon``: start, stop and ask after the project's build daemon.

See :mod:`teipress.daemon`: while it runs, ``teipress build`` in the project hands
its builds to it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from teipress.daemon import protocol
from teipress.daemon.client import IDLE_MINUTES, connect, project_root, spawn

#: How long ``start`` waits for a new daemon to answer.
START_TIMEOUT = 60.0
#: How long ``stop`` waits for the daemon to finish its build and go.
STOP_TIMEOUT = 600.0

_config_option = click.option(
    "--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The project's pyproject.toml/teipress.toml (default: searched upward from here).")
_idle_option = click.option(
    "--idle-timeout", type=click.FloatRange(min=0), default=IDLE_MINUTES, show_default=True,
    help="Minutes without a build after which the daemon stops by itself (0: never).")


@click.group("daemon")
def command() -> None:
    """A build daemon: 'teipress build' hands it its builds.

    \b
    The daemon keeps what a build starts from (render workers with compiled
    stylesheets, the checker, what the caches gave) from one build to the next:
    a rebuild after an edit takes a fraction of the time. It serves only its
    user, builds only with the teipress it was started with, and stops after
    --idle-timeout minutes without a build. 'teipress build --no-daemon'
    builds without it.
    """


@command.command("start")
@_config_option
@_idle_option
def start(config_file: Path | None, idle_timeout: float) -> None:
    """Start the project's daemon in the background (nothing to do if it runs)."""
    root = project_root(config_file)
    info = _ask(root, protocol.STATUS)
    if info is not None:
        click.echo(f"The build daemon runs already (pid {info['pid']}) for {root}", err=True)
        return
    try:
        proc = spawn(root, idle_timeout)
    except protocol.DaemonUnavailable as exc:
        raise click.ClickException(f"cannot start a build daemon here: {exc}") from exc
    log = protocol.socket_path(root).parent / "log"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise click.ClickException(f"the build daemon did not start (exit {proc.returncode}); see {log}")
        info = _ask(root, protocol.STATUS)
        if info is not None:
            click.echo(f"Build daemon started (pid {info['pid']}) for {root}; 'teipress build' uses it until "
                       f"'teipress daemon stop'{_idle_note(idle_timeout)}. Log: {log}", err=True)
            return
        time.sleep(0.05)
    raise click.ClickException(f"the build daemon did not answer within {START_TIMEOUT:.0f} s; see {log}")


@command.command("stop")
@_config_option
def stop(config_file: Path | None) -> None:
    """Stop the project's daemon (once the build in progress, if any, is done)."""
    root = project_root(config_file)
    info = _ask(root, protocol.STOP)
    if info is None:
        click.echo(f"No build daemon runs for {root}", err=True)
        return
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and _alive(int(info["pid"])):
        time.sleep(0.05)
    click.echo(f"Build daemon stopped (pid {info['pid']})", err=True)


@command.command("status")
@_config_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(config_file: Path | None, as_json: bool) -> None:
    """Whether the project's daemon runs, and what it has done (exit status 1 if none runs)."""
    root = project_root(config_file)
    info = _ask(root, protocol.STATUS)
    if as_json:
        click.echo(json.dumps(info or {"running": False, "root": os.fspath(root)}))
    elif info is None:
        click.echo(f"No build daemon runs for {root}")
    else:
        doing = "building now" if info["building"] else f"idle {info['idle_seconds']:.0f} s"
        click.echo(f"Build daemon pid {info['pid']} for {info['root']}: {info['builds']} build(s), {doing}, "
                   f"{info['rss_mib']:.0f} MiB resident (its render workers not counted)")
    sys.exit(0 if info is not None else 1)


@command.command("run")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=".",
              help="The project folder (default: here).")
@_idle_option
@click.option("--warm-up", "warm_up", hidden=True,
              help="A build request (JSON) to run first, quietly: 'teipress build' starting a daemon.")
def run(root: Path, idle_timeout: float, warm_up: str | None) -> None:
    """Run the daemon in the foreground (what 'start' runs in the background)."""
    from teipress.daemon.server import Daemon, DaemonRunning

    try:
        daemon = Daemon(root, idle_timeout * 60 if idle_timeout else None)
        daemon.bind()
    except (DaemonRunning, protocol.DaemonUnavailable) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"teipress build daemon {os.getpid()} listening on {daemon.path}", err=True)
    daemon.serve(json.loads(warm_up) if warm_up else None)


def _ask(root: Path, kind: bytes) -> dict[str, Any] | None:
    """The daemon's answer to a status or stop request, or None when none runs."""
    sock = connect(root)
    if sock is None:
        return None
    with sock:
        try:
            protocol.send(sock, kind)
            message = protocol.receive(sock.makefile("rb"))
        except OSError:
            return None
    if message is None or message[0] != protocol.INFO:
        return None
    answer: dict[str, Any] = json.loads(message[1])
    return answer


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _idle_note(minutes: float) -> str:
    return f" or {minutes:g} minutes without a build" if minutes else ""
