"""The firmware runtime's sources, installed as the package ``chainrv.firmware``
(pyproject.toml) so that ``chainrv build`` finds them wherever chainrv is installed."""
