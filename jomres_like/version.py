"""The product's name and version, for the User-Agent, the API documents and the page footer."""

__version__ = "0.1.0"
PRODUCT = "jomres_like"
