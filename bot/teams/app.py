"""The Teams app: activities in, the conversation core decides, Adaptive Cards out.

- installation (and every message) stores the person's 1:1 conversation reference, and the
  install answers with the home card;
- typed words are the commands of `/ark` (`bot.conversation.commands`);
- Action.Execute clicks go to the core (`bot.conversation.clicks`); the card answers in place:
  a form, the answered state, or the home card. A refusal answers with a message and leaves
  the card as it was.
Nothing here decides who may do what; the core is asked, off the event loop, in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from microsoft_teams.api.activities.install_update.add import InstalledActivity
from microsoft_teams.api.activities.install_update.remove import UninstalledActivity
from microsoft_teams.api.activities.invoke.adaptive_card.action import AdaptiveCardInvokeActivity
from microsoft_teams.api.activities.invoke.file_consent import FileConsentInvokeActivity
from microsoft_teams.api.activities.message.message import MessageActivity
from microsoft_teams.api.models.adaptive_card.adaptive_card_action_response import (
    AdaptiveCardActionCardResponse,
    AdaptiveCardActionMessageResponse,
)
from microsoft_teams.apps import ActivityContext, App
from microsoft_teams.cards import AdaptiveCard

from bot.conversation import (
    Core,
    FormKind,
    FormRef,
    Identity,
    Outcome,
    Status,
    commands,
    install,
    questions,
    tasks,
)
from bot.conversation import forms as core_forms
from bot.conversation.clicks import click
from bot.conversation.dates import DatesView
from bot.conversation.questions import HelpView, PlanView, ReportView
from bot.conversation.types import Redraw
from bot.i18n.catalog import t
from bot.teams import submit
from bot.teams.cards import render_card
from bot.teams.endpoint import WsgiAdapter
from bot.teams.files import consent_card, upload
from bot.teams.forms import CANCEL, SUBMIT, form_card, inputs_of
from bot.teams.home import dates_card, help_card, home_card, plan_card, report_card
from bot.teams.parts import card, plain

log = logging.getLogger("arkbot.teams")
T = TypeVar("T")
_MENTION = re.compile(r"<at>.*?</at>", re.S)


@dataclass(frozen=True, slots=True)
class TeamsDeps:
    core: Core


def identity_of(activity: Any) -> Identity:
    """Who the (validated) activity comes from, as the core knows people."""
    sender = activity.from_
    conversation = activity.conversation
    tenant = getattr(conversation, "tenant_id", None)
    channel = getattr(activity, "channel_data", None)
    if tenant is None and channel is not None and getattr(channel, "tenant", None) is not None:
        tenant = channel.tenant.id
    return Identity(
        platform="teams",
        user_id=sender.aad_object_id or "",
        workspace=tenant,
        email=getattr(sender, "email", None),
        locale=getattr(activity, "locale", None),
        alt_id=sender.id,
    )


def conversation_of(activity: Any) -> install.Conversation:
    return install.Conversation(
        conversation_id=activity.conversation.id,
        service_url=activity.service_url,
        tenant_id=identity_of(activity).workspace,
    )


async def _decide(fn: Callable[..., T], *args: Any) -> T:
    """Work that may take a while (a command, a report, an install): off the event loop."""
    return await asyncio.to_thread(fn, *args)


def register(app: App, deps: TeamsDeps) -> None:
    core = deps.core

    @app.on_install_add
    async def installed(ctx: ActivityContext[InstalledActivity]) -> None:
        who = identity_of(ctx.activity)
        outcome = await _decide(install.installed, core, who, conversation_of(ctx.activity))
        if outcome.home is not None:
            await ctx.send(home_card(outcome.home))
        elif outcome.reply:
            await ctx.send(outcome.reply)

    @app.on_install_remove
    async def uninstalled(ctx: ActivityContext[UninstalledActivity]) -> None:
        await _decide(install.uninstalled, core, identity_of(ctx.activity))

    @app.on_message
    async def typed(ctx: ActivityContext[MessageActivity]) -> None:
        who = identity_of(ctx.activity)
        await _decide(install.remembered, core, who, conversation_of(ctx.activity))
        text = _MENTION.sub("", ctx.activity.text or "").strip()
        answer = await _decide(commands.run, core, who, text)
        for reply in _command_replies(core, answer):
            await ctx.send(reply)
        if isinstance(answer.outcome.data, ReportView):
            for file in answer.outcome.files:  # each top unit's full report, once allowed
                if file.unit_id is not None:
                    await ctx.send(consent_card(file, {"report": file.unit_id}))

    @app.on_card_action_execute
    async def clicked(ctx: ActivityContext[AdaptiveCardInvokeActivity]) -> Any:
        who = identity_of(ctx.activity)
        data = ctx.activity.value.action.data or {}
        # On the loop's own thread: a click is a short transaction and Teams waits for its
        # answer; under 50 clicks at once, handing it to a worker thread and back doubled the
        # p99 (docs/performance.md §9). While a click waits for a database lock, the other
        # activities of this process wait with it.
        outcome = _on_click(core, who, data if isinstance(data, dict) else {})
        if outcome is None:
            return AdaptiveCardActionMessageResponse(
                value=t(who_locale(who), "conversation.access.stale")
            )
        delivery = data.get("delivery_id") if isinstance(data, dict) else None
        if outcome.files and isinstance(delivery, int):
            await ctx.send(consent_card(outcome.files[0], {"delivery_id": delivery}))
            return AdaptiveCardActionMessageResponse(
                value=t(outcome.locale, "teamsapp.ics.consent")
            )
        return _card_answer(outcome, data if isinstance(data, dict) else {})

    @app.on_file_consent
    async def file_consent(ctx: ActivityContext[FileConsentInvokeActivity]) -> None:
        answer = ctx.activity.value
        context = answer.context if isinstance(answer.context, dict) else {}
        delivery, unit = context.get("delivery_id"), context.get("report")
        if answer.action != "accept" or answer.upload_info is None:
            return
        who = identity_of(ctx.activity)
        # The file is made again, with every check, now that the person allowed it.
        if isinstance(delivery, int):
            outcome = await _decide(tasks.calendar_file, core, who, delivery)
            failed = "teamsapp.ics.failed"
        elif isinstance(unit, str):
            outcome = await _decide(questions.report_file, core, who, unit)
            failed = "teamsapp.report.failed"
        else:
            return
        if not outcome.files:
            if outcome.reply:
                await ctx.send(outcome.reply)
            return
        try:
            shown = await upload(answer.upload_info, outcome.files[0])
        except httpx.HTTPError as error:
            log.warning("could not upload %s: %s", outcome.files[0].filename, type(error).__name__)
            await ctx.send(t(outcome.locale, failed))
            return
        await ctx.send(shown)


def who_locale(who: Identity) -> str:
    from bot.i18n.catalog import normalise_locale

    return normalise_locale(who.locale)


def _on_click(core: Core, who: Identity, data: dict[str, Any]) -> Outcome | None:
    action = str(data.get("action") or "")
    if action == SUBMIT:
        return submit.submit(core, who, data)
    if action == CANCEL:
        return core_forms.cancel(core, who, FormRef.from_dict(data.get("ref")))
    value = data.get("value")
    if value is None and data.get("delivery_id") is not None:
        value = data.get("delivery_id")
    return click(core, who, action, str(value if value is not None else ""))


def _card_answer(outcome: Outcome, data: dict[str, Any]) -> Any:
    """What replaces the clicked card: the form, the answered message, or the home."""
    if outcome.status is Status.invalid and outcome.form is not None:
        shown = form_card(outcome.form, errors=outcome.errors, values=inputs_of(data))
        return AdaptiveCardActionCardResponse(value=shown)
    if outcome.form is not None:
        return AdaptiveCardActionCardResponse(value=form_card(outcome.form))
    redraw = _teams_redraw(outcome.redraw)
    if redraw is not None:
        return AdaptiveCardActionCardResponse(value=render_card(redraw.message))
    if outcome.home is not None:
        return AdaptiveCardActionCardResponse(value=home_card(outcome.home))
    if outcome.files:
        return AdaptiveCardActionMessageResponse(value=outcome.reply or outcome.files[0].comment)
    text = outcome.reply or next(iter(outcome.errors.values()), None) or ""
    return AdaptiveCardActionMessageResponse(value=text or "✓")


def _teams_redraw(redraws: list[Redraw]) -> Redraw | None:
    return next((r for r in redraws if r.platform in (None, "teams")), None)


def _command_replies(core: Core, answer: commands.Answer) -> list[str | AdaptiveCard]:
    outcome, data, locale = answer.outcome, answer.outcome.data, answer.outcome.locale
    replies: list[str | AdaptiveCard] = []
    if isinstance(data, HelpView):
        return [help_card(data, locale, prefix=outcome.reply)]
    if outcome.reply and outcome.status is not Status.form:
        replies.append(outcome.reply)
    if outcome.form is not None:
        replies.append(form_card(outcome.form))
    elif isinstance(data, PlanView):
        replies.append(plan_card(data.plan, data, locale))
    elif isinstance(data, DatesView):
        replies[-1:] = [dates_card(data.milestones, locale, intro=outcome.reply)]
    elif isinstance(data, ReportView):
        replies.append(report_card(data, locale))
        if outcome.files:
            replies.append(card([plain(t(locale, "teamsapp.report.consent"))]))
    elif outcome.home is not None and answer.command in ("status", "lang", "pause"):
        replies.append(home_card(outcome.home))
    return replies


__all__ = ["FormKind", "TeamsDeps", "identity_of", "register"]


@dataclass
class TeamsEndpoint:
    """The Teams app of one process: the SDK app, its loop, and the route for the server."""

    app: App
    loop: Any
    adapter: WsgiAdapter

    def route(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        return self.adapter.handle(MESSAGES, body, headers)


MESSAGES = "/api/messages"


def build_endpoint(
    settings: Any,
    core: Core,
    *,
    loop: Any = None,
    token: Any = None,
    openid_metadata_url: str | None = None,
    service_url: str | None = None,
) -> TeamsEndpoint:
    """The Teams SDK app with arkbot's handlers, served through arkbot's own HTTP server."""
    from bot.teams.loop import EventLoopThread
    from bot.teams.sdk import make_teams_app
    from bot.teams.validated_tokens import remember_validated_tokens

    loop = loop or EventLoopThread(name="arkbot-teams")
    adapter = WsgiAdapter(loop)
    app = make_teams_app(
        settings,
        token=token,
        openid_metadata_url=openid_metadata_url,
        http_server_adapter=adapter,
        service_url=service_url,
    )
    register(app, TeamsDeps(core=core))
    loop.run(app.initialize(), 30)
    remember_validated_tokens(app)
    return TeamsEndpoint(app=app, loop=loop, adapter=adapter)
