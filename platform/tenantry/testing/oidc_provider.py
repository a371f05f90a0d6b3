"""A real OpenID Connect issuer on loopback, for sign-in tests that go over HTTP.

Minimal but honest: discovery, a JWKS with one RS256 key, an authorization endpoint
that consents at once for the person the test names (``issuer.person``), a token
endpoint that checks the client's secret, the code's client and redirect URI and
the PKCE verifier, a userinfo endpoint and an end-session endpoint. ID tokens are
signed with joserfc. Tests bend it where a real issuer could go wrong
(``issuer.audience``: an ID token for another client).

    with OidcIssuer() as issuer:
        issuer.add_client("acme-app", "acme-secret")
        issuer.person = {"sub": "1", "email": "ann@acme.test", "email_verified": True}
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class OidcIssuer:
    """The issuer, served on ``127.0.0.1`` from a thread for the ``with`` block."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"})
        self.clients: dict[str, str] = {}
        self.person: dict[str, Any] = {}
        #: When set, ID tokens name this audience instead of the client that asked.
        self.audience: str | None = None
        self.codes: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.ended_sessions: list[dict[str, str]] = []
        self._server = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_Quiet
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> OidcIssuer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_client(self, client_id: str, secret: str) -> None:
        self.clients[client_id] = secret

    def reset(self) -> None:
        """Forget clients, the person, codes and tokens (between tests)."""
        self.clients.clear()
        self.person = {}
        self.audience = None
        self.codes.clear()
        self.access_tokens.clear()
        self.ended_sessions.clear()

    # --- endpoints ---------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        handler = {
            "/.well-known/openid-configuration": self._discovery,
            "/jwks": self._jwks,
            "/authorize": self._authorize,
            "/token": self._token,
            "/userinfo": self._userinfo,
            "/end_session": self._end_session,
        }.get(request.path)
        response = handler(request) if handler else Response("not found", status=404)
        return response(environ, start_response)

    def _discovery(self, _request: Request) -> Response:
        return _json(
            {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "userinfo_endpoint": f"{self.url}/userinfo",
                "jwks_uri": f"{self.url}/jwks",
                "end_session_endpoint": f"{self.url}/end_session",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
            }
        )

    def _jwks(self, _request: Request) -> Response:
        return _json({"keys": [self.key.as_dict(private=False)]})

    def _authorize(self, request: Request) -> Response:
        args = request.args
        if args.get("client_id") not in self.clients or args.get("response_type") != "code":
            return _json({"error": "unauthorized_client"}, 400)
        if not self.person:
            return Response("nobody to sign in", status=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "client_id": args["client_id"],
            "redirect_uri": args.get("redirect_uri", ""),
            "nonce": args.get("nonce"),
            "challenge": args.get("code_challenge"),
            "person": dict(self.person),
        }
        query = urlencode({"code": code, "state": args.get("state", "")})
        return Response(status=302, headers={"Location": f"{args.get('redirect_uri')}?{query}"})

    def _client_of(self, request: Request) -> str | None:
        """The client that authenticated itself (HTTP Basic or form), else None."""
        if request.authorization and request.authorization.type == "basic":
            client_id = request.authorization.username or ""
            secret = request.authorization.password or ""
        else:
            client_id = request.form.get("client_id", "")
            secret = request.form.get("client_secret", "")
        known = self.clients.get(client_id)
        return client_id if known is not None and secrets.compare_digest(known, secret) else None

    def _token(self, request: Request) -> Response:
        client_id = self._client_of(request)
        if client_id is None:
            return _json({"error": "invalid_client"}, 401)
        grant = self.codes.pop(request.form.get("code", ""), None)
        if (
            grant is None
            or grant["client_id"] != client_id
            or grant["redirect_uri"] != request.form.get("redirect_uri")
        ):
            return _json({"error": "invalid_grant"}, 400)
        verifier = request.form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
            return _json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        person = grant["person"]
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": person["sub"],
            "aud": self.audience or client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **{k: v for k, v in person.items() if k != "sub"},
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)
        access = secrets.token_urlsafe(16)
        self.access_tokens[access] = person
        token = {"access_token": access, "token_type": "Bearer", "expires_in": 300}
        return _json({**token, "id_token": id_token})

    def _userinfo(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        person = self.access_tokens.get(header.removeprefix("Bearer "))
        return _json(person, 200) if person else _json({"error": "invalid_token"}, 401)

    def _end_session(self, request: Request) -> Response:
        self.ended_sessions.append(dict(request.args))
        back = request.args.get("post_logout_redirect_uri")
        if back:
            state = request.args.get("state")
            location = f"{back}?{urlencode({'state': state})}" if state else back
            return Response(status=302, headers={"Location": location})
        return Response("signed out")


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:
        """No access log on the test's output."""


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")
