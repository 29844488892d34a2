"""The core's forms as Adaptive Cards: what Slack asks in a modal, Teams asks in the card
itself. Save sends the inputs with the form's reference (a hint the core re-checks);
Cancel puts the original card back."""

from __future__ import annotations

from typing import Any

from microsoft_teams.cards import AdaptiveCard, ChoiceSetInput, DateInput, TextInput
from microsoft_teams.cards.core import Choice

from bot.conversation import Form, FormKind
from bot.conversation.fields import ARCHIVE_REF_MAX, COMMENT_MAX, OWNER_MAX, TITLE_MAX
from bot.i18n.catalog import t
from bot.teams.parts import button, card, heading, plain, words
from storage.models import ActionArea, VoAnswer

SUBMIT = "form_submit"
CANCEL = "form_cancel"
# Keys of a card action's data that are ours, not inputs.
RESERVED = frozenset({"action", "form", "ref", "delivery_id", "value"})

_TITLES = {
    FormKind.task_done: "conversation.form.done_title",
    FormKind.vo_answer: "conversation.form.vo_title",
    FormKind.action_delayed: "conversation.form.delayed_title",
    FormKind.action_dropped: "conversation.form.dropped_title",
    FormKind.action_item: "conversation.form.item_title",
    FormKind.pulse: "conversation.pulse.title",
}


def form_card(
    form: Form, *, errors: dict[str, str] | None = None, values: dict[str, Any] | None = None
) -> AdaptiveCard:
    """The form; after a refused save, with each field's error and what was typed."""
    locale, errors, values = form.locale, errors or {}, values or {}
    body: list[Any] = [heading(t(locale, _TITLES[form.kind]))]
    for field_id, element in _fields(form, values):
        if field_id in errors:
            body.append(words(errors[field_id], attention=True))
        body.append(element)
    unplaced = [
        text for field_id, text in errors.items() if field_id not in dict(_fields(form, {}))
    ]
    body += [words(text, attention=True) for text in unplaced]
    data = {"action": SUBMIT, "form": form.kind.value, "ref": form.ref.to_dict()}
    actions = [
        button(t(locale, "conversation.form.save"), data, style="positive", inputs="auto"),
        button(
            t(locale, "conversation.form.cancel"), {"action": CANCEL, "ref": form.ref.to_dict()}
        ),
    ]
    return card(body, actions)


def _fields(form: Form, values: dict[str, Any]) -> list[tuple[str, Any]]:
    locale = form.locale
    today = form.initial_date or form.today

    def date_input(field_id: str, label: str, *, required: bool, initial: Any = None) -> Any:
        value = values.get(field_id, initial.isoformat() if initial else None)
        made = DateInput(id=field_id, label=t(locale, label), is_required=required)
        if isinstance(value, str) and value:
            made.value = value
        return made

    def text_input(field_id: str, label: str, limit: int, *, required: bool, multi: bool) -> Any:
        made = TextInput(
            id=field_id,
            label=t(locale, label),
            max_length=limit,
            is_multiline=multi,
            is_required=required,
        )
        if isinstance(values.get(field_id), str):
            made.value = values[field_id]
        return made

    kind = form.kind
    intro = ("intro", plain(form.title, f" · {form.unit}" if form.unit else ""))
    if kind is FormKind.task_done:
        return [
            intro,
            (
                "done_on",
                date_input("done_on", "conversation.form.done_on", required=True, initial=today),
            ),
            (
                "archive_ref",
                text_input(
                    "archive_ref",
                    "conversation.form.archive_ref",
                    ARCHIVE_REF_MAX,
                    required=False,
                    multi=False,
                ),
            ),
        ]
    if kind is FormKind.vo_answer:
        answer = form.ref.answer or VoAnswer.yes
        fields = [
            (
                "intro",
                plain(t(locale, "conversation.form.vo_intro", title=form.title, unit=form.unit)),
            ),
            ("answer", plain((t(locale, f"conversation.vo.answer.{answer.value}"), True))),
        ]
        if answer is not VoAnswer.not_yet:
            fields.append(
                (
                    "involved_on",
                    date_input(
                        "involved_on", "conversation.form.involved_on", required=True, initial=today
                    ),
                )
            )
        fields.append(
            (
                "comment",
                text_input(
                    "comment", "conversation.form.comment", COMMENT_MAX, required=False, multi=True
                ),
            )
        )
        return fields
    if kind is FormKind.action_delayed:
        return [
            ("intro", plain((form.title, True))),
            (
                "new_due",
                date_input("new_due", "conversation.form.new_due", required=True, initial=today),
            ),
            (
                "note",
                text_input(
                    "note", "conversation.form.note", COMMENT_MAX, required=False, multi=True
                ),
            ),
        ]
    if kind is FormKind.action_dropped:
        return [
            ("intro", plain((form.title, True))),
            (
                "note",
                text_input(
                    "note", "conversation.form.dropped_note", COMMENT_MAX, required=True, multi=True
                ),
            ),
        ]
    if kind is FormKind.action_item:
        return _item_fields(form, values, date_input, text_input)
    return _pulse_fields(form, values)


def _item_fields(form: Form, values: dict[str, Any], date_input: Any, text_input: Any) -> list[Any]:
    locale = form.locale
    fields: list[tuple[str, Any]] = []
    if len(form.units) > 1:
        units = ChoiceSetInput(
            id="unit",
            label=t(locale, "conversation.form.item_unit"),
            is_required=True,
            choices=[Choice(title=name, value=unit_id) for unit_id, name in form.units[:100]],
            value=str(values.get("unit") or form.units[0][0]),
        )
        fields.append(("unit", units))
    elif form.units:
        fields.append(("intro", plain((form.units[0][1], True))))
    areas = [
        Choice(title=t(locale, f"conversation.form.area_{area.value}"), value=area.value)
        for area in (ActionArea.develop, ActionArea.preserve)
    ]
    fields += [
        (
            "title",
            text_input(
                "title", "conversation.form.item_what", TITLE_MAX, required=True, multi=True
            ),
        ),
        (
            "owner",
            text_input(
                "owner", "conversation.form.item_owner", OWNER_MAX, required=False, multi=False
            ),
        ),
        ("due_on", date_input("due_on", "conversation.form.item_due", required=False)),
        (
            "area",
            ChoiceSetInput(
                id="area",
                label=t(locale, "conversation.form.item_area"),
                choices=areas,
                style="expanded",
                value=str(values.get("area") or ActionArea.develop.value),
                is_required=True,
            ),
        ),
    ]
    return fields


def _pulse_fields(form: Form, values: dict[str, Any]) -> list[tuple[str, Any]]:
    locale = form.locale
    fields: list[tuple[str, Any]] = [
        ("intro", words(t(locale, "conversation.pulse.intro"), subtle=True))
    ]
    for question in form.questions:
        if question.scale == "1-5":
            options = [(str(n), t(locale, f"conversation.pulse.scale.{n}")) for n in range(1, 6)]
        else:
            options = [
                (v, t(locale, f"conversation.pulse.choice.{v}")) for v in ("yes", "no", "unsure")
            ]
        field_id = f"q:{question.id}"
        choice = ChoiceSetInput(
            id=field_id,
            label=question.text.get(locale),
            style="expanded",
            is_required=True,
            choices=[Choice(title=label, value=value) for value, label in options],
        )
        if isinstance(values.get(field_id), str):
            choice.value = values[field_id]
        fields.append((field_id, choice))
    return fields


def inputs_of(data: dict[str, Any]) -> dict[str, str | None]:
    """The input values Teams merged into a card action's data (text only, trimmed)."""
    return {
        str(key): (value.strip() or None) if isinstance(value, str) else None
        for key, value in data.items()
        if key not in RESERVED
    }
