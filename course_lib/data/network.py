"""A quick reachability check run before a tensorflow-datasets download.

Without it an offline machine waits minutes: tfds retries every URL ten times with backoff
(measured here: about 3.5 minutes for CIFAR-10 with no DNS). The check opens one TCP
connection per host (or to the configured proxy) with a short timeout, in a background
thread so that a hanging DNS lookup cannot block either.
"""

from __future__ import annotations

import socket
import threading
import urllib.request
from typing import Iterable
from urllib.parse import urlparse

__all__ = ["check_reachable"]


def _endpoint(url: str, proxies: dict) -> tuple[str, int]:
    parsed = urlparse(url)
    scheme = parsed.scheme or "https"
    host = parsed.hostname or ""
    proxy = proxies.get(scheme)
    if proxy and host and not urllib.request.proxy_bypass(host):
        pp = urlparse(proxy if "://" in proxy else f"http://{proxy}")
        return pp.hostname or "", pp.port or (443 if pp.scheme == "https" else 80)
    return host, parsed.port or (443 if scheme == "https" else 80)


def _connect(host: str, port: int, timeout: float, result: list) -> None:
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        result.append(None)
    except OSError as exc:
        result.append(exc)


def check_reachable(urls: Iterable[str], timeout: float = 5.0) -> str | None:
    """Try to connect to the host (or proxy) of every URL.

    Args:
        urls: download URLs.
        timeout: seconds allowed per host, DNS lookup included.

    Returns:
        None when every host answered, else a sentence saying which host failed and how.
    """
    proxies = urllib.request.getproxies()
    endpoints = []
    for url in urls:
        ep = _endpoint(str(url), proxies)
        if ep[0] and ep not in endpoints:
            endpoints.append(ep)
    for host, port in endpoints:
        result: list = []
        thread = threading.Thread(
            target=_connect, args=(host, port, timeout, result), daemon=True
        )
        thread.start()
        thread.join(timeout + 1.0)
        if not result:
            return f"no answer from {host}:{port} within {timeout:g} s (offline?)"
        if result[0] is not None:
            return f"cannot connect to {host}:{port} ({result[0]})"
    return None
