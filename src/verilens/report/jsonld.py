"""schema.org ClaimReview and MediaReview for a case, as JSON-LD.

The properties follow Google's structured-data documentation for fact checks
(ClaimReview: required ``claimReviewed``, ``reviewRating`` with ``alternateName``, ``url``,
``author`` with ``name``; recommended ``datePublished``, ``itemReviewed`` as a ``Claim``
with its ``author``, ``datePublished`` and ``appearance``/``firstAppearance``) and for
MediaReview (required ``author``, ``datePublished``, ``itemReviewed`` as a
``MediaReviewItem`` with ``mediaItemAppearance``, ``mediaAuthenticityCategory``, ``url``;
``originalMediaContextDescription`` for DecontextualizedContent; recommended
``originalMediaLink``).

References
----------
Google Search Central, "Fact Check (ClaimReview) structured data";
Google, "MediaReview for fact checkers" (2020); schema.org/ClaimReview, schema.org/MediaReview,
schema.org/MediaManipulationRatingEnumeration.
"""

from __future__ import annotations

from typing import Any

CLAIMREVIEW_REQUIRED = ("claimReviewed", "reviewRating", "url", "author")
CLAIMREVIEW_RECOMMENDED = ("datePublished", "itemReviewed")
MEDIAREVIEW_REQUIRED = ("author", "datePublished", "itemReviewed", "mediaAuthenticityCategory", "url")


def _org(doc: dict[str, Any]) -> dict[str, Any]:
    names = doc["case"]["investigators"]
    if names:
        return {"@type": "Person", "name": ", ".join(names)}
    return {"@type": "Organization", "name": "verilens desk"}


def _date(s: str | None) -> str | None:
    return s[:10] if s else None


def case_jsonld(doc: dict[str, Any], base_url: str | None = None) -> dict[str, Any]:
    """A JSON-LD ``@graph`` of one ClaimReview (when the case has a claim and a verdict)
    and one MediaReview per item under a verdict.

    Parameters
    ----------
    doc : dict
        :func:`verilens.report.document.case_document` output.
    base_url : str, optional
        Where the published fact-check lives; the review ``url`` is ``base_url`` (plus
        ``#item-ID`` per media review). Default: ``urn:verilens:case:ID`` — replace it with
        the article's URL before publishing (Google requires a public page URL).

    Notes
    -----
    The rating is textual (``alternateName``/``name``); no numeric ``ratingValue`` scale is
    invented. Without a verdict there is nothing to publish: the graph then holds only the case's
    claim as a schema.org ``Claim``. A verdict tied to an item applies to that item; the
    case-level verdict applies to the items without their own.
    """
    case = doc["case"]
    url = base_url or f"urn:verilens:case:{case['id']}"
    author = _org(doc)
    verdict = doc.get("verdict")
    claim = doc.get("claim")
    graph: list[dict[str, Any]] = []
    published = _date(doc.get("generated_at"))
    claim_node: dict[str, Any] | None = None
    if claim:
        claim_node = {"@type": "Claim", "text": claim["text"]}
        if claim.get("claimant"):
            claim_node["author"] = {"@type": "Organization", "name": claim["claimant"]}
        if claim.get("first_appearance_url"):
            claim_node["firstAppearance"] = {"@type": "CreativeWork", "url": claim["first_appearance_url"]}
            claim_node["appearance"] = [{"@type": "CreativeWork", "url": claim["first_appearance_url"]}]
        # Claim.datePublished would be when the claim was made, which the case does not
        # record (created_at is when it was entered here): left out rather than misstated.
        if claim.get("place"):
            p = claim["place"]
            claim_node["spatialCoverage"] = {"@type": "Place", "name": p.get("name") or p.get("query"),
                                             "geo": {"@type": "GeoCoordinates", "latitude": p["lat"],
                                                     "longitude": p["lon"]}}
        if claim.get("time"):
            claim_node["temporalCoverage"] = claim["time"]
    if claim_node is not None and verdict:
        graph.append({
            "@type": "ClaimReview",
            "url": url,
            "claimReviewed": claim_node["text"],
            "author": author,
            "datePublished": published,
            "itemReviewed": claim_node,
            "reviewRating": {"@type": "Rating", "alternateName": verdict["rating"], "name": verdict["rating"]},
            "reviewBody": verdict["rationale"],
        })
    elif claim_node is not None:
        graph.append(claim_node)
    for item in doc["items"]:
        v = (item["verdicts"][-1] if item["verdicts"] else verdict)
        if not v:
            continue
        kind = "VideoObject" if item.get("kind") == "video" else "ImageObject"
        appearance: dict[str, Any] = {"@type": kind, "sha256": item["sha256"],
                                      "encodingFormat": item.get("mime"), "name": item["original_name"]}
        if item.get("source_url"):
            appearance["contentUrl"] = item["source_url"]
        if claim and claim.get("first_appearance_url"):
            appearance["url"] = claim["first_appearance_url"]
        review: dict[str, Any] = {
            "@type": "MediaReview",
            "url": f"{url}#item-{item['id']}",
            "author": author,
            "datePublished": published,
            "mediaAuthenticityCategory": v["categories"][0] if len(v["categories"]) == 1 else v["categories"],
            "itemReviewed": {"@type": "MediaReviewItem", "mediaItemAppearance": [appearance]},
            "reviewRating": {"@type": "Rating", "alternateName": v["rating"]},
            "reviewBody": v["rationale"],
        }
        if claim and claim.get("claimant"):
            review["itemReviewed"]["creator"] = {"@type": "Organization", "name": claim["claimant"]}
        if "DecontextualizedContent" in v["categories"]:
            review["originalMediaContextDescription"] = v["rationale"]
            earliest = _earliest_copy(item)
            if earliest:
                review["originalMediaLink"] = earliest
        graph.append(review)
    return {"@context": "https://schema.org", "@graph": graph}


def _earliest_copy(item: dict[str, Any]) -> str | None:
    for c in item["report"]["checks"]:
        if c["id"] == "provenance.archive":
            e = c.get("details", {}).get("earliest")
            if isinstance(e, dict) and e.get("source_url"):
                return str(e["source_url"])
    return None


def validate_jsonld(data: dict[str, Any]) -> list[str]:
    """Problems with the required properties of the ClaimReview/MediaReview nodes (empty
    when every required property is present and non-empty)."""
    problems: list[str] = []
    graph = data.get("@graph", [data])
    for i, node in enumerate(graph):
        t = node.get("@type")
        need: tuple[str, ...] = ()
        if t == "ClaimReview":
            need = CLAIMREVIEW_REQUIRED
            if not (node.get("reviewRating") or {}).get("alternateName"):
                problems.append(f"node {i} ClaimReview: reviewRating.alternateName missing")
        elif t == "MediaReview":
            need = MEDIAREVIEW_REQUIRED
            cats = node.get("mediaAuthenticityCategory")
            cats = cats if isinstance(cats, list) else [cats]
            if "DecontextualizedContent" in cats and not node.get("originalMediaContextDescription"):
                problems.append(f"node {i} MediaReview: originalMediaContextDescription needed for "
                                "DecontextualizedContent")
            if not (node.get("itemReviewed") or {}).get("mediaItemAppearance"):
                problems.append(f"node {i} MediaReview: itemReviewed.mediaItemAppearance missing")
        for key in need:
            if not node.get(key):
                problems.append(f"node {i} {t}: {key} missing")
        if t in ("ClaimReview", "MediaReview") and not (node.get("author") or {}).get("name"):
            problems.append(f"node {i} {t}: author.name missing")
    return problems
