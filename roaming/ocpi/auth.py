"""The Authorization header: `Token <base64(credentials token)>` in 2.2.x, raw in older partners.

Credentials tokens (CREDENTIALS_TOKEN_A/B/C in credentials.asciidoc) are stored hashed where we
only need to check them: `credentials_token_hash` is that one-way function (SHA-256; the tokens
are long random strings, so no slow password hash is needed).
"""

import base64
import binascii
import hashlib
import re
import secrets
from dataclasses import dataclass

_PRINTABLE_TOKEN = re.compile(r"^[!-~]{1,64}$")
TOKEN_PREFIX_LENGTH = 6


@dataclass(frozen=True)
class TokenCandidate:
    """A credentials token read from a header; `raw` when it was sent without Base64."""

    token: str
    raw: bool


def credentials_token_new() -> str:
    """A fresh credentials token: 43 URL-safe characters (about 256 random bits), beginning with
    a letter or digit, so that command lines (ours and the partner's) never take it for an
    option."""
    while True:
        token = secrets.token_urlsafe(32)
        if token[0].isalnum():
            return token


def credentials_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def credentials_token_prefix(token: str) -> str:
    """A short, non-secret prefix to tell tokens apart in the admin."""
    return token[:TOKEN_PREFIX_LENGTH]


def authorization_header(token: str, *, raw: bool = False) -> str:
    """The header value we send: Base64 (2.2.x), or the raw token for partners that want it."""
    if raw:
        return f"Token {token}"
    return "Token " + base64.b64encode(token.encode("utf-8")).decode("ascii")


def credentials_token_candidates(header: str | None) -> list[TokenCandidate]:
    """The tokens a header may carry: its Base64 decoding, and the value itself (raw).

    The caller accepts a `raw` candidate only from partners configured for raw tokens. A
    decoded token ending in a line break is read without it: the spec's own header example
    encodes "example-token\\n".
    """
    if not header:
        return []
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "token" or not value:
        return []
    candidates = []
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8").rstrip("\r\n")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if _PRINTABLE_TOKEN.match(decoded):
        candidates.append(TokenCandidate(decoded, raw=False))
    if _PRINTABLE_TOKEN.match(value) and value != decoded:
        candidates.append(TokenCandidate(value, raw=True))
    return candidates
