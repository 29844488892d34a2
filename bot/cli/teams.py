"""`arkbot teams …`: the Microsoft Teams app package to upload in Teams."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.config import get_settings
from bot.teams.manifest import ManifestError, schema_version
from bot.teams.package import PackageOptions, write_package

app = typer.Typer(help="Microsoft Teams: the app package.", no_args_is_help=True)
USAGE_ERROR = 2


@app.command("package")
def package(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="The public host that serves `arkbot serve` over HTTPS (e.g. arkbot.example.org).",
        ),
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Where to write the zip.", dir_okay=False)
    ] = Path("arkbot.zip"),
    app_id: Annotated[
        str | None,
        typer.Option(
            "--app-id",
            help="The Entra app registration's Application (client) ID; default: CLIENT_ID.",
        ),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option("--version", help="The app's version X.Y.Z; raise it for every update."),
    ] = None,
    developer_name: Annotated[
        str | None,
        typer.Option("--developer-name", help="Shown as the app's developer; default: the host."),
    ] = None,
    website_url: Annotated[
        str | None, typer.Option("--website-url", help="Default: https://HOST/.")
    ] = None,
    privacy_url: Annotated[
        str | None, typer.Option("--privacy-url", help="Default: https://HOST/privacy.")
    ] = None,
    terms_url: Annotated[
        str | None, typer.Option("--terms-url", help="Default: https://HOST/terms.")
    ] = None,
) -> None:
    """Build the app package (manifest, Norwegian texts, icons) to upload in Teams."""
    errors = Console(stderr=True)
    options = PackageOptions(
        app_id=app_id if app_id is not None else get_settings().teams_app_id,
        host=host,
        version=version,
        developer_name=developer_name,
        website_url=website_url,
        privacy_url=privacy_url,
        terms_of_use_url=terms_url,
    )
    if not output.parent.is_dir():
        errors.print(f"[red]error:[/red] {output.parent} is not a folder", highlight=False)
        raise typer.Exit(USAGE_ERROR)
    try:
        data = write_package(output, options)
    except ManifestError as error:
        errors.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(USAGE_ERROR) from None
    console = Console()
    names = ", ".join(zipfile.ZipFile(io.BytesIO(data)).namelist())
    console.print(
        f"[green]{output}[/green]: Teams app package (manifest {schema_version()}): {names}.",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        "Upload it in the Teams admin center (Teams apps → Manage apps → Upload new app).",
        highlight=False,
    )
