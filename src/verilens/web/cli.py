"""CLI commands of the web domain, added to the main app by verilens.cli."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the main app."""

    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option("--host", help="Address to listen on (local only by default).")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")] = 8000,
        db: Annotated[str | None, typer.Option("--db", help="Case database (path or URL).")] = None,
        archive: Annotated[str | None, typer.Option("--archive", help="Archive database for provenance search.")] = None,
        tile_url: Annotated[str | None, typer.Option("--tile-url", help="Optional online map tiles, e.g. https://tile.example/{z}/{x}/{y}.png (off by default: offline basemap only).")] = None,
        max_upload_mb: Annotated[float | None, typer.Option("--max-upload-mb", help="Largest upload accepted (MiB).")] = None,
        allow_private_urls: Annotated[bool, typer.Option("--allow-private-urls", help="Let URL intake fetch private/loopback addresses.")] = False,
        checks: Annotated[str | None, typer.Option("--checks", help="Run only these check ids on new items (comma-separated).")] = None,
        skip: Annotated[str | None, typer.Option("--skip", help="Check ids not to run (comma-separated).")] = None,
    ) -> None:
        """Run the local web app (and its REST API under /api, OpenAPI at /openapi.json)."""
        import uvicorn

        from ..cli_common import err, fail_usage, split_csv
        from .app import WebConfig, create_app

        config = WebConfig(db=db, archive=archive, tile_url=tile_url, allow_private_urls=allow_private_urls,
                           checks=split_csv(checks), skip=split_csv(skip))
        if max_upload_mb:
            config.max_upload_bytes = int(max_upload_mb * 2**20)
        if host not in ("127.0.0.1", "localhost", "::1"):
            err.print(f"[yellow]warning:[/] listening on {host}: anyone who can reach this address can use the app")
            config.allowed_hosts = []  # a non-local bind: Host checks off (the operator chose it)
        if tile_url and not tile_url.startswith(("http://", "https://")):
            fail_usage("--tile-url must be an http(s) URL template")
        app = create_app(config)
        _warm_up()
        err.print(f"verilens web app on http://{host}:{port}/  (Ctrl-C to stop)")
        uvicorn.run(app, host=host, port=port, log_level="warning")


def _warm_up() -> None:
    """Load the gazetteer in the background so that the first autocomplete is quick."""
    import threading

    def load() -> None:
        try:
            from ..place.gazetteer import search_places

            search_places("Kyiv", limit=1)
        except Exception:  # autocomplete then says why when it is used
            pass

    threading.Thread(target=load, name="warm-gazetteer", daemon=True).start()
