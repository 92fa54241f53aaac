"""Asset hrefs: which query parameters make an href a live, expiring capability.

The sandbox signs its asset hrefs with ``exp`` (expiry, unix seconds), ``kid`` (the API
key they were issued to) and ``sig`` (the signature); cloud stores sign theirs with
``X-Amz-*`` (S3), ``X-Goog-*`` (GCS) or ``Expires`` / ``Signature`` / ``Key-Pair-Id`` /
``Policy`` (CloudFront). :func:`unsigned_href` drops them, leaving the asset's stable
address: what an exported file keeps, since the signature would expire (and would hand
out access) anyway.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["SIGNATURE_PARAMS", "is_signature_param", "unsigned_href"]

#: The query parameters of a sandbox-signed href.
SIGNATURE_PARAMS = ("exp", "kid", "sig")
_CLOUD_PARAMS = frozenset({"expires", "signature", "key-pair-id", "policy"})
_CLOUD_PREFIXES = ("x-amz-", "x-goog-")


def is_signature_param(name: str) -> bool:
    """Whether a query parameter belongs to a URL signature.

    Examples
    --------
    >>> [is_signature_param(n) for n in ("sig", "X-Amz-Signature", "page")]
    [True, True, False]
    """
    low = name.lower()
    return name in SIGNATURE_PARAMS or low in _CLOUD_PARAMS or low.startswith(_CLOUD_PREFIXES)


def unsigned_href(href: str) -> str:
    """``href`` without its signature parameters (other parameters kept, in order).

    Examples
    --------
    >>> unsigned_href("http://h/v1/assets/c1/visual.tif?exp=1&kid=k&sig=s")
    'http://h/v1/assets/c1/visual.tif'
    >>> unsigned_href("https://b.s3.amazonaws.com/x.tif?v=2&X-Amz-Signature=abc")
    'https://b.s3.amazonaws.com/x.tif?v=2'
    """
    parts = urlsplit(href)
    if not parts.query:
        return href
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not is_signature_param(k)]
    return urlunsplit(parts._replace(query=urlencode(kept)))
