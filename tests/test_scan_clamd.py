"""Talking to a real clamd over its unix socket (INSTREAM, PING, VERSION): what it finds, what it
does not, and every way it can fail to give a verdict — each a plain ScanUnavailable, never a hang."""

from __future__ import annotations

import time

import pytest

from intake.documents.scan import Clamd, ScanUnavailable
from support.clamd import FOUND, MARKER, MAX_STREAM_MB
from support.clamd import Clamd as ClamdServer
from support.office_fixtures import make_aes_zip, make_plain_zip


def test_clamd_names_what_it_finds_also_inside_a_zip_and_passes_the_rest(clamd):
    client = clamd.client()
    assert client.version().startswith("ClamAV ")
    assert client.scan(b"Dear reporter,\n" + MARKER + b"\n") == FOUND
    assert client.scan(make_plain_zip({"docs/lure.txt": b"x" * 100_000 + MARKER})) == FOUND
    assert client.scan(b"an ordinary attachment") is None
    assert client.scan(b"") is None
    # what a password hides stays hidden: this is why decrypted files are scanned again
    assert client.scan(make_aes_zip({"lure.txt": MARKER}, "Secret#2026")) is None


def test_a_file_over_clamds_stream_limit_is_refused_not_passed(clamd):
    with pytest.raises(ScanUnavailable, match="size limit exceeded"):
        clamd.client().scan(MARKER + b"\0" * (MAX_STREAM_MB * 1024 * 1024 + 1))


def test_no_clamd_at_the_socket_is_said_at_once(tmp_path):
    started = time.monotonic()
    with pytest.raises(ScanUnavailable, match="cannot be reached"):
        Clamd(socket=tmp_path / "clamd.sock", timeout=20).scan(MARKER)
    assert time.monotonic() - started < 10  # no wait for the timeout: a generous bound, not a timing claim


def test_a_hung_clamd_ends_in_a_clear_failure_after_the_timeout():
    server = ClamdServer().start()
    try:
        server.freeze()
        client = server.client(timeout=1)
        started = time.monotonic()
        with pytest.raises(ScanUnavailable, match="did not answer within 1 s"):
            client.scan(MARKER * 1000)
        with pytest.raises(ScanUnavailable, match="did not answer within 1 s"):
            client.version()
        assert time.monotonic() - started < 30  # it ended: a generous bound on two timeouts of 1 s
    finally:
        server.stop()
