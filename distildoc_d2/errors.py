"""Exceptions that carry a message meant for the user: tools print them without a traceback."""


class DistilDocError(Exception):
    """Base class: bad input that the user can fix (file, key or value named in the message)."""


class ConfigError(DistilDocError):
    """A config file, key or value is wrong."""


class DatasetError(DistilDocError):
    """A data set file is missing or malformed, or an image cannot be read."""


class CheckpointError(DistilDocError):
    """A weights file is missing or does not match the model it is loaded into."""
