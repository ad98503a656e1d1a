"""The sandbox (``python -m bot sandbox``): the real bot, offline, against the product's own
Slack stand-in, with a web page that plays Slack for a visitor. The tests use the same
stand-in (``bot.sandbox.standin``) and send what Slack sends (``bot.sandbox.slack_side``)."""
