"""Content Credentials (C2PA) read and validated with c2pa-python, offline.

The validation state is one of three distinct values, never merged:

- ``Invalid``: at least one validation failure (bad signature, hash mismatch, tampered or
  missing assertion, missing ingredient claim, expired signing credential ...).
- ``Valid``: the manifest is well formed and its signatures and hashes check out, but the
  signer's certificate does **not** chain to a trust anchor this installation trusts.
  Anyone can make a valid manifest with a self-made certificate.
- ``Trusted``: valid, and the signer chains to a configured trust anchor.

Trust anchors are configurable (:func:`trust_anchors_pem`): ``VERILENS_C2PA_TRUST`` is
``default`` (the bundled ``data/c2pa/trust_anchors.pem``), ``test`` (adds the C2PA *test*
root, for conformance tests only), ``none``, or a list of PEM files separated by the
platform path separator. Nothing is fetched from the network: remote manifests and OCSP are
off.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .normalise import clean_str

#: Deepest ingredient level followed; hostile files can nest manifests without end.
MAX_INGREDIENT_DEPTH = 8
#: Most ingredient nodes carried into a report.
MAX_INGREDIENT_NODES = 200
#: Most status entries carried into a report.
MAX_STATUS = 300

#: Plain words for the status codes a fact-checker meets most (C2PA 2.1 §15.2-15.4).
CODE_MEANINGS: dict[str, str] = {
    "claimSignature.mismatch": "The claim's signature does not verify: the manifest was altered after signing.",
    "claimSignature.missing": "The claim has no signature.",
    "claimSignature.validated": "The claim's signature verifies.",
    "claimSignature.insideValidity": "The claim was signed while the signing certificate was valid.",
    "signingCredential.untrusted": "The signer's certificate does not chain to a trusted anchor (unknown signer).",
    "signingCredential.trusted": "The signer's certificate chains to a configured trust anchor.",
    "signingCredential.expired": "The signing certificate had expired when the claim was signed.",
    "signingCredential.revoked": "The signing certificate was revoked.",
    "signingCredential.invalid": "The signing certificate is malformed or not allowed for signing.",
    "signingCredential.ocsp.skipped": "Certificate revocation (OCSP) was not checked (offline).",
    "assertion.dataHash.mismatch": "The image bytes no longer match the hash the manifest recorded: "
    "the file was changed after it was signed.",
    "assertion.dataHash.match": "The image bytes match the hash the manifest recorded.",
    "assertion.boxesHash.mismatch": "The file's boxes no longer match the recorded hash: changed after signing.",
    "assertion.bmffHash.mismatch": "The media data no longer matches the recorded hash: changed after signing.",
    "assertion.hashedURI.mismatch": "An assertion's content does not match its hash in the claim: "
    "the assertion was tampered with.",
    "assertion.hashedURI.match": "An assertion matches its hash in the claim.",
    "assertion.missing": "An assertion the claim refers to is missing.",
    "assertion.action.ingredientMismatch": "An action refers to an ingredient that does not match.",
    "claim.missing": "A claim referenced by an ingredient is missing (older name of ingredient.manifest.missing).",
    "ingredient.manifest.missing": "An ingredient's manifest referenced by the claim is missing.",
    "ingredient.manifest.mismatch": "An ingredient's manifest does not match its recorded hash.",
    "manifest.inaccessible": "The manifest (e.g. a remote one) could not be read.",
    "timeStamp.mismatch": "The time-stamp does not match the signature it should cover.",
    "timeStamp.validated": "The trusted time-stamp verifies.",
    "timeStamp.trusted": "The time-stamp authority is trusted.",
    "timeStamp.untrusted": "The time-stamp authority is not trusted.",
    "timeStamp.outsideValidity": "The time-stamp lies outside the certificate's validity.",
    "general.error": "The validator failed on this manifest.",
    "ingredient.unknownProvenance": "An ingredient has no Content Credentials of its own (origin not declared).",
}

#: Older status codes and their current names (C2PA 1.x -> 2.x), for comparing reports.
CODE_ALIASES: dict[str, str] = {"claim.missing": "ingredient.manifest.missing"}


def _data_dir() -> Path:
    return Path(str(resources.files("verilens") / "data" / "c2pa"))


def trust_anchors_pem(trust: str | None = None) -> tuple[str, list[str]]:
    """The PEM text of the trust anchors to use, and where it came from.

    Parameters
    ----------
    trust : str, optional
        ``default`` (bundled list), ``test`` (bundled list plus the C2PA test root),
        ``none`` (trust nobody: nothing can be ``Trusted``), or PEM file paths separated by
        ``os.pathsep``. Default: ``$VERILENS_C2PA_TRUST`` or ``default``.

    Returns
    -------
    (str, list of str)
        Concatenated PEM certificates (comment lines removed) and the sources used.
    """
    choice = (
        trust if trust is not None else os.environ.get("VERILENS_C2PA_TRUST", "default")
    ).strip() or "default"
    files: list[Path] = []
    if choice == "none":
        return "", ["none"]
    if choice in ("default", "test"):
        files.append(_data_dir() / "trust_anchors.pem")
        if choice == "test":
            files.append(_data_dir() / "test_anchors.pem")
    else:
        files.extend(Path(p).expanduser() for p in choice.split(os.pathsep) if p.strip())
    pem_parts, sources = [], []
    for f in files:
        try:
            text = f.read_text(encoding="ascii", errors="replace")
        except OSError as exc:
            from ..errors import CheckUnavailable

            raise CheckUnavailable(f"C2PA trust anchors file unreadable: {f} ({exc})") from exc
        blocks = []
        inside = False
        for line in text.splitlines():
            if line.startswith("-----BEGIN CERTIFICATE-----"):
                inside = True
            if inside:
                blocks.append(line)
            if line.startswith("-----END CERTIFICATE-----"):
                inside = False
        if blocks:
            pem_parts.append("\n".join(blocks) + "\n")
        sources.append(f.name if f.parent == _data_dir() else str(f))
    return "".join(pem_parts), sources


def reader_settings(trust: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """c2pa-python settings: offline (no remote manifests, no OCSP), trust verified."""
    pem, sources = trust_anchors_pem(trust)
    settings: dict[str, Any] = {
        "verify": {"verify_trust": True, "remote_manifest_fetch": False, "ocsp_fetch": False}
    }
    if pem:
        settings["trust"] = {"trust_anchors": pem}
    return settings, sources


@dataclass
class ManifestReport:
    """What the Content Credentials of one file say (``c2pa.manifest`` details)."""

    present: bool
    validation_state: str | None = None
    signing_time: str | None = None
    status: list[dict[str, Any]] = field(default_factory=list)
    failure_codes: list[str] = field(default_factory=list)
    active_manifest: str | None = None
    claim_generator: str | None = None
    claim_generator_info: list[dict[str, Any]] = field(default_factory=list)
    signer: dict[str, Any] | None = None
    title: str | None = None
    format: str | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    digital_source_types: list[tuple[str, str]] = field(default_factory=list)
    ingredients: list[dict[str, Any]] = field(default_factory=list)
    manifest_count: int = 0
    trust_sources: list[str] = field(default_factory=list)
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["digital_source_types"] = [{"where": w, "value": v} for w, v in self.digital_source_types]
        return d


def _s(value: Any, limit: int = 300) -> str | None:
    return clean_str(value, limit) if value is not None else None


def _actions(
    manifest: dict[str, Any], label: str
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    actions: list[dict[str, Any]] = []
    dst: list[tuple[str, str]] = []
    for a in manifest.get("assertions") or []:
        if not isinstance(a, dict):
            continue
        alabel = str(a.get("label", ""))
        data: dict[str, Any] = a["data"] if isinstance(a.get("data"), dict) else {}
        if alabel.startswith("c2pa.actions"):
            for act in (data.get("actions") or [])[:100]:
                if not isinstance(act, dict):
                    continue
                agent = act.get("softwareAgent")
                if isinstance(agent, dict):
                    agent = agent.get("name")
                entry = {
                    "action": _s(act.get("action"), 100),
                    "when": _s(act.get("when"), 40),
                    "software_agent": _s(agent, 200),
                    "description": _s(act.get("description"), 500),
                    "digital_source_type": _s(act.get("digitalSourceType"), 200),
                    "manifest": _s(label, 200),
                }
                actions.append(entry)
                if act.get("digitalSourceType"):
                    dst.append(
                        (
                            f"c2pa:{label}/{alabel}/{entry['action']}",
                            str(act["digitalSourceType"])[:300],
                        )
                    )
        elif alabel.startswith("stds.iptc") or alabel.startswith("c2pa.metadata"):
            text = json.dumps(data)[:100000]
            if "DigitalSourceType" in text or "digitalSourceType" in text:
                for key in ("Iptc4xmpExt:DigitalSourceType", "digitalSourceType"):
                    v = data.get(key)
                    if isinstance(v, str):
                        dst.append((f"c2pa:{label}/{alabel}", v[:300]))
    return actions, dst


def _ingredients(
    store: dict[str, Any], manifest: dict[str, Any], depth: int, budget: list[int], seen: set[str]
) -> list[dict[str, Any]]:
    out = []
    for ing in (manifest.get("ingredients") or [])[:100]:
        if not isinstance(ing, dict):
            continue
        if budget[0] <= 0:
            break
        budget[0] -= 1
        node: dict[str, Any] = {
            "title": _s(ing.get("title"), 200),
            "format": _s(ing.get("format"), 60),
            "relationship": _s(ing.get("relationship"), 40),
            "active_manifest": _s(ing.get("active_manifest"), 200),
            "validation_status": [
                {"code": _s(s.get("code"), 100), "explanation": _s(s.get("explanation"), 300)}
                for s in (ing.get("validation_status") or [])[:20]
                if isinstance(s, dict)
            ],
            "ingredients": [],
        }
        child_label = ing.get("active_manifest")
        manifests = store.get("manifests") or {}
        if isinstance(child_label, str) and child_label in manifests:
            if child_label in seen:
                node["note"] = "cycle: this manifest is already an ancestor"
            elif depth + 1 >= MAX_INGREDIENT_DEPTH:
                node["note"] = f"deeper ingredients left out (depth limit {MAX_INGREDIENT_DEPTH})"
            else:
                child = manifests[child_label]
                if isinstance(child, dict):
                    node["claim_generator"] = _s(child.get("claim_generator"), 200)
                    sig = child.get("signature_info") or {}
                    node["signer"] = _s(sig.get("common_name") or sig.get("issuer"), 200)
                    node["signing_time"] = _s(sig.get("time"), 40)
                    node["ingredients"] = _ingredients(
                        store, child, depth + 1, budget, seen | {child_label}
                    )
        out.append(node)
    return out


def _status(vr: dict[str, Any] | None, store: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(vr, dict):
        parts = [("active", vr.get("activeManifest") or {})]
        for delta in (vr.get("ingredientDeltas") or [])[:100]:
            if isinstance(delta, dict):
                parts.append(
                    (
                        f"ingredient {_s(delta.get('ingredientAssertionURI'), 200)}",
                        delta.get("validationDeltas") or {},
                    )
                )
        for where, part in parts:
            if not isinstance(part, dict):
                continue
            for level in ("failure", "informational", "success"):
                for s in part.get(level) or []:
                    if len(out) >= MAX_STATUS or not isinstance(s, dict):
                        break
                    code = str(s.get("code", ""))[:100]
                    out.append(
                        {
                            "code": code,
                            "level": level,
                            "where": where,
                            "explanation": _s(s.get("explanation"), 500),
                            "meaning": CODE_MEANINGS.get(code),
                            "url": _s(s.get("url"), 300),
                        }
                    )
    else:
        for s in (store.get("validation_status") or [])[:MAX_STATUS]:
            if isinstance(s, dict):
                code = str(s.get("code", ""))[:100]
                out.append(
                    {
                        "code": code,
                        "level": "failure",
                        "where": "store",
                        "explanation": _s(s.get("explanation"), 500),
                        "meaning": CODE_MEANINGS.get(code),
                        "url": _s(s.get("url"), 300),
                    }
                )
    return out


def summarise_store(store: dict[str, Any]) -> ManifestReport:
    """A :class:`ManifestReport` from a c2pa manifest-store JSON (``Reader.json()``).

    Parameters
    ----------
    store : dict
        The manifest store as c2pa-python returns it.

    Returns
    -------
    ManifestReport

    Notes
    -----
    The ingredient tree is followed through ``active_manifest`` links up to
    :data:`MAX_INGREDIENT_DEPTH` levels and :data:`MAX_INGREDIENT_NODES` nodes, with cycle
    detection; every string is bounded.

    References
    ----------
    C2PA Technical Specification 2.1, §14 (validation), §15 (status codes), §18.14 (actions).
    """
    rep = ManifestReport(present=True)
    manifests: dict[str, Any] = (
        store["manifests"] if isinstance(store.get("manifests"), dict) else {}
    )
    rep.manifest_count = len(manifests)
    label = store.get("active_manifest")
    rep.active_manifest = _s(label, 200)
    state = store.get("validation_state")
    rep.validation_state = state if state in ("Invalid", "Valid", "Trusted") else None
    rep.status = _status(store.get("validation_results"), store)
    seen_codes: list[str] = []
    for s in rep.status:
        if s["level"] == "failure" and s["code"] not in seen_codes:
            seen_codes.append(s["code"])
    rep.failure_codes = seen_codes
    m = manifests.get(label) if isinstance(label, str) else None
    if not isinstance(m, dict):
        rep.notes.append("no active manifest in the store")
        return rep
    rep.claim_generator = _s(m.get("claim_generator"), 300)
    rep.claim_generator_info = [
        {"name": _s(g.get("name"), 200), "version": _s(g.get("version"), 60)}
        for g in (m.get("claim_generator_info") or [])[:10]
        if isinstance(g, dict)
    ]
    sig = m.get("signature_info") or {}
    if isinstance(sig, dict) and sig:
        rep.signer = {
            "common_name": _s(sig.get("common_name"), 200),
            "issuer": _s(sig.get("issuer"), 200),
            "alg": _s(sig.get("alg"), 20),
            "cert_serial_number": _s(sig.get("cert_serial_number"), 80),
        }
        rep.signing_time = _s(sig.get("time"), 40)
    rep.title = _s(m.get("title"), 300)
    rep.format = _s(m.get("format"), 60)
    rep.actions, rep.digital_source_types = _actions(m, str(label))
    budget = [MAX_INGREDIENT_NODES]
    rep.ingredients = _ingredients(store, m, 0, budget, {str(label)})
    if budget[0] <= 0:
        rep.notes.append(f"ingredient tree cut at {MAX_INGREDIENT_NODES} nodes")
    return rep


def read_manifest(path: str | os.PathLike[str], trust: str | None = None) -> ManifestReport:
    """Read and validate the Content Credentials of a file (offline).

    Parameters
    ----------
    path : path-like
        The file (read only, never written).
    trust : str, optional
        Trust-anchor choice, see :func:`trust_anchors_pem`.

    Returns
    -------
    ManifestReport
        ``present=False`` when the file has no manifest; ``error`` set when one is present
        but cannot be parsed.

    Raises
    ------
    CheckUnavailable
        c2pa-python is not installed or the trust configuration is unreadable.
    """
    try:
        import c2pa
    except ImportError as exc:  # pragma: no cover - installed with verilens
        from ..errors import CheckUnavailable

        raise CheckUnavailable("c2pa-python is not installed (pip install c2pa-python)") from exc
    settings, sources = reader_settings(trust)
    if not os.path.isfile(path):
        return ManifestReport(present=False, trust_sources=sources, error="not a regular file")
    try:
        ctx = c2pa.Context.from_dict(settings)
    except Exception as exc:
        from ..errors import CheckUnavailable

        raise CheckUnavailable(f"C2PA trust configuration rejected: {exc}") from exc
    try:
        with ctx, c2pa.Reader(os.fspath(path), context=ctx) as reader:
            text = reader.json()
    except Exception as exc:
        name = type(exc).__name__
        msg = str(exc)
        if "ManifestNotFound" in name or "ManifestNotFound" in msg or "no JUMBF" in msg:
            return ManifestReport(present=False, trust_sources=sources)
        if "NotSupported" in name or "NotSupported" in msg or "UnsupportedType" in msg:
            return ManifestReport(
                present=False,
                trust_sources=sources,
                notes=[f"format not supported by the C2PA reader: {clean_str(msg, 200)}"],
            )
        return ManifestReport(
            present=True, trust_sources=sources, error=clean_str(f"{name}: {msg}", 500)
        )
    try:
        store = json.loads(text)
    except (ValueError, RecursionError) as exc:  # a hostile store can nest beyond the parser's depth
        return ManifestReport(
            present=True, trust_sources=sources, error=f"unreadable manifest JSON: {exc}"
        )
    rep = summarise_store(store if isinstance(store, dict) else {})
    rep.trust_sources = sources
    return rep


__all__ = [
    "CODE_ALIASES",
    "CODE_MEANINGS",
    "MAX_INGREDIENT_DEPTH",
    "ManifestReport",
    "read_manifest",
    "reader_settings",
    "summarise_store",
    "trust_anchors_pem",
]
