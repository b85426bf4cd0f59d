"""CLI commands of the video domain, added to the main app by verilens.cli."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer


def keyframes_json(video: str, out: Path, *, interval_s: float, max_keyframes: int, fmt: str,
                   max_seconds: float | None, intra_only: bool | None) -> dict[str, Any]:
    """Run keyframe extraction on one video and build its contract JSON object.

    A bad input is not a failure: the object gets ``"state": "error"`` and ``"error"``.
    """
    import re
    import time

    from ..config import Limits
    from ..errors import VerilensError
    from ..intake.media import open_media
    from .keyframes import extract_keyframes, write_keyframe

    base: dict[str, Any] = {"path": video, "state": "ok", "error": None, "duration_s": None, "fps": None,
                            "keyframes": []}
    try:
        item = open_media(video, Limits.from_env())
        if item.kind != "video":
            raise VerilensError(f"{Path(video).name}: is a {item.sniffed.label}, not a video")
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", item.path.stem)[:60] or "video"
        target = out / f"{stem}-{item.sha256[:12]}"
        deadline = time.monotonic() + max_seconds if max_seconds else None
        res = extract_keyframes(item.path, interval_s=interval_s, max_keyframes=max_keyframes, deadline=deadline,
                                intra_only=intra_only, keep_rgb=False,
                                on_keyframe=lambda kf: write_keyframe(kf, target, stem, fmt))
    except VerilensError as exc:
        base.update(state="error", error=str(exc))
        return base
    except Exception as exc:  # one bad input never stops the others
        base.update(state="error", error=f"{Path(video).name}: unexpected failure ({type(exc).__name__}: {exc})")
        return base
    base.update(sha256=item.sha256, duration_s=res.duration_s, fps=res.fps, width=res.width, height=res.height,
                keyframes=[k.to_dict() for k in res.keyframes], **{k: v for k, v in res.summary_dict().items()
                                                                    if k not in ("fps", "duration_s")})
    return base


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the main app."""

    @app.command("keyframes")
    def keyframes_cmd(
        videos: Annotated[list[str], typer.Argument(metavar="VIDEO...", help="Video file(s).")],
        out: Annotated[Path, typer.Option("--out", help="Folder for keyframe pictures (one sub-folder per video).")],
        json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object per video (JSON Lines).")] = False,
        interval: Annotated[float, typer.Option("--interval", min=0.0, help="Inside a long shot, a keyframe every S seconds (0: shot starts only).")] = 2.0,
        max_keyframes: Annotated[int, typer.Option("--max-keyframes", min=1, max=10000, help="Most keyframes kept per video.")] = 150,
        fmt: Annotated[str, typer.Option("--format", help="Picture format: png (lossless) or jpg.")] = "png",
        max_seconds: Annotated[float | None, typer.Option("--max-seconds", min=1.0, help="Wall-time budget per video (s); stops early and says so.")] = None,
        intra_only: Annotated[bool | None, typer.Option("--intra-only/--full", help="Decode only the encoder's keyframes (fast, no shot detection) or every frame. Default: every frame unless the video is over 30 min.")] = None,
    ) -> None:
        """Cut videos into shots and save one keyframe per shot (plus one every few seconds in long shots)."""
        from ..cli_common import emit_json, err, fail_usage, safe_text
        from ..cli_common import out as console

        if fmt.lower() not in ("png", "jpg", "jpeg"):
            fail_usage("--format must be png or jpg")
        for v in videos:
            with err.status(f"keyframes · {safe_text(v)}"):
                obj = keyframes_json(v, out, interval_s=interval, max_keyframes=max_keyframes, fmt=fmt.lower(),
                                     max_seconds=max_seconds, intra_only=intra_only)
            if json_out:
                emit_json(obj)
                continue
            if obj["state"] == "error":
                console.print(f"[bold red]✗[/] {safe_text(v)}: {safe_text(obj['error'])}")
                continue
            cuts = len(obj.get("cuts", []))
            console.print(f"[bold]{safe_text(v)}[/]  {obj.get('duration_s') or 0:.1f} s at {obj.get('fps') or 0:.3g} fps  "
                          f"{cuts} cut(s), {len(obj.get('shots', []))} shot(s), {len(obj['keyframes'])} keyframe(s)"
                          + ("" if obj.get("complete", True) else "  [yellow](stopped early)[/]"))
            for k in obj["keyframes"]:
                console.print(f"  {k['index']:4d}  t = {k['time_s']:9.3f} s  {k['reason']:8s}  {safe_text(k['path'])}")
            for note in obj.get("notes", []):
                console.print(f"  [dim]{safe_text(note)}[/]")
