"""The `selfmod` command line. Exit codes: 0 done, 2 bad input or usage, 1 internal failure."""

from __future__ import annotations

import gc
import json
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from selfmod.cli_step import history, replay, step
from selfmod.cli_trace import trace_app
from selfmod.config import Settings
from selfmod.errors import InputError, SelfmodError
from selfmod.model_spec import OFFLINE, default_spec
from selfmod.protocols import BugExtractor, Patcher
from selfmod.tools.changes.audit import AuditLog
from selfmod.tools.changes.rollback import rollback as rollback_change
from selfmod.tools.changes.safety import disable as disable_switch
from selfmod.tools.changes.safety import enable as enable_switch
from selfmod.tools.changes.safety import is_disabled
from selfmod.tools.changes.state_dir import checked_settings
from selfmod.tools.reflections import load_reflections
from selfmod.tools.triage import triage as triage_entries

app = typer.Typer(
    help="Turn an agent's reflections into tested, audited fixes of its own code.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True, soft_wrap=True)

app.add_typer(trace_app, name="trace")
app.command()(step)
app.command()(history)
app.command()(replay)

Agents = tuple[BugExtractor, Patcher]
ProjectOpt = Annotated[Path, typer.Option("--project", "-p", help="The project selfmod works on.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def _settings(project: Path, **overrides: object) -> Settings:
    return checked_settings(project, **overrides)


def project_path(project: Path) -> Path:
    """Validate the --project option."""
    if not project.is_dir():
        raise InputError(f"--project {project} is not a directory")
    return project


@app.callback()
def _root() -> None:
    """selfmod command line."""


@app.command()
def demo(
    keep: Annotated[Path | None, typer.Option(help="Create the sample project here instead of a temp folder.")] = None,
) -> None:
    """Create a sample agent project with a seeded bug and show selfmod repairing it."""
    from selfmod.demo import run_demo  # the graph framework loads only for commands that run the graph

    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        raise typer.Exit(run_demo(keep, console))
    with tempfile.TemporaryDirectory(prefix="selfmod-demo-") as tmp:
        raise typer.Exit(run_demo(Path(tmp), console))


@app.command()
def run(
    project: ProjectOpt = Path("."),
    reflections: Annotated[
        Path | None, typer.Option(help="Reflections file (default: <project>/reflections.json).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="openai:<name>, offline, scripted:<file> (default: env).")] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Apply patches that passed their tests without asking.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Process the reflections: extract bugs, write, review and test patches, apply the approved ones."""
    settings = _settings(project_path(project), auto_approve=True if yes else None)
    payload = {"reflections_file": str(reflections.resolve())} if reflections else {}
    load_reflections(reflections or settings.reflections_path)  # bad input stops here, before .selfmod/ is created
    interactive = sys.stdin.isatty() and console.is_terminal and not as_json and not yes
    agents = offline_head_start(settings, model, reflections or settings.reflections_path)
    from selfmod.cli_run import execute  # after the head start: loading the graph framework takes a while

    execute(settings, model, payload=payload, interactive=interactive, as_json=as_json, console=console, agents=agents)


def offline_head_start(settings: Settings, model: str | None, reflections: Path) -> Agents | None:
    """With the offline engine, its agents with their work on the first reflection already started
    (`agents/offline/warm_up.py`); None with an LLM."""
    if (model or default_spec()) != OFFLINE:
        return None
    from selfmod.agents.offline.offline_extractor import OfflineExtractor
    from selfmod.agents.offline.offline_patcher import OfflinePatcher
    from selfmod.agents.offline.warm_up import start_warm_up

    patcher = OfflinePatcher(settings)
    start_warm_up(settings, patcher, reflections)
    return OfflineExtractor(settings), patcher


@app.command()
def resume(
    thread_id: Annotated[str, typer.Argument(help="The thread id printed by `selfmod run`.")],
    project: ProjectOpt = Path("."),
    approve: Annotated[bool, typer.Option("--approve", help="Apply the patches waiting for approval.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject the patches waiting for approval.")] = False,
    model: Annotated[str | None, typer.Option(help="openai:<name>, offline, scripted:<file> (default: env).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Continue a run from its checkpoint (after an interruption, or to answer its approval)."""
    if approve and reject:
        raise InputError("--approve and --reject exclude each other")
    settings = _settings(project_path(project))
    decision = True if approve else False if reject else None
    interactive = sys.stdin.isatty() and console.is_terminal and not as_json and decision is None
    from selfmod.cli_run import execute

    execute(
        settings,
        model,
        thread_id=thread_id,
        resume=True,
        approve=decision,
        interactive=interactive,
        as_json=as_json,
        console=console,
    )


@app.command()
def triage(
    project: ProjectOpt = Path("."),
    reflections: Annotated[
        Path | None, typer.Option(help="Reflections file (default: <project>/reflections.json).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show which reflections are actionable, duplicates, selfmod's own, or not actionable."""
    settings = _settings(project)
    path = reflections or settings.reflections_path
    loaded = load_reflections(path)
    items = triage_entries(loaded.entries, AuditLog(settings.state_dir).handled_reflection_ids())
    if as_json:
        rows = [{"reflection_id": i.reflection_id, "status": i.status, "indicators": list(i.indicators)} for i in items]
        print(json.dumps({"results": rows, "warnings": loaded.warnings}))
        return
    for warning in loaded.warnings:
        err.print(f"[yellow]warning:[/yellow] {warning}")
    table = Table("reflection", "status", "indicators")
    for i in items:
        table.add_row(i.reflection_id, i.status, ", ".join(i.indicators))
    console.print(table)


@app.command()
def audit(
    project: ProjectOpt = Path("."),
    as_json: JsonOpt = False,
    verify: Annotated[
        bool, typer.Option("--verify", help="Check the hash chain; exit 1 naming the first bad record.")
    ] = False,
) -> None:
    """Show the audit log."""
    log = AuditLog(_settings(project).state_dir)
    if verify:
        result = log.verify()
        if result.ok:
            console.print(f"audit chain intact: {result.count} record(s) in {log.path}")
            return
        where = f" at line {result.bad_line} (record {result.bad_id})" if result.bad_line else ""
        err.print(f"audit chain broken{where}: {result.reason}", markup=False, highlight=False)
        raise typer.Exit(1)
    records = log.records()
    if as_json:
        print(json.dumps([r.model_dump(mode="json") for r in records]))
        return
    table = Table("audit id", "time (UTC)", "status", "reflection", "file", "message")
    for r in records:
        table.add_row(r.id, r.timestamp, r.status, r.reflection_id or "", r.file or "", r.message[:80])
    console.print(table)


@app.command()
def rollback(
    audit_id: Annotated[str, typer.Argument(help="The audit id of the applied change.")],
    project: ProjectOpt = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Restore even if the file changed since.")] = False,
) -> None:
    """Undo an applied change: restore the backup, commit when the change was committed, record it."""
    settings = _settings(project)
    record = rollback_change(settings, AuditLog(settings.state_dir), audit_id, force=force)
    console.print(f"rolled back {audit_id}: {record.file} restored (audit {record.id})")


@app.command()
def disable(
    project: ProjectOpt = Path("."),
    reason: Annotated[str, typer.Option(help="Why, for the record.")] = "",
) -> None:
    """Kill switch on: nothing is applied until `selfmod enable`."""
    flag = disable_switch(_settings(project), reason)
    console.print(f"selfmod disabled for this project ({flag})")


@app.command()
def enable(project: ProjectOpt = Path(".")) -> None:
    """Kill switch off."""
    settings = _settings(project)
    was = enable_switch(settings)
    console.print("selfmod enabled" if was else "selfmod was not disabled")
    still = is_disabled(settings)
    if still:
        err.print(f"[yellow]note:[/yellow] still disabled: {still}")


@app.command()
def doctor(project: ProjectOpt = Path(".")) -> None:
    """Show which sandbox isolation this machine offers, and why."""
    from selfmod.config import load_settings
    from selfmod.tools.sandbox.doctor import checks, isolation_line

    setting = load_settings(project_path(project)).sandbox
    for check in checks():
        mark = "ok " if check.ok else "no "
        console.print(f"{mark} {check.name}: {check.detail}", highlight=False, markup=False)
    console.print(f"sandbox = {setting!r} -> {isolation_line(setting)}", highlight=False, markup=False)


def main() -> None:
    """Console-script entry point: the one place our errors become exit codes (usage errors exit 2 in typer)."""
    try:
        app()
    except InputError as exc:
        err.print(f"error: {exc}", highlight=False, markup=False)
        sys.exit(2)
    except SelfmodError as exc:
        err.print(f"error: {exc}", highlight=False, markup=False)
        sys.exit(1)
    finally:
        gc.freeze()  # exiting, the interpreter then skips collecting all the run loaded: a third of a second
