"""The messaging channels, SMS and WhatsApp, on one webhook: a text in, one TwiML <Message> out."""

from flask import Flask

from app.sms.conversation import Answer, Conversation
from app.sms.views import bp

__all__ = ["Answer", "Conversation", "init_app"]


def init_app(app: Flask) -> None:
    """Build each channel's conversation from the replies composed at start-up, and register the webhook."""
    line, matchers, unserved = app.extensions["line"], app.extensions["matchers"], app.extensions["unserved"]
    conversations = {
        channel: Conversation(line, matchers, replies, whatsapp=channel == "whatsapp", unserved=unserved)
        for channel, replies in app.extensions["replies"].items()
    }
    app.extensions["conversations"] = conversations
    # Kept apart from the conversation, so that a line broken inside can still apologise.
    app.extensions["sms_apology"] = {
        channel: {tag: replies.parts["error"][0].twiml for tag, replies in conversation.replies.items()}
        for channel, conversation in conversations.items()
    }
    app.register_blueprint(bp)
