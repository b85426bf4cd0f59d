"""CLI commands of the time domain: ``verilens sun``, ``verilens when``, ``verilens where``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from ..cli_common import command_errors, emit_json, err, out, safe_text
from ..errors import UsageError

_SHADOW_HELP = "Measurement: --elevation, or --object-height with --shadow-length, or --shadow-points."


def _parse_instant(text: str, *, allow_naive: bool = False) -> datetime:
    s = text.strip()
    if len(s) == 10:
        raise UsageError(f"{text!r}: give a time, not only a date (e.g. {s}T12:00Z)")
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"{text!r}: not an ISO 8601 time (e.g. 2022-11-11T10:00Z)") from exc
    if dt.tzinfo is None and not allow_naive:
        raise UsageError(f"{text!r}: give the time with an offset or Z (e.g. {s}Z), or use --local for clock time")
    return dt


def _latlon(lat: float | None, lon: float | None, place: str | None) -> tuple[float, float, str | None]:
    if place:
        from ..claims import parse_place

        p = parse_place(place)
        return p.lat, p.lon, p.name or p.query
    if lat is None or lon is None:
        raise UsageError("give --lat and --lon (or --place)")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise UsageError("latitude must be within ±90 and longitude within ±180")
    return lat, lon, None


def _measurement(elevation: float | None, object_height: float | None, shadow_length: float | None,
                 points: str | None, tolerance: float | None, azimuth: float | None,
                 azimuth_tolerance: float | None, shadow_bearing: float | None, *, need_elevation: bool) -> Any:
    from .shadows import measurement_from

    spec: dict[str, Any] = {"elevation": elevation, "object_height": object_height, "shadow_length": shadow_length,
                            "points": points, "azimuth": azimuth, "shadow_bearing": shadow_bearing}
    if tolerance is not None:
        spec["tolerance"] = tolerance
    if azimuth_tolerance is not None:
        spec["azimuth_tolerance"] = azimuth_tolerance
    if azimuth is not None and shadow_bearing is not None:
        raise UsageError("give --azimuth (of the sun) or --shadow-bearing, not both")
    m = measurement_from({k: v for k, v in spec.items() if v is not None})
    if m is None or (need_elevation and m.elevation is None):
        raise UsageError(_SHADOW_HELP)
    return m


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the main app."""

    @app.command("sun")
    def sun_cmd(
        time: Annotated[str, typer.Option("--time", help="ISO 8601 instant with offset or Z.")],
        lat: Annotated[float | None, typer.Option("--lat", help="Latitude (degrees, north +).")] = None,
        lon: Annotated[float | None, typer.Option("--lon", help="Longitude (degrees, east +).")] = None,
        place: Annotated[str | None, typer.Option("--place", help="LAT,LON or a place name instead of --lat/--lon.")] = None,
        altitude: Annotated[float, typer.Option("--altitude", help="Observer height above sea level (m).")] = 0.0,
        pressure: Annotated[float, typer.Option("--pressure", help="Air pressure (hPa) for refraction.")] = 1013.25,
        temperature: Annotated[float, typer.Option("--temperature", help="Air temperature (°C) for refraction.")] = 12.0,
        delta_t: Annotated[float | None, typer.Option("--delta-t", help="TT−UT1 (s); default from a polynomial.")] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Sun (and moon) position at a place and instant: azimuth, elevations, shadow bearing and ratio."""
        from .moon import moon_position
        from .sun import solar_noon, sun_position
        from .timezones import zone_for

        with command_errors():
            la, lo, name = _latlon(lat, lon, place)
            t = _parse_instant(time)
            try:
                pos = sun_position([t], la, lo, altitude_m=altitude, pressure_hpa=pressure,
                                   temperature_c=temperature, delta_t=delta_t)
            except ValueError as exc:
                raise UsageError(str(exc)) from exc
            res: dict[str, Any] = pos.row()
            res.update({"time": t.astimezone(UTC).isoformat(), "lat": la, "lon": lo, "place": name,
                        "solar_noon": solar_noon(t.astimezone(UTC), la, lo).isoformat()})
            try:
                res["moon"] = moon_position([t], la, lo, altitude).row()
            except Exception as exc:  # outside the shipped ephemeris span, or missing file
                res["moon"] = {"error": str(exc)[:200]}
            res["zone"] = zone_for(la, lo, t).to_dict()
            if json_out:
                emit_json(res)
                return
            out.print(f"[bold]Sun[/] at {la:.5f}, {lo:.5f} on {res['time']}")
            out.print(f"  azimuth {res['azimuth']:.3f}°  elevation {res['elevation']:.3f}° "
                      f"(apparent {res['apparent_elevation']:.3f}°)")
            if res["shadow_ratio"] is not None:
                out.print(f"  shadow bearing {res['shadow_bearing']:.2f}°, {res['shadow_ratio']:.3f} × object height")
            else:
                out.print("  the sun is below the horizon: no shadow")
            m = res["moon"]
            if "error" not in m:
                out.print(f"[bold]Moon[/] azimuth {m['azimuth']:.2f}° elevation {m['elevation']:.2f}°, "
                          f"{m['phase']} ({m['illuminated']:.0%} lit)")
            z = res["zone"]
            out.print(f"[bold]Zone[/] {z['zone']} ({z['utc_offset']})" + (f" — {safe_text(z['note'])}" if z["note"] else ""))

    @app.command("when")
    def when_cmd(
        date: Annotated[str, typer.Option("--date", help="Local date, or range DATE..DATE (at most 400 days).")],
        lat: Annotated[float | None, typer.Option("--lat")] = None,
        lon: Annotated[float | None, typer.Option("--lon")] = None,
        place: Annotated[str | None, typer.Option("--place", help="LAT,LON or a place name instead of --lat/--lon.")] = None,
        elevation: Annotated[float | None, typer.Option("--elevation", help="Apparent sun elevation (degrees).")] = None,
        object_height: Annotated[float | None, typer.Option("--object-height", help="Height of a vertical object.")] = None,
        shadow_length: Annotated[float | None, typer.Option("--shadow-length", help="Its shadow's length (same unit).")] = None,
        shadow_points: Annotated[str | None, typer.Option("--shadow-points", help="Pixels 'BX,BY;TX,TY;SX,SY': object base; top; shadow tip.")] = None,
        tolerance: Annotated[float | None, typer.Option("--tolerance", help="± degrees on elevation (default 1).")] = None,
        azimuth: Annotated[float | None, typer.Option("--azimuth", help="Sun azimuth (degrees from north).")] = None,
        azimuth_tolerance: Annotated[float | None, typer.Option("--azimuth-tolerance", help="± degrees on azimuth (default 3).")] = None,
        shadow_bearing: Annotated[float | None, typer.Option("--shadow-bearing", help="Bearing the shadow points to (sun azimuth + 180).")] = None,
        geometric: Annotated[bool, typer.Option("--geometric", help="Compare with geometric (unrefracted) elevation.")] = False,
        json_out: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """UTC time windows in which the sun at a place matches a shadow measurement."""
        from .timezones import zone_for
        from .when import day_span, time_windows

        with command_errors():
            la, lo, name = _latlon(lat, lon, place)
            m = _measurement(elevation, object_height, shadow_length, shadow_points, tolerance, azimuth,
                             azimuth_tolerance, shadow_bearing, need_elevation=False)
            try:
                first = datetime.fromisoformat(date.replace("..", "/").split("/")[0].strip())
            except ValueError as exc:
                raise UsageError(f"{date!r}: give a date as YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD") from exc
            z = zone_for(la, lo, first.replace(hour=12))
            try:
                start, end = day_span(date, z.zone)
                res = time_windows(la, lo, start, end, elevation=m.elevation, tolerance=m.tolerance,
                                   azimuth=m.azimuth, azimuth_tolerance=m.azimuth_tolerance, apparent=not geometric)
            except ValueError as exc:
                raise UsageError(str(exc)) from exc
            doc = res.to_dict()
            doc.update({"lat": la, "lon": lo, "place": name, "zone": z.to_dict(), "measurement": m.to_dict(),
                        "elevation_kind": "geometric" if geometric else "apparent"})
            if json_out:
                emit_json(doc)
                return
            out.print(f"[bold]{len(res.windows)} window(s)[/] at {la:.5f}, {lo:.5f} (UTC):")
            for w in doc["windows"]:
                out.print(f"  {w['start']} – {w['end']}  {w['branch']}")
            for n in doc["notes"]:
                out.print(f"[dim]note: {safe_text(n)}[/]")
            for a in m.assumptions:
                out.print(f"[dim]assumes {safe_text(a)}[/]")

    @app.command("where")
    def where_cmd(
        time: Annotated[str, typer.Option("--time", help="ISO instant with offset/Z; with --local, the clock time.")],
        out_file: Annotated[Path, typer.Option("--out", help="Map PNG to write.")],
        elevation: Annotated[float | None, typer.Option("--elevation", help="Apparent sun elevation (degrees).")] = None,
        object_height: Annotated[float | None, typer.Option("--object-height")] = None,
        shadow_length: Annotated[float | None, typer.Option("--shadow-length")] = None,
        shadow_points: Annotated[str | None, typer.Option("--shadow-points", help="Pixels 'BX,BY;TX,TY;SX,SY'.")] = None,
        tolerance: Annotated[float | None, typer.Option("--tolerance", help="± degrees on elevation (default 1).")] = None,
        azimuth: Annotated[float | None, typer.Option("--azimuth", help="Sun azimuth (degrees from north).")] = None,
        azimuth_tolerance: Annotated[float | None, typer.Option("--azimuth-tolerance")] = None,
        local: Annotated[bool, typer.Option("--local", help="TIME is local clock time: read it in each cell's zone.")] = False,
        step: Annotated[float, typer.Option("--step", help="Grid step (degrees).")] = 0.1,
        bounds: Annotated[str | None, typer.Option("--bounds", help="SOUTH,WEST,NORTH,EAST to search (default world).")] = None,
        geojson: Annotated[Path | None, typer.Option("--geojson", help="Also write the cells as GeoJSON.")] = None,
        width: Annotated[int, typer.Option("--width", help="Map width (pixels).")] = 1440,
        geometric: Annotated[bool, typer.Option("--geometric", help="Treat the elevation as geometric.")] = False,
        json_out: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Map (PNG, offline) and GeoJSON of the places whose sun matches at a given time."""
        import json

        from PIL import Image

        from ..maps import WORLD, Bounds
        from .where import where_local, where_utc

        with command_errors():
            m = _measurement(elevation, object_height, shadow_length, shadow_points, tolerance, azimuth,
                             azimuth_tolerance, None, need_elevation=False)
            t = _parse_instant(time, allow_naive=local)
            box = WORLD
            if bounds:
                try:
                    s, w, n, e = (float(v) for v in bounds.split(","))
                    box = Bounds(s, w, n, e)
                except ValueError as exc:
                    raise UsageError(f"--bounds {bounds!r}: want SOUTH,WEST,NORTH,EAST in degrees") from exc
            if not 100 <= width <= 8192:
                raise UsageError("--width must be within 100..8192")
            try:
                if local:
                    res = where_local(t.replace(tzinfo=None), m, step=step, bounds=box, apparent=not geometric)
                else:
                    res = where_utc(t, m, step=step, bounds=box, apparent=not geometric)
            except ValueError as exc:
                raise UsageError(str(exc)) from exc
            out_file.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(res.render(width)).save(out_file, format="PNG")
            doc = res.to_dict()
            doc["map"] = str(out_file)
            if geojson is not None:
                geojson.parent.mkdir(parents=True, exist_ok=True)
                try:
                    geojson.write_text(json.dumps(res.geojson(), separators=(",", ":")), encoding="utf-8")
                    doc["geojson"] = str(geojson)
                except ValueError as exc:
                    doc["geojson"] = None
                    doc["notes"].append(f"GeoJSON not written: {exc}")
            if json_out:
                emit_json(doc)
                return
            out.print(f"[bold]{doc['cells']}[/] matching cells of {step:g}°; bounds {doc['bounds']}")
            out.print(f"map: {safe_text(out_file)}")
            err.print("[dim]drawn offline on the shipped land mask[/]")
