"""Files for a person in Teams (the follow-up meeting's .ics, a coordinator's HTML report): the
Teams way for a bot in a 1:1 chat is a file consent card. The person allows it (one click),
the bot uploads the file to their OneDrive through the upload URL Teams hands over, and the
chat shows the file (an .ics opens in Outlook). The consent carries only what names the file
(the delivery id, or the report's unit): it is made again, with every check, when allowed."""

from __future__ import annotations

from typing import Any

import httpx
from microsoft_teams.api.activities.message.message import MessageActivityInput
from microsoft_teams.api.models.attachment.attachment import Attachment

from bot.conversation.types import File

CONSENT = "application/vnd.microsoft.teams.card.file.consent"
INFO = "application/vnd.microsoft.teams.card.file.info"
UPLOAD_TIMEOUT = 20.0


def consent_card(file: File, context: dict[str, Any]) -> MessageActivityInput:
    """`context` comes back with the person's answer: {"delivery_id": …} or {"report": unit}."""
    content = {
        "description": file.title,
        "sizeInBytes": len(file.content),
        "acceptContext": context,
        "declineContext": context,
    }
    return MessageActivityInput(text=file.comment).add_attachments(
        Attachment(content_type=CONSENT, name=file.filename, content=content)
    )


async def upload(upload_info: Any, file: File) -> MessageActivityInput:
    """PUT the bytes to the upload session in one range; the card that shows the file."""
    size = len(file.content)
    async with httpx.AsyncClient(timeout=UPLOAD_TIMEOUT) as client:
        response = await client.put(
            str(upload_info.upload_url),
            content=file.content,
            headers={
                "Content-Length": str(size),
                "Content-Range": f"bytes 0-{size - 1}/{size}",
            },
        )
        response.raise_for_status()
    info = Attachment(
        content_type=INFO,
        content_url=upload_info.content_url,
        name=upload_info.name or file.filename,
        content={"uniqueId": upload_info.unique_id, "fileType": _file_type(file.filename)},
    )
    return MessageActivityInput().add_attachments(info)


def _file_type(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
