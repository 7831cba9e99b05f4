"""Parse and validate configs: raw dict -> ``SourceConfig``."""

from restsync._config._model import *  # noqa: F403
from restsync._config._model import __all__ as _model_all
from restsync._config._parse import format_path, parse_config

__all__ = [*_model_all, "format_path", "parse_config"]
