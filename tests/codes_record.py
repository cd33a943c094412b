"""Which finding codes the test suite produces (imported by conftest.py).

Every Python process the tests start records the codes it creates through ``codes.make()`` /
``codes.usage()`` (tests/recorder/sitecustomize.py), with the id of the running test. Each
code the golden cases (tests/cases/) do not cover is listed in ``PRODUCERS`` with a test that
produces it; when that test runs, its teardown checks that it really did. tests/test_codes.py
checks that every registered code is covered by a golden case or by ``PRODUCERS``."""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest

RECORDER = Path(__file__).resolve().parent / "recorder"

# code -> the test that produces it, for the codes no golden case (tests/cases/) produces:
# codes of other commands (import, review, merge, fmt, new, writes) and reader codes that need
# files a golden case cannot hold (symlinks, pipes, huge files). Reviewed by hand: each test
# also asserts the code in its own output.
PRODUCERS: dict[str, str] = {
    "file.unreadable": "tests/test_codes.py::test_a_record_that_vanishes_before_it_is_read_is_unreadable",
    "file.too-large": "tests/test_hostile.py::test_fifty_megabyte_file_is_refused_without_reading_it",
    "file.not-yaml": "tests/test_hostile.py::test_symlinks_special_and_hidden_files_are_findings_never_followed_or_skipped[not-yaml]",
    "file.hidden": "tests/test_hostile.py::test_symlinks_special_and_hidden_files_are_findings_never_followed_or_skipped[hidden-report]",
    "file.symlink": "tests/test_hostile.py::test_symlinks_special_and_hidden_files_are_findings_never_followed_or_skipped[symlink-out-of-data]",
    "file.special": "tests/test_hostile.py::test_symlinks_special_and_hidden_files_are_findings_never_followed_or_skipped[fifo]",
    "encoding.not-utf8": "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[invalid-utf8]",
    "encoding.bom": "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[bom]",
    "encoding.control-char": "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[control-char]",
    "yaml.empty": "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[empty]",
    "yaml.syntax": "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[unclosed-quote]",
    "yaml.tab-indent": "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[tab-indent]",
    "yaml.forbidden-tag": "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[python-object-tag]",
    "yaml.too-deep": "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[deep-flow-nesting]",
    "yaml.too-many-nodes": "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[billion-laughs]",
    "yaml.number-too-large": "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[float-overflow]",
    "yaml.multiple-documents": "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[two-documents]",
    "yaml.complex-key": "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[mapping-as-key]",
    "record.not-mapping": "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[list-not-mapping]",
    "schema.type": "tests/test_private_findings.py::test_check_never_prints_private_values_in_any_format",
    "schema.pattern": "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[id-with-dotdot]",
    "schema.format": "tests/test_codes.py::test_a_schema_rule_without_its_own_code_is_still_reported[format]",
    "schema.max-items": "tests/test_private_findings.py::test_check_never_prints_private_values_in_any_format",
    "schema.length": "tests/test_private_findings.py::test_check_never_prints_private_values_in_any_format",
    "schema.invalid": "tests/test_codes.py::test_a_schema_rule_without_its_own_code_is_still_reported[other-keyword]",
    "privacy.personal-data-in-id": "tests/test_pii.py::test_household_id_holding_a_mobile_number_is_refused",
    "sheet.not-xlsx": "tests/test_sheets_bad_input.py::test_xls_renamed_to_xlsx",
    "sheet.corrupt": "tests/test_sheets_bad_input.py::test_damaged_sheet_xml",
    "sheet.too-large": "tests/test_sheets_bad_input.py::test_zip_bomb_is_refused_before_opening",
    "sheet.too-many-rows": "tests/test_sheets_bad_input.py::test_hundred_thousand_rows_are_refused_quickly",
    "sheet.extra-sheet": "tests/test_sheets_bad_input.py::test_extra_sheet",
    "sheet.unknown-form": "tests/test_sheets_bad_input.py::test_unrecognised_form_title",
    "sheet.bad-layout": "tests/test_sheets_bad_input.py::test_renamed_header_is_a_layout_error",
    "sheet.formula": "tests/test_sheets_bad_input.py::test_formula_in_a_cell",
    "sheet.required": "tests/test_sheets_bad_input.py::test_missing_required_value",
    "sheet.bad-choice": "tests/test_sheets_bad_input.py::test_wrong_dropdown_value",
    "sheet.not-a-number": "tests/test_sheets_bad_input.py::test_text_in_a_number_cell",
    "sheet.not-a-date": "tests/test_sheets_bad_input.py::test_date_that_is_not_a_date",
    "sheet.future-date": "tests/test_sheets_bad_input.py::test_date_in_the_future",
    "sheet.unknown-village": "tests/test_sheets_bad_input.py::test_unknown_village",
    "sheet.conflict": "tests/test_sheets_bad_input.py::test_entry_for_both_a_household_and_a_village",
    "sheet.report-exists": "tests/test_sheets.py::test_second_progress_sheet_for_the_same_period_is_refused",
    "history.report-deleted": "tests/test_history_guard.py::test_git_mv_of_a_submitted_report_out_of_data_is_a_deletion",
    "history.report-rewritten": "tests/test_codes.py::test_rewriting_a_submitted_reports_date_is_blocked_by_review",
    "history.entry-removed": "tests/test_review.py::test_deleting_a_past_report_entry_blocks_until_a_correction_note_is_added",
    "history.entry-changed": "tests/test_review.py::test_changing_a_past_entry_amount_is_blocking",
    "history.identification-rewritten": "tests/test_review.py::test_rewriting_identification_steps_is_blocking_but_appending_is_not",
    "history.household-deleted": "tests/test_history_guard.py::test_deleting_an_unreferenced_household_with_identification_history_is_blocking",
    "history.correction-removed": "tests/test_review.py::test_removing_a_correction_note_is_blocking",
    "history.referenced-record-deleted": "tests/test_review.py::test_deleting_a_report_or_a_referenced_household_is_blocking",
    "review.rules-changed": "tests/test_review_base.py::test_pull_request_editing_the_guard_code_is_still_blocked",
    "review.policy-changed": "tests/test_review_base.py::test_policy_change_is_highlighted_with_its_effect_and_needs_maintainers",
    "review.cache-committed": "tests/test_review_base.py::test_committed_parse_cache_is_refused",
    "fmt.not-canonical": "tests/test_writers.py::test_fmt_check_then_fix_keeps_comments_and_data",
    "fmt.unsafe": "tests/test_codes.py::test_fmt_leaves_a_file_alone_when_tidying_would_change_its_data",
    "write.locked": "tests/test_write_safety.py::test_new_and_fmt_refuse_to_write_while_another_writer_holds_the_lock",
    "write.disk-full": "tests/test_write_safety.py::test_full_disk_during_import_is_a_finding_and_writes_nothing",
    "write.failed": "tests/test_codes.py::test_a_failed_write_other_than_a_full_disk_is_write_failed",
    "write.conflict": "tests/test_write_safety.py::test_import_refuses_a_target_created_after_it_was_planned",
    "write.recovered": "tests/test_write_safety.py::test_kill_during_import_staging_leaves_ignored_temps_that_the_next_run_rolls_back",
    "write.journal-invalid": "tests/test_write_safety.py::test_a_planted_journal_cannot_move_or_remove_other_files",
    "merge.missing": "tests/test_merge.py::test_missing_and_foreign_packages_are_refused",
    "merge.not-package": "tests/test_merge.py::test_missing_and_foreign_packages_are_refused",
    "merge.schema-version": "tests/test_merge.py::test_other_schema_version_is_refused",
    "merge.damaged": "tests/test_merge.py::test_damaged_file_is_refused",
    "merge.province-unclear": "tests/test_merge.py::test_package_of_several_provinces_is_refused",
    "merge.threshold-differs": "tests/test_merge.py::test_same_province_twice_and_other_thresholds_are_refused",
    "merge.duplicate-province": "tests/test_merge.py::test_same_province_twice_and_other_thresholds_are_refused",
    "merge.conflict": "tests/test_merge.py::test_conflicting_ids_are_refused",
    "arg.invalid-id": "tests/test_write_safety.py::test_new_with_an_id_that_is_a_path_writes_nothing_anywhere[source --id ../.. --name x]",
    "arg.outside-data": "tests/test_write_safety.py::test_new_refuses_a_path_that_a_symlink_leads_out_of_data",
}


def start() -> Path:
    """Record from now on: in this process and in every process it starts."""
    directory = Path(tempfile.mkdtemp(prefix="bangfu-codes-"))
    os.environ["BANGFU_RECORD_CODES"] = str(directory)
    paths = [str(RECORDER), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(paths)
    spec = importlib.util.spec_from_file_location(
        "bangfu_codes_recorder", RECORDER / "sitecustomize.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.install(str(directory))
    return directory


def pytest_unconfigure(config) -> None:
    """The records of this session go with it."""
    directory = os.environ.pop("BANGFU_RECORD_CODES", None)
    if directory:
        shutil.rmtree(directory, ignore_errors=True)


def recorded() -> dict[str, set[str]]:
    """test id -> the codes produced while it ran (all processes so far)."""
    out: dict[str, set[str]] = defaultdict(set)
    directory = os.environ.get("BANGFU_RECORD_CODES")
    if not directory:
        return out
    for f in sorted(Path(directory).glob("*.tsv")):
        for line in f.read_text("utf-8").splitlines():
            code, _, test = line.partition("\t")
            out[test].add(code)
    return out


@pytest.fixture(autouse=True)
def _producers_produce(request):
    """After a test listed in PRODUCERS: it produced the codes it is listed for."""
    yield
    want = {c for c, t in PRODUCERS.items() if t == request.node.nodeid}
    if want:
        got = recorded().get(request.node.nodeid, set())
        assert want <= got, f"{request.node.nodeid} no longer produces {sorted(want - got)}"
