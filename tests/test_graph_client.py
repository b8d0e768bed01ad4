"""Reading and sending mail through Microsoft Graph, against the Graph stand-in on loopback TLS.

Real HTTP and TLS (the client trusts only the test CA), a real MSAL client-credentials token from
the test IdP: the delta query's pages and links, a forgotten link, a message moved by a rule,
throttling (Retry-After in seconds, as a date, absent; 429 and 503), at most four requests in flight
per mailbox, the MIME itself, the size limit, marking, sendMail — and the token in no log line.
"""

from __future__ import annotations

import logging
import ssl
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from pydantic import SecretStr

from intake.errors import AuthError, LimitExceeded
from intake.sources.graph import delta
from intake.sources.graph.client import (
    GraphClient,
    GraphError,
    GraphSettings,
    GraphThrottled,
    app_token_source,
    retry_after,
)
from intake.sources.graph.sender import send_mime
from support.graph_standin import GraphStandIn
from support.idp import GRAPH_APP
from support.mailfactory import make_mail

SECRET = GRAPH_APP.client_secret


@pytest.fixture(scope="module")
def graph(ca, idp, tmp_path_factory):
    with GraphStandIn(ca.issue(tmp_path_factory.mktemp("graph")), key=idp.key) as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
def token(ca, idp):
    return app_token_source(
        client_id=GRAPH_APP.client_id,
        client_secret=SecretStr(SECRET),
        authority=idp.authority,
        ca_file=ca.cert_file,
    )


class Naps(list):
    """The waits the client asked for; each is really slept."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        time.sleep(seconds)


@pytest.fixture
def naps() -> Naps:
    return Naps()


@pytest.fixture
def mailbox() -> str:
    return f"csc-anken-{uuid.uuid4().hex[:8]}@example.jp"


def client_for(graph, ca, token, mailbox, naps=time.sleep, **settings) -> GraphClient:
    settings = {"base_url": graph.base, "ca_file": ca.cert_file, "backoff_base": 0.2} | settings
    return GraphClient(mailbox=mailbox, token=token, settings=GraphSettings(**settings), sleep=naps)


@pytest.fixture
def client(graph, ca, token, mailbox, naps):
    with client_for(graph, ca, token, mailbox, naps) as made:
        yield made


def mail(n: int, **kw) -> bytes:
    return make_mail(subject=f"不審メールの報告 {n}", message_id=f"<report-{n}@example.co.jp>", **kw)


def seen_by(graph: GraphStandIn, mailbox: str):
    return [s for s in graph.seen if f"/users/{mailbox}/" in s.path or s.path.endswith(f"/users/{mailbox}")]


# --- the delta query ---------------------------------------------------------------------------
def test_the_first_round_lists_every_message_page_by_page_and_the_next_only_new_ones(graph, client, mailbox):
    ids = [graph.deliver(mailbox, mail(n)) for n in range(7)]

    first = delta.new_messages(client, "inbox", None, page_size=3)

    assert first.full and [m.id for m in first.messages] == ids
    assert [m.message_id for m in first.messages][0] == "<report-0@example.co.jp>"
    rounds = [s for s in seen_by(graph, mailbox) if s.path.endswith("/delta")]
    assert len(rounds) == 3  # 3 + 3 + 1, the pages chained by nextLink
    assert all("odata.maxpagesize=3" in s.prefer for s in rounds)
    assert "$skiptoken=" in rounds[1].query and "changeType=created" in rounds[0].query

    later = [graph.deliver(mailbox, mail(n)) for n in (7, 8)]
    second = delta.new_messages(client, "inbox", first.delta_link, page_size=3)
    assert not second.full and [m.id for m in second.messages] == later
    assert "$deltatoken=" in [s for s in seen_by(graph, mailbox) if s.path.endswith("/delta")][3].query

    delta.mark_processed(client, later[0])  # an update, not a new message: it does not come back
    third = delta.new_messages(client, "inbox", second.delta_link)
    assert third.messages == [] and not third.full


def test_a_forgotten_delta_link_lists_the_folder_again(graph, client, mailbox):
    ids = [graph.deliver(mailbox, mail(n)) for n in range(3)]
    first = delta.new_messages(client, "inbox", None)
    graph.forget_delta_links()

    again = delta.new_messages(client, "inbox", first.delta_link)

    assert again.full and [m.id for m in again.messages] == ids
    assert [s.status for s in seen_by(graph, mailbox) if s.path.endswith("/delta")] == [200, 410, 200]


def test_a_message_moved_by_a_rule_keeps_its_immutable_id(graph, client, mailbox, token):
    moved = graph.deliver(mailbox, mail(1))
    inbox = delta.new_messages(client, "inbox", None)
    graph.move_by_rule(mailbox, moved, "reports")

    reports = delta.new_messages(client, "reports", None)

    assert [m.id for m in inbox.messages] == [m.id for m in reports.messages] == [moved]
    # without the Prefer header Graph's ids carry the folder: the same message, another id
    with httpx.Client(verify=ssl.create_default_context(cafile=str(client.settings.ca_file))) as plain:
        answer = plain.get(
            f"{client.user_url}/mailFolders/reports/messages/delta",
            headers={"Authorization": f"Bearer {token().get_secret_value()}"},
        ).json()
    assert [m["id"] for m in answer["value"]] != [moved]


# --- throttling --------------------------------------------------------------------------------
def test_429_with_retry_after_in_seconds_is_waited_out(graph, client, mailbox, naps):
    graph.deliver(mailbox, mail(1))
    graph.throttle(429, retry_after="1")

    assert len(delta.new_messages(client, "inbox", None).messages) == 1
    assert naps == [1.0]


def test_429_with_retry_after_as_an_http_date_is_waited_out(graph, client, mailbox, naps):
    graph.throttle(429, retry_after=GraphStandIn.http_date(3))  # whole seconds: 2 to 3 s ahead

    assert delta.new_messages(client, "inbox", None).messages == []
    assert len(naps) == 1 and 0.0 < naps[0] <= 3.0


def test_without_retry_after_the_client_backs_off_exponentially(graph, client, naps):
    graph.throttle(429, times=2)
    delta.new_messages(client, "inbox", None)
    assert naps == [0.2, 0.4]


def test_503_is_waited_out_too(graph, client, naps):
    graph.throttle(503, retry_after="1")
    delta.new_messages(client, "inbox", None)
    assert naps == [1.0]


def test_throttled_beyond_the_wait_is_a_throttled_error_not_a_failure(graph, ca, token, mailbox, naps):
    graph.throttle(429, retry_after="1", times=2)
    with client_for(graph, ca, token, mailbox, naps, max_wait=1.5) as client:
        with pytest.raises(GraphThrottled, match="throttled") as raised:
            delta.new_messages(client, "inbox", None)
    assert raised.value.retry_after == 1.0 and naps == [1.0]


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after("7") == 7.0
    assert retry_after(None) is None and retry_after("soon") is None
    assert 0 < retry_after(GraphStandIn.http_date(30)) <= 30  # type: ignore[operator]
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date gone by: go now


def test_at_most_four_requests_are_in_flight_per_mailbox(graph, client, mailbox):
    raws = {graph.deliver(mailbox, mail(n)): mail(n) for n in range(10)}
    graph.value_delay = 0.5
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            got = dict(
                zip(raws, pool.map(lambda i: delta.download(client, i, limit=10**6), raws), strict=True)
            )
    finally:
        graph.value_delay = 0.0
    assert got == raws
    assert graph.max_in_flight[mailbox] == 4


def test_probing_a_folder_proves_token_permission_and_name(graph, client, mailbox, ca):
    graph.deliver(mailbox, mail(1))
    assert delta.probe(client, "inbox")["totalItemCount"] == 1
    with pytest.raises(GraphError) as missing:
        delta.probe(client, "no-such-folder")
    assert missing.value.status == 404
    with client_for(graph, ca, lambda: SecretStr("not-a-token"), mailbox) as refused:
        with pytest.raises(AuthError, match="401 InvalidAuthenticationToken"):
            delta.probe(refused, "inbox")


# --- the message itself ------------------------------------------------------------------------
def test_value_returns_the_exact_mime_and_the_folder_path_only_finds_the_folders_messages(
    graph, client, mailbox
):
    raw = mail(1, attachments=[("報告書.pdf", b"%PDF-1.4\x00\xff binary", "application/pdf")])
    message_id = graph.deliver(mailbox, raw)

    assert delta.download(client, message_id, limit=10**6) == raw
    assert client.get_bytes(f"mailFolders/inbox/messages/{message_id}/$value", limit=10**6) == raw
    with pytest.raises(GraphError) as refused:
        client.get_bytes(f"mailFolders/archive/messages/{message_id}/$value", limit=10**6)
    assert (refused.value.status, refused.value.code) == (404, "ErrorItemNotFound")


def test_a_message_over_the_size_limit_is_not_downloaded(graph, client, mailbox):
    big = graph.deliver(mailbox, mail(1, body="大きな本文\n" * 500))

    assert delta.size_of(client, big) == len(mail(1, body="大きな本文\n" * 500))
    with pytest.raises(LimitExceeded, match="over the limit"):
        delta.download(client, big, limit=1000)
    assert not [s for s in seen_by(graph, mailbox) if s.path.endswith("/$value")]


def test_marking_by_category_keeps_other_categories_and_moving_keeps_the_id(graph, client, mailbox):
    tagged, moved = graph.deliver(mailbox, mail(1)), graph.deliver(mailbox, mail(2))
    graph.mailboxes[mailbox].messages[tagged].categories = ["赤"]

    delta.mark_processed(client, tagged)
    delta.mark_processed(client, tagged)  # twice: once in the list

    assert graph.mailboxes[mailbox].messages[tagged].categories == ["赤", "intake-processed"]
    assert delta.move_to(client, moved, "archive") == moved
    assert graph.folder_of(mailbox, moved) == "archive"


# --- sending -----------------------------------------------------------------------------------
def test_send_mail_delivers_the_exact_mime_and_keeps_a_copy_in_sent_items(graph, client, mailbox):
    raw = make_mail(sender=f"CSC <{mailbox}>", to="reporter@example.co.jp", subject="受付のお知らせ")

    outcome = send_mime(client, raw)

    assert (outcome.kind, outcome.detail) == ("sent", "202 accepted by Graph")
    assert graph.sent[-1] == (mailbox, raw)
    assert [m.raw for m in graph.in_folder(mailbox, "sentitems")] == [raw]
    assert seen_by(graph, mailbox)[-1].content_type == "text/plain"


def test_a_throttled_send_goes_again_whole(graph, client, mailbox, naps):
    raw = make_mail(sender=f"CSC <{mailbox}>", to="reporter@example.co.jp", subject="受付のお知らせ")
    graph.throttle(429, retry_after="1")

    assert send_mime(client, raw).kind == "sent"
    assert naps == [1.0] and graph.sent[-1] == (mailbox, raw)
    tries = [s for s in seen_by(graph, mailbox) if s.path.endswith("/sendMail")]
    assert [(s.status, s.content_type) for s in tries] == [(429, "text/plain"), (202, "text/plain")]


def test_send_outcomes_match_the_smtp_senders(graph, ca, token, mailbox, naps):
    refused = client_for(graph, ca, lambda: SecretStr("not-a-token"), mailbox)
    with refused:
        outcome = send_mime(refused, b"Subject: x\r\n\r\nx\r\n")
    assert (outcome.kind, outcome.auth, outcome.stop_round) == ("retry", True, True)

    graph.throttle(503, retry_after="1", times=2)
    with client_for(graph, ca, token, mailbox, naps, max_wait=1.5) as busy:
        outcome = send_mime(busy, b"Subject: x\r\n\r\nx\r\n")
    assert (outcome.kind, outcome.stop_round) == ("retry", True) and "throttled" in outcome.detail


# --- what every request carries, and what no log line does -------------------------------------
def test_every_request_asks_for_immutable_ids_and_the_token_is_in_no_log(
    graph, client, mailbox, token, caplog
):
    caplog.set_level(logging.DEBUG)
    graph.deliver(mailbox, mail(1))
    graph.throttle(429)
    found = delta.new_messages(client, "inbox", None).messages
    delta.download(client, found[0].id, limit=10**6)
    delta.mark_processed(client, found[0].id)
    send_mime(client, mail(2))

    requests = seen_by(graph, mailbox)
    assert len(requests) >= 6 and all(s.immutable for s in requests)
    assert "waiting" in caplog.text  # the throttled request was logged …
    secret = token().get_secret_value()
    assert secret not in caplog.text and SECRET not in caplog.text  # … without the token
