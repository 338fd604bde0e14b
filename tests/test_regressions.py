"""Each failure mode of the design selfmod replaces, pinned by a test (here or named in COVERED_ELSEWHERE)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from conftest import CALC, CALC_FIXED, context_for, proposal

from selfmod.agents.critic import review_proposal
from selfmod.config import Settings
from selfmod.models import AuditRecord, RejectionCode
from selfmod.tools.changes.apply import apply_patch
from selfmod.tools.changes.audit import AuditLog
from selfmod.tools.code.source_text import sha256_text
from selfmod.tools.reflections import load_reflections
from selfmod.tools.sandbox import Sandbox
from selfmod.tools.triage import triage

TESTS = Path(__file__).resolve().parent

COVERED_ELSEWHERE = {
    "live file patched during tests": "test_sandbox.py::test_patch_is_tested_on_a_copy_and_the_live_file_never_changes",
    "LLM line numbers trusted": "test_patch_engine.py::test_messy_forms_yield_the_exact_file",
    "end < start duplicating lines": "test_patch_engine.py::test_fragment_with_end_before_start_is_rejected_not_duplicated",
    "context lines deleted": "test_patch_engine.py::test_messy_forms_yield_the_exact_file",
    "last line glued to the next": "test_patch_engine.py::test_last_line_is_never_glued_to_the_next",
    "regex lookup: first match": "test_code_index.py::test_same_method_in_two_classes_is_ambiguous_not_first_match",
    "regex lookup: special characters": "test_code_index.py::test_symbol_names_with_regex_characters_do_not_crash",
    "regex lookup: column-0 text in strings": "test_code_index.py::test_column_zero_text_inside_a_triple_quoted_string_stays_in_the_block",
    "regex lookup: tabs": "test_code_index.py::test_tabs_crlf_and_non_ascii",
    "lazy filter false positives": "test_patch_engine.py::test_ordinary_code_is_not_called_lazy",
    "substring triage": "test_triage.py::test_indicators_are_whole_words",
    "secrets in tests": "test_sandbox.py::test_secrets_never_reach_the_tests",
    "network in tests": "test_sandbox.py::test_tests_have_no_network",
    "grandchildren hanging the runner": "test_sandbox.py::test_a_grandchild_holding_the_output_cannot_hang_the_run",
    "non-atomic audit writes losing records": "test_audit.py::test_concurrent_writers_never_interleave_or_lose_records",
    "SIGKILL leaves the live file patched": "test_apply.py::test_sigkill_at_random_moments_never_leaves_a_half_state",
    "patches may edit the tests that judge them": "test_critic.py::test_protected_paths_are_rejected",
    "path traversal": "test_critic.py::test_paths_that_escape_are_rejected",
    "attack: escape to the live tree and home": "test_sandbox_attacks.py::test_patch_cannot_reach_the_live_tree_or_the_home_folder",
    "attack: /proc of the parent": "test_sandbox_attacks.py::test_patch_cannot_read_the_parents_environment_or_find_the_project_through_proc",
    "attack: setns": "test_sandbox_attacks.py::test_setns_into_the_parents_network_namespace_reaches_nothing",
    "attack: daemon grandchild": "test_sandbox_attacks.py::test_a_daemon_grandchild_with_an_empty_environment_dies_with_the_run",
    "attack: orphan after SIGKILL": "test_sandbox_attacks.py::test_processes_end_and_the_copy_is_cleaned_when_selfmod_is_killed",
    "attack: Unix socket": "test_sandbox_attacks.py::test_unix_sockets_of_the_host_are_out_of_reach",
    "attack: kill-switch removal": "test_sandbox_attacks.py::test_the_kill_switch_cannot_be_removed_from_inside",
    "attack: exit/skip/xfail/pytest.exit": "test_sandbox_attacks.py::test_an_early_exit_on_the_failing_input_is_not_a_fix",
    "attack: report forging": "test_sandbox_attacks.py::test_forged_reports_are_caught_by_the_canaries",
    "attack: fork bomb": "test_sandbox_attacks.py::test_a_fork_bomb_is_capped",
    "attack: checkpoint swap": "test_state_attacks.py::test_a_pending_patch_swapped_in_the_checkpoint_is_shown_as_is_and_never_written",
    "attack: checkpoint object": "test_state_attacks.py::test_b_an_object_planted_in_a_checkpoint_is_not_run_on_resume",
    "attack: rollback traversal": "test_state_attacks.py::test_c_rollback_refuses_a_forged_record",
    "attack: audit truncation and rebuild": "test_state_attacks.py::test_d_audit_verify_notices_dropped_records_and_a_rebuilt_chain",
    "attack: crash after replace": "test_state_attacks.py::test_e_a_crash_around_the_replace_is_recorded_by_the_next_run",
    "attack: kill switch pulled mid-run": "test_state_attacks.py::test_f_the_kill_switch_pulled_while_tests_run_stops_the_write",
    "attack: dangerous-call bypasses": "test_dangerous_refs.py::test_bypass_is_rejected_naming_the_resolved_name",
    "attack: sandbox-aware action": "test_dangerous_refs.py::test_a_sandbox_detecting_action_is_never_created",
    "attack: bad inputs": "test_bad_input.py::test_bad_input_exits_2_names_it_and_changes_nothing",
}


@pytest.mark.parametrize("mode", sorted(COVERED_ELSEWHERE))
def test_every_failure_mode_has_its_test(mode: str) -> None:
    module, name = COVERED_ELSEWHERE[mode].split("::")
    tree = ast.parse((TESTS / module).read_text())
    assert name in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}, f"{mode}: {module}::{name} missing"


def test_backups_never_share_a_fixed_name(calc_project: Path) -> None:
    settings = Settings(project_root=calc_project)
    log = AuditLog(settings.state_dir)
    first = apply_patch(settings, log, "calc.py", CALC_FIXED, sha256_text(CALC))
    second_text = CALC_FIXED + "# tidy\n"
    second = apply_patch(settings, log, "calc.py", second_text, sha256_text(CALC_FIXED))
    backups = sorted(p.relative_to(calc_project).as_posix() for p in (calc_project / ".selfmod").rglob("calc.py"))
    assert backups == sorted([f".selfmod/backups/{first.id}/calc.py", f".selfmod/backups/{second.id}/calc.py"])
    assert (calc_project / first.backup).read_text() == CALC  # type: ignore[operator]
    assert (calc_project / second.backup).read_text() == CALC_FIXED  # type: ignore[operator]
    assert not list(calc_project.rglob("*.bak"))


def test_the_text_tested_is_the_text_applied(calc_project: Path) -> None:
    settings = Settings(project_root=calc_project)
    ctx = context_for(calc_project, "calc.py", "mean")
    llm_answer = "```python\ndef mean(values):\n    if not values:\n        return 0.0\n    return sum(values) / len(values)\n```"
    review = review_proposal(proposal("calc.py", ctx.start_line + 7, ctx.end_line + 7, llm_answer), ctx, CALC, settings)
    assert review.verdict.accepted and review.new_text is not None
    run = Sandbox(settings).evaluate(ctx.file, review.new_text)
    assert run.success, run.output
    record = apply_patch(settings, AuditLog(settings.state_dir), ctx.file, review.new_text, ctx.file_sha256)
    assert run.patched_sha256 == record.hash_after == sha256_text(review.new_text)
    assert (calc_project / "calc.py").read_bytes() == review.new_text.encode() == CALC_FIXED.encode()


def test_own_success_reflection_is_never_reprocessed(calc_project: Path) -> None:
    settings = Settings(project_root=calc_project)
    log = AuditLog(settings.state_dir)
    base = AuditRecord(id="", timestamp="", status="", reflection_id="r1")
    apply_patch(settings, log, "calc.py", CALC_FIXED, sha256_text(CALC), base)
    entries = load_reflections(settings.reflections_path).entries
    assert [e.source for e in entries] == [None, "selfmod"]
    assert "fix" in entries[1].reflection
    statuses = [i.status for i in triage(entries, log.handled_reflection_ids())]
    assert statuses == ["duplicate", "own"]


def test_a_rejection_before_testing_is_stored_with_the_critic_codes(calc_project: Path) -> None:
    settings = Settings(project_root=calc_project)
    ctx = context_for(calc_project, "calc.py", "mean")
    lazy = "def mean(values):\n    # rest of the code unchanged\n    pass\n"
    review = review_proposal(proposal("calc.py", 4, 5, lazy), ctx, CALC, settings)
    log = AuditLog(settings.state_dir)
    log.append(AuditRecord(id="", timestamp="", status="rejected", reflection_id="r1", verdict=review.verdict))
    stored = json.loads(log.path.read_text().splitlines()[-1])
    assert {r["code"] for r in stored["verdict"]["rejections"]} == {RejectionCode.PLACEHOLDER.value}
    assert log.verify().ok
