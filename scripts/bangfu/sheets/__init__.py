"""The spreadsheet bridge: the campaign forms (报备表 附件1, 进度表 附件2) as Excel
templates, import with cell-level errors (all or nothing, idempotent), and export.

``forms`` describes the layout once and ``paths`` where each column goes in the records;
``template`` writes the layout, ``read`` + ``parse`` (``parsed``, ``values``) read it back,
``importer`` turns it into records (``filing`` + ``households``, ``progress``, sharing a
``records.Draft``; ``overlay`` checks them), ``export_forms`` fills it from records."""
