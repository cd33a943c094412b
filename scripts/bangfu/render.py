"""Renderers turn findings into text for people, JSON for machines, annotations for GitHub."""

from __future__ import annotations

import json

from .findings import ERROR, WARNING, Finding


def summary(findings: list[Finding], files: int) -> dict:
    return {
        "files": files,
        "errors": sum(f.severity == ERROR for f in findings),
        "warnings": sum(f.severity == WARNING for f in findings),
    }


def summary_line(findings: list[Finding], files: int) -> str:
    s = summary(findings, files)
    if not findings:
        return f"检查了 {s['files']} 个文件：全部通过。"
    return f"检查了 {s['files']} 个文件：{s['errors']} 个错误，{s['warnings']} 个警告。"


def text(findings: list[Finding], files: int) -> str:
    lines = []
    for f in findings:
        sev = "错误" if f.severity == ERROR else "警告"
        lines.append(f"{f.file}:{f.line}:{f.column} {f.path} [{f.code}] {sev}：{f.message}")
        if f.hint:
            lines.append(f"    怎么改：{f.hint}")
    lines.append(summary_line(findings, files))
    return "\n".join(lines) + "\n"


def as_json(findings: list[Finding], files: int) -> str:
    return (
        json.dumps(
            {"summary": summary(findings, files), "findings": [f.as_dict() for f in findings]},
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )


def _gh_escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def github(findings: list[Finding], files: int) -> str:
    """Workflow commands GitHub turns into annotations on the pull request's diff."""
    lines = []
    for f in findings:
        level = "error" if f.severity == ERROR else "warning"
        props = (
            f"file={_gh_escape(f.file, True)},line={max(f.line, 1)},"
            f"col={max(f.column, 1)},title={_gh_escape(f.code, True)}"
        )
        body = f"{f.path} {f.message}" + (f" 怎么改：{f.hint}" if f.hint else "")
        lines.append(f"::{level} {props}::{_gh_escape(body)}")
    lines.append(summary_line(findings, files))
    return "\n".join(lines) + "\n"


RENDERERS = {"text": text, "json": as_json, "github": github}
