"""Credentials: short-lived signed access tokens (JWT, HS256), API keys, password hashes.

Pure functions over bytes and dicts: no HTTP, no database. The API's dependencies
(:mod:`geo_service.api.deps`) and the CLI's user commands use them; :class:`Principal` is
the caller every use case receives (:class:`geo_service.services.audit.Caller`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field

ROLES = ("admin", "analis", "opd", "publik", "pendamping")  # pendamping: issue 16
API_KEY_PREFIX = "gs_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user, their role and the kabupaten they may see."""

    user_id: int
    username: str
    role: str
    kabupaten: tuple[str, ...] = field(default_factory=tuple)
    kode_opd: str | None = None
    # The user's token version when the credential was issued (pengguna.versi_token).
    versi: int = 0

    def may_see(self, kode_kab: str) -> bool:
        """Whether ``kode_kab`` is within this user's scope."""
        return kode_kab in self.kabupaten

    @property
    def household_level(self) -> bool:
        """Roles that may read family-level rows (of their kabupaten)."""
        return self.role in ("admin", "analis")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def create_token(principal: Principal, key: bytes, *, ttl_s: int, now: float | None = None) -> str:
    """A signed access token (JWT HS256) carrying the principal and an expiry."""
    now = time.time() if now is None else now
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {
        "sub": str(principal.user_id),
        "usr": principal.username,
        "role": principal.role,
        "kab": list(principal.kabupaten),
        "opd": principal.kode_opd,
        "ver": principal.versi,
        "iat": int(now),
        "exp": int(now + ttl_s),
        "jti": secrets.token_hex(8),
    }
    signing = (
        f"{_b64(json.dumps(header, separators=(',', ':')).encode())}."
        f"{_b64(json.dumps(claims, separators=(',', ':')).encode())}"
    )
    sig = hmac.new(key, signing.encode(), hashlib.sha256).digest()
    return f"{signing}.{_b64(sig)}"


def verify_token(token: str, key: bytes, *, now: float | None = None) -> Principal | None:
    """The principal of a valid, unexpired token; ``None`` for anything else."""
    try:
        head, body, sig = token.split(".")
        expected = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(sig)):
            return None
        if json.loads(_unb64(head)).get("alg") != "HS256":
            return None
        claims = json.loads(_unb64(body))
        if float(claims["exp"]) <= (time.time() if now is None else now):
            return None
        if claims["role"] not in ROLES:
            return None
        return Principal(
            user_id=int(claims["sub"]),
            username=str(claims["usr"]),
            role=claims["role"],
            kabupaten=tuple(claims.get("kab") or ()),
            kode_opd=claims.get("opd"),
            versi=int(claims.get("ver", -1)),
        )
    except (ValueError, KeyError, TypeError, json.JSONDecodeError):
        return None


def new_api_key() -> tuple[str, str, str]:
    """A new API key: (the key to hand out once, its lookup prefix, its SHA-256)."""
    prefix = secrets.token_hex(6)
    key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, api_key_hash(key)


def api_key_prefix(key: str) -> str | None:
    """The lookup prefix of a presented key, ``None`` when it is not shaped like one."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    parts = key[len(API_KEY_PREFIX) :].split("_", 1)
    return parts[0] if len(parts) == 2 and parts[0] else None


def api_key_hash(key: str) -> str:
    """SHA-256 hex of an API key (keys are random and long: no slow hash needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A scrypt hash ``scrypt$n$r$p$salt$hash`` of ``password``."""
    salt = salt or secrets.token_bytes(16)
    n, r, p = 2**14, 8, 1
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored`` (constant time)."""
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
        return hmac.compare_digest(got, _unb64(digest))
    except (ValueError, TypeError):
        return False
