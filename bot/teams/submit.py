"""A form card's Save: its kind and reference (hints) and the inputs Teams merged in, to
the core's submission of that form."""

from __future__ import annotations

from typing import Any

from bot.conversation import (
    Core,
    FormKind,
    FormRef,
    Identity,
    Outcome,
    Status,
    actions,
    pulses,
    tasks,
    vo,
)
from bot.conversation import forms as core_forms
from bot.conversation.base import STALE
from bot.i18n.catalog import normalise_locale, t
from bot.teams.forms import inputs_of
from storage.models import ActionState


def submit(core: Core, who: Identity, data: dict[str, Any]) -> Outcome:
    kind_value = str(data.get("form") or "")
    ref = FormRef.from_dict(data.get("ref"))
    values = inputs_of(data)
    if kind_value not in FormKind._value2member_map_:
        locale = normalise_locale(who.locale)
        return Outcome(Status.refused, locale, reply=t(locale, STALE), reason=STALE)
    kind = FormKind(kind_value)
    outcome = _submit(core, who, kind, ref, values)
    if outcome.status is Status.invalid:
        # The form is drawn again with the errors, after the same checks as the first time.
        again = core_forms.reopen(core, who, kind, ref)
        outcome.form = again.form
    return outcome


def _submit(
    core: Core, who: Identity, kind: FormKind, ref: FormRef, values: dict[str, str | None]
) -> Outcome:
    if kind is FormKind.task_done:
        return tasks.submit_done(core, who, ref, values.get("done_on"), values.get("archive_ref"))
    if kind is FormKind.vo_answer:
        return vo.submit(core, who, ref, values.get("involved_on"), values.get("comment"))
    if kind in (FormKind.action_delayed, FormKind.action_dropped):
        state = ActionState.delayed if kind is FormKind.action_delayed else ActionState.dropped
        fixed = FormRef(delivery_id=ref.delivery_id, item_id=ref.item_id, state=state)
        return actions.submit_change(core, who, fixed, values.get("new_due"), values.get("note"))
    if kind is FormKind.action_item:
        return actions.submit_item(
            core,
            who,
            ref,
            unit_id=values.get("unit"),
            title=values.get("title"),
            owner=values.get("owner"),
            due_on=values.get("due_on"),
            area=values.get("area"),
        )
    answers = {
        key.removeprefix("q:"): value
        for key, value in values.items()
        if key.startswith("q:") and value is not None
    }
    return pulses.submit(core, who, ref, answers)
