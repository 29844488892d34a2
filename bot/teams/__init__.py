"""Microsoft Teams: the SDK wiring, Adaptive Cards and the event-loop thread.

Importing the Teams SDK costs ~1.7 s, loads `.env` and reads `CLIENT_ID`, `CLIENT_SECRET`…
itself, so nothing outside this package (and `bot.transports.teams`) imports it, and this
package imports it only in the modules that need it.
"""
