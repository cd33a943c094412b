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

from bangfu.codes import (
    ARG_INVALID_ID,
    ARG_OUTSIDE_DATA,
    ENCODING_BOM,
    ENCODING_CONTROL_CHAR,
    ENCODING_NOT_UTF8,
    FILE_HIDDEN,
    FILE_NOT_YAML,
    FILE_SPECIAL,
    FILE_SYMLINK,
    FILE_TOO_LARGE,
    FILE_UNREADABLE,
    FMT_NOT_CANONICAL,
    FMT_UNSAFE,
    HISTORY_CORRECTION_REMOVED,
    HISTORY_ENTRY_CHANGED,
    HISTORY_ENTRY_REMOVED,
    HISTORY_EXIT_STEPS_REWRITTEN,
    HISTORY_HOUSEHOLD_DELETED,
    HISTORY_IDENTIFICATION_REWRITTEN,
    HISTORY_REFERENCED_RECORD_DELETED,
    HISTORY_REPORT_DELETED,
    HISTORY_REPORT_REWRITTEN,
    MERGE_CONFLICT,
    MERGE_DAMAGED,
    MERGE_DUPLICATE_PROVINCE,
    MERGE_MISSING,
    MERGE_NOT_PACKAGE,
    MERGE_PROVINCE_UNCLEAR,
    MERGE_SCHEMA_VERSION,
    MERGE_THRESHOLD_DIFFERS,
    PRIVACY_PERSONAL_DATA_IN_ID,
    RECORD_NOT_MAPPING,
    REVIEW_CACHE_COMMITTED,
    REVIEW_POLICY_CHANGED,
    REVIEW_RULES_CHANGED,
    SCHEMA_FORMAT,
    SCHEMA_INVALID,
    SCHEMA_LENGTH,
    SCHEMA_MAX_ITEMS,
    SCHEMA_PATTERN,
    SCHEMA_TYPE,
    SEALED_CANNOT_OPEN,
    SEALED_MISMATCH,
    SHEET_BAD_CHOICE,
    SHEET_BAD_LAYOUT,
    SHEET_CONFLICT,
    SHEET_CORRUPT,
    SHEET_EXTRA_SHEET,
    SHEET_FORMULA,
    SHEET_FUTURE_DATE,
    SHEET_NOT_A_DATE,
    SHEET_NOT_A_NUMBER,
    SHEET_NOT_XLSX,
    SHEET_REPORT_EXISTS,
    SHEET_REQUIRED,
    SHEET_TOO_LARGE,
    SHEET_TOO_MANY_ROWS,
    SHEET_UNKNOWN_FORM,
    SHEET_UNKNOWN_VILLAGE,
    WRITE_CONFLICT,
    WRITE_DISK_FULL,
    WRITE_FAILED,
    WRITE_INVALID_PACKAGE,
    WRITE_JOURNAL_INVALID,
    WRITE_LOCKED,
    WRITE_RECOVERED,
    YAML_COMPLEX_KEY,
    YAML_EMPTY,
    YAML_FORBIDDEN_TAG,
    YAML_MULTIPLE_DOCUMENTS,
    YAML_NUMBER_TOO_LARGE,
    YAML_SYNTAX,
    YAML_TAB_INDENT,
    YAML_TOO_DEEP,
    YAML_TOO_MANY_NODES,
)

RECORDER = Path(__file__).resolve().parent / "recorder"

# code -> the test that produces it, for the codes no golden case (tests/cases/) produces:
# codes of other commands (import, review, merge, fmt, new, writes) and reader codes that need
# files a golden case cannot hold (symlinks, pipes, huge files). Reviewed by hand: each test
# also asserts the code in its own output.
PRODUCERS: dict[str, str] = {
    FILE_UNREADABLE.code: "tests/test_codes.py::test_a_record_that_vanishes_before_it_is_read_is_unreadable",
    FILE_TOO_LARGE.code: "tests/test_hostile.py::test_fifty_megabyte_file_is_refused_without_reading_it",
    FILE_NOT_YAML.code: "tests/test_hostile.py::test_symlinks_special_and_hidden_files_are_findings_never_followed_or_skipped[not-yaml]",
    FILE_HIDDEN.code: "tests/test_hostile.py::test_symlinks_special_and_hidden_files_are_findings_never_followed_or_skipped[hidden-report]",
    FILE_SYMLINK.code: "tests/test_hostile.py::test_symlinks_special_and_hidden_files_are_findings_never_followed_or_skipped[symlink-out-of-data]",
    FILE_SPECIAL.code: "tests/test_hostile.py::test_symlinks_special_and_hidden_files_are_findings_never_followed_or_skipped[fifo]",
    ENCODING_NOT_UTF8.code: "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[invalid-utf8]",
    ENCODING_BOM.code: "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[bom]",
    ENCODING_CONTROL_CHAR.code: "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[control-char]",
    YAML_EMPTY.code: "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[empty]",
    YAML_SYNTAX.code: "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[unclosed-quote]",
    YAML_TAB_INDENT.code: "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[tab-indent]",
    YAML_FORBIDDEN_TAG.code: "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[python-object-tag]",
    YAML_TOO_DEEP.code: "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[deep-flow-nesting]",
    YAML_TOO_MANY_NODES.code: "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[billion-laughs]",
    YAML_NUMBER_TOO_LARGE.code: "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[float-overflow]",
    YAML_MULTIPLE_DOCUMENTS.code: "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[two-documents]",
    YAML_COMPLEX_KEY.code: "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[mapping-as-key]",
    RECORD_NOT_MAPPING.code: "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[list-not-mapping]",
    SCHEMA_TYPE.code: "tests/test_private_findings.py::test_check_never_prints_private_values_in_any_format",
    SCHEMA_PATTERN.code: "tests/test_hostile.py::test_hostile_file_gives_one_clear_finding[id-with-dotdot]",
    SCHEMA_FORMAT.code: "tests/test_codes.py::test_a_schema_rule_without_its_own_code_is_still_reported[format]",
    SCHEMA_MAX_ITEMS.code: "tests/test_private_findings.py::test_check_never_prints_private_values_in_any_format",
    SCHEMA_LENGTH.code: "tests/test_private_findings.py::test_check_never_prints_private_values_in_any_format",
    SCHEMA_INVALID.code: "tests/test_codes.py::test_a_schema_rule_without_its_own_code_is_still_reported[other-keyword]",
    PRIVACY_PERSONAL_DATA_IN_ID.code: "tests/test_pii.py::test_household_id_holding_a_mobile_number_is_refused",
    SHEET_NOT_XLSX.code: "tests/test_sheets_bad_input.py::test_xls_renamed_to_xlsx",
    SHEET_CORRUPT.code: "tests/test_sheets_bad_input.py::test_damaged_sheet_xml",
    SHEET_TOO_LARGE.code: "tests/test_sheets_bad_input.py::test_zip_bomb_is_refused_before_opening",
    SHEET_TOO_MANY_ROWS.code: "tests/test_sheets_bad_input.py::test_hundred_thousand_rows_are_refused_quickly",
    SHEET_EXTRA_SHEET.code: "tests/test_sheets_bad_input.py::test_extra_sheet",
    SHEET_UNKNOWN_FORM.code: "tests/test_sheets_bad_input.py::test_unrecognised_form_title",
    SHEET_BAD_LAYOUT.code: "tests/test_sheets_bad_input.py::test_renamed_header_is_a_layout_error",
    SHEET_FORMULA.code: "tests/test_sheets_bad_input.py::test_formula_in_a_cell",
    SHEET_REQUIRED.code: "tests/test_sheets_bad_input.py::test_missing_required_value",
    SHEET_BAD_CHOICE.code: "tests/test_sheets_bad_input.py::test_wrong_dropdown_value",
    SHEET_NOT_A_NUMBER.code: "tests/test_sheets_bad_input.py::test_text_in_a_number_cell",
    SHEET_NOT_A_DATE.code: "tests/test_sheets_bad_input.py::test_date_that_is_not_a_date",
    SHEET_FUTURE_DATE.code: "tests/test_sheets_bad_input.py::test_date_in_the_future",
    SHEET_UNKNOWN_VILLAGE.code: "tests/test_sheets_bad_input.py::test_unknown_village",
    SHEET_CONFLICT.code: "tests/test_sheets_bad_input.py::test_entry_for_both_a_household_and_a_village",
    SHEET_REPORT_EXISTS.code: "tests/test_sheets.py::test_second_progress_sheet_for_the_same_period_is_refused",
    HISTORY_REPORT_DELETED.code: "tests/test_history_guard.py::test_git_mv_of_a_submitted_report_out_of_data_is_a_deletion",
    HISTORY_REPORT_REWRITTEN.code: "tests/test_codes.py::test_rewriting_a_submitted_reports_date_is_blocked_by_review",
    HISTORY_ENTRY_REMOVED.code: "tests/test_review.py::test_deleting_a_past_report_entry_blocks_until_a_correction_note_is_added",
    HISTORY_ENTRY_CHANGED.code: "tests/test_review.py::test_changing_a_past_entry_amount_is_blocking",
    HISTORY_IDENTIFICATION_REWRITTEN.code: "tests/test_review.py::test_rewriting_identification_steps_is_blocking_but_appending_is_not",
    HISTORY_EXIT_STEPS_REWRITTEN.code: "tests/test_review.py::test_rewriting_exit_steps_is_blocking_but_appending_is_not",
    HISTORY_HOUSEHOLD_DELETED.code: "tests/test_history_guard.py::test_deleting_an_unreferenced_household_with_identification_history_is_blocking",
    HISTORY_CORRECTION_REMOVED.code: "tests/test_review.py::test_removing_a_correction_note_is_blocking",
    HISTORY_REFERENCED_RECORD_DELETED.code: "tests/test_review.py::test_deleting_a_report_or_a_referenced_household_is_blocking",
    REVIEW_RULES_CHANGED.code: "tests/test_review_base.py::test_pull_request_editing_the_guard_code_is_still_blocked",
    REVIEW_POLICY_CHANGED.code: "tests/test_review_base.py::test_policy_change_is_highlighted_with_its_effect_and_needs_maintainers",
    REVIEW_CACHE_COMMITTED.code: "tests/test_review_base.py::test_committed_parse_cache_is_refused",
    FMT_NOT_CANONICAL.code: "tests/test_writers.py::test_fmt_check_then_fix_keeps_comments_and_data",
    FMT_UNSAFE.code: "tests/test_codes.py::test_fmt_leaves_a_file_alone_when_tidying_would_change_its_data",
    WRITE_LOCKED.code: "tests/test_write_safety.py::test_new_and_fmt_refuse_to_write_while_another_writer_holds_the_lock",
    WRITE_DISK_FULL.code: "tests/test_write_safety.py::test_full_disk_during_import_is_a_finding_and_writes_nothing",
    WRITE_FAILED.code: "tests/test_codes.py::test_a_failed_write_other_than_a_full_disk_is_write_failed",
    WRITE_CONFLICT.code: "tests/test_write_safety.py::test_import_refuses_a_target_created_after_it_was_planned",
    WRITE_INVALID_PACKAGE.code: "tests/test_packaging.py::test_export_validates_its_package_and_replaces_nothing_when_invalid",
    WRITE_RECOVERED.code: "tests/test_write_safety.py::test_kill_during_import_staging_leaves_ignored_temps_that_the_next_run_rolls_back",
    WRITE_JOURNAL_INVALID.code: "tests/test_write_safety.py::test_a_planted_journal_cannot_move_or_remove_other_files",
    MERGE_MISSING.code: "tests/test_merge.py::test_missing_and_foreign_packages_are_refused",
    MERGE_NOT_PACKAGE.code: "tests/test_merge.py::test_missing_and_foreign_packages_are_refused",
    MERGE_SCHEMA_VERSION.code: "tests/test_merge.py::test_other_schema_version_is_refused",
    MERGE_DAMAGED.code: "tests/test_merge.py::test_damaged_file_is_refused",
    MERGE_PROVINCE_UNCLEAR.code: "tests/test_merge.py::test_package_of_several_provinces_is_refused",
    MERGE_THRESHOLD_DIFFERS.code: "tests/test_merge.py::test_same_province_twice_and_other_thresholds_are_refused",
    MERGE_DUPLICATE_PROVINCE.code: "tests/test_merge.py::test_same_province_twice_and_other_thresholds_are_refused",
    MERGE_CONFLICT.code: "tests/test_merge.py::test_conflicting_ids_are_refused",
    ARG_INVALID_ID.code: "tests/test_write_safety.py::test_new_with_an_id_that_is_a_path_writes_nothing_anywhere[source --id ../.. --name x]",
    ARG_OUTSIDE_DATA.code: "tests/test_write_safety.py::test_new_refuses_a_path_that_a_symlink_leads_out_of_data",
    SEALED_CANNOT_OPEN.code: "tests/test_sealed.py::test_plaintext_private_field_is_refused_once_the_county_has_keys",
    SEALED_MISMATCH.code: "tests/test_sealed.py::test_a_sealed_value_that_no_longer_fits_its_record_is_reported_with_the_key",
}


def start() -> Path:
    """Record from now on: in this process and in every process it starts. A pytest process
    started by one that records (an xdist worker) keeps its folder inside that one's, which
    takes it along when it is removed: a worker's own ``pytest_unconfigure`` may not run."""
    parent = os.environ.get("BANGFU_RECORD_CODES")
    inside = parent if parent and os.path.isdir(parent) else None
    directory = Path(tempfile.mkdtemp(prefix="bangfu-codes-", dir=inside))
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
def producers_produce(request):
    """After a test listed in PRODUCERS: it produced the codes it is listed for."""
    yield
    want = {c for c, t in PRODUCERS.items() if t == request.node.nodeid}
    if want:
        got = recorded().get(request.node.nodeid, set())
        assert want <= got, f"{request.node.nodeid} no longer produces {sorted(want - got)}"
