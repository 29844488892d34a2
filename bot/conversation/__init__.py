"""The conversation core: the things people do with arkbot, decided once for every platform.

Each function takes the core's parts (`Core`), who asks (`Identity`, as the platform
verified it) and typed input, and returns an `Outcome`: what happened, the catalogue key of a
refusal, the form to show, the messages to redraw, the asker's home view and files. Whom
else to tell is queued as deliveries in the same transaction (`storage.notices`), for the
sender. Platforms parse, call and render; nothing here imports a platform.

Leaders      tasks.done_clicked · tasks.done_from_home · tasks.submit_done · tasks.snooze ·
             tasks.calendar_file
VOs          vo.clicked · vo.from_home · vo.submit
Action plan  actions.new_item · actions.submit_item · actions.checkin_clicked ·
             actions.submit_change
Employees    pulses.clicked · pulses.submit
Everyone     preferences.pause · preferences.resume · preferences.language ·
             questions.help · questions.home · questions.plan · questions.report
"""

from bot.conversation.base import Core, Turn
from bot.conversation.types import (
    Form,
    FormKind,
    FormRef,
    Identity,
    Outcome,
    Redraw,
    Status,
)

__all__ = [
    "Core",
    "Form",
    "FormKind",
    "FormRef",
    "Identity",
    "Outcome",
    "Redraw",
    "Status",
    "Turn",
]
