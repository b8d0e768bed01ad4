"""Reading what a bounce says and which message it returns, in the layouts real servers write."""

from __future__ import annotations

import pytest

from intake.mail import read_delivery_report
from support import bounces
from support.mailfactory import make_mail

REPLY_ID = "csc-2026-0007.3f2a9c@example.jp"


def our_reply() -> bytes:
    return make_mail(
        sender="csc-anken@example.jp",
        to="taro.yamada@example.com",
        subject="Re: 不審メールのご報告 [CSC-2026-0007]",
        body="ご報告ありがとうございます。\n",
        message_id=f"<{REPLY_ID}>",
        headers={"Auto-Submitted": "auto-replied"},
    )


@pytest.mark.parametrize("server", sorted(bounces.FORMATS))
def test_each_server_format_names_our_reply_and_the_failure(server):
    report = read_delivery_report(bounces.FORMATS[server](our_reply()))
    assert report is not None
    assert REPLY_ID in report.original_ids
    assert report.failed
    assert report.status == "5.1.1"
    assert report.diagnostic and "550" in report.diagnostic
    assert report.summary().startswith("5.1.1 ")


def test_the_standard_report_names_the_recipient():
    report = read_delivery_report(bounces.postfix(our_reply()))
    assert report.recipient == "taro.yamada@example.com"
    assert "User unknown in virtual mailbox table" in report.diagnostic


def test_a_delay_is_not_a_failure():
    delayed = bounces.postfix(our_reply()).replace(b"Action: failed", b"Action: delayed")
    delayed = delayed.replace(b"Status: 5.1.1", b"Status: 4.4.1")
    report = read_delivery_report(delayed)
    assert report is not None and not report.failed and report.status == "4.4.1"


def test_an_ordinary_message_is_no_report():
    assert read_delivery_report(make_mail(body="ご相談です。\n")) is None


def test_a_person_quoting_a_message_id_in_words_is_no_failure():
    text = make_mail(body="先日のメール（Message-ID: <abc@example.com>）の件です。\n")
    report = read_delivery_report(text)
    assert report is None or not report.failed
