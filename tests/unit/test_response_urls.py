"""Only Slack's hooks host (or SLACK_API_URL's, the fake's) ever receives a response_url post."""

from __future__ import annotations

import pytest

from bot.slack.guard.response_urls import Responder, is_slack_response_url

API = "https://slack.com/api/"
FAKE_API = "http://127.0.0.1:4567/api/"

ALLOWED = [
    ("https://hooks.slack.com/commands/T1/2/abc", API),
    ("https://hooks.slack.com:443/actions/T1/2/abc", API),
    ("https://HOOKS.slack.com/commands/T1/2/abc", API),
    ("http://127.0.0.1:4567/response/T1/R1/abc", FAKE_API),
]
REFUSED = [
    ("http://hooks.slack.com/commands/T1/2/abc", API),  # not https
    ("https://hooks.slack.com:8443/commands/T1", API),
    ("https://hooks.slack.com.example.com/commands/T1", API),
    ("https://example.com/hooks.slack.com/commands", API),
    ("https://hooks.slack.com@example.com/commands", API),
    ("https://user:pw@hooks.slack.com/commands", API),
    ("https://hooks.slack.com/commands\n/T1", API),
    ("https://hooks.slack.com:99999/commands", API),
    ("file:///etc/passwd", API),
    ("gopher://hooks.slack.com/", API),
    ("http://127.0.0.1:4568/response/T1/R1/abc", FAKE_API),  # another port
    ("http://169.254.169.254/latest/meta-data/", API),
    ("http://127.0.0.1:4567/response/T1", API),  # the fake's host, but not configured
    ("", API),
    (None, API),
    (["https://hooks.slack.com/commands/T1"], API),
]


@pytest.mark.parametrize(("url", "api_url"), ALLOWED)
def test_slacks_hooks_and_the_configured_api_host_are_allowed(url, api_url):
    assert is_slack_response_url(url, api_url=api_url)


@pytest.mark.parametrize(("url", "api_url"), REFUSED)
def test_everything_else_is_refused(url, api_url):
    assert not is_slack_response_url(url, api_url=api_url)


def test_a_responder_for_a_foreign_url_has_none_and_will_not_post():
    responder = Responder(response_url="http://169.254.169.254/", api_url=API)
    assert responder.response_url is None
    with pytest.raises(ValueError, match="no Slack response_url"):
        responder({"text": "hi"})
