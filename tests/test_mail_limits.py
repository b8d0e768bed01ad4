"""Limits on size, parts and nesting, and messages too broken to be mail.

Each oversized or hostile message is built here; errors must name the limit key that was passed.
"""

from __future__ import annotations

import base64
import random
import time

import pytest

from intake.errors import LimitExceeded, MessageError
from intake.mail import Limits, ParsedMessage, parse_message

MIB = 1024 * 1024


def mail(*headers: str, body: bytes = b"hello\r\n") -> bytes:
    top = ["From: yamada@example.co.jp", "To: kyogikai-shomu@example.jp", "Subject: test", *headers]
    return "\r\n".join(top).encode("ascii") + b"\r\n\r\n" + body


def mixed(parts: list[bytes], boundary: str = "b") -> bytes:
    """A multipart/mixed message holding the given parts (each: its header lines, blank line, body)."""
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    return mail(
        f'Content-Type: multipart/mixed; boundary="{boundary}"', body=body + f"--{boundary}--\r\n".encode()
    )


def base64_part(name: str, data: bytes) -> bytes:
    encoded = base64.encodebytes(data)
    return (
        f"Content-Type: application/octet-stream; name={name}\r\nContent-Transfer-Encoding: base64\r\n\r\n".encode()
        + encoded
    )


def nested_multipart(depth: int) -> bytes:
    head = b"".join(
        b'Content-Type: multipart/mixed; boundary="n%d"\r\n\r\n--n%d\r\n' % (i, i) for i in range(depth)
    )
    tail = b"".join(b"--n%d--\r\n" % i for i in reversed(range(depth)))
    return (
        b"From: a@example.jp\r\nSubject: deep\r\n"
        + head
        + b"Content-Type: text/plain\r\n\r\ninnermost\r\n"
        + tail
    )


def nested_rfc822(depth: int) -> bytes:
    return (
        b"From: a@example.jp\r\n"
        + b"Content-Type: message/rfc822\r\n\r\n" * depth
        + b"Subject: x\r\n\r\nhi\r\n"
    )


def test_message_over_the_size_limit_names_the_limit():
    raw = mail(body=b"x" * int(4.5 * MIB))
    with pytest.raises(LimitExceeded) as caught:
        parse_message(raw, limits=Limits(max_message_bytes=3 * MIB))
    assert str(caught.value) == "message is 4.5 MB, over the 3 MB limit (limits.max_message_mb)"


def test_message_at_the_size_limit_is_parsed():
    raw = mail(body=b"y" * 1000)
    assert parse_message(raw, limits=Limits(max_message_bytes=len(raw))).body_text == "y" * 1000


def test_attachment_over_the_limit_is_rejected_without_losing_the_message():
    raw = mixed(
        [b"Content-Type: text/plain\r\n\r\nsee attached", base64_part("big.docx", b"\x00" * int(1.5 * MIB))]
    )
    parsed = parse_message(raw, limits=Limits(max_attachment_bytes=1 * MIB))
    (attachment,) = parsed.attachments
    assert attachment.rejected == "attachment is 1.5 MB, over the 1 MB limit (limits.max_attachment_mb)"
    assert (attachment.filename, attachment.payload, attachment.size) == ("big.docx", b"", int(1.5 * MIB))
    assert parsed.body_text == "see attached"


def test_unencoded_attachment_over_the_limit_is_rejected_at_its_real_size():
    part = (
        b"Content-Type: text/csv; name=list.csv\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + b"a,b\r\n" * 300_000
    )
    (attachment,) = parse_message(mixed([part]), limits=Limits(max_attachment_bytes=1 * MIB)).attachments
    assert attachment.rejected == "attachment is 1.4 MB, over the 1 MB limit (limits.max_attachment_mb)"
    assert (attachment.size, attachment.payload) == (1_500_000, b"")


def test_attachment_exactly_at_the_limit_is_kept():
    data = bytes(range(256)) * 4096  # 1 MiB
    parsed = parse_message(
        mixed([base64_part("ok.bin", data)]), limits=Limits(max_attachment_bytes=len(data))
    )
    (attachment,) = parsed.attachments
    assert (attachment.rejected, attachment.size, attachment.payload) == (None, len(data), data)


def test_too_many_parts_names_the_limit():
    raw = mixed([base64_part(f"f{i}.txt", b"data") for i in range(12)])
    with pytest.raises(LimitExceeded) as caught:
        parse_message(raw, limits=Limits(max_parts=10))
    assert str(caught.value) == "message has more than 10 MIME parts, over the limit (limits.max_parts)"
    assert len(parse_message(raw, limits=Limits(max_parts=13)).attachments) == 12


def test_nesting_deeper_than_the_limit_names_the_limit():
    with pytest.raises(LimitExceeded) as caught:
        parse_message(nested_multipart(25))
    assert (
        str(caught.value)
        == "message nests MIME parts more than 20 levels deep, over the limit (limits.max_depth)"
    )


def test_nesting_at_the_limit_is_parsed():
    assert parse_message(nested_multipart(20)).body_text == "innermost"


@pytest.mark.parametrize("build", [nested_multipart, nested_rfc822])
@pytest.mark.parametrize("depth", [30, 900, 5000, 50_000])
def test_endlessly_nested_message_is_refused_quickly(build, depth):
    raw = build(depth)
    started = time.perf_counter()
    with pytest.raises(LimitExceeded, match=r"limits\.max_depth"):
        parse_message(raw)
    # Not a speed claim: a parse that followed 50,000 levels would take minutes (or overflow the
    # stack); a bound this loose holds on any machine, however loaded, while the refusal is early.
    assert time.perf_counter() - started < 5


def test_many_sibling_multiparts_are_not_mistaken_for_deep_nesting():
    inner = [
        b'Content-Type: multipart/alternative; boundary="a%d"\r\n\r\n--a%d\r\nContent-Type: text/plain\r\n\r\npart %d\r\n--a%d--'
        % (i, i, i, i)
        for i in range(30)
    ]
    parsed = parse_message(mixed(inner, boundary="outer"))
    assert parsed.body_text.split("\n\n") == [f"part {i}" for i in range(30)]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "message is empty"),
        (b" \r\n", "message is empty"),
        (b"// Not an RFC-822 Document", "not an e-mail message: no header lines were found"),
    ],
)
def test_input_that_is_no_mail_raises_message_error(raw, message):
    with pytest.raises(MessageError) as caught:
        parse_message(raw)
    assert type(caught.value) is MessageError
    assert str(caught.value) == message


def test_byte_order_mark_before_headers_is_tolerated():
    parsed = parse_message(b"\xef\xbb\xbf" + mail())
    assert (parsed.subject, parsed.from_addr) == ("test", "yamada@example.co.jp")
    assert parsed.defects == ("byte order mark before the headers",)


def test_mangled_messages_parse_or_raise_message_error_only():
    """Cut, spliced and bit-flipped copies of a realistic message never raise anything else."""
    seed = mixed(
        [
            b"Content-Type: text/plain; charset=ISO-2022-JP\r\n\r\n\x1b$B?=9~=q\x1b(B",
            b"Content-Type: application/octet-stream;\r\n name*=ISO-2022-JP''%1B%24B%2D%21%1B%28B.docx\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\nUEsDBA==",
            b"Content-Type: message/rfc822\r\n\r\nSubject: =?utf-8?B?5L2g?=\r\n\r\ninner",
        ]
    )
    rng = random.Random(20260401)
    for _ in range(300):
        raw = bytearray(seed)
        for _ in range(rng.randint(1, 8)):
            where = rng.randrange(len(raw))
            action = rng.randrange(3)
            if action == 0:
                raw[where] = rng.randrange(256)
            elif action == 1:
                del raw[where : where + rng.randint(1, 40)]
            else:
                raw[where:where] = raw[rng.randrange(len(raw)) :][: rng.randint(1, 40)]
        try:
            assert isinstance(parse_message(bytes(raw)), ParsedMessage)
        except MessageError:
            pass
