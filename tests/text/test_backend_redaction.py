"""The API key never leaves the OpenAI-compatible backend: a real HTTP server on 127.0.0.1 echoes the
request headers (and the bare key) in its error bodies, and neither the exception text, its repr,
its cause/context chain, the per-item errors, the warnings nor the captured logs may show the key."""
from __future__ import annotations

import json
import logging
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from multiaug.text import Paraphrase
from multiaug.text.backends import (
    REDACTED,
    GenerationError,
    GenerationRequest,
    GenerationSettings,
    ItemError,
    OpenAIBackend,
    redact,
)

SECRET = "sk-live-Zq81xV0pR7mW4tK2nB9c"
ENV = "MULTIAUG_REDACTION_TEST_KEY"
SETTINGS = GenerationSettings(temperature=0.8, top_p=0.9, max_new_tokens=6)


class EchoServer:
    """Answers every POST with ``status`` and a body quoting the request's headers three ways: as a
    JSON object, as raw ``Name: value`` lines, and the bare bearer token placed so that it straddles
    the client's 300-character snippet cut (a client that cut before redacting would leak a prefix)."""

    def __init__(self, status: int):
        self.status = status
        self.seen: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = dict(self.headers)
                outer.seen.append(headers)
                auth = headers.get("Authorization", "")
                token = auth.split(" ", 1)[-1]
                lead = "x" * (290 - len('{"pad": "'))
                body = (
                    json.dumps({"pad": lead + token, "error": "echo", "headers": headers}) + "\n"
                    + "".join(f"{k}: {v}\n" for k, v in headers.items())
                    + f"key={token}\n"
                ).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if outer.status == 503:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def _chain(exc: BaseException) -> list[BaseException]:
    out, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        out.append(exc)
        exc = exc.__cause__ or exc.__context__
    return out


def _texts_of(exc: BaseException) -> str:
    return "\n".join(f"{e!s}\n{e!r}\n{e.args!r}" for e in _chain(exc))


def _assert_hidden(text: str) -> None:
    assert SECRET not in text
    for k in (8, 12):  # no fragment of the key either (a cut snippet must not keep its prefix)
        assert SECRET[:k] not in text, f"a {k}-character prefix of the key leaked: {text[:400]!r}"


def _client(url: str) -> OpenAIBackend:
    return OpenAIBackend(url, model="m", api_key_env=ENV, timeout=5.0, max_retries=1, backoff=0.01, max_backoff=0.02)


def _req() -> list[GenerationRequest]:
    return [GenerationRequest([{"role": "user", "content": "hello"}], 1, seed=0)]


@pytest.mark.parametrize("status", [401, 403, 404, 500, 503, 200])
def test_key_echoed_by_the_endpoint_never_shows_in_the_error(status, monkeypatch, caplog):
    monkeypatch.setenv(ENV, SECRET)
    with EchoServer(status) as srv, caplog.at_level(logging.DEBUG):
        with pytest.raises(GenerationError) as err:
            _client(srv.url).generate(_req(), SETTINGS)
    assert srv.seen and srv.seen[0]["Authorization"] == "Bearer " + SECRET  # the key was sent and echoed
    text = _texts_of(err.value)
    _assert_hidden(text)
    _assert_hidden(caplog.text)
    if status != 200:
        assert f"HTTP {status}" in text
    if status in (401, 403, 404):
        assert REDACTED in text  # the body was quoted up to past the key, with the key taken out


def test_key_echoed_in_a_per_item_error_is_redacted(monkeypatch, caplog):
    monkeypatch.setenv(ENV, SECRET)
    with EchoServer(400) as srv, caplog.at_level(logging.DEBUG):
        out = _client(srv.url).generate(_req(), SETTINGS)
    assert isinstance(out[0], ItemError) and out[0].reason == "http_400"
    assert REDACTED in out[0].detail
    _assert_hidden(repr(out[0]))
    _assert_hidden(caplog.text)


@pytest.mark.parametrize("status", [401, 500])
def test_key_never_shows_through_paraphrase(status, monkeypatch, caplog):
    monkeypatch.setenv(ENV, SECRET)
    with EchoServer(status) as srv, caplog.at_level(logging.DEBUG):
        aug = Paraphrase(base_url=srv.url, model="m", api_key_env=ENV, timeout=5.0, max_retries=0, seed=0)
        with pytest.raises(GenerationError) as err:
            aug(["the cat runs on the road"])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            skip = Paraphrase(base_url=srv.url, model="m", api_key_env=ENV, timeout=5.0, max_retries=0, seed=0,
                              on_error="skip")
            skip(["the cat runs on the road"])
    assert len(srv.seen) == 2
    _assert_hidden(_texts_of(err.value))
    _assert_hidden(caplog.text)
    assert caught and all(SECRET not in str(w.message) for w in caught)
    _assert_hidden(repr(skip.report_))


def test_redact_forms():
    assert redact(f"a {SECRET} b", SECRET) == f"a {REDACTED} b"
    assert redact("Authorization: Bearer abc.def-123, next", None) == f"Authorization: Bearer {REDACTED}, next"
    assert redact("{'Authorization': 'bearer tok'}", None) == "{'Authorization': 'bearer " + REDACTED + "'}"
    odd = 'k"y/+=&'
    assert odd not in redact(json.dumps({"k": odd}), odd) and "%2F" not in redact("q=k%22y%2F%2B%3D%26", odd)
    assert redact("nothing secret here", SECRET) == "nothing secret here"


@pytest.mark.parametrize("text", [
    "bad key Bearer sk-SECRET", f"Bearer {SECRET}", "auth: bearer abc.def, next", "x Bearer [REDACTED]",
    "Bearer [REDACTED]tail-of-a-key", "Bearer [abc", "{'Authorization': 'Bearer tok'}",
])
def test_redact_is_idempotent_and_never_leaks(text):
    once = redact(text, SECRET)
    assert redact(once, SECRET) == once and redact(redact(once, SECRET), SECRET) == once
    assert SECRET not in once and "sk-SECRET" not in once and "tok" not in once and "tail-of-a-key" not in once
    assert not once.endswith(REDACTED + "]")
