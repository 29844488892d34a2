"""arkbot: carries a university's work-environment survey cycle from inside Slack and Teams."""

__version__ = "0.1.0"
