"""File upload v2 end to end through slack_sdk's files_upload_v2."""

from __future__ import annotations

import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slacksim import FakeSlack
from bot.slacksim.seed import HR_PRIVATE, OPS, SUPPORT


def test_upload_v2_posts_a_file_message(fake: FakeSlack, client: WebClient) -> None:
    parent = client.chat_postMessage(channel=OPS, text="Weekly KPIs")["ts"]

    response = client.files_upload_v2(
        channel=OPS,
        content=b"step,done\n1,4\n",
        filename="kpis.csv",
        title="KPIs",
        initial_comment="This week's chart",
        thread_ts=parent,
    )

    assert response["file"]["title"] == "KPIs"
    file_id = response["file"]["id"]
    assert [c.method for c in fake.calls][-3:] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    [_, shared] = fake.thread("ops", parent)
    assert shared["text"] == "This week's chart"
    assert shared["files"][0]["id"] == file_id and shared["files"][0]["name"] == "kpis.csv"
    assert fake.ws.files[file_id].content == b"step,done\n1,4\n"


def test_uploaded_file_can_be_downloaded_with_the_token(fake: FakeSlack, client) -> None:
    client.files_upload_v2(channel=SUPPORT, content=b"chart-bytes", filename="chart.png")
    url = fake.messages("support")[-1]["files"][0]["url_private"]

    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {fake.token}"})
    with urllib.request.urlopen(request) as response:
        assert response.read() == b"chart-bytes"


def test_upload_without_channel_shares_nowhere(fake: FakeSlack, client: WebClient) -> None:
    client.files_upload_v2(content=b"x", filename="x.txt")
    assert fake.messages("support") == []


def test_upload_to_a_channel_the_bot_cannot_see(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.files_upload_v2(channel=HR_PRIVATE, content=b"x", filename="x.txt")
    assert caught.value.response["error"] == "channel_not_found"


def test_completing_an_unknown_file(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.files_completeUploadExternal(files=[{"id": "F0NOPE0000"}], channel_id=SUPPORT)
    assert caught.value.response["error"] == "file_not_found"
