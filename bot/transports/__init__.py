"""Ways to reach a person: console (the embedded default) and Slack."""
