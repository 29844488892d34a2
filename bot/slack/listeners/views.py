"""Modal submissions: read the fields, hand them to the conversation core, and answer with
Slack's inline field errors or close the modal and show the outcome.

The modal's private metadata only says which form this was (`FormRef`); the core re-reads
and re-checks everything it names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.conversation import FormRef, Outcome, Status, actions, pulses, tasks, vo
from bot.slack import modals
from bot.slack.context import Ack, Deps, identity_of, show
from storage.models import ActionState

Values = dict[str, str | None]


def _task_done(
    deps: Deps, who: Any, ref: FormRef, values: Values, _view: dict[str, Any]
) -> Outcome:
    return tasks.submit_done(deps.core, who, ref, values.get("done_on"), values.get("archive_ref"))


def _vo(deps: Deps, who: Any, ref: FormRef, values: Values, _view: dict[str, Any]) -> Outcome:
    return vo.submit(deps.core, who, ref, values.get("involved_on"), values.get("comment"))


def _changed(deps: Deps, who: Any, ref: FormRef, values: Values, view: dict[str, Any]) -> Outcome:
    # Which change this is comes from the modal Slack kept, not from its metadata.
    delayed = view.get("callback_id") == modals.ACTION_DELAYED
    state = ActionState.delayed if delayed else ActionState.dropped
    return actions.submit_change(
        deps.core, who, FormRef(delivery_id=ref.delivery_id, item_id=ref.item_id, state=state),
        values.get("new_due"), values.get("note"),
    )  # fmt: skip


def _item(deps: Deps, who: Any, ref: FormRef, values: Values, _view: dict[str, Any]) -> Outcome:
    return actions.submit_item(
        deps.core, who, ref, unit_id=values.get("unit"), title=values.get("title"),
        owner=values.get("owner"), due_on=values.get("due_on"), area=values.get("area"),
    )  # fmt: skip


def _pulse(deps: Deps, who: Any, ref: FormRef, values: Values, _view: dict[str, Any]) -> Outcome:
    answers = {
        block.removeprefix("q:"): value
        for block, value in values.items()
        if block.startswith("q:") and value is not None
    }
    return pulses.submit(deps.core, who, ref, answers)


Submit = Callable[[Deps, Any, FormRef, Values, dict[str, Any]], Outcome]
SUBMISSIONS: dict[str, Submit] = {
    modals.TASK_DONE: _task_done,
    modals.VO_ANSWER: _vo,
    modals.ACTION_DELAYED: _changed,
    modals.ACTION_DROPPED: _changed,
    modals.ACTION_ITEM: _item,
    modals.PULSE_ANSWER: _pulse,
}


def register(app: App, deps: Deps) -> None:
    def submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        view = body.get("view") if isinstance(body.get("view"), dict) else {}
        assert isinstance(view, dict)
        submit = SUBMISSIONS.get(str(view.get("callback_id")))
        if submit is None:
            ack()
            return
        ref = FormRef.from_dict(modals.metadata_of(view))
        who = identity_of(body)
        outcome = submit(deps, who, ref, modals.submitted(view), view)
        if outcome.status is Status.invalid:
            ack(response_action="errors", errors=outcome.errors)
            return
        if outcome.status is Status.refused and outcome.reply:
            # Closing the modal would look like success: it says why nothing was saved.
            view = modals.refusal_view(outcome.locale, outcome.reply)
            ack(response_action="update", view=view.to_dict())
            return
        ack()
        deps.after_ack(lambda: show(deps, outcome, client, user_id=who.user_id, reply=False))

    for callback_id in SUBMISSIONS:
        app.view(callback_id)(submitted)
