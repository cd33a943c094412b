"""The spreadsheet bridge: the campaign forms (报备表 附件1, 进度表 附件2) as Excel
templates, import with cell-level errors (all or nothing, idempotent), and export.

``forms`` describes the layout once; ``template`` writes it, ``read`` + ``parse`` read it
back, ``importer`` turns it into records, ``export_forms`` fills it from records."""
