"""Login and logout."""

from . import views  # noqa: F401 - attach the views to the blueprint
from .blueprint import bp as bp  # the package's public name
