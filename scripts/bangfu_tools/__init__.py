"""Maintainers' tooling next to the ``bangfu`` package, not part of it: the benchmark
(``bangfu bench``: ``bench``, ``benchsteps``, ``benchimpl``, ``bench_merge``) and the README's
generated sections (``bangfu docs``: ``readme``). The runtime never imports it; the CLI loads
it on demand from a source checkout (``bangfu.resources.tooling``). Not shipped in the wheel."""
