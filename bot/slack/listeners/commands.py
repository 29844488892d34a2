"""`/ark`: the conversation core answers; this module shows the answer as Block Kit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.conversation import commands
from bot.conversation.dates import DatesView
from bot.conversation.questions import HelpView, PlanView, ReportView
from bot.slack.context import Deps, Respond, identity_of, show, tell
from bot.slack.home import dates_blocks, help_blocks, plan_blocks, report_blocks, status_blocks


def register(app: App, deps: Deps) -> None:
    @app.command("/ark")
    def ark(
        ack: Callable[..., None], command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        deps.after_ack(lambda: _answer(deps, command, client, respond))


def _answer(deps: Deps, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
    who = identity_of(command)
    answer = commands.run(deps.core, who, command.get("text"))
    outcome = answer.outcome
    blocks = _blocks(deps, answer)
    if blocks is not None:
        tell(respond, outcome.reply or f"/ark {answer.command}", blocks)
        outcome.reply = None
    # `status` shows the home view in the reply, not on the App Home.
    if answer.command == "status":
        outcome.home = None
    show(
        deps,
        outcome,
        client,
        user_id=who.user_id,
        respond=respond,
        trigger_id=command.get("trigger_id"),
    )


def _blocks(deps: Deps, answer: commands.Answer) -> list[Any] | None:
    outcome, data, locale = answer.outcome, answer.outcome.data, answer.outcome.locale
    if isinstance(data, HelpView):
        return help_blocks(locale, coordinator=data.coordinator)
    if answer.command == "status" and outcome.home is not None:
        return status_blocks(outcome.home.person, today=outcome.home.today)
    if isinstance(data, PlanView):
        return plan_blocks(
            data.plan, locale=locale, today=data.today, unit_levels=data.unit_levels,
            roles=data.roles,
        )  # fmt: skip
    if isinstance(data, DatesView):
        return dates_blocks(data.milestones, locale)
    if isinstance(data, ReportView):
        return report_blocks(data.area, locale=locale, today=data.today)
    return None
