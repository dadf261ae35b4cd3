"""``billing-sync``: serve, worker, migrate, environments, keys, catalog, usage, jobs and
import."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from app import db, migrations
from app.config import get_settings
from app.entitlements.decision import Decision
from app.errors import AppError, CatalogInvalid
from app.models.catalog import FeatureType

app = typer.Typer(
    help="billing-sync: customers, subscriptions and entitlements, kept in Stripe.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
environments_app = typer.Typer(
    help="Environments (development, production, ...).", no_args_is_help=True
)
keys_app = typer.Typer(help="Server API keys of an environment.", no_args_is_help=True)
catalog_app = typer.Typer(help="The product catalog.", no_args_is_help=True)
jobs_app = typer.Typer(help="Background jobs.", no_args_is_help=True)
webhooks_app = typer.Typer(help="Stored Stripe events.", no_args_is_help=True)
usage_app = typer.Typer(help="Customers' entitlements and their usage.", no_args_is_help=True)
app.add_typer(environments_app, name="environments")
app.add_typer(keys_app, name="keys")
app.add_typer(catalog_app, name="catalog")
app.add_typer(jobs_app, name="jobs")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(usage_app, name="usage")

out = Console()
err = Console(stderr=True)

EnvironmentOption = Annotated[
    str, typer.Option("--environment", "-e", help="Environment name, e.g. development.")
]


def _fail(exc: AppError) -> None:
    err.print(f"[red]error[/red] [{exc.code}] {exc.message}")
    if isinstance(exc, CatalogInvalid):
        for problem in exc.problems:
            err.print(f"  - {problem}", markup=False, highlight=False)
    raise typer.Exit(1)


def _setup_logging() -> None:
    from app.logging import configure_logging  # noqa: PLC0415

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    _setup_logging()
    migrations.upgrade()
    out.print("database is up to date")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default PORT).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="API processes (default API_WORKERS); needs REDIS_URL."),
    ] = None,
) -> None:
    """Serve the API; without REDIS_URL the job worker runs in this process too."""
    settings = get_settings()
    processes = workers or settings.api_workers
    if processes > 1 and settings.redis_url is None:
        err.print(
            f"[red]error[/red] {processes} API processes need REDIS_URL: each keeps its own "
            "entitlement cache and learns of the others' changes through Redis, and jobs "
            "go to `billing-sync worker` processes through it"
        )
        raise typer.Exit(2)
    # Imported once the settings are known to serve: a refusal answers without them.
    import uvicorn  # noqa: PLC0415

    migrations.upgrade()
    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_config": None,
        "proxy_headers": True,
    }
    if processes > 1:
        # Each process builds its own application from the same settings; this one only
        # watches them, and never loads the application itself.
        uvicorn.run("app.main:create_app", factory=True, workers=processes, **options)
    else:
        from app.main import create_app  # noqa: PLC0415

        uvicorn.run(create_app(settings), **options)


@app.command()
def worker(
    threads: Annotated[
        int | None, typer.Option(help="Worker threads (default WORKER_THREADS).")
    ] = None,
) -> None:
    """Run job workers in this process (needs REDIS_URL, shared with the API)."""
    from workers.broker import build_broker  # noqa: PLC0415
    from workers.runner import run_forever  # noqa: PLC0415

    settings = get_settings()
    _setup_logging()
    if settings.redis_url is None:
        err.print(
            "[red]error[/red] REDIS_URL is not set: without it `serve` runs the "
            "worker itself, and a separate worker would never see its jobs"
        )
        raise typer.Exit(2)
    run_forever(
        build_broker(settings),
        threads or settings.worker_threads,
        settings.scheduler_interval_seconds,
    )


@environments_app.command("create")
def environments_create(name: str) -> None:
    """Create an environment (nothing happens if it exists)."""
    from app.environments import service  # noqa: PLC0415

    try:
        with db.unit_of_work() as session:
            environment = service.ensure_environment(session, name)
            out.print(f"environment {environment.name} ({environment.id})")
    except AppError as exc:
        _fail(exc)


@environments_app.command("stripe")
def environments_stripe(
    name: str,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="The account's secret key (sk_/rk_...).")
    ] = None,
    webhook_secret: Annotated[
        list[str] | None,
        typer.Option("--webhook-secret", help="A webhook signing secret (whsec_...); repeat."),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Back to the default account (STRIPE_API_KEY).")
    ] = False,
) -> None:
    """Give an environment a Stripe account of its own (stored encrypted with SECRET_KEY)."""
    from app.environments import service  # noqa: PLC0415

    if clear == (api_key is not None):
        err.print("give --api-key (and --webhook-secret), or --clear")
        raise typer.Exit(2)
    try:
        with db.unit_of_work() as session:
            if clear:
                service.clear_stripe_credentials(session, name)
                out.print(f"environment {name} uses the default Stripe account")
            else:
                assert api_key is not None
                service.set_stripe_credentials(session, name, api_key, webhook_secret or [])
                out.print(f"environment {name} has a Stripe account of its own")
    except AppError as exc:
        _fail(exc)


@environments_app.command("list")
def environments_list() -> None:
    from app.environments import service  # noqa: PLC0415

    with db.unit_of_work() as session:
        for environment in service.list_environments(session):
            out.print(f"{environment.name}\t{environment.id}")


@keys_app.command("create")
def keys_create(environment: EnvironmentOption) -> None:
    """Create a server API key. It is shown once, alone on the last line."""
    from app.environments import service  # noqa: PLC0415

    try:
        with db.unit_of_work() as session:
            issued = service.create_api_key(session, environment)
            key_id, raw_key = issued.record.id, issued.key
    except AppError as exc:
        _fail(exc)
    err.print(
        f"API key {key_id} for environment {environment}; store it now, it cannot be shown again:"
    )
    sys.stdout.write(raw_key + "\n")


@keys_app.command("list")
def keys_list(environment: EnvironmentOption) -> None:
    from app.environments import service  # noqa: PLC0415

    try:
        with db.unit_of_work() as session:
            table = Table("id", "prefix", "created", "revoked")
            for key in service.list_api_keys(session, environment):
                table.add_row(
                    key.id,
                    key.prefix + "...",
                    key.created_at.isoformat(),
                    key.revoked_at.isoformat() if key.revoked_at else "",
                )
    except AppError as exc:
        _fail(exc)
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    from app.environments import service  # noqa: PLC0415

    try:
        with db.unit_of_work() as session:
            service.revoke_api_key(session, key_id)
    except AppError as exc:
        _fail(exc)
    out.print(f"revoked {key_id}")


@catalog_app.command("validate")
def catalog_validate(file: Path) -> None:
    """Check a catalog file without applying it."""
    from app.catalog.schemas import load_catalog  # noqa: PLC0415

    try:
        load_catalog(_read(file), file.name)
    except AppError as exc:
        _fail(exc)
    out.print(f"{file}: valid")


@catalog_app.command("apply")
def catalog_apply(
    environment: EnvironmentOption,
    file: Annotated[Path | None, typer.Argument(help="A YAML or JSON catalog file.")] = None,
    example: Annotated[
        bool,
        typer.Option("--example", help="The example catalog shipped with billing-sync."),
    ] = False,
) -> None:
    """Apply a catalog file to an environment: all of it, or nothing if it is invalid."""
    from app.catalog.example import EXAMPLE_NAME, example_catalog  # noqa: PLC0415
    from app.catalog.schemas import load_catalog  # noqa: PLC0415
    from app.catalog.service import apply_catalog  # noqa: PLC0415
    from app.environments import service as environments  # noqa: PLC0415

    if example == (file is not None):
        err.print("give a catalog FILE, or --example")
        raise typer.Exit(2)
    try:
        if file is None:
            spec = load_catalog(example_catalog(), EXAMPLE_NAME)
        else:
            spec = load_catalog(_read(file), file.name)
        with db.unit_of_work() as session:
            env = environments.get_environment(session, environment)
            report = apply_catalog(session, env, spec)
            environment_id = env.id
            integrated = environments.billing_integrated(session, env.id)
    except AppError as exc:
        _fail(exc)
    out.print(report.summary())
    if integrated:
        _sync_catalog(environment_id)


def _sync_catalog(environment_id: str) -> None:
    """Create what Stripe lacks of the catalog: queued for the workers when they share
    a broker with this command, done here otherwise (no worker would see the job)."""
    from app.billing.catalog import sync_catalog  # noqa: PLC0415

    settings = get_settings()
    if settings.redis_url:
        import dramatiq  # noqa: PLC0415

        from app.jobs import DEFAULT_QUEUE  # noqa: PLC0415
        from workers.broker import build_broker  # noqa: PLC0415

        build_broker(settings).enqueue(
            dramatiq.Message(
                queue_name=DEFAULT_QUEUE,
                actor_name="billing.sync_catalog",
                args=(),
                kwargs={"environment_id": environment_id},
                options={},
            )
        )
        out.print("Stripe catalog sync queued")
        return
    try:
        count = sync_catalog(environment_id)
    except AppError as exc:
        _fail(exc)
    out.print(f"Stripe catalog in step ({count} prices, coupons and codes checked)")


@catalog_app.command("sync")
def catalog_sync(environment: EnvironmentOption) -> None:
    """Create in Stripe whatever of the environment's catalog it lacks."""
    from app.environments import service as environments  # noqa: PLC0415

    try:
        with db.unit_of_work() as session:
            environment_id = environments.get_environment(session, environment).id
            integrated = environments.billing_integrated(session, environment_id)
    except AppError as exc:
        _fail(exc)
    if not integrated:
        err.print(
            "neither STRIPE_API_KEY nor the environment's own Stripe key is set: "
            "there is no billing integration to sync"
        )
        raise typer.Exit(2)
    _sync_catalog(environment_id)


@usage_app.command("show")
def usage_show(
    customer: Annotated[str, typer.Option("--customer", help="The customer's id (customerId).")],
    environment: EnvironmentOption,
    resource: Annotated[
        str | None,
        typer.Option("--resource", help="A resourceId; without it, usage outside any resource."),
    ] = None,
) -> None:
    """A customer's entitlements with their usage, as cachedEntitlements answers them."""
    from app.customers import service as customers  # noqa: PLC0415
    from app.entitlements import service as entitlements  # noqa: PLC0415
    from app.environments import service as environments  # noqa: PLC0415

    try:
        with db.unit_of_work(write=False) as session:
            env = environments.get_environment(session, environment)
            customers.get_customer(session, env, customer)
            decisions = entitlements.checks(session, env, customer, resource)
    except AppError as exc:
        _fail(exc)
    scope = f" for resource {resource}" if resource is not None else ""
    if not decisions:
        out.print(f"customer {customer} has no entitlements{scope}", markup=False)
        return
    table = Table(title=f"entitlements of {customer}{scope} (times in UTC)")
    table.add_column("feature", no_wrap=True)
    for name in USAGE_COLUMNS:
        table.add_column(name)
    for decision in decisions:
        table.add_row(*_usage_row(decision))
    # Wider than the terminal rather than cut: every figure is shown whole.
    needed = Measurement.get(out, out.options.update_width(10_000), table).maximum
    Console(width=max(out.width, needed)).print(table)
    for decision in decisions:
        if decision.denied is not None and decision.feature is not None:
            reason = decision.denied.value
            out.print(f"{decision.feature.ref_id}: not granted, {reason}", markup=False)


# After the feature's refId, in the order _usage_row fills them.
USAGE_COLUMNS = (
    "type", "granted", "usage", "limit", "soft limit", "resets",
    "period start", "period end", "next reset",
)  # fmt: skip


def _usage_row(decision: Decision) -> list[str]:
    feature, grant, period = decision.feature, decision.grant, decision.period
    # checks() answers only the features a live source grants.
    assert feature is not None
    assert grant is not None
    allowance = grant.allowance
    kind = feature.feature_type
    if kind == FeatureType.BOOLEAN.value:
        limit = "-"
    elif kind == FeatureType.ENUM.value:
        limit = ", ".join(sorted(allowance.enum_values)) or "-"
    elif allowance.unlimited:
        limit = "unlimited"
    else:
        limit = _amount(allowance.usage_limit)
    return [
        feature.ref_id,
        kind,
        "yes" if decision.is_granted else "no",
        _amount(decision.current_usage) if feature.is_metered else "-",
        limit,
        ("yes" if allowance.soft_limit else "no") if kind == FeatureType.NUMBER.value else "-",
        str(allowance.reset_period) if period is not None and allowance.reset_period else "-",
        _moment(period.start if period else None),
        _moment(period.end if period else None),
        _moment(period.end if period else None),
    ]


def _amount(value: Decimal | None) -> str:
    return "-" if value is None else f"{value.normalize():f}"


def _moment(value: datetime | None) -> str:
    return "-" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


@jobs_app.command("ping")
def jobs_ping(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for a worker.")] = 5.0,
) -> None:
    """Send a ping job and wait for a worker to answer it (checks REDIS_URL workers)."""
    import dramatiq  # noqa: PLC0415

    from app import jobs  # noqa: PLC0415
    from workers.broker import build_broker  # noqa: PLC0415

    settings = get_settings()
    broker = build_broker(settings)
    if settings.redis_url is None:
        err.print("REDIS_URL is not set: jobs run inside `billing-sync serve`")
        raise typer.Exit(2)
    message = broker.enqueue(
        dramatiq.Message(
            queue_name=jobs.DEFAULT_QUEUE, actor_name="system.ping", args=(), kwargs={}, options={}
        )
    )
    try:
        answer = jobs.wait_for_result(message, timeout)
    except AppError as exc:
        _fail(exc)
    out.print(f"worker answered: {answer}")


@webhooks_app.command("list")
def webhooks_list(
    failed: Annotated[bool, typer.Option("--failed", help="Only events that failed.")] = False,
) -> None:
    """Recent Stripe events with their processing state."""
    from webhooks import store  # noqa: PLC0415

    with db.unit_of_work() as session:
        rows = store.failed(session) if failed else store.recent(session)
        table = Table("event", "type", "state", "attempts", "received", "last error")
        for row in rows:
            table.add_row(
                row.stripe_event_id,
                row.type,
                row.state,
                str(row.attempts),
                row.received_at.isoformat(),
                (row.last_error or "")[:80],
            )
    out.print(table)


@webhooks_app.command("replay")
def webhooks_replay(
    event_id: Annotated[str | None, typer.Argument(help="A Stripe event id (evt_...).")] = None,
    failed: Annotated[bool, typer.Option("--failed", help="Every failed event.")] = False,
) -> None:
    """Process stored events again, here and now."""
    from webhooks import store  # noqa: PLC0415
    from webhooks.processing import process  # noqa: PLC0415

    if (event_id is None) == (not failed):
        err.print("give one EVENT_ID or --failed")
        raise typer.Exit(2)
    with db.unit_of_work() as session:
        if failed:
            rows = store.failed(session)
        else:
            found = store.by_stripe_id(session, str(event_id))
            rows = [found] if found else []
        ids = [(row.id, row.stripe_event_id) for row in rows]
    if not ids:
        err.print("no such event" if event_id else "no failed events")
        raise typer.Exit(1 if event_id else 0)
    for row_id, stripe_id in ids:
        out.print(f"{stripe_id}: {process(row_id, again=True)}")


@app.command()
def reconcile(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report the differences; change nothing.")
    ] = False,
) -> None:
    """Find where Stripe and the database disagree, and repair it (the periodic sweep)."""
    from app.billing.sweep import accounts, sweep  # noqa: PLC0415

    settings = get_settings()
    if not db.in_transaction(accounts, write=False):
        err.print("no Stripe account is set (STRIPE_API_KEY or an environment's own)")
        raise typer.Exit(2)
    report = sweep(settings.reconcile_stale_after_seconds, dry_run=dry_run)
    table = Table("kind", "object", "difference", "action")
    for found in report.differences:
        action = f"would {found.action}" if dry_run else found.action
        table.add_row(found.kind, found.object_id, found.detail, action)
    if report.differences:
        out.print(table)
    verb = "found" if dry_run else "repaired"
    out.print(f"{verb} {len(report.differences)} difference(s), {report.failures} failure(s)")
    if report.failures:
        raise typer.Exit(1)


FileOption = Annotated[Path | None, typer.Option(dir_okay=False, help="A JSON5 import file.")]


@app.command("import")
def import_files(
    customers_file: FileOption = None,
    subscriptions_file: FileOption = None,
    usage_file: FileOption = None,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="BILLING_SYNC_API_KEY", help="Server API key (BILLING_SYNC_API_KEY)."),
    ] = None,
    api_url: Annotated[str, typer.Option(help="The service.")] = "http://127.0.0.1:8000",
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the valid rows; report the others.")
    ] = False,
    report: Annotated[
        Path | None, typer.Option(dir_okay=False, help="Write one JSON line per row's outcome.")
    ] = None,
) -> None:
    """Import customers, subscriptions and usage from the platform's bulk import files."""
    from app.imports import client  # noqa: PLC0415

    files = {"customers": customers_file, "subscriptions": subscriptions_file, "usage": usage_file}
    if not any(files.values()):
        err.print("give at least one of --customers-file, --subscriptions-file, --usage-file")
        raise typer.Exit(2)
    if not api_key:
        err.print("no API key: set BILLING_SYNC_API_KEY or give --api-key")
        raise typer.Exit(2)
    api = client.Api(api_url, api_key)
    try:
        kinds = client.load(files, skip_invalid)
        client.run(api, kinds, skip_invalid=skip_invalid, console=out)
        out.print(client.summary(kinds))
        for line in client.failures(api, kinds):
            out.print(f"  {line}", markup=False, highlight=False)
        if report is not None:
            client.write_report(api, kinds, report)
            out.print(f"report written to {report}")
    except client.ImportRefused as exc:
        err.print(f"[red]error[/red] {exc}", markup=True, highlight=False)
        for problem in exc.problems:
            err.print(f"  - {problem}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    except AppError as exc:
        _fail(exc)


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except OSError as exc:
        err.print(f"[red]error[/red] cannot read {file}: {exc.strerror}")
        raise typer.Exit(1) from None


def main() -> None:
    app()
