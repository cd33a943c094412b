"""Pull-request review helpers: ``gitio`` (reading commits), ``diff`` (semantic record diff
with schema titles and privacy), ``history`` (append-only guard), ``references`` (deleted
records still referenced), ``subset`` (checker on the changed files), ``highlights``,
``codeowners`` (routing to county supervisors), ``core`` (assembly) and ``summary``
(Markdown / text / JSON)."""
