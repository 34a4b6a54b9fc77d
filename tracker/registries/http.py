"""XML-RPC calls to PyPI, paced and retried like the GETs of ``sources.http``.

PyPI asks XML-RPC clients for at most one call a second and serves it
deprecated; a run makes one ``changelog_since_serial`` call (plus ``browse``
per classifier when configured). A fault, a 5xx after retries or a body that is
not an XML-RPC answer is a ``SourceError``, like any failed GET.
"""

import xmlrpc.client
from urllib.parse import urlsplit

import httpx

from ..sources.http import ATTEMPTS, MAX_BYTES, SourceError, _retry_after, exhausted

XMLRPC_INTERVAL = 1.0


def call_xmlrpc(client, url, method, params, *, pacing, counter, attempts=ATTEMPTS):
    """POST one XML-RPC call; return its (unmarshalled) result."""
    return pacing.guarded(url, lambda: _call(client, url, method, params, pacing=pacing,
                                             counter=counter, attempts=attempts))


def _call(client, url, method, params, *, pacing, counter, attempts):
    body = xmlrpc.client.dumps(tuple(params), method, allow_none=False).encode()
    pacer = pacing.pacer(url)
    host = urlsplit(url).netloc
    last = None
    for attempt in range(1, attempts + 1):
        if pacer.acquire() is None:
            raise SourceError("stopped")
        counter.requests += 1
        counter.per_host[host] = counter.per_host.get(host, 0) + 1
        try:
            r = client.post(url, content=body, headers={"Content-Type": "text/xml"})
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as e:
            last = SourceError(f"XML-RPC {method}: {type(e).__name__}: {e}")
            continue
        except httpx.HTTPError as e:
            raise SourceError(f"XML-RPC {method}: {type(e).__name__}: {e}") from None
        counter.bytes += len(r.content)
        if r.status_code == 429 or r.status_code >= 500:
            last = SourceError(f"XML-RPC {method}: HTTP {r.status_code} {r.reason_phrase}",
                               r.status_code)
            pacer.pause(max(_retry_after(r.headers.get("retry-after"), attempt),
                            60.0 / pacer.rate if pacer.rate else 0.0))
            continue
        if r.status_code >= 400:
            raise SourceError(f"XML-RPC {method}: HTTP {r.status_code} {r.reason_phrase}",
                              r.status_code)
        if len(r.content) > MAX_BYTES * 4:
            raise SourceError(f"XML-RPC {method}: answer over {MAX_BYTES * 4} bytes")
        try:
            (result,), _ = xmlrpc.client.loads(r.content)
        except xmlrpc.client.Fault as e:
            raise SourceError(f"XML-RPC {method}: fault {e.faultCode}: "
                              f"{str(e.faultString)[:200]}") from None
        except Exception as e:  # expat errors, a non-XML body, a wrong arity
            raise SourceError(f"XML-RPC {method}: not an XML-RPC answer "
                              f"({type(e).__name__})") from None
        return result
    raise exhausted(f"{last} after {attempts} attempts", last.status if last else None)
