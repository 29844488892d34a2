"""The modals behind the buttons: typed Block Kit views, and reading back what was submitted.

Every input lives in a block whose id names the field and whose element's action id is
"value", so `submitted()` can read a view's state without knowing each element's type.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.conversation.types import Form, FormKind
from bot.i18n.catalog import t
from bot.slack.blocks import escape_mrkdwn, truncate
from schedules.plan import PulseQuestion
from storage.models import ActionArea, VoAnswer

TASK_DONE = "task_done"
VO_ANSWER = "vo_answer"
ACTION_DELAYED = "action_delayed"
ACTION_DROPPED = "action_dropped"
ACTION_ITEM = "action_item"
PULSE_ANSWER = "pulse_answer"
TEXT_LIMIT = 500


def _view(
    callback_id: str, title_key: str, locale: str, blocks: list[Any], metadata: dict[str, Any]
) -> View:
    return View(
        type="modal",
        callback_id=callback_id,
        title=PlainTextObject(text=truncate(t(locale, title_key), 24)),
        submit=PlainTextObject(text=t(locale, "conversation.form.save")),
        close=PlainTextObject(text=t(locale, "conversation.form.cancel")),
        private_metadata=json.dumps(metadata, separators=(",", ":")),
        blocks=blocks,
    )


def refusal_view(locale: str, text: str) -> View:
    """What a submitted modal turns into when the core says no (the person left the unit, the
    message is no longer current): the reason, and nothing saved."""
    return View(
        type="modal",
        title=PlainTextObject(text=truncate(t(locale, "conversation.form.not_saved"), 24)),
        close=PlainTextObject(text=t(locale, "conversation.form.close")),
        blocks=[_intro(text)],
    )


def _date(
    block_id: str, label_key: str, locale: str, initial: date | None, optional: bool = False
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=PlainTextObject(text=t(locale, label_key)),
        element=DatePickerElement(
            action_id="value", initial_date=initial.isoformat() if initial else None
        ),
        optional=optional,
    )


def _text(
    block_id: str, label_key: str, locale: str, *, optional: bool, multiline: bool = False
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=PlainTextObject(text=t(locale, label_key)),
        element=PlainTextInputElement(
            action_id="value", multiline=multiline, max_length=TEXT_LIMIT
        ),
        optional=optional,
    )


def _intro(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate(escape_mrkdwn(text), 3000)))


def task_done_modal(
    locale: str, *, title: str, unit: str, today: date, metadata: dict[str, Any]
) -> View:
    return _view(
        TASK_DONE,
        "conversation.form.done_title",
        locale,
        [
            _intro(f"{title} · {unit}"),
            _date("done_on", "conversation.form.done_on", locale, today),
            _text("archive_ref", "conversation.form.archive_ref", locale, optional=True),
        ],
        metadata,
    )


def vo_answer_modal(
    locale: str, *, answer: VoAnswer, title: str, unit: str, today: date, metadata: dict[str, Any]
) -> View:
    blocks: list[Any] = [
        _intro(t(locale, "conversation.form.vo_intro", title=title, unit=unit)),
        ContextBlock(
            elements=[
                MarkdownTextObject(text=f"*{t(locale, f'conversation.vo.answer.{answer.value}')}*")
            ]
        ),
    ]
    if answer is not VoAnswer.not_yet:
        blocks.append(_date("involved_on", "conversation.form.involved_on", locale, today))
    blocks.append(
        _text("comment", "conversation.form.comment", locale, optional=True, multiline=True)
    )
    return _view(
        VO_ANSWER,
        "conversation.form.vo_title",
        locale,
        blocks,
        {**metadata, "answer": answer.value},
    )


def action_delayed_modal(
    locale: str, *, item: str, due_on: date | None, today: date, metadata: dict[str, Any]
) -> View:
    return _view(
        ACTION_DELAYED,
        "conversation.form.delayed_title",
        locale,
        [
            _intro(item),
            _date("new_due", "conversation.form.new_due", locale, max(due_on or today, today)),
            _text("note", "conversation.form.note", locale, optional=True, multiline=True),
        ],
        metadata,
    )


def action_dropped_modal(locale: str, *, item: str, metadata: dict[str, Any]) -> View:
    return _view(
        ACTION_DROPPED,
        "conversation.form.dropped_title",
        locale,
        [
            _intro(item),
            _text("note", "conversation.form.dropped_note", locale, optional=False, multiline=True),
        ],
        metadata,
    )


def action_item_modal(
    locale: str, *, units: list[tuple[str, str]], metadata: dict[str, Any]
) -> View:
    """Register a "tiltak"; with more than one unit to choose from, a unit picker comes first."""
    blocks: list[Any] = []
    if len(units) > 1:
        options = [
            Option(value=unit_id, text=PlainTextObject(text=truncate(name, 75)))
            for unit_id, name in units
        ]
        blocks.append(
            InputBlock(
                block_id="unit",
                label=PlainTextObject(text=t(locale, "conversation.form.item_unit")),
                element=StaticSelectElement(
                    action_id="value", options=options[:100], initial_option=options[0]
                ),
            )
        )
    else:
        metadata = {**metadata, "unit": units[0][0]}
        blocks.append(_intro(units[0][1]))
    areas = [
        Option(
            value=area.value,
            text=PlainTextObject(text=t(locale, f"conversation.form.area_{area.value}")),
        )
        for area in (ActionArea.develop, ActionArea.preserve)
    ]
    blocks += [
        _text("title", "conversation.form.item_what", locale, optional=False, multiline=True),
        _text("owner", "conversation.form.item_owner", locale, optional=True),
        _date("due_on", "conversation.form.item_due", locale, None, optional=True),
        InputBlock(
            block_id="area",
            label=PlainTextObject(text=t(locale, "conversation.form.item_area")),
            element=RadioButtonsElement(action_id="value", options=areas, initial_option=areas[0]),
        ),
    ]
    return _view(ACTION_ITEM, "conversation.form.item_title", locale, blocks, metadata)


def pulse_modal(locale: str, *, questions: list[PulseQuestion], metadata: dict[str, Any]) -> View:
    """One radio group per question (at most five), every one required."""
    blocks: list[Any] = [_intro(t(locale, "conversation.pulse.intro"))]
    for question in questions:
        if question.scale == "1-5":
            choices = [(str(n), t(locale, f"conversation.pulse.scale.{n}")) for n in range(1, 6)]
        else:
            choices = [
                (v, t(locale, f"conversation.pulse.choice.{v}")) for v in ("yes", "no", "unsure")
            ]
        blocks.append(
            InputBlock(
                block_id=f"q:{question.id}",
                label=PlainTextObject(text=truncate(question.text.get(locale), 2000)),
                element=RadioButtonsElement(
                    action_id="value",
                    options=[
                        Option(value=value, text=PlainTextObject(text=label))
                        for value, label in choices
                    ],
                ),
            )
        )
    return _view(PULSE_ANSWER, "conversation.pulse.title", locale, blocks, metadata)


def submitted(view: dict[str, Any]) -> dict[str, str | None]:
    """The values of a submitted view, by block id: dates as ISO text, choices by value.
    Anything not shaped like Slack's view state is left out (the core then finds it missing)."""
    values: dict[str, str | None] = {}
    state = view.get("state")
    blocks = state.get("values") if isinstance(state, dict) else None
    if not isinstance(blocks, dict):
        return values
    for block_id, elements in blocks.items():
        if not isinstance(elements, dict) or not isinstance(block_id, str):
            continue
        element: Any = elements.get("value") or next(iter(elements.values()), {})
        if not isinstance(element, dict):
            continue
        kind = element.get("type")
        if kind == "datepicker":
            found = element.get("selected_date")
        elif kind in ("radio_buttons", "static_select"):
            option = element.get("selected_option")
            found = option.get("value") if isinstance(option, dict) else None
        else:
            found = element.get("value")
            found = found.strip() if isinstance(found, str) else None
        values[block_id] = found if isinstance(found, str) and found else None
    return values


def metadata_of(view: dict[str, Any]) -> dict[str, Any]:
    try:
        loaded = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def modal_for(form: Form) -> View:
    """The modal that asks what the core's form asks; its metadata is the form's reference."""
    metadata = form.ref.to_dict()
    locale, today = form.locale, form.today
    assert today is not None, "the core dates every form"
    if form.kind is FormKind.task_done:
        return task_done_modal(
            locale, title=form.title, unit=form.unit, today=today, metadata=metadata
        )
    if form.kind is FormKind.vo_answer:
        assert form.ref.answer is not None
        metadata.pop("answer", None)
        return vo_answer_modal(
            locale,
            answer=form.ref.answer,
            title=form.title,
            unit=form.unit,
            today=today,
            metadata=metadata,
        )
    if form.kind is FormKind.action_delayed:
        return action_delayed_modal(
            locale, item=form.title, due_on=form.initial_date, today=today, metadata=metadata
        )
    if form.kind is FormKind.action_dropped:
        return action_dropped_modal(locale, item=form.title, metadata=metadata)
    if form.kind is FormKind.action_item:
        metadata.pop("u", None)  # a single unit goes in as "unit", as before
        return action_item_modal(locale, units=form.units, metadata=metadata)
    return pulse_modal(locale, questions=form.questions, metadata=metadata)
