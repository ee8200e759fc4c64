"""The kernels' sources and manifests, installed as the package ``chainrv.kernel_sources``
(pyproject.toml) so that ``chainrv report`` finds them wherever chainrv is installed."""
