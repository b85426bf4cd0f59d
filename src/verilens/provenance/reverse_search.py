"""Links to the public reverse-image-search engines for a picture that is online.

Building a link sends nothing anywhere; opening it sends the URL (not the file) to that
engine. A local file has no URL: the user must upload it to the engine themselves, which
makes it visible to that service.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

ENGINES = {
    "google_lens": "https://lens.google.com/uploadbyurl?url={u}",
    "bing": "https://www.bing.com/images/search?view=detailv2&iss=sbi&form=SBIVSP&sbisrc=UrlPaste&q=imgurl:{u}",
    "yandex": "https://yandex.com/images/search?rpt=imageview&url={u}",
    "tineye": "https://tineye.com/search?url={u}",
}

LOCAL_NOTE = ("This file is local: the public engines need it uploaded by you (drag it onto the engine's "
              "page); uploading shares it with that service. Nothing was sent.")
URL_NOTE = "Opening a link sends the media URL (not the file) to that engine. Nothing was sent yet."


def reverse_search_links(media_url: str | None) -> dict[str, object]:
    """Reverse-search links for a media URL.

    Parameters
    ----------
    media_url : str or None
        The http(s) URL of the picture (or of a keyframe published online).

    Returns
    -------
    dict
        ``{"links": {engine: url}, "note": str}``; no links for a local file or a URL that
        is not http(s).

    Notes
    -----
    The engines' URL formats are not formal APIs and change over time.
    """
    if not media_url:
        return {"links": {}, "note": LOCAL_NOTE}
    parts = urlsplit(media_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return {"links": {}, "note": "Not an http(s) URL: " + LOCAL_NOTE}
    u = quote(media_url.strip(), safe="")
    return {"links": {name: tpl.format(u=u) for name, tpl in ENGINES.items()}, "note": URL_NOTE}


__all__ = ["ENGINES", "reverse_search_links"]
