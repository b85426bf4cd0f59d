"""Download an http(s) URL into the working area, safely.

The only module of the intake that touches the network, and only when the user gave a URL.
"""

from __future__ import annotations

import ipaddress
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from ..config import Limits
from ..errors import DownloadError, NetworkRefused
from .sniff import HEAD_BYTES, describe_unknown, sniff


def is_url(text: str) -> bool:
    """True for strings that start with http:// or https://."""
    return text.lower().startswith(("http://", "https://"))


def _blocked(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return (
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
        or (isinstance(addr, ipaddress.IPv4Address) and addr in ipaddress.ip_network("100.64.0.0/10"))
    )


def resolve_checked(host: str, port: int, allow_private: bool) -> str:
    """Resolve ``host`` and return one address that may be contacted.

    Every resolved address is checked, not only the name: a public-looking name that
    resolves to 127.0.0.1 or 169.254.169.254 is refused unless ``allow_private``.

    Raises
    ------
    NetworkRefused
        The name does not resolve, or resolves to a refused address.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NetworkRefused(f"{host}: the host name does not resolve ({exc.strerror})") from exc
    addrs = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]
        addrs.append(ipaddress.ip_address(raw))
    if not addrs:
        raise NetworkRefused(f"{host}: the host name does not resolve")
    if not allow_private:
        bad = [str(a) for a in addrs if _blocked(a)]
        if bad:
            raise NetworkRefused(
                f"{host} resolves to a private, loopback or link-local address ({', '.join(bad)}); "
                "refused by default (use --allow-private-urls to allow it)"
            )
    return str(addrs[0])


@dataclass(frozen=True)
class Download:
    path: Path
    url: str
    final_url: str
    content_type: str | None
    size_bytes: int


def download(url: str, dest_dir: Path, limits: Limits | None = None) -> Download:
    """Download ``url`` into ``dest_dir`` and return where it is.

    Parameters
    ----------
    url : str
        http or https only.
    dest_dir : Path
        The working area; a new file is created there.
    limits : Limits, optional
        ``max_download_bytes``, ``max_redirects``, ``download_timeout_s``,
        ``download_deadline_s``, ``allow_private_urls``.

    Notes
    -----
    Each hop is resolved and checked, then the connection goes to the checked address (the
    Host header and TLS server name stay the host's), so a DNS answer cannot change between
    the check and the connection. Redirects are followed by hand, each checked the same way.
    The type is sniffed from the downloaded bytes; the server's Content-Type is recorded but
    not trusted.
    """
    import httpx

    limits = limits or Limits.from_env()
    dest_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + limits.download_deadline_s
    timeout = httpx.Timeout(limits.download_timeout_s)
    current = url
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for _hop in range(limits.max_redirects + 1):
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https"):
                raise NetworkRefused(f"{current}: only http and https URLs are downloaded")
            if not parts.hostname:
                raise NetworkRefused(f"{current}: the URL has no host")
            port = parts.port or (443 if parts.scheme == "https" else 80)
            ip = resolve_checked(parts.hostname, port, limits.allow_private_urls)
            ip_host = f"[{ip}]" if ":" in ip else ip
            target = parts._replace(netloc=f"{ip_host}:{port}").geturl()
            host_header = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
            request = client.build_request(
                "GET",
                target,
                headers={"Host": host_header, "User-Agent": "verilens (verification workbench)"},
                extensions={"sni_hostname": parts.hostname},
            )
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise DownloadError(f"{current}: timed out ({exc.__class__.__name__})") from exc
            except httpx.HTTPError as exc:
                raise DownloadError(f"{current}: could not connect ({exc})") from exc
            try:
                if response.is_redirect:
                    location = response.headers.get("location")
                    if not location:
                        raise DownloadError(f"{current}: redirect without a Location header")
                    current = urljoin(current, location)
                    continue
                if response.status_code != 200:
                    raise DownloadError(f"{current}: the server answered HTTP {response.status_code}")
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > limits.max_download_bytes:
                    raise DownloadError(
                        f"{current}: {int(declared) / 2**20:.0f} MiB declared, over the download "
                        f"limit of {limits.max_download_bytes / 2**20:.0f} MiB"
                    )
                fd, tmp = tempfile.mkstemp(prefix="download-", dir=dest_dir)
                path = Path(tmp)
                total = 0
                try:
                    with open(fd, "wb") as out:
                        for chunk in response.iter_bytes(1 << 16):
                            total += len(chunk)
                            if total > limits.max_download_bytes:
                                raise DownloadError(
                                    f"{current}: over the download limit of "
                                    f"{limits.max_download_bytes / 2**20:.0f} MiB"
                                )
                            if time.monotonic() > deadline:
                                raise DownloadError(
                                    f"{current}: the download took longer than "
                                    f"{limits.download_deadline_s:.0f} s"
                                )
                            out.write(chunk)
                except httpx.TimeoutException as exc:
                    path.unlink(missing_ok=True)
                    raise DownloadError(f"{current}: timed out while reading") from exc
                except httpx.HTTPError as exc:
                    path.unlink(missing_ok=True)
                    raise DownloadError(f"{current}: the transfer failed ({exc})") from exc
                except BaseException:
                    path.unlink(missing_ok=True)
                    raise
                with open(path, "rb") as f:
                    head = f.read(HEAD_BYTES)
                sniffed = sniff(head)
                suffix = ".bin" if sniffed is None else "." + sniffed.label.split()[0].split("/")[0].lower()
                final = path.with_suffix(suffix)
                path.rename(final)
                if sniffed is None:
                    # kept so that the error can be reported against the file, not lost
                    raise DownloadError(f"{url}: downloaded, but not an image or video: {describe_unknown(head)}")
                return Download(final, url, current, response.headers.get("content-type"), total)
            finally:
                response.close()
    raise NetworkRefused(f"{url}: more than {limits.max_redirects} redirects")
