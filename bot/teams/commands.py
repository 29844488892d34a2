"""The commands a person can type to arkbot in Teams: one list for the manifest and the bot.

They are the words of Slack's `/ark`, typed without the slash in the 1:1 chat, and "home"
("hjem"), which shows the home card that Slack shows in its Home tab. The app
package lists them in the manifest's command menu (the title is what Teams types for the
person, so each language's title must be one of the command's `words`); the bot reads the
same tuple to understand what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation.commands import CANONICAL, MENU


@dataclass(frozen=True)
class Command:
    """One command: its English name, the other words that mean it, and its catalogue keys."""

    name: str
    aliases: tuple[str, ...] = ()
    coordinator_only: bool = False

    @property
    def words(self) -> tuple[str, ...]:
        """Every word the bot takes for this command, the name first."""
        return (self.name, *self.aliases)

    @property
    def title_key(self) -> str:
        return f"teamspkg.command.{self.name}.title"

    @property
    def description_key(self) -> str:
        return f"teamspkg.command.{self.name}.description"


def _from_core() -> tuple[Command, ...]:
    """The conversation core owns the words (Slack's `/ark` parses the same ones)."""
    return tuple(
        Command(
            name,
            aliases=tuple(word for word, meant in CANONICAL.items() if meant == name != word),
            coordinator_only=name in ("report", "date"),
        )
        for name in MENU
    )


# Teams has no Home tab: the home is a card in the chat, shown on "home" and "status".
COMMANDS: tuple[Command, ...] = _from_core()


def find_command(word: str) -> Command | None:
    """The command a typed word names (any case), or None."""
    word = word.strip().lower()
    return next((command for command in COMMANDS if word in command.words), None)
