"""arkbot: carries a university's work-environment survey cycle from inside Slack and Teams."""

import warnings

__version__ = "0.1.0"

# The Teams SDK (2.1) builds a preview HTML-widget policy of its own when it is imported and
# warns about it; arkbot uses no HTML widgets, and the warning would greet every `arkbot serve`.
warnings.filterwarnings(
    "ignore", message=r"HtmlWidgetSecurityPolicy is in preview", category=FutureWarning
)
