"""Settings for ``make run``: the embedded default on a developer's machine."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
TOS_DEMO = True
# Serve static files straight from static/ (no collectstatic on a developer's machine).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
