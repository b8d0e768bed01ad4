"""Decoding Japanese mail: bodies, subjects, names and attachment file names in every encoding seen.

Every message here is built by the test itself, byte by byte, the way the mailer named writes it.
"""

from __future__ import annotations

import base64
import email
import email.policy
from urllib.parse import quote_from_bytes

import pytest

from intake.mail import parse_message
from intake.mail.decode import decode_bytes, decode_header_value

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORM_NAME = "201201_協議会加入申込書（テスト株式会社）.docx"
FORM_NAME_EXT = "201201_協議会加入申込書（㈱テスト①）.docx"  # CP932 extensions: ㈱ and ①
OUTLOOK_TEXT = "①②の件、㈱髙橋商事より～お知らせです。"
DOCX_BYTES = b"PK\x03\x04 not really a docx"


# --- how the senders' mailers write things ---------------------------------------------------------


def _jis_pair(s1: int, s2: int) -> bytes:
    """Shift_JIS pair -> JIS pair (the inverse of the decoder's table, written independently)."""
    if s1 >= 0xE0:
        s1 -= 0x40
    j1 = (s1 - 0x81) * 2 + 0x21
    if s2 >= 0x9F:
        return bytes((j1 + 1, s2 - 0x7E))
    return bytes((j1, s2 - 0x1F - (1 if s2 >= 0x80 else 0)))


def outlook_jis(text: str) -> bytes:
    """ISO-2022-JP as Outlook writes it: the CP932 bytes of ``text`` rewritten with JIS escapes."""
    sjis = text.encode("cp932")
    out = bytearray()
    double = False
    i = 0
    while i < len(sjis):
        byte = sjis[i]
        if byte < 0x80:
            if double:
                out += b"\x1b(B"
                double = False
            out.append(byte)
            i += 1
            continue
        if not double:
            out += b"\x1b$B"
            double = True
        out += _jis_pair(byte, sjis[i + 1])
        i += 2
    if double:
        out += b"\x1b(B"
    return bytes(out)


def b_words(data: bytes, charset: str, chunk: int) -> str:
    """Encoded words of ``chunk`` raw bytes each — so splitting characters and escape sequences —
    folded onto several lines, as some mailers do."""
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    words = [f"=?{charset}?B?{base64.b64encode(piece).decode()}?=" for piece in pieces]
    return "\r\n ".join(words)


def mail(*headers: str | bytes, body: bytes = b"hello\r\n", sender: str = "sender@example.co.jp") -> bytes:
    lines = [h.encode("ascii") if isinstance(h, str) else h for h in headers]
    top = [f"From: {sender}".encode("ascii"), b"To: kyogikai-shomu@example.jp"]
    return b"\r\n".join([*top, *lines]) + b"\r\n\r\n" + body


def with_attachment(disposition: bytes, ctype: bytes = b"Content-Type: " + DOCX.encode()) -> bytes:
    """A multipart/mixed message whose second part carries ``ctype`` and ``disposition`` lines."""
    return mail(
        "Subject: form",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b1"',
        body=b"\r\n".join(
            [
                b"--b1",
                b"Content-Type: text/plain; charset=us-ascii",
                b"",
                b"see attached",
                b"--b1",
                ctype,
                b"Content-Transfer-Encoding: base64",
                disposition,
                b"",
                base64.b64encode(DOCX_BYTES),
                b"--b1--",
                b"",
            ]
        ),
    )


def only_attachment(raw: bytes):
    parsed = parse_message(raw)
    assert len(parsed.attachments) == 1
    return parsed.attachments[0]


# --- ISO-2022-JP as Outlook writes it ---------------------------------------------------------------


def test_jis_bytes_of_cp932_extensions_decode_to_the_windows_characters():
    # ① = JIS 2D21, ② = 2D22, ㈱ = 2D6A, ～ = 2141 (U+FF5E, not 〜 U+301C), 髙 = 7C62 (NEC-selected)
    raw = b'\x1b$B-!-"-j!A|b\x1b(B'
    assert decode_bytes(raw, "ISO-2022-JP") == "①②㈱～髙"


def test_outlook_iso_2022_jp_body_keeps_cp932_extensions():
    raw = mail(
        "Subject: test",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="iso-2022-jp"',
        "Content-Transfer-Encoding: 7bit",
        body=outlook_jis(OUTLOOK_TEXT) + b"\r\n",
    )
    parsed = parse_message(raw)
    assert parsed.body_text == OUTLOOK_TEXT
    assert "\ufffd" not in parsed.body_text
    assert parsed.defects == ()


@pytest.mark.parametrize("chunk", [5, 7, 12, 40])
def test_iso_2022_jp_subject_split_across_encoded_words_and_mid_character(chunk):
    subject = "【申込】①②㈱～テスト株式会社 加入申込書"
    raw = mail(f"Subject: Re: {b_words(outlook_jis(subject), 'ISO-2022-JP', chunk)}")
    assert parse_message(raw).subject == "Re: " + subject


def test_utf8_subject_split_mid_character_in_b_and_q_words():
    data = "申込書（テスト）".encode()
    q_word = "=?utf-8?Q?" + "".join(f"={b:02X}" for b in data[4:]) + "?="
    value = f"=?UTF-8?B?{base64.b64encode(data[:4]).decode()}?=\r\n {q_word}"
    assert decode_header_value(value) == "申込書（テスト）"


def test_one_broken_encoded_word_does_not_spoil_the_others():
    assert decode_header_value("=?utf-8?B?55Sz6L68?= =?utf-8?B?x?= end") == "申込 =?utf-8?B?x?= end"


def test_display_name_in_iso_2022_jp_and_address_lower_cased():
    name = b_words(outlook_jis("髙橋 ①郎"), "iso-2022-jp", 64)
    parsed = parse_message(
        mail(f"Reply-To: {name} <info@example.co.jp>", sender=f'"{name}" <Takahashi@Example.CO.JP>')
    )
    assert parsed.from_name == "髙橋 ①郎"
    assert parsed.from_addr == "takahashi@example.co.jp"
    assert parsed.header("reply-to") == "髙橋 ①郎 <info@example.co.jp>"


def test_unlabelled_iso_2022_jp_body_and_raw_jis_subject_are_sniffed():
    text = "申込書を送付します。"
    raw = mail(
        b"Subject: " + outlook_jis("お知らせ"),
        "MIME-Version: 1.0",
        "Content-Type: text/plain",
        body=outlook_jis(text) + b"\r\n",
    )
    parsed = parse_message(raw)
    assert parsed.subject == "お知らせ"
    assert parsed.body_text == text


def test_half_width_katakana_escape_in_iso_2022_jp():
    assert decode_bytes(b"(=\x1b(I_\x1b$B&X\x1b(I_\x1b(B)\x1b(II\x1b(B", "iso-2022-jp") == "(=ﾟωﾟ)ﾉ"


def test_jis_x_0212_escape_falls_back_to_the_python_codec():
    assert decode_bytes(b"\x1b$(Dl?\x1b$B30$H\x1b(B", "iso-2022-jp") == "鷗外と"


def test_iso_2022_jp_label_on_raw_shift_jis_bytes_is_read_as_cp932():
    raw = mail(
        "Subject: x", 'Content-Type: text/plain; charset="ISO-2022-JP"', body="テスト①\r\n".encode("cp932")
    )
    parsed = parse_message(raw)
    assert parsed.body_text == "テスト①"
    assert parsed.defects == ("text labelled 'iso-2022-jp' was decoded as cp932",)


# --- Shift_JIS, EUC-JP, UTF-8 and unknown labels -----------------------------------------------------


def test_shift_jis_body_and_raw_8bit_shift_jis_attachment_name():
    body = "お世話になっております。①㈱～\r\n".encode("cp932")
    name = FORM_NAME_EXT.encode("cp932")
    raw = mail(
        "Subject: =?Shift_JIS?B?" + base64.b64encode("申込書①".encode("cp932")).decode() + "?=",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="sep"',
        body=b"\r\n".join(
            [
                b"--sep",
                b"Content-Type: text/plain; charset=Shift_JIS",
                b"Content-Transfer-Encoding: 8bit",
                b"",
                body,
                b"--sep",
                b'Content-Type: application/octet-stream; name="' + name + b'"',
                b'Content-Disposition: attachment; filename="' + name + b'"',
                b"Content-Transfer-Encoding: base64",
                b"",
                base64.b64encode(DOCX_BYTES),
                b"--sep--",
            ]
        ),
    )
    parsed = parse_message(raw)
    assert parsed.subject == "申込書①"
    assert parsed.body_text == "お世話になっております。①㈱～"
    assert [a.filename for a in parsed.attachments] == [FORM_NAME_EXT]
    assert parsed.attachments[0].payload == DOCX_BYTES


def test_euc_jp_body_and_subject():
    text = "事務従事者登録届を送ります。"
    raw = mail(
        "Subject: =?EUC-JP?B?" + base64.b64encode("登録届".encode("euc_jp")).decode() + "?=",
        'Content-Type: text/plain; charset="EUC-JP"',
        "Content-Transfer-Encoding: 8bit",
        body=text.encode("euc_jp") + b"\r\n",
    )
    parsed = parse_message(raw)
    assert (parsed.subject, parsed.body_text) == ("登録届", text)


def test_unknown_charset_label_falls_back_to_what_the_bytes_are():
    text = "加入申込書"
    for data in (text.encode("utf-8"), text.encode("cp932"), text.encode("euc_jp")):
        assert decode_bytes(data, "x-no-such-charset") == text


def test_unlabelled_latin1_is_not_mistaken_for_shift_jis():
    assert decode_bytes("Die Frösche".encode("latin-1")) == "Die Frösche"
    assert decode_header_value("Formação".encode("latin-1").decode("ascii", "surrogateescape")) == "Formação"


def test_bytes_that_are_no_text_in_any_charset_do_not_raise():
    assert decode_bytes(b"\xff\xfe\xfd", "utf-8") == "\ufffd\ufffd\ufffd"
    assert decode_bytes(b"abc", "base64") == "abc"  # a bytes-to-bytes codec name is no charset
    assert decode_bytes(b"\\u0041", "unicode_escape") == "\\u0041"  # nor is a Python-only codec


# --- attachment names --------------------------------------------------------------------------------


def _pct(text: str, codec: str) -> str:
    return quote_from_bytes(text.encode("cp932") if codec == "Shift_JIS" else text.encode(codec), safe="")


FILENAME_CASES = {
    "rfc2231 utf-8": f"Content-Disposition: attachment; filename*=UTF-8''{_pct(FORM_NAME, 'utf-8')}",
    "rfc2231 continuations": (
        "Content-Disposition: attachment;\r\n"
        f" filename*0*=utf-8''{_pct(FORM_NAME[:10], 'utf-8')};\r\n"
        f" filename*1*={_pct(FORM_NAME[10:-5], 'utf-8')};\r\n"
        ' filename*2=".docx"'
    ),
    "rfc2231 iso-2022-jp": (
        "Content-Disposition: attachment; filename*=ISO-2022-JP''"
        + quote_from_bytes(outlook_jis(FORM_NAME_EXT), safe="")
    ),
    "rfc2231 shift_jis": f"Content-Disposition: attachment; filename*=Shift_JIS''{_pct(FORM_NAME_EXT, 'Shift_JIS')}",
    "rfc2047 in quotes (outlook)": (
        f'Content-Disposition: attachment;\r\n filename="{b_words(outlook_jis(FORM_NAME_EXT), "ISO-2022-JP", 30)}"'
    ),
    "rfc2047 q in quotes": (
        'Content-Disposition: attachment; filename="=?UTF-8?Q?'
        + "".join(f"={b:02X}" for b in FORM_NAME.encode())
        + '?="'
    ),
    "ascii fallback and rfc2231": (
        f"Content-Disposition: attachment; filename=\"form.docx\"; filename*=UTF-8''{_pct(FORM_NAME, 'utf-8')}"
    ),
}
EXPECTED_NAME = {
    "rfc2231 iso-2022-jp": FORM_NAME_EXT,
    "rfc2231 shift_jis": FORM_NAME_EXT,
    "rfc2047 in quotes (outlook)": FORM_NAME_EXT,
}


@pytest.mark.parametrize("case", sorted(FILENAME_CASES))
def test_attachment_name_encodings(case):
    attachment = only_attachment(with_attachment(FILENAME_CASES[case].encode("ascii")))
    assert attachment.filename == EXPECTED_NAME.get(case, FORM_NAME)
    assert attachment.content_type == DOCX
    assert attachment.payload == DOCX_BYTES


def test_rfc2231_iso_2022_jp_name_that_breaks_policy_default_is_decoded():
    raw = with_attachment(FILENAME_CASES["rfc2231 iso-2022-jp"].encode("ascii"))
    part = list(email.message_from_bytes(raw, policy=email.policy.default).iter_attachments())[0]
    with pytest.raises(UnicodeDecodeError):  # CPython gh-132794: the reason we read raw headers
        part.get_filename()
    assert only_attachment(raw).filename == FORM_NAME_EXT


def test_only_name_on_content_type():
    ctype = f'Content-Type: {DOCX};\r\n name="{b_words(FORM_NAME.encode(), "utf-8", 45)}"'.encode()
    assert only_attachment(with_attachment(b"X-Note: no disposition", ctype)).filename == FORM_NAME


def test_raw_8bit_utf8_name():
    disposition = b'Content-Disposition: attachment; filename="' + FORM_NAME.encode() + b'"'
    assert only_attachment(with_attachment(disposition)).filename == FORM_NAME


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\\\Users\\\\yamada\\\\申込書.docx", "申込書.docx"),
        ("/tmp/evil/..", None),
    ],
)
def test_attachment_names_lose_their_path(given, expected):
    disposition = f'Content-Disposition: attachment; filename="{given}"'.encode()
    assert only_attachment(with_attachment(disposition)).filename == expected


# --- HTML-only, forwarded, broken -------------------------------------------------------------------


def test_html_only_mail_gives_readable_text():
    html = (
        "<html><head><title>ignored</title><style>p {color: red}</style>"
        "<script>alert('x')</script></head><body>"
        "<p>お世話になっております。</p><div>申込書を&nbsp;送付します&amp;ご確認ください。</div>"
        "<table><tr><td>組織名</td><td>テスト株式会社</td></tr><tr><td>&#x2460;</td><td>&lt;済&gt;</td></tr></table>"
        "一行目<br>二行目<br/>三行目</body></html>"
    )
    raw = mail("Subject: html", "Content-Type: text/html; charset=utf-8", body=html.encode())
    assert parse_message(raw).body_text == (
        "お世話になっております。\n申込書を 送付します&ご確認ください。\n組織名 テスト株式会社\n① <済>\n"
        "一行目\n二行目\n三行目"
    )


def test_text_plain_is_preferred_over_its_html_alternative():
    raw = mail(
        "Subject: alt",
        'Content-Type: multipart/alternative; boundary="alt"',
        body=(
            "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n平文です\r\n"
            "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTMLです</p>\r\n--alt--\r\n"
        ).encode(),
    )
    assert parse_message(raw).body_text == "平文です"


def test_forwarded_message_attachment_is_found_and_flagged():
    inner = mail(
        "Subject: =?UTF-8?B?" + base64.b64encode("加入申込書".encode()).decode() + "?=",
        'Content-Type: multipart/mixed; boundary="inner"',
        body=b"\r\n".join(
            [
                b"--inner",
                b"Content-Type: text/plain; charset=utf-8",
                b"",
                "元のメールです。".encode(),
                b"--inner",
                f"Content-Type: {DOCX}".encode(),
                FILENAME_CASES["rfc2231 iso-2022-jp"].encode(),
                b"Content-Transfer-Encoding: base64",
                b"",
                base64.b64encode(DOCX_BYTES),
                b"--inner--",
            ]
        ),
    ).replace(b"From: sender@example.co.jp", b"From: applicant@example.co.jp")
    raw = mail(
        "Subject: Fwd: form",
        'Content-Type: multipart/mixed; boundary="outer"',
        body=b"\r\n".join(
            [
                b"--outer",
                b"Content-Type: text/plain; charset=utf-8",
                b"",
                "転送します。".encode(),
                b"--outer",
                b'Content-Type: message/rfc822; name="original.eml"',
                b"",
                inner,
                b"--outer--",
            ]
        ),
    )
    parsed = parse_message(raw)
    assert parsed.forwarded is True
    (attachment,) = parsed.attachments
    assert (attachment.filename, attachment.forwarded, attachment.payload) == (
        FORM_NAME_EXT,
        True,
        DOCX_BYTES,
    )
    walked = list(email.message_from_bytes(raw, policy=email.policy.compat32).walk())
    assert walked[attachment.index].get_content_type() == DOCX
    assert parsed.body_text == "転送します。"  # the attached message's text is not the sender's
    (attached,) = parsed.attached_messages
    assert (attached.from_text, attached.subject) == ("applicant@example.co.jp", "加入申込書")
    assert attached.body.endswith("元のメールです。") and attached.attachments == (FORM_NAME_EXT,)


def test_malformed_base64_attachment_is_still_parsed():
    good = base64.b64encode(DOCX_BYTES).decode()
    broken = good[:8] + "!!" + good[8:-2]  # stray characters, and the padding cut off
    raw = mail(
        "Subject: broken",
        'Content-Type: multipart/mixed; boundary="b"',
        body=(
            "--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n--b\r\n"
            f"Content-Type: {DOCX}; name=form.docx\r\nContent-Transfer-Encoding: base64\r\n\r\n{broken}\r\n--b--\r\n"
        ).encode(),
    )
    parsed = parse_message(raw)
    (attachment,) = parsed.attachments
    assert attachment.filename == "form.docx"
    assert attachment.payload.startswith(DOCX_BYTES[:6])
    assert attachment.rejected is None
    assert "part 2: invalid base64 characters" in parsed.defects
    assert parsed.body_text == "body"


def test_missing_closing_boundary_keeps_the_parts():
    raw = mail(
        "Subject: cut",
        'Content-Type: multipart/mixed; boundary="b"',
        body=b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + "途中まで".encode() + b"\r\n",
    )
    parsed = parse_message(raw)
    assert parsed.body_text == "途中まで"
    assert "close boundary not found" in parsed.defects


def test_message_headers_ids_and_date():
    raw = mail(
        "Subject: x",
        "Message-ID:  <abc.123@example.co.jp> ",
        "In-Reply-To: <reply-1@example.jp>",
        "References: <r0@example.jp>\r\n <reply-1@example.jp>",
        "Date: Mon, 5 Oct 2026 10:12:00 +0900",
        "Content-Type: multipart/report; report-type=Delivery-Status; boundary=x",
    )
    parsed = parse_message(raw)
    assert parsed.message_id == "abc.123@example.co.jp"
    assert parsed.in_reply_to == ("reply-1@example.jp",)
    assert parsed.references == ("r0@example.jp", "reply-1@example.jp")
    assert parsed.date.isoformat() == "2026-10-05T10:12:00+09:00"
    assert (parsed.content_type, parsed.report_type) == ("multipart/report", "delivery-status")
    assert parsed.to_addrs == ("kyogikai-shomu@example.jp",)
    assert parsed.header("SUBJECT") == "x"
