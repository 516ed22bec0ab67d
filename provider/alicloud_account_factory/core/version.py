"""The package's version, written in this one place: pyproject.toml and the package root read it, the
transport's User-Agent names it; a release is tagged v__version__."""

__version__ = "0.2.0"
