"""Backends: the OpenAI-compatible client against a real HTTP server on 127.0.0.1, and the local HF
backend on tiny random models (causal with and without chat template, seq2seq)."""
from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import torch

from multiaug.text.backends import (
    GenerationError,
    GenerationRequest,
    GenerationSettings,
    HFBackend,
    ItemError,
    OpenAIBackend,
    SeededSampler,
    _retry_after_seconds,
    resolve_model_path,
)
from tests.text.contract_cases_llm import tiny_causal_lm

SETTINGS = GenerationSettings(temperature=0.8, top_p=0.9, max_new_tokens=24)


class FakeServer:
    """A chat-completions server. ``script`` maps a request count to a behaviour for that request:
    an int HTTP status, "garbage", "sleep", "empty" / "null" (a completion whose content is "" /
    null), raw ``bytes`` written as the whole reply (to break the HTTP protocol), or None (a normal
    reply echoing the prompt, or the part after "Sentence:"), or ``("length", content)`` (a reply cut
    by the token limit), or ``("status", code, headers)`` (an error reply with those headers). ``ignore_n``: answer one choice whatever ``n`` is, its content ending in the
    request's seed (as llama.cpp server does). ``gather``: hold each reply (up to 2 s) until that many requests have been in
    flight at once, so a concurrency test does not depend on how fast a loaded machine starts threads.
    ``("trickle", part)``: a normal reply written one byte every 20 ms, from its status line
    (``part="head"``) or from its body on (``"body"``), about 4 s in all; ``trickled`` counts the bytes
    written and ``abandoned`` is set when the client hung up before the last one. ``tls``: a
    ``(cert, key)`` pair of PEM files, to serve HTTPS."""

    def __init__(self, script=None, delay: float = 0.0, default=None, gather: int = 0, ignore_n: bool = False,
                 tls=None):
        self.script = dict(script or {})
        self.server_names: list = []  # the TLS clients' SNI
        self.trickled = 0
        self.abandoned = threading.Event()
        self.ignore_n = ignore_n
        self.default = default
        self.delay = delay
        self.count = 0
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self.gathered = threading.Condition(self.lock)
        self.gather = gather
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    k = outer.count
                    outer.count += 1
                    outer.bodies.append(body)
                    outer.headers.append(dict(self.headers))
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                    outer.gathered.notify_all()
                    if outer.gather:
                        outer.gathered.wait_for(lambda: outer.max_in_flight >= outer.gather, timeout=2.0)
                try:
                    what = outer.script.get(k, outer.default)
                    if outer.delay:
                        time.sleep(outer.delay)
                    if isinstance(what, int):
                        self.send_response(what)
                        if what == 429:
                            self.send_header("Retry-After", "0")
                        self.end_headers()
                        self.wfile.write(b'{"error": "nope"}')
                        return
                    if isinstance(what, tuple) and what[0] == "status":  # ("status", code, {header: value})
                        self.send_response(what[1])
                        for name, value in what[2].items():
                            self.send_header(name, value)
                        self.end_headers()
                        self.wfile.write(b'{"error": "busy"}')
                        return
                    if isinstance(what, bytes):
                        self.wfile.write(what)
                        self.close_connection = True
                        return
                    if isinstance(what, tuple) and what[0] == "trickle":
                        body = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": "slow"}}]})
                        body = body.ljust(200).encode()  # JSON may end in spaces: ~4 s at a byte per 20 ms
                        head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)
                        data = head + body
                        if what[1] == "body":
                            self.wfile.write(head)
                            data = body
                        self.close_connection = True
                        for b in data:
                            time.sleep(0.02)
                            self.wfile.write(bytes([b]))
                            self.wfile.flush()
                            with outer.lock:
                                outer.trickled += 1
                        return
                    if what == "sleep":
                        time.sleep(1.0)
                    if what == "garbage":
                        payload = b"<html>not json</html>"
                    elif isinstance(what, tuple):
                        payload = json.dumps({"choices": [{"index": 0, "finish_reason": what[0],
                                                           "message": {"role": "assistant", "content": what[1]}}]}).encode()
                    elif what in ("empty", "null"):
                        content = "" if what == "empty" else None
                        payload = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}).encode()
                    else:
                        user = body["messages"][-1]["content"].split("Sentence:")[-1].strip()
                        n = body.get("n", 1)
                        texts = [f"{user} s{body['seed']}"] if outer.ignore_n else [f"1. {user} v{i}" for i in range(n)]
                        payload = json.dumps(
                            {"choices": [{"index": i, "message": {"role": "assistant", "content": t}} for i, t in enumerate(texts)]}
                        ).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client timed out and left (broken pipe, reset, TLS EOF)
                    outer.abandoned.set()
                finally:
                    with outer.lock:
                        outer.in_flight -= 1

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        scheme = "http"
        if tls is not None:
            import ssl

            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(*tls)
            ctx.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def dead_url() -> str:
    """An endpoint URL on a local port nothing listens on (bound to find a free one, then closed)."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    return f"http://127.0.0.1:{port}/v1"


def _reqs(n, prefix="hello"):
    return [GenerationRequest([{"role": "user", "content": f"{prefix} {i}"}], 1, seed=i) for i in range(n)]


def _client(url, **kw):
    kw = {"backoff": 0.01, "max_backoff": 0.05, "timeout": 5.0, **kw}
    return OpenAIBackend(url, model="m", **kw)


def test_endpoint_replies_in_request_order_with_seed_and_settings():
    with FakeServer() as srv:
        out = _client(srv.url).generate(_reqs(5), SETTINGS)
    assert out == [[f"1. hello {i} v0"] for i in range(5)]
    body = srv.bodies[0]
    assert body["model"] == "m" and body["temperature"] == 0.8 and body["top_p"] == 0.9 and body["max_tokens"] == 24
    assert sorted(b["seed"] for b in srv.bodies) == list(range(5))


def test_endpoint_n_samples_field():
    with FakeServer() as srv:
        out = _client(srv.url).generate([GenerationRequest([{"role": "user", "content": "x"}], 3, 1)], SETTINGS)
    assert srv.bodies[0]["n"] == 3 and len(out[0]) == 3


def test_endpoint_retries_429_and_500_then_succeeds():
    with FakeServer({0: 429, 1: 500, 2: 503}) as srv:
        out = _client(srv.url, concurrency=1).generate(_reqs(1), SETTINGS)
    assert out == [["1. hello 0 v0"]] and srv.count == 4


def test_retry_after_reads_seconds_and_http_dates():
    """RFC 9110: Retry-After is delta-seconds or an HTTP-date; only seconds were read before."""
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert _retry_after_seconds("Wed, 21 Oct 2015 07:28:30 GMT", now) == 30.0
    assert _retry_after_seconds("Wednesday, 21-Oct-15 07:28:30 GMT", now) == 30.0  # obsolete RFC 850 form
    assert _retry_after_seconds("Wed Oct 21 07:28:30 2015", now) == 30.0  # asctime form, no zone: GMT
    assert _retry_after_seconds("Wed, 21 Oct 2015 07:27:00 GMT", now) == 0.0  # in the past: no wait
    assert _retry_after_seconds(" 120 ", now) == 120.0 and _retry_after_seconds("-5", now) == 0.0
    assert _retry_after_seconds(None) is None and _retry_after_seconds("soon") is None
    assert _retry_after_seconds("nan") is None and _retry_after_seconds("") is None


@pytest.mark.parametrize("ahead, cap, expected", [(30, 60.0, 30.0), (3600, 60.0, 60.0), (-30, 60.0, None)])
def test_endpoint_waits_for_a_retry_after_http_date_up_to_max_backoff(monkeypatch, ahead, cap, expected):
    """A 503 whose Retry-After is an HTTP-date: the client waits until then (the date relative to now),
    at most max_backoff; a date in the past adds no wait. The sleeps are recorded, not slept."""
    import email.utils
    import types

    from multiaug.text import backends

    slept = []
    now = float(int(time.time()))  # the client's wall clock, frozen: the wait never depends on the test's speed
    monkeypatch.setattr(backends, "time", types.SimpleNamespace(monotonic=time.monotonic, time=lambda: now,
                                                                sleep=slept.append))
    date = email.utils.formatdate(now + ahead, usegmt=True)
    with FakeServer({0: ("status", 503, {"Retry-After": date}), 1: ("status", 429, {"Retry-After": "1"})}) as srv:
        out = _client(srv.url, concurrency=1, backoff=0.001, max_backoff=cap).generate(_reqs(1), SETTINGS)
    assert out == [["1. hello 0 v0"]] and srv.count == 3 and len(slept) == 2
    if expected is None:
        assert slept[0] < 0.01  # its own backoff only
    else:
        assert expected - 5 <= slept[0] <= expected  # (the date has whole seconds; the test may run slowly)
    assert slept[1] == 1.0  # delta-seconds as before


def test_endpoint_retries_garbage_then_gives_clear_error():
    with FakeServer(default="garbage") as srv:
        with pytest.raises(GenerationError, match="not a chat completion"):
            _client(srv.url, max_retries=2).generate(_reqs(1), SETTINGS)
    assert srv.count == 3


def test_endpoint_timeout_is_retried_then_raises():
    # the server answers after 1 s: the reply never arriving, both attempts end at the 0.2 s deadline
    with FakeServer(default="sleep") as srv:
        with pytest.raises(GenerationError, match=r"after 2 attempts: no complete reply from .* within timeout=0\.2 s"):
            _client(srv.url, timeout=0.2, max_retries=1).generate(_reqs(1), SETTINGS)
    assert srv.count == 2


@pytest.mark.parametrize("part", ["head", "body"])
def test_endpoint_timeout_is_a_deadline_for_the_whole_request_not_per_read(part):
    """A server writing a byte every 20 ms never leaves a read waiting 0.3 s, so a per-socket-operation
    timeout let it hold a request for the ~4 s of its reply (or for ever); the deadline cuts it off."""
    with FakeServer(default=("trickle", part)) as srv:
        with pytest.raises(GenerationError, match=r"after 2 attempts: no complete reply .* within timeout=0\.3 s"):
            _client(srv.url, timeout=0.3, max_retries=1).generate(_reqs(1), SETTINGS)
        assert srv.abandoned.wait(30)  # the client hung up; the server did not get to write its reply
    assert srv.count == 2 and srv.trickled < 2 * 200  # neither reply was written to its end


@pytest.fixture(scope="module")
def tls_cert(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and the name llm.test (made by the openssl command line tool)."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command line tool")
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem"), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:llm.test"], check=True, capture_output=True)
    return str(d / "cert.pem"), str(d / "key.pem")


def test_endpoint_deadline_holds_over_https(tls_cert, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", tls_cert[0])  # the client trusts the test certificate (verified as usual)
    with FakeServer(tls=tls_cert) as srv:
        assert _client(srv.url).generate(_reqs(2), SETTINGS) == [["1. hello 0 v0"], ["1. hello 1 v0"]]
    with FakeServer(default=("trickle", "head"), tls=tls_cert) as srv:
        with pytest.raises(GenerationError, match=r"after 1 attempts: no complete reply .* within timeout=0\.3 s"):
            _client(srv.url, timeout=0.3, max_retries=0).generate(_reqs(1), SETTINGS)
        assert srv.abandoned.wait(30)


class FakeResolver:
    """``socket.getaddrinfo`` with names of its own: ``names`` maps a name to the address it stands
    for; a name in ``hold`` is answered only once ``release`` is set (10 s at most, then as usual:
    a resolver that would hang for ever). ``asked`` counts the lookups of each name. Anything else
    goes to the real resolver (an IP address: no network)."""

    def __init__(self, names: dict, hold: tuple = ()):
        import socket

        self.real, self.names, self.hold = socket.getaddrinfo, names, hold
        self.release = threading.Event()
        self.asked: dict = {}

    def __call__(self, host, port, *a, **kw):
        if host in self.names:
            self.asked[host] = self.asked.get(host, 0) + 1
            if host in self.hold:
                self.release.wait(10)
            host = self.names[host]
        return self.real(host, port, *a, **kw)


def test_endpoint_name_lookup_is_inside_the_deadline(monkeypatch):
    """getaddrinfo has no timeout: a resolver that does not answer used to hold a request past its
    deadline (4 s with timeout=0.5). The lookup now runs beside the request, which gives up at its
    deadline; the requests waiting for one name share one lookup."""
    import socket

    fake = FakeResolver({"slow.test": "127.0.0.1"}, hold=("slow.test",))
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    try:
        with FakeServer() as srv:
            url = srv.url.replace("127.0.0.1", "slow.test")
            with pytest.raises(GenerationError, match=r"after 2 attempts: no reply from .*: name lookup of 'slow\.test' "
                                                      r"did not finish within timeout=0\.3 s"):
                _client(url, timeout=0.3, max_retries=1, concurrency=3).generate(_reqs(3), SETTINGS)
            assert not fake.release.is_set() and srv.count == 0  # given up while the resolver still held the name
            assert fake.asked == {"slow.test": 1}  # 3 requests, 2 attempts each: one lookup
            fake.release.set()  # the resolver answers: the next request goes through, by name
            assert _client(url).generate(_reqs(1), SETTINGS) == [["1. hello 0 v0"]]
            assert srv.headers[-1]["Host"] == url.split("/")[2]
    finally:
        fake.release.set()


def test_endpoint_by_name_over_https_checks_the_name(tls_cert, monkeypatch):
    """The name is looked up apart, the socket connects to the address, and TLS still sends the name
    (SNI) and checks the certificate against it; the Host header carries it."""
    import socket

    monkeypatch.setenv("SSL_CERT_FILE", tls_cert[0])
    monkeypatch.setattr(socket, "getaddrinfo", FakeResolver({"llm.test": "127.0.0.1", "other.test": "127.0.0.1"}))
    with FakeServer(tls=tls_cert) as srv:
        url = srv.url.replace("127.0.0.1", "llm.test")
        assert _client(url).generate(_reqs(1), SETTINGS) == [["1. hello 0 v0"]]
        assert srv.server_names == ["llm.test"] and srv.headers[0]["Host"] == url.split("/")[2]
        with pytest.raises(GenerationError, match="cannot reach .*certificate verify failed.*other\\.test"):
            _client(srv.url.replace("127.0.0.1", "other.test"), max_retries=0).generate(_reqs(1), SETTINGS)


def test_endpoint_unknown_name_is_unreachable(monkeypatch):
    import socket

    def unknown(host, *a, **kw):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    with pytest.raises(GenerationError, match="cannot reach .*gaierror.*Name or service not known.*not sent"):
        _client("http://nowhere.test:9/v1", max_retries=0, concurrency=1).generate(_reqs(3), SETTINGS)


def test_endpoint_unreachable_gives_clear_error():
    with pytest.raises(GenerationError, match="cannot reach"):
        _client(dead_url(), max_retries=1).generate(_reqs(2), SETTINGS)


def test_endpoint_400_is_a_per_item_error_and_401_is_fatal():
    with FakeServer({0: 400}) as srv:
        out = _client(srv.url, concurrency=1).generate(_reqs(2), SETTINGS)
    assert isinstance(out[0], ItemError) and out[0].reason == "http_400" and out[1] == ["1. hello 1 v0"]
    with FakeServer(default=401) as srv:
        with pytest.raises(GenerationError, match="HTTP 401"):
            _client(srv.url, concurrency=1).generate(_reqs(3), SETTINGS)


def test_endpoint_failure_keeps_completed_results_via_callback():
    done = {}
    with FakeServer({3: 500, 4: 500, 5: 500}) as srv:  # request 3 fails on all its attempts
        with pytest.raises(GenerationError, match="1 of 5 requests") as err:
            _client(srv.url, concurrency=1, max_retries=2).generate(_reqs(5), SETTINGS, on_result=done.__setitem__)
    assert sorted(done) == [0, 1, 2, 4]
    # the error carries the per-request outcomes: completions, None for the one that did not finish
    assert err.value.results == [["1. hello 0 v0"], ["1. hello 1 v0"], ["1. hello 2 v0"], None, ["1. hello 4 v0"]]


_BAD_STATUS_LINE = b"GARBAGE\r\n\r\n"
_TRUNCATED_BODY = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"choices": ['


@pytest.mark.parametrize("raw, name", [(_BAD_STATUS_LINE, "BadStatusLine"), (_TRUNCATED_BODY, "IncompleteRead")])
def test_endpoint_broken_http_reply_is_retried_then_a_generation_error(raw, name):
    with FakeServer(default=raw) as srv:
        client = _client(srv.url, max_retries=2)
        with pytest.raises(GenerationError, match=f"after 3 attempts: broken HTTP reply from .*{name}") as err:
            client.generate(_reqs(1), SETTINGS)
        assert srv.count == 3 and client.url in str(err.value)
        srv.default, srv.script = None, {k: raw for k in range(srv.count, srv.count + 2)}  # two broken, then good
        assert client.generate(_reqs(1), SETTINGS) == [["1. hello 0 v0"]] and srv.count == 6


@pytest.mark.parametrize("what", ["empty", "null"])
def test_endpoint_empty_reply_is_a_per_item_error_never_handed_to_on_result(what):
    done = {}
    with FakeServer({0: what}) as srv:
        out = _client(srv.url, concurrency=1).generate(_reqs(2), SETTINGS, on_result=done.__setitem__)
    assert isinstance(out[0], ItemError) and out[0].reason == "empty_reply" and out[1] == ["1. hello 1 v0"]
    assert sorted(done) == [1] and srv.count == 2  # not retried, not handed over (so never cached)


def test_endpoint_that_ignores_n_gets_follow_up_requests_bounded():
    with FakeServer(ignore_n=True) as srv:
        out = _client(srv.url).generate([GenerationRequest([{"role": "user", "content": "x"}], 3, 1)], SETTINGS)
    assert len(out[0]) == 3 and len(set(out[0])) == 3 and srv.count == 3
    assert [b.get("n") for b in srv.bodies] == [3, 2, None]
    with FakeServer(script={1: "empty"}, ignore_n=True) as srv:  # a follow-up with nothing: stop, keep what came
        out = _client(srv.url, concurrency=1).generate([GenerationRequest([{"role": "user", "content": "x"}], 3, 1)], SETTINGS)
    assert out == [["x s1"]] and srv.count == 2


def test_endpoint_unreachable_stops_sending_instead_of_retrying_every_request():
    """A server that is down used to cost every request its full retries in turn (minutes for a large
    batch); now the first request that fails to connect after its retries stops the run."""
    # the stop is read from what was sent, not from the clock: at most one request's retries went out
    with pytest.raises(GenerationError, match=r"cannot reach.*\((1[0-9]|20) requests not sent\)") as err:
        _client(dead_url(), concurrency=1, max_retries=2, backoff=0.05, max_backoff=0.05).generate(
            _reqs(21), SETTINGS)
    assert err.value.results.count(None) == 21


def test_endpoint_404_without_v1_says_so():
    with FakeServer(default=404) as srv:
        with pytest.raises(GenerationError, match="is base_url missing it"):
            _client(srv.url[: -len("/v1")]).generate(_reqs(1), SETTINGS)
        with pytest.raises(GenerationError, match="HTTP 404") as err:
            _client(srv.url).generate(_reqs(1), SETTINGS)
    assert "missing" not in str(err.value)


@pytest.mark.parametrize("kw, match", [({"max_retries": -1}, "max_retries"), ({"concurrency": 0}, "concurrency"),
                                       ({"timeout": 0}, "timeout"), ({"backoff": float("nan")}, "backoff"),
                                       ({"max_backoff": -1}, "max_backoff")])
def test_endpoint_bad_settings_raise_naming_them(kw, match):
    """max_retries=-1 used to send nothing and fail 'after 0 attempts'; concurrency=0 / timeout=0 ran."""
    with pytest.raises(ValueError, match=match):
        OpenAIBackend("http://127.0.0.1:1/v1", **kw)


def test_endpoint_concurrency_limit_is_respected():
    with FakeServer(delay=0.01, gather=3) as srv:
        _client(srv.url, concurrency=3).generate(_reqs(12), SETTINGS)
    assert srv.max_in_flight == 3  # the limit is reached and never passed


def test_api_key_only_from_env_and_never_shown(monkeypatch, caplog):
    secret = "sk-test-SECRET-123"
    monkeypatch.setenv("MULTIAUG_TEST_KEY", secret)
    client = _client("http://127.0.0.1:1/v1", api_key_env="MULTIAUG_TEST_KEY")
    assert secret not in repr(client) and secret not in json.dumps(client.identity())
    assert all(secret not in repr(v) for v in vars(client).values())
    with FakeServer(default=401) as srv:
        client = _client(srv.url, api_key_env="MULTIAUG_TEST_KEY")
        with caplog.at_level(logging.DEBUG):
            with pytest.raises(GenerationError) as err:
                client.generate(_reqs(1), SETTINGS)
    assert srv.headers[0]["Authorization"] == "Bearer " + secret
    assert secret not in str(err.value) and secret not in caplog.text
    monkeypatch.delenv("MULTIAUG_TEST_KEY")
    with FakeServer() as srv:
        _client(srv.url, api_key_env="MULTIAUG_TEST_KEY").generate(_reqs(1), SETTINGS)
    assert "Authorization" not in srv.headers[0]


def test_bad_base_url():
    with pytest.raises(ValueError, match="base_url"):
        OpenAIBackend("127.0.0.1:8000")


def test_base_url_with_credentials_is_refused_without_showing_them():
    """'http://user:secret@host/v1' used to be kept (shown by repr and in every error) and failed as an
    unknown host name."""
    with pytest.raises(ValueError, match="must not hold credentials") as err:
        OpenAIBackend("http://user:s3cret@127.0.0.1:8000/v1")
    assert "s3cret" not in str(err.value) and "127.0.0.1:8000" in str(err.value)


# ---- local Hugging Face backend ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def hf():
    return HFBackend(tiny_causal_lm(), batch_size=3, device="cpu")


def test_hf_chat_template_is_used(hf):
    s = hf.render([{"role": "user", "content": "the cat"}])
    assert s.startswith("<|im_start|>user") and s.endswith("<|im_start|>assistant\n")


def test_hf_batched_generation_same_seed_same_output(hf):
    reqs = [GenerationRequest([{"role": "user", "content": "the cat runs"}], 2, seed=5)] * 2 + _reqs(3)
    out = hf.generate(reqs, SETTINGS)
    assert [len(o) for o in out] == [2, 2, 1, 1, 1]
    assert out[0] == out[1]  # same prompt and seed, same batch or not
    assert out[0][0] != out[0][1]  # two samples of one request differ
    again = hf.generate(reqs[:1], SETTINGS)
    assert again[0] == out[0]  # independent of batch composition (same prompt length here)


def test_hf_greedy_and_on_result(hf):
    got = {}
    greedy = GenerationSettings(temperature=0.0, top_p=1.0, max_new_tokens=4)
    a = hf.generate(_reqs(2), greedy, on_result=got.__setitem__)
    b = hf.generate([GenerationRequest(r.messages, 1, seed=99) for r in _reqs(2)], greedy)
    assert a == b and sorted(got) == [0, 1]


def test_hf_overlong_prompt_is_per_item_error():
    be = HFBackend(tiny_causal_lm(), device="cpu", max_input_tokens=30)
    out = be.generate([GenerationRequest([{"role": "user", "content": "the cat"}], 1, 0),
                       GenerationRequest([{"role": "user", "content": "the cat " * 50}], 1, 0)], SETTINGS)
    assert isinstance(out[1], ItemError) and out[1].reason == "too_long" and isinstance(out[0], list)


def test_hf_max_new_tokens_beyond_the_context_is_a_clear_error(hf):
    """It used to make every item a 'too_long' error saying the model takes a negative number of tokens."""
    with pytest.raises(ValueError, match=r"max_new_tokens=300 .* 256-token context"):
        hf.generate(_reqs(1), GenerationSettings(max_new_tokens=300))


def test_hf_generation_cut_by_max_new_tokens_is_dropped_like_an_endpoint_cut_reply(hf):
    """A local generation that reached max_new_tokens without an end token (half a sentence) used to be
    kept as a completion, while the endpoint drops a reply cut by the token limit (finish_reason
    'length'): now both drop the unfinished line, and a request left with nothing complete is the
    per-item error 'truncated', not handed to on_result (so never cached)."""
    # the tiny model never ends an answer before its second token ("." first is ruled out, the end
    # token comes after "."): two tokens cut every sequence, three leave some to end
    got = {}
    out = hf.generate(_reqs(4), GenerationSettings(temperature=0.8, top_p=0.9, max_new_tokens=2), on_result=got.__setitem__)
    assert all(isinstance(o, ItemError) and o.reason == "truncated" for o in out), out
    assert "4" not in out[0].detail and "1 of 1 completion(s) cut by the token limit (max_new_tokens=2" in out[0].detail
    assert got == {}
    reqs = [GenerationRequest(r.messages, 4, r.seed) for r in _reqs(6)]
    out = hf.generate(reqs, GenerationSettings(temperature=0.8, top_p=0.9, max_new_tokens=3), on_result=got.__setitem__)
    kept = [c for o in out if isinstance(o, list) for c in o]
    assert kept and all(len(c.split()) <= 2 for c in kept), kept  # ended: at most 2 words and the end token
    assert sum(len(o) for o in out if isinstance(o, list)) < 4 * len(reqs)  # the cut ones are left out
    assert sorted(got) == [i for i, o in enumerate(out) if isinstance(o, list)]
    # the endpoint reports a reply cut with nothing complete the same way
    with FakeServer(default=("length", "The cat is running along")) as srv:
        ep = _client(srv.url).generate(_reqs(1), SETTINGS)
    assert ep[0].reason == "truncated" and "1 of 1 completion(s) cut by the token limit (finish_reason 'length')" in ep[0].detail


def test_hf_forced_end_token_does_not_hide_a_cut(tmp_path):
    """A generation config with forced_eos_token_id (BART's has) puts an end token at the limit, which
    made a sentence cut by max_new_tokens look finished."""
    import shutil

    path = tmp_path / "forced"
    shutil.copytree(tiny_causal_lm(), path)
    cfg = json.loads((path / "generation_config.json").read_text())
    (path / "generation_config.json").write_text(json.dumps({**cfg, "forced_eos_token_id": cfg["eos_token_id"]}))
    be = HFBackend(str(path), device="cpu")
    assert be.model.generation_config.forced_eos_token_id == cfg["eos_token_id"]
    out = be.generate(_reqs(3), GenerationSettings(temperature=0.8, top_p=0.9, max_new_tokens=2))
    assert all(isinstance(o, ItemError) and o.reason == "truncated" for o in out), out


def test_hf_plain_and_seq2seq_models():
    plain = HFBackend(tiny_causal_lm(chat=False), device="cpu")
    assert plain.render([{"role": "user", "content": "the cat"}]) == "the cat\n"
    assert len(plain.generate(_reqs(2), SETTINGS)) == 2
    t5 = HFBackend(tiny_causal_lm(seq2seq=True), device="cpu")
    out = t5.generate(_reqs(2), SETTINGS)
    assert t5.encoder_decoder and all(isinstance(o, list) and len(o) == 1 for o in out)


def test_seeded_sampler_follows_the_distribution_without_global_rng():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.2, 1e-9]]))
    state = torch.get_rng_state()
    counts = torch.zeros(4)
    s = SeededSampler([0] * 1, 1.0, 1.0, torch.device("cpu"))
    for _ in range(3000):
        counts[s(None, logits.clone()).argmax()] += 1
    assert torch.equal(state, torch.get_rng_state())
    assert torch.allclose(counts / 3000, torch.tensor([0.5, 0.3, 0.2, 0.0]), atol=0.04)
    top = SeededSampler([1], 1.0, 0.6, torch.device("cpu"))  # top-p 0.6 keeps the two best tokens
    picks = {int(top(None, logits.clone()).argmax()) for _ in range(300)}
    assert picks == {0, 1}


def test_resolve_model_path(tmp_path):
    f = tmp_path / "m.gguf"
    f.write_bytes(b"GGUF")
    assert resolve_model_path(str(f)) == (str(tmp_path), "m.gguf")
    assert resolve_model_path("some/dir") == ("some/dir", None)
    with pytest.raises(ValueError, match="GGUF file not found"):
        resolve_model_path(str(tmp_path / "missing.gguf"))
    with pytest.raises(ValueError, match="model must be"):
        resolve_model_path("")
