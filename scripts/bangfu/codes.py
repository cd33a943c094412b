"""The registry of finding codes. It is the one place a code is defined; the site's
error-code reference and the docs test are generated from it.

Each code is a module-level constant (``FILE_UNREADABLE = Code("file.unreadable", ...)``);
call sites import it by name (``from .codes import FILE_UNREADABLE``) and pass it to
``make()``, so a misspelt code fails at import, not when the finding is first reported.
Code that compares or prints a code as text uses ``FILE_UNREADABLE.code``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .findings import ERROR, WARNING, Finding


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    severity: str
    title: str
    hint: str
    example: str = ""


# --- file and encoding ---------------------------------------------------------------
FILE_UNREADABLE = Code("file.unreadable", ERROR, "文件无法读取", "检查文件是否存在、权限是否正确。")
FILE_TOO_LARGE = Code(
    "file.too-large",
    ERROR,
    "文件过大",
    "一个记录文件应只有一条记录；把过大的内容拆分，或检查是否误放了别的文件。",
    "一个 50 MB 的 .yaml 文件",
)
FILE_UNKNOWN_KIND = Code(
    "file.unknown-kind",
    ERROR,
    "文件位置不对应任何记录类型",
    "按 README 中“记录放在哪里”一节，把文件移到正确的文件夹。",
    "data/misc/a.yaml",
)
FILE_NOT_YAML = Code(
    "file.not-yaml",
    ERROR,
    "data/ 下有非 YAML 文件",
    "记录文件的扩展名必须是 .yaml。",
    "data/households/x.yml",
)
FILE_HIDDEN = Code(
    "file.hidden",
    ERROR,
    "data/ 下有隐藏文件或隐藏文件夹",
    "以“.”开头的文件和文件夹不会被当作记录读取，其中的内容会从台账中消失："
    "把记录改回正常的文件名，或删除这个文件（文件夹）。",
    "data/plans/cq-x/p-1/reports/.2025-04.yaml",
)
FILE_SYMLINK = Code(
    "file.symlink",
    ERROR,
    "data/ 下有符号链接",
    "记录必须是普通文件，不读取也不整理符号链接：把链接换成文件本身，或删除链接。",
    "data/households/x/y/h-1.yaml -> /etc/passwd",
)
FILE_SPECIAL = Code(
    "file.special",
    ERROR,
    "data/ 下有特殊文件",
    "管道、套接字、设备文件和 Git 子模块不是记录，读取它们可能卡住或耗尽内存：删除它。",
    "用 mkfifo 建立的命名管道",
)
ENCODING_NOT_UTF8 = Code(
    "encoding.not-utf8",
    ERROR,
    "文件不是 UTF-8 编码",
    "用编辑器把文件另存为 UTF-8（无 BOM）。",
    "用 GBK 保存的文件",
)
ENCODING_BOM = Code(
    "encoding.bom",
    ERROR,
    "文件开头有 BOM",
    "运行 bangfu fmt 或在编辑器中选择“UTF-8 无 BOM”保存。",
)
ENCODING_CONTROL_CHAR = Code(
    "encoding.control-char",
    ERROR,
    "文件含有不可见的控制字符",
    "删除该位置的控制字符（常见于从网页或表格复制的内容），"
    "包括双引号里用 \\0、\\x1b 之类的转义写出的控制字符。",
    '"ORG\\0\\x1b[31m"',
)

# --- YAML -----------------------------------------------------------------------------
YAML_EMPTY = Code(
    "yaml.empty", ERROR, "文件是空的", "删除该文件，或用 bangfu new 生成记录骨架后填写。"
)
YAML_SYNTAX = Code(
    "yaml.syntax",
    ERROR,
    "YAML 语法错误",
    "检查该行的缩进、冒号和引号；缩进只能用空格。",
    'name: "未闭合的引号',
)
YAML_TAB_INDENT = Code(
    "yaml.tab-indent",
    ERROR,
    "用 Tab 缩进",
    "YAML 只允许空格缩进：把该行开头的 Tab 换成两个空格。",
)
YAML_DUPLICATE_KEY = Code(
    "yaml.duplicate-key",
    ERROR,
    "重复的字段名",
    "同一层级中每个字段只能出现一次；删除或合并重复的字段。",
    "name 写了两次",
)
YAML_FORBIDDEN_TAG = Code(
    "yaml.forbidden-tag",
    ERROR,
    "不允许的 YAML 标签",
    "记录只能使用普通的文字、数字、列表和映射；删除 !! 开头的标签。",
    "!!python/object",
)
YAML_TOO_DEEP = Code(
    "yaml.too-deep",
    ERROR,
    "嵌套层级过深",
    "记录的嵌套不应超过限制；检查是否误粘贴了大量括号或缩进。",
)
YAML_TOO_MANY_NODES = Code(
    "yaml.too-many-nodes",
    ERROR,
    "内容过多或别名展开过大",
    "不要用锚点和别名（& 和 *）复制内容；直接写出需要的数据。",
    "billion laughs",
)
YAML_NUMBER_TOO_LARGE = Code(
    "yaml.number-too-large",
    ERROR,
    "数字过大或不是有限数",
    "台账中的数字不超过 10^15；证件号码、银行卡号之类的编号要加引号写成文字，"
    "例如 '110105194912310021'。",
    "amount: 1e400",
)
YAML_MULTIPLE_DOCUMENTS = Code(
    "yaml.multiple-documents",
    ERROR,
    "一个文件中有多条记录",
    "一个文件只放一条记录；删除 --- 分隔的其余部分，另建文件。",
)
YAML_COMPLEX_KEY = Code(
    "yaml.complex-key", ERROR, "字段名不是普通文字", "字段名必须是普通文字，不能是列表或映射。"
)
RECORD_NOT_MAPPING = Code(
    "record.not-mapping",
    ERROR,
    "记录不是字段映射",
    "记录的最外层必须是“字段: 值”的形式，而不是列表或单个值。",
    "- a\n- b",
)

# --- schema ---------------------------------------------------------------------------
SCHEMA_REQUIRED = Code(
    "schema.required", ERROR, "缺少必填字段", "补上该字段；可参考 bangfu new 生成的骨架。"
)
SCHEMA_TYPE = Code(
    "schema.type", ERROR, "值的类型不对", "按数据字典填写正确类型，例如数字不要加引号或单位。"
)
SCHEMA_ENUM = Code("schema.enum", ERROR, "值不在可选范围内", "从数据字典列出的可选值中选择一个。")
SCHEMA_CONST = Code("schema.const", ERROR, "值必须是固定值", "按数据字典填写。")
SCHEMA_PATTERN = Code("schema.pattern", ERROR, "格式不对", "按数据字典中的格式说明填写。")
SCHEMA_FORMAT = Code("schema.format", ERROR, "格式不对", "按数据字典中的格式说明填写。")
SCHEMA_DATE = Code(
    "schema.date",
    ERROR,
    "日期无效",
    "日期写成 YYYY-MM-DD，且必须是真实存在的日期。",
    "2020-02-30",
)
SCHEMA_USCC_CHECKSUM = Code(
    "schema.uscc-checksum",
    ERROR,
    "统一社会信用代码校验位不对",
    "核对登记证书上的 18 位代码，常见错误是抄错一位或把字母 O 写成数字 0。",
)
SCHEMA_RESIDENT_ID_CHECKSUM = Code(
    "schema.resident-id-checksum",
    ERROR,
    "身份证号码校验位不对",
    "核对身份证原件上的 18 位号码。",
)
SCHEMA_MINIMUM = Code(
    "schema.minimum",
    ERROR,
    "数值小于下限",
    "金额、数量不能为负数；按数据字典的范围填写。",
    "per_capita: -100",
)
SCHEMA_MAXIMUM = Code("schema.maximum", ERROR, "数值超过上限", "检查是否多写了位数或单位。")
SCHEMA_ADDITIONAL_PROPERTIES = Code(
    "schema.additional-properties",
    ERROR,
    "多余的字段",
    "删除该字段或检查拼写；可用字段见数据字典。",
)
SCHEMA_MIN_ITEMS = Code("schema.min-items", ERROR, "列表项太少", "按数据字典补足列表项。")
SCHEMA_MAX_ITEMS = Code("schema.max-items", ERROR, "列表项太多", "拆分记录或删减列表项。")
SCHEMA_UNIQUE_ITEMS = Code("schema.unique-items", ERROR, "列表中有重复项", "删除重复的项。")
SCHEMA_LENGTH = Code("schema.length", ERROR, "文字长度不符合要求", "按数据字典的长度要求填写。")
SCHEMA_ONE_OF = Code(
    "schema.one-of",
    ERROR,
    "字段组合不符合要求",
    "按数据字典的说明填写，例如帮扶条目只能填帮扶户或帮扶村中的一个。",
)
SCHEMA_INVALID = Code("schema.invalid", ERROR, "不符合数据规范", "按数据字典检查该字段。")

# --- identity and paths ---------------------------------------------------------------
ID_MISMATCH_PATH = Code(
    "id.mismatch-path",
    ERROR,
    "编号与文件路径不一致",
    "把文件改名为 <编号>.yaml，或把编号改成与文件名一致。",
)
ID_DUPLICATE = Code(
    "id.duplicate",
    ERROR,
    "编号重复",
    "每个编号在全库中只能出现一次；给其中一条记录换一个新编号。",
)
PATH_WRONG_COUNTY = Code(
    "path.wrong-county", ERROR, "记录放在了错误的区县文件夹", "把文件移到其所属区县的文件夹下。"
)
PATH_WRONG_VILLAGE = Code(
    "path.wrong-village",
    ERROR,
    "户记录放在了错误的村文件夹",
    "把文件移到 data/households/<区县>/<村>/ 下。",
)
PATH_WRONG_PLAN = Code(
    "path.wrong-plan",
    ERROR,
    "进度报告放在了错误的方案文件夹",
    "把文件移到 data/plans/<区县>/<方案>/reports/ 下，或改正 plan 字段。",
)

# --- references -----------------------------------------------------------------------
REF_UNKNOWN_COUNTY = Code(
    "ref.unknown-county",
    ERROR,
    "引用了不存在的区县",
    "检查区县编号，或先在 data/counties/ 添加该区县。",
)
REF_UNKNOWN_VILLAGE = Code(
    "ref.unknown-village",
    ERROR,
    "引用了不存在的村",
    "检查村编号，或先在所属区县记录中添加该村。",
)
REF_UNKNOWN_HOUSEHOLD = Code(
    "ref.unknown-household", ERROR, "引用了不存在的户", "检查户编号，或先添加户记录。"
)
REF_UNKNOWN_ORGANIZATION = Code(
    "ref.unknown-organization",
    ERROR,
    "引用了不存在的帮扶主体",
    "检查主体编号，或先在 data/organizations/ 添加该主体。",
)
REF_UNKNOWN_CAMPAIGN = Code(
    "ref.unknown-campaign",
    ERROR,
    "引用了不存在的专项行动",
    "检查行动编号，或先在 data/campaigns/ 添加该行动。",
)
REF_UNKNOWN_PLAN = Code("ref.unknown-plan", ERROR, "引用了不存在的方案", "检查方案编号。")
REF_UNKNOWN_SOURCE = Code(
    "ref.unknown-source",
    ERROR,
    "引用了不存在的来源文件",
    "检查来源编号，或先在 data/sources/ 添加该文件。",
)
REF_NOT_A_TARGET = Code(
    "ref.not-a-target",
    ERROR,
    "条目对象不是本方案的帮扶对象",
    "把该户或村加入方案的 targets，或改正条目中的编号。",
)

# --- dates ----------------------------------------------------------------------------
DATE_PERIOD_REVERSED = Code(
    "date.period-reversed", ERROR, "结束日期早于开始日期", "检查起止日期是否写反。"
)
DATE_OUTSIDE_PARENT = Code(
    "date.outside-parent",
    ERROR,
    "日期超出上级期间",
    "方案期间要在所属专项行动的期间内，进度报告的期间要在方案期间内，条目日期要在报告期间内；改正日期或放到正确的报告中。",
)
DATE_OUT_OF_ORDER = Code(
    "date.out-of-order", ERROR, "步骤日期顺序颠倒", "按实际发生的先后顺序填写日期。"
)
DATE_IN_FUTURE = Code(
    "date.in-future", ERROR, "日期在未来", "只记录已经发生的事；检查年份是否写错。"
)
DATE_SUBMITTED_EARLY = Code(
    "date.submitted-early", ERROR, "报送日期早于报告期开始", "报送日期应在报告期开始之后。"
)
REPORT_PERIOD_LABEL = Code(
    "report.period-label",
    ERROR,
    "报送期编号与期间不符",
    "月报 2020-04 的期间应在 2020 年 4 月内；周报、季报同理。",
)

# --- policy ---------------------------------------------------------------------------
POLICY_NO_LINE = Code(
    "policy.no-line",
    WARNING,
    "找不到适用的监测线",
    "在 data/policy/ 中为该地区和年度添加政策参数。",
)
POLICY_CATEGORY_INCOME = Code(
    "policy.category-income",
    ERROR,
    "监测类别与收入不符",
    "脱贫不稳定户、边缘易致贫户、低保边缘户的人均纯收入应低于监测线；核实收入或改正类别。",
)
POLICY_EXIT_BELOW_LINE = Code(
    "policy.exit-below-line",
    ERROR,
    "收入低于监测线却标为退出",
    "收入稳定高于监测线才能退出；核实收入或改正监测状态。",
)
POLICY_NOTICE_TOO_SHORT = Code(
    "policy.notice-too-short",
    ERROR,
    "公示时间少于规定天数",
    "按政策参数补足公示天数，或核实公示起止日期。",
)
POLICY_NOTICE_MISSING_END = Code(
    "policy.notice-missing-end",
    WARNING,
    "评议公示没有截止日期",
    "填写公示截止日期（until），以便核对公示天数。",
)
POLICY_VILLAGE_EXIT_UNMET = Code(
    "policy.village-exit-unmet",
    ERROR,
    "村标为出列，“九有”却有一项记为未达标",
    "核实该项在出列时的核验结果：确已达标的改为达标并写明核验日期和佐证；未达标的村不应标为出列。",
    "exit: {year: 2019}，exit_standard.paved_road: {met: false, year: 2019}",
)
POLICY_DUPLICATE_SCOPE = Code(
    "policy.duplicate-scope",
    ERROR,
    "同一地区同一年度有两组政策参数",
    "合并为一条记录，或改正适用地区、年度。",
)

# --- the monitoring cycle (rules.cycle): every threshold from the region's policy record ---
IDENT_PROCEDURE_UNKNOWN = Code(
    "ident.procedure-unknown",
    ERROR,
    "没有写明按哪种程序认定",
    "适用的政策参数规定了不止一种认定程序：在 identification.procedure 中写明"
    "“防返贫监测”或“低收入人口认定”。",
)
IDENT_STEP_MISSING = Code(
    "ident.step-missing",
    ERROR,
    "认定程序缺少步骤",
    "按政策参数列出的程序补记缺少的步骤及其日期；确实没有经过该步骤的，不能认定。",
    "防返贫监测缺少“部门比对”",
)
IDENT_STEP_ORDER = Code(
    "ident.step-order",
    ERROR,
    "认定步骤的先后顺序与规定不符",
    "按政策参数列出的顺序记录各步骤（如评议公示在复查审核之前），核对日期和步骤名称。",
)
IDENT_EXCLUDED = Code(
    "ident.excluded",
    ERROR,
    "有原则上不予认定的情形",
    "来源规定有这些情形的原则上不予认定：核实情形是否属实；属于特殊情况、经村（社区）民主评议认定的，"
    "填写 identification.exception_review（评议日期）。",
)
POLICY_CATEGORY_NOT_LISTED = Code(
    "policy.category-not-listed",
    ERROR,
    "监测类别不在本地区来源列出的类别中",
    "改为适用政策参数 categories 中列出的类别，或核实本户所在地区。",
)
POLICY_CAUSE_NOT_LISTED = Code(
    "policy.cause-not-listed",
    WARNING,
    "风险原因不在本地区来源列出的原因中",
    "尽量改用适用政策参数 risk_causes 中列出的原因；确需保留的，说明是本项目补充的原因。",
)
POLICY_LOW_INCOME_THRESHOLD = Code(
    "policy.low-income-threshold",
    ERROR,
    "低收入分组与收入不符",
    "低保户认定时人均收入应低于低保标准；低保边缘户应不低于低保标准、低于其规定倍数。"
    "核实认定时的收入或改正类别。",
)
TIER_MISMATCH = Code(
    "tier.mismatch",
    ERROR,
    "填写的预警等级与记录推算的不符",
    "按政策参数的分级规则，预警等级由收入、类别、收支骤变和退出救助情况推算；"
    "改正 warning_tier，或核实据以推算的字段。网站和 bangfu status 按推算的等级统计。",
)
ASSIST_NO_HOUSEHOLD_PLAN = Code(
    "assist.no-household-plan",
    WARNING,
    "没有按时记录一户一策帮扶措施",
    "在 household_plan 中记下为本户制定的帮扶措施及制定日期（认定后规定天数内）。",
)
ASSIST_VISIT_GAP = Code(
    "assist.visit-gap",
    WARNING,
    "走访间隔超过方案规定",
    "按方案规定的频次走访本户，并在进度报告中记录走访（走访、电话回访或慰问）及日期。",
)
EXIT_GRADUAL_ENDED = Code(
    "exit.gradual-ended",
    WARNING,
    "救助渐退期已满",
    "渐退期满仍不符合条件的应按程序退出；仍符合条件的，重新核实后删去 gradual_exit。",
)
EXIT_INCOME_UNSTABLE = Code(
    "exit.income-unstable",
    ERROR,
    "收入没有稳定高于监测线却标为退出",
    "退出要求最近几个年度的收入记录都不低于监测线（年数见政策参数 exit.stable_income_records）："
    "在 income_history 中补记往年收入，或改正监测状态。",
)
EXIT_GUARANTEE_UNMET = Code(
    "exit.guarantee-unmet",
    ERROR,
    "两不愁三保障或饮水安全未全部达标却标为退出",
    "退出要求 guarantees 六项都记为达标：核实并补记，或改正监测状态。",
)
EXIT_STEP_MISSING = Code(
    "exit.step-missing",
    ERROR,
    "退出程序缺少步骤",
    "按政策参数 exit.procedure 列出的退出程序，在 exit_steps 中补记缺少的步骤（含公示）及其日期；"
    "确实没有经过该步骤的，不能标为退出。",
    "动态退出缺少“初审公示”",
)
EXIT_STEP_ORDER = Code(
    "exit.step-order",
    ERROR,
    "退出步骤的先后顺序与规定不符",
    "按政策参数 exit.procedure 列出的顺序记录退出步骤（如家庭经济状况调查在初审公示之前），"
    "核对日期和步骤名称。",
)

# --- privacy --------------------------------------------------------------------------
PRIVACY_PERSONAL_DATA_IN_PUBLIC_FIELD = Code(
    "privacy.personal-data-in-public-field",
    ERROR,
    "公开字段中有个人信息",
    "公开字段会发布到网站、搜索索引和开放数据：删去其中的身份证号、手机号、银行卡号或户内人员姓名，"
    "改写为不含个人信息的描述（如“走访户主”）；个人信息只能填在不公开的字段中。",
    "帮扶内容：走访户主，电话 138 0000 0000",
)
PRIVACY_PERSONAL_DATA_IN_ID = Code(
    "privacy.personal-data-in-id",
    ERROR,
    "编号或文件名中有个人信息",
    "编号和文件名会出现在网址、开放数据、审阅评论和日志中：改用不含身份证号、手机号、姓名的编号"
    "（如 h-0012），并把文件改名为新编号。",
    "data/households/cq-x/cq-x-y-z/h-13800000000.yaml",
)
# --- sealed private fields (per-county encryption, privacy.seal) ----------------------------
SEALED_PLAINTEXT = Code(
    "sealed.plaintext",
    ERROR,
    "本区县已登记密钥，隐私字段却是明文",
    "区县记录中有 recipients 后，本区县记录的隐私字段只能以密文保存：运行 bangfu encrypt "
    "（已有密文的记录要加 --key 给出能打开它的密钥），再提交。",
    "head:\n  name: …（明文）",
)
SEALED_MALFORMED = Code(
    "sealed.malformed",
    ERROR,
    "密文格式不对",
    "sealed 必须由 bangfu encrypt 或 bangfu keys rotate 写出：不要手改；用能打开它的密钥重新加密。",
    "sealed: {to: [...], age: 不是 base64}",
)
SEALED_STALE_RECIPIENTS = Code(
    "sealed.stale-recipients",
    ERROR,
    "密文不是加密给本区县现在的密钥的",
    "区县的密钥有变动（增加、撤销）后要重新加密本区县的记录：持有密钥的人运行 "
    "bangfu keys rotate 区县编号 --key 密钥文件。",
    "sealed.to 还列着已撤销的密钥",
)
SEALED_NO_RECIPIENTS = Code(
    "sealed.no-recipients",
    ERROR,
    "有密文，但区县没有登记密钥",
    "在区县记录的 recipients 中登记本区县的密钥（bangfu keys add），或用原来的密钥恢复明文。",
)
SEALED_NO_RECOVERY = Code(
    "sealed.no-recovery",
    WARNING,
    "区县没有登记维护者的恢复密钥",
    "审核人的私钥丢失后就再也打不开本区县的记录：用 bangfu keys add 区县编号 --recipient age1… "
    "--role 恢复 加上维护者的恢复公钥。",
)
SEALED_MISMATCH = Code(
    "sealed.mismatch",
    ERROR,
    "密文中的隐私字段与记录的公开部分对不上",
    "公开部分（如家庭成员所在的列表）改动后，密文没有随之更新：用 bangfu encrypt --key 重新加密。",
)
SEALED_CANNOT_OPEN = Code(
    "sealed.cannot-open",
    ERROR,
    "无法重新加密：给出的密钥打不开这条记录的密文",
    "重新加密要先解开原有的密文：用 --key 给出本区县审核人或维护者恢复密钥的密钥文件；"
    "一条记录打不开，整批都不写。",
)
POLICY_EXIT_WITHOUT_NOTICE = Code(
    "policy.exit-without-notice",
    ERROR,
    "标为退出却没有退出程序",
    "退出要经过调查、公示和审核：在认定程序中记下“退出公示”一步及其日期，或改正监测状态。",
)
RECORD_PLACEHOLDER = Code(
    "record.placeholder",
    ERROR,
    "还有待填写的内容",
    "bangfu new 生成的骨架用“待填写”标出必须填写的字段：换成真实内容后再提交。",
    "category: 待填写",
)
RECORD_PROVENANCE_FIELD = Code(
    "record.provenance-field",
    ERROR,
    "推定说明指向不存在的字段",
    "provenance 中的 field 要写记录里确实存在的字段名（嵌套字段用点分隔）；删去多余的说明或改正字段名。",
)
REPORT_NO_ENTRIES = Code(
    "report.no-entries",
    ERROR,
    "进度报告没有任何条目",
    "填写本期的走访、回访和交付；本期确实没有活动的，写 no_activity: true 并在 no_activity_reason 中说明原因。",
    "entries: []",
)

# --- spreadsheet import (bangfu import / template / export-forms) --------------------
SHEET_NOT_XLSX = Code(
    "sheet.not-xlsx",
    ERROR,
    "不是 .xlsx 工作簿",
    "这是旧版 Excel 97-2003（.xls）文件或加了密码的文件：在 Excel 中“另存为 Excel 工作簿（*.xlsx）”，去掉打开密码后再导入。",
    "把 .xls 改名为 .xlsx",
)
SHEET_CORRUPT = Code(
    "sheet.corrupt",
    ERROR,
    "工作簿已损坏，无法读取",
    "用 Excel 打开后重新保存；打不开时从 bangfu template 重新生成模板再填写。",
    "下载不完整的 .xlsx",
)
SHEET_TOO_LARGE = Code(
    "sheet.too-large",
    ERROR,
    "文件或解压后的内容过大",
    "一个工作簿只填一张报备表或一个报送期的进度表；删除无关的内容、图片后再导入。",
    "解压后数百 MB 的工作簿",
)
SHEET_TOO_MANY_ROWS = Code(
    "sheet.too-many-rows",
    ERROR,
    "工作表行数超过上限",
    "每个工作表最多 10000 行；按报送期拆成多个文件，并删除表格末尾的空行。",
    "100000 行的进度表",
)
SHEET_EXTRA_SHEET = Code(
    "sheet.extra-sheet",
    ERROR,
    "工作簿中有多余的工作表",
    "只保留模板自带的工作表（填表说明、选项、报备、进度）；把其他工作表删除或另存。",
)
SHEET_UNKNOWN_FORM = Code(
    "sheet.unknown-form",
    ERROR,
    "认不出是哪一种表",
    "第 1 行第 1 格必须是模板的表名（结对帮扶方案报备表 / 结对帮扶实施情况进度表）；请用 bangfu template 生成的模板填写。",
)
SHEET_BAD_LAYOUT = Code(
    "sheet.bad-layout",
    ERROR,
    "表格结构与模板不一致",
    "不要改动模板的表头、栏目名称和【】分区标题；需要更多行时在分区内插入行。",
)
SHEET_FORMULA = Code(
    "sheet.formula",
    ERROR,
    "单元格中有公式",
    "导入只接受填写的值：复制该单元格后“选择性粘贴 → 数值”，或直接输入结果。",
    "=SUM(G11:G20)",
)
SHEET_REQUIRED = Code("sheet.required", ERROR, "必填项没有填写", "补填该单元格。")
SHEET_BAD_CHOICE = Code(
    "sheet.bad-choice",
    ERROR,
    "值不在下拉选项中",
    "从该单元格的下拉列表中选择，不要手工输入或粘贴其他文字。",
)
SHEET_NOT_A_NUMBER = Code(
    "sheet.not-a-number",
    ERROR,
    "数字栏里填了文字",
    "只填阿拉伯数字，不要写单位、汉字或空格，例如 1200.5。",
    "一千元",
)
SHEET_NOT_A_DATE = Code(
    "sheet.not-a-date",
    ERROR,
    "日期无法识别",
    "日期写成 2020-04-15 这样的格式，或用 Excel 的日期格式。",
    "4月15号",
)
SHEET_FUTURE_DATE = Code(
    "sheet.future-date", ERROR, "日期在未来", "只填写已经发生的事；检查年份、月份是否写错。"
)
SHEET_UNKNOWN_VILLAGE = Code(
    "sheet.unknown-village",
    ERROR,
    "村不存在或不属于该区县",
    "从下拉列表中选择村；列表中没有的村，先请区县在 data/counties/ 中添加。",
)
SHEET_CONFLICT = Code(
    "sheet.conflict",
    ERROR,
    "表中的内容互相矛盾或与已有记录不一致",
    "按提示核对编号、所在村和报送期。",
)
SHEET_REPORT_EXISTS = Code(
    "sheet.report-exists",
    ERROR,
    "该报送期的进度报告已经存在",
    "已提交的进度报告不能改写：如确需更正，在表头填写“更正人”和“更正说明”后再导入，原内容会保留在更正记录中。",
)

# --- history guard (bangfu review) -----------------------------------------------------
HISTORY_REPORT_DELETED = Code(
    "history.report-deleted",
    ERROR,
    "删除了已提交的进度报告",
    "已提交的进度报告不能删除（移出 data/、改成隐藏文件名或移到别的方案下也算删除）：恢复该文件；内容有误时改正条目，并在 corrections 中写明更正人、原因和原值。",
)
HISTORY_REPORT_REWRITTEN = Code(
    "history.report-rewritten",
    ERROR,
    "改写了已提交进度报告的基本信息",
    "报送期、期间、报送日期和所属方案提交后不能直接改：如确需更正，在 corrections 中添加一条，path 指向被改的字段，original 原样保留原值。",
    "把 submitted 从 2024-03-25 改成 2024-03-20",
)
HISTORY_ENTRY_REMOVED = Code(
    "history.entry-removed",
    ERROR,
    "删除了已提交的帮扶条目",
    "已提交的条目不能直接删除：如确属误报，在 corrections 中添加一条，path 写该条目的位置（如 $.entries[2]），original 原样保留整条原内容，并写明 date、by、reason。",
    "删掉 entries 中的一条走访",
)
HISTORY_ENTRY_CHANGED = Code(
    "history.entry-changed",
    ERROR,
    "改动了已提交的帮扶条目",
    "已提交的条目不能直接改：如确需更正，在 corrections 中添加一条，path 指向被改的条目或字段（如 $.entries[2].amount），original 原样保留原值。",
    "把一条条目的金额从 1200 改成 2100",
)
HISTORY_IDENTIFICATION_REWRITTEN = Code(
    "history.identification-rewritten",
    ERROR,
    "改写了户的认定程序记录",
    "认定程序步骤提交后不能删改，只能追加新步骤；如确需更正，在 corrections 中添加一条，path 指向该步骤（如 $.identification.steps[1]），original 原样保留原内容。",
    "改动评议公示的日期",
)
HISTORY_EXIT_STEPS_REWRITTEN = Code(
    "history.exit-steps-rewritten",
    ERROR,
    "改写了户的退出程序记录",
    "退出程序步骤提交后不能删改，只能追加新步骤；如确需更正，在 corrections 中添加一条，path 指向该步骤（如 $.exit_steps[0]），original 原样保留原内容。",
    "改动初审公示的日期",
)
HISTORY_HOUSEHOLD_DELETED = Code(
    "history.household-deleted",
    ERROR,
    "删除了有认定程序记录的户",
    "户一经认定就不能从台账中删除：不再监测时把监测状态改为“退出”，并追加“退出公示”等认定步骤，原有的认定程序和更正记录保留不动。",
    "删除一个有“评议公示”等步骤的户文件",
)
HISTORY_CORRECTION_REMOVED = Code(
    "history.correction-removed",
    ERROR,
    "删除或改动了已有的更正记录",
    "更正记录只能追加，不能删改；恢复原有的更正记录，需要补充时另加一条。",
)
HISTORY_REFERENCED_RECORD_DELETED = Code(
    "history.referenced-record-deleted",
    ERROR,
    "删除的记录仍被其他记录引用",
    "先修改或删除引用它的方案、报告等记录，或保留该记录（户可把监测状态改为“退出”，方案可改为“已终止”）。",
    "删除了仍在方案帮扶对象中的户",
)

# --- what a pull request may not decide for itself (bangfu review) ----------------------
REVIEW_RULES_CHANGED = Code(
    "review.rules-changed",
    WARNING,
    "改动了代码、schemas 或工作流",
    "这些文件决定检查规则和隐私分级：本次仍按目标分支的版本检查和汇总，合并前须由维护者审核批准。",
    "改动了 scripts/bangfu/review/history.py",
)
REVIEW_POLICY_CHANGED = Code(
    "review.policy-changed",
    WARNING,
    "改动了政策参数",
    "政策参数（data/policy、专项行动的报送周期、期限、名额等）改动后由维护者审核批准；本次的记录仍按现行政策检查，改动对逾期回访、报送和公开统计的影响列在“重点关注”中。",
    "把回访间隔 revisit_days 从 31 天改成 3650 天",
)
REVIEW_CACHE_COMMITTED = Code(
    "review.cache-committed",
    ERROR,
    "提交了检查缓存",
    "删除 .bangfu-cache/ 下的文件（git rm -r --cached .bangfu-cache）：检查缓存只在本地生成，提交的缓存可能让有错的记录显示为通过。",
)

# --- formatting -----------------------------------------------------------------------
FMT_NOT_CANONICAL = Code(
    "fmt.not-canonical",
    ERROR,
    "记录格式不规范",
    "运行 bangfu fmt 自动整理格式（保留注释，不改数据）。",
)
FMT_UNSAFE = Code(
    "fmt.unsafe",
    ERROR,
    "自动整理会改变数据，已跳过",
    "手工检查该文件；这通常说明文件用了不常见的 YAML 写法。",
)

# --- writing the data folder (bangfu import / new / fmt) -----------------------------
WRITE_LOCKED = Code(
    "write.locked",
    ERROR,
    "另一个命令正在写入数据文件夹",
    "等另一个 bangfu import / new / fmt 结束后重新运行本命令；本次没有写入任何文件。",
    "两个人同时导入同一个方案同一报送期的进度表",
)
WRITE_DISK_FULL = Code(
    "write.disk-full",
    ERROR,
    "磁盘已满，没有写入",
    "腾出磁盘空间（或申请更大的配额）后重新运行；已暂存的文件都已撤销，数据保持原样。",
)
WRITE_FAILED = Code(
    "write.failed",
    ERROR,
    "文件无法写入",
    "检查数据文件夹及其上一级文件夹是否可写，然后重新运行。",
)
WRITE_CONFLICT = Code(
    "write.conflict",
    ERROR,
    "要写入的文件在导入期间被改动",
    "有人在导入的同时改了这个文件；重新运行导入，它会按最新的文件重新核对。",
)
WRITE_RECOVERED = Code(
    "write.recovered",
    WARNING,
    "上次写入中断，已恢复",
    "上次的 bangfu 命令在写入时被中断；已按写入日志全部撤销或全部补完。运行 bangfu check 确认后再提交。",
    "导入时按了 Ctrl+C 或电脑断电",
)
WRITE_JOURNAL_INVALID = Code(
    "write.journal-invalid",
    ERROR,
    "写入日志无法使用",
    "数据文件夹旁的 .bangfu-journal 不是 bangfu 写的或已损坏：检查数据文件夹的改动"
    "（git status），确认无误后删除 .bangfu-journal。",
)

WRITE_INVALID_PACKAGE = Code(
    "write.invalid-package",
    ERROR,
    "写出的数据包未通过校验",
    "bangfu 写出的开放数据包不符合 Frictionless 数据包标准，已保留原来的数据包、没有替换。"
    "这是 bangfu 的缺陷：请把这条提示（文件、行、列和规则，不含数值）报告给维护者。",
)
# --- merging provinces' packages (bangfu merge) ----------------------------------------
MERGE_MISSING = Code(
    "merge.missing",
    ERROR,
    "要合并的数据包不存在",
    "检查路径：每个参数是一个省的数据包文件夹（bangfu export 的输出，含 datapackage.json）。",
    "bangfu merge build/no-such-province --out build/national",
)
MERGE_NOT_PACKAGE = Code(
    "merge.not-package",
    ERROR,
    "不是 bangfu 数据包",
    "用 bangfu export 重新导出这个省的数据包；合并只接受省的数据包，不接受已合并的全国数据包。",
    "一个只有 CSV、没有 datapackage.json 的文件夹",
)
MERGE_SCHEMA_VERSION = Code(
    "merge.schema-version",
    ERROR,
    "数据包的表结构版本不同",
    "各省的数据包要用同一版本的 bangfu 导出：用本程序重新运行 bangfu export，再合并。",
    "旧版 bangfu 导出的数据包缺少后来加的列",
)
MERGE_DAMAGED = Code(
    "merge.damaged",
    ERROR,
    "数据包文件已损坏或被改动",
    "文件与 datapackage.json 中记下的大小、校验值或表结构不符：重新导出或重新下载这个省的数据包。",
    "下载中断的 progress.parquet",
)
MERGE_PROVINCE_UNCLEAR = Code(
    "merge.province-unclear",
    ERROR,
    "无法确定数据包属于哪个省",
    "一个省的数据包中所有区县的“省级”应相同；分别导出各省的数据（每个省一个数据包）再合并。",
    "区县分属三个省的数据包",
)
MERGE_THRESHOLD_DIFFERS = Code(
    "merge.threshold-differs",
    ERROR,
    "各省的小数字门槛不同",
    "不公开的标记（如 <5）要一致才能合并：各省商定同一个门槛（policy 记录中的 small_cell_threshold）后重新导出。",
)
MERGE_DUPLICATE_PROVINCE = Code(
    "merge.duplicate-province",
    ERROR,
    "同一个省的数据包出现了两次",
    "每个省只给一个数据包（最新导出的那个）。",
)
MERGE_CONFLICT = Code(
    "merge.conflict",
    ERROR,
    "两个数据包中编号相同、内容不同",
    "同一个编号在不同省指的是不同的记录，或同一记录两省写得不一样：由两省商定改用不同的编号或改成一致，"
    "重新导出后再合并。",
    "两个省的数据包都有编号为 demo-plan-1 的方案",
)

# --- command arguments ---------------------------------------------------------------
ARG_INVALID_ID = Code(
    "arg.invalid-id",
    ERROR,
    "参数中的编号格式不对",
    "编号只能含小写字母 a-z、数字 0-9 和连字符，3–64 个字符，首尾不能是连字符；"
    "报送期写作 2020-04、2020-W18 或 2020-Q2。",
    "bangfu new household --id ../..",
)
ARG_OUTSIDE_DATA = Code(
    "arg.outside-data",
    ERROR,
    "要写入的位置在数据文件夹之外",
    "检查参数和数据文件夹里的符号链接：记录只能写在数据文件夹之内。",
)

# Every constant above, in the order written (each module-level ``Code`` is registered).
REGISTRY: dict[str, Code] = {c.code: c for c in list(globals().values()) if isinstance(c, Code)}
# told of every code made or used (the test suite records which codes each test produces)
OBSERVERS: list[Callable[[Code], None]] = []


def make(
    code: Code,
    file: str,
    message: str,
    *,
    line: int = 0,
    column: int = 0,
    path: str = "$",
    hint: str | None = None,
    severity: str | None = None,
) -> Finding:
    """Build a finding for a registered code: one of the constants above, never a string, so a
    misspelt code fails when its module is imported."""
    if not isinstance(code, Code) or REGISTRY.get(code.code) is not code:
        raise TypeError(f"make() takes a registered Code constant, not {code!r}")
    for observe in OBSERVERS:
        observe(code)
    return Finding(
        code=code.code,
        severity=severity or code.severity,
        file=file,
        message=message,
        hint=code.hint if hint is None else hint,
        line=line,
        column=column,
        path=path,
    )


def usage(code: Code, message: str) -> str:
    """The text of a command-line usage error (the ``arg.*`` codes): the code, then the message."""
    if not isinstance(code, Code) or REGISTRY.get(code.code) is not code:
        raise TypeError(f"usage() takes a registered Code constant, not {code!r}")
    for observe in OBSERVERS:
        observe(code)
    return f"[{code.code}] {message}"


__all__ = ["OBSERVERS", "REGISTRY", "Code", "make", "usage", "ERROR", "WARNING"]
