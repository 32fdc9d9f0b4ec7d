"""Block Kit and Slack mrkdwn as HTML for the playground page: the one renderer, pure functions.

Input is what Slack received (block dicts, text objects); output is an HTML fragment that the
page inserts as is. Every piece of text goes through `html.escape` after Slack's own three
entities are decoded, links only ever get http(s) or mailto URLs, and images only http(s) URLs
or this playground's own file route, so SOP or user text can never become markup.
"""

from bot.playground.render.blocks import block, blocks, message_body
from bot.playground.render.elements import Context, element
from bot.playground.render.text import NO_NAMES, Names, esc, mrkdwn, plain, special, text_object

__all__ = [
    "NO_NAMES",
    "Context",
    "Names",
    "block",
    "blocks",
    "element",
    "esc",
    "message_body",
    "mrkdwn",
    "plain",
    "special",
    "text_object",
]
