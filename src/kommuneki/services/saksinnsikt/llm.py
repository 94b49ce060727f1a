"""The call to a tenant's own OpenAI-compatible server (vLLM, llama.cpp, Ollama) for a generated answer;
the prompt and the checks of the reply are ``engine.generative``.

Nothing talks to an external service by default: the server is configured per tenant (off without it),
an address outside the kommune's own network (one that resolves to a public IP) is refused unless the
operator allows it, redirects are not followed, and the whole call has one deadline.

The host is resolved once, by :func:`check_address`, and the call connects to the addresses that were
checked (:class:`PinnedTransport`), so a DNS server that answers differently the second time (DNS
rebinding: a harmless address for the check, then 169.254.169.254 or another internal service for the
connection) cannot move the call. The Host header and, for https, the TLS server name and the
certificate check stay the configured host's.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

from .engine.generative import Generated, ServerConfig, build_messages, check_reply

#: At most this many characters of a reply are read.
MAX_REPLY_CHARS = 20_000
MAX_REPLY_BYTES = 256_000


class GenerationError(Exception):
    """The server could not give a usable reply; the message is Norwegian and names no query text."""


# --- the server --------------------------------------------------------------------------------------


def check_address(config: ServerConfig) -> list[str] | None:
    """Refuse a URL that is not http(s), or (unless ``allow_public``) whose host resolves to a public
    address: the default is the kommune's own network only. Returns the addresses that were checked,
    for the call to connect to (None with ``allow_public``: any address the host has may be used)."""
    parts = urlsplit(config.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GenerationError("Adressen til språkmodellen må begynne med http:// eller https://.")
    if config.allow_public:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError):
        raise GenerationError(f"Fant ikke språkmodelltjeneren {parts.hostname}.") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address.is_link_local or address.is_multicast or address.is_unspecified:
            # e.g. 169.254.169.254, a cloud's metadata service: never a language model
            raise GenerationError(f"Adressen til språkmodelltjeneren {parts.hostname} kan ikke brukes.")
        if address.is_global:
            raise GenerationError(
                f"Språkmodelltjeneren {parts.hostname} har en offentlig adresse. Bare en tjener i "
                "kommunens eget nett brukes, med mindre driftsansvarlig har tillatt noe annet."
            )
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise GenerationError(f"Fant ikke språkmodelltjeneren {parts.hostname}.")
    return addresses


def pinned_transport(host: str, addresses: list[str]):
    """An httpx transport that connects only to ``addresses`` (checked by :func:`check_address`) for
    ``host``, and to nothing else; name resolution is not asked again. TLS still names and verifies
    ``host`` (httpcore passes the URL's host as the server name), and the Host header is the URL's."""
    import httpcore
    import httpx

    checked_host = host.strip("[]").lower()

    class PinnedBackend(httpcore.NetworkBackend):
        def __init__(self) -> None:
            self._inner = httpcore.SyncBackend()

        def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
            if host.strip("[]").lower() != checked_host:
                raise httpcore.ConnectError(f"not the checked host: {host}")
            failure: Exception | None = None
            for address in addresses:
                try:
                    return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
                except httpcore.ConnectError as exc:
                    failure = exc
            raise failure or httpcore.ConnectError("no address")

        def connect_unix_socket(self, path, timeout=None, socket_options=None):
            raise httpcore.ConnectError("unix sockets are not used")

        def sleep(self, seconds: float) -> None:
            self._inner.sleep(seconds)

    class PinnedTransport(httpx.HTTPTransport):
        def __init__(self) -> None:
            super().__init__(trust_env=False)
            self._pool = httpcore.ConnectionPool(
                ssl_context=httpx.create_ssl_context(trust_env=False),
                max_connections=1,
                network_backend=PinnedBackend(),
            )

    return PinnedTransport()


def complete(config: ServerConfig, messages: list[dict[str, str]]) -> str:
    """The reply's text from ``POST {url}/chat/completions``, within ``timeout_s`` in all (connecting,
    waiting and reading); no redirects are followed and no proxy from the environment is used."""
    import httpx

    addresses = check_address(config)
    transport = (
        None if addresses is None else pinned_transport(urlsplit(config.url).hostname or "", addresses)
    )
    deadline = time.monotonic() + config.timeout_s
    headers = {"Content-Type": "application/json"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    body = {
        "model": config.model,
        "messages": messages,
        "temperature": 0,
        "max_tokens": config.max_tokens,
        "stream": False,
    }
    endpoint = config.url.rstrip("/") + "/chat/completions"
    slow = f"Språkmodellen svarte ikke innen {config.timeout_s:g} sekunder."
    try:
        with (
            httpx.Client(
                timeout=httpx.Timeout(config.timeout_s),
                follow_redirects=False,
                trust_env=False,
                transport=transport,
            ) as client,
            client.stream("POST", endpoint, json=body, headers=headers) as r,
        ):
            data = bytearray()
            for chunk in r.iter_bytes():
                data.extend(chunk)
                if time.monotonic() > deadline:
                    raise GenerationError(slow)
                if len(data) > MAX_REPLY_BYTES:
                    raise GenerationError("Språkmodellen ga et for langt svar.")
            status = r.status_code
    except httpx.TimeoutException:
        raise GenerationError(slow) from None
    except httpx.HTTPError:
        raise GenerationError(
            f"Fikk ikke kontakt med språkmodellen på {urlsplit(config.url).hostname}."
        ) from None
    if time.monotonic() > deadline:
        raise GenerationError(slow)
    if status != 200:
        raise GenerationError(f"Språkmodellen svarte med en feil (HTTP {status}).")
    try:
        content = json.loads(bytes(data))["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        content = None
    if not isinstance(content, str):
        raise GenerationError("Språkmodellen ga et svar som ikke kunne leses.")
    return content[:MAX_REPLY_CHARS]


def generate(config: ServerConfig, question: str, passages: Sequence[str]) -> Generated:
    """Ask the server and check its reply. Raises :class:`GenerationError` (Norwegian) when it fails."""
    if not passages:
        return Generated(declined=True)
    return check_reply(complete(config, build_messages(question, passages)), passages)
