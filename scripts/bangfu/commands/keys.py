"""``bangfu encrypt`` and ``bangfu keys``: private fields sealed to their county's keys
(``privacy.seal``). Every write is all or nothing (``writes.write_all`` under the data lock);
no output ever holds a private value or a secret key."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import render
from ..cli import command, common, config
from ..config import UsageError
from ..findings import has_errors
from ..privacy import keyfile
from ..writes import write_all, writing


def _apply(cfg, plan, what: str) -> int:
    """Write a re-seal plan, or report why it cannot be written (then nothing is written)."""
    if plan.findings:
        sys.stdout.write(render.text(plan.findings, 0))
        print(f"{len(plan.findings)} 条记录无法加密，没有写入任何文件。")
        return 1
    if plan.files:
        write_all(plan.files, cfg.data_root)
    counties = "、".join(f"{c}（{n}）" for c, n in sorted(plan.counties.items())) or "无"
    print(f"{what}：写入 {len(plan.files)} 个文件；按区县：{counties}。")
    return 0


def _encrypt(args) -> int:
    from ..privacy.convert import reseal

    cfg = config(args)
    identities = keyfile.identities(args.key)
    with writing(cfg.data_root) as recovered:
        if recovered:
            sys.stdout.write(render.text(recovered, 0))
        plan = reseal(cfg, identities, counties=set(args.county) if args.county else None)
        return _apply(cfg, plan, "加密完成")


def _encrypt_args(p):
    p.add_argument(
        "--county",
        action="append",
        default=None,
        metavar="ID",
        help="只处理这个区县（可重复；默认所有登记了密钥的区县）",
    )
    keyfile.add_key_option(p)
    common(p, as_of=False)


command(
    "encrypt",
    "把登记了密钥的区县的记录中的隐私字段改为密文（原地、全部或全不）",
    _encrypt_args,
)(_encrypt)


# --- bangfu keys -------------------------------------------------------------------------


def _generate(args) -> int:
    from ..privacy.seal import fingerprint, generate

    out = Path(args.out).expanduser()
    secret, public = generate()
    data = Path(args.data).resolve()
    keyfile.write_new(out, secret, public, *([data.parent] if data.is_dir() else []))
    print(f"已生成私钥文件 {out}（只有你能读；不要提交、不要转发）。")
    print(f"公钥：{public}")
    print(f"指纹：{fingerprint(public)}")
    print("请把公钥交给维护者，或运行 bangfu keys add 区县编号 --recipient 公钥 登记。")
    return 0


def _county_record(records, cid: str):
    for rec in records:
        if rec.kind == "county" and rec.id == cid:
            return rec
    raise UsageError(f"没有编号为 {cid} 的区县")


def _change_recipients(args, adding: bool) -> int:
    from ..privacy import seal
    from ..privacy.convert import loaded, reseal

    cfg = config(args)
    if not seal.RECIPIENT.match(args.recipient or ""):
        raise UsageError("--recipient 要写 age 公钥（age1… 共 62 个字符）")
    identities = keyfile.identities(args.key)
    with writing(cfg.data_root) as recovered:
        if recovered:
            sys.stdout.write(render.text(recovered, 0))
        records, model = loaded(cfg)
        county = _county_record(records, args.county)
        entries = [dict(r) for r in county.data.get("recipients") or [] if isinstance(r, dict)]
        present = [r for r in entries if r.get("key") == args.recipient]
        if adding:
            if present:
                raise UsageError("这把公钥已经登记在本区县")
            entry = {"key": args.recipient, "role": args.role}
            if args.holder:
                entry["holder"] = args.holder
            entries.append(entry)
        else:
            if not present:
                raise UsageError("本区县没有登记这把公钥")
            entries = [r for r in entries if r.get("key") != args.recipient]
        data = {k: v for k, v in county.data.items() if k != "recipients"}
        if entries:
            data = _with_recipients(data, entries)
        keys = sorted({r["key"] for r in entries if isinstance(r.get("key"), str)})
        plan = reseal(
            cfg,
            identities,
            counties={args.county},
            keys={args.county: keys},
            changed={county.file: data},
            loaded_records=(records, model),
        )
        if not any(p == cfg.data_root.joinpath(*county.rel) for p, _ in plan.files):
            plan.files.append(
                (cfg.data_root.joinpath(*county.rel), _county_text(cfg, county, data))
            )
        verb = "已登记" if adding else "已撤销"
        return _apply(cfg, plan, f"{verb}公钥 {seal.fingerprint(args.recipient)}，并重新加密本区县")


def _with_recipients(data: dict, entries: list) -> dict:
    """The county record with ``recipients`` right after ``supervisors`` (or at the end,
    before ``sealed``)."""
    out, placed = {}, False
    for k, v in data.items():
        if k == "sealed" and not placed:
            out["recipients"], placed = entries, True
        out[k] = v
        if k == "supervisors":
            out["recipients"], placed = entries, True
    if not placed:
        out["recipients"] = entries
    return out


def _county_text(cfg, county, data: dict) -> str:
    from ..yamlio import update_text

    return update_text(data, cfg.data_root.joinpath(*county.rel).read_text("utf-8"))


def _rotate(args) -> int:
    from ..privacy.convert import reseal

    cfg = config(args)
    identities = keyfile.identities(args.key)
    if not identities:
        raise UsageError(f"重新加密要用 --key（或环境变量 {keyfile.KEY_ENV}）给出能打开密文的私钥")
    with writing(cfg.data_root) as recovered:
        if recovered:
            sys.stdout.write(render.text(recovered, 0))
        plan = reseal(cfg, identities, counties={args.county})
        what = "已用维护者恢复密钥重新加密" if args.command_keys == "recover" else "已重新加密"
        return _apply(cfg, plan, what)


def _list(args) -> int:
    from ..privacy.convert import loaded, opened
    from ..privacy.sealrule import county_of

    cfg = config(args)
    identities = keyfile.identities(args.key)
    if not identities:
        raise UsageError(f"用 --key（或环境变量 {keyfile.KEY_ENV}）给出私钥文件")
    records, _ = loaded(cfg)
    sealed = [r for r in records if "sealed" in r.data]
    whole, findings = opened(cfg, sealed, identities)
    if findings:
        sys.stdout.write(render.text(findings, len(sealed)))
    by_county: dict[str, int] = {}
    for rec in whole:
        c = county_of(rec) or "—"
        by_county[c] = by_county.get(c, 0) + 1
        if args.files:
            print(rec.file)
    for c, n in sorted(by_county.items()):
        print(f"{c}：{n} 条")
    print(f"这把密钥打开了 {len(whole)} 条记录（共 {len(sealed)} 条有密文）。")
    return 1 if has_errors(findings) else 0


_ACTIONS = {
    "generate": ("生成一对密钥：私钥写到仓库以外的文件，公钥打印出来", _generate),
    "add": ("在区县登记一把公钥，并重新加密本区县的记录", lambda a: _change_recipients(a, True)),
    "remove": (
        "撤销区县的一把公钥，并重新加密本区县的记录",
        lambda a: _change_recipients(a, False),
    ),
    "rotate": ("按区县现在登记的公钥重新加密本区县的记录", _rotate),
    "list": ("列出这把私钥能打开哪些记录", _list),
    "recover": ("用维护者的恢复密钥重新加密一个区县（审核人的私钥丢失后）", _rotate),
}


def _keys(args) -> int:
    return _ACTIONS[args.command_keys][1](args)


def _keys_args(p):
    sub = p.add_subparsers(dest="command_keys", metavar="操作", required=True)
    for name, (help_text, _) in _ACTIONS.items():
        q = sub.add_parser(name, help=help_text, description=help_text)
        if name == "generate":
            q.add_argument("--out", required=True, help="私钥文件的位置（必须在仓库以外）")
        if name in ("add", "remove", "rotate", "recover"):
            q.add_argument("county", help="区县编号")
        if name in ("add", "remove"):
            q.add_argument("--recipient", required=True, help="age 公钥（age1…）")
        if name == "add":
            q.add_argument("--role", choices=["审核人", "恢复"], default="审核人", help="用途")
            q.add_argument("--holder", default=None, help="持有人的 GitHub 账号（@…）")
        if name == "list":
            q.add_argument("--files", action="store_true", help="逐个列出文件")
        if name != "generate":
            keyfile.add_key_option(q)
        common(q, as_of=False)


command("keys", "管理区县的加密密钥：生成、登记、撤销、重新加密、恢复", _keys_args)(_keys)
