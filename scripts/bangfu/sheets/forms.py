"""The two campaign forms as data: titles, header fields, sections and columns.

The layout is shared by ``template`` (blank workbook), ``export-forms`` (filled workbook)
and ``import`` (reader), so the three cannot drift apart.

Layout of a form sheet (and of the CSV that is the same sheet saved as CSV)::

    A1            form title — decides the form kind (报备表 / 进度表)
    A3..          header block: label in column A, value in column B, note in column C
    【分区】      a section title in column A, e.g. 【帮扶对象】
    next row      the section's column headers
    rows below    one record per row, until the next 【分区】 or the end of the sheet
"""

from __future__ import annotations

from dataclasses import dataclass, field

FILING = "filing"
PROGRESS = "progress"

PRIVATE_NOTE = "隐私，不公开"
PRIVATE_SUFFIX = f"（{PRIVATE_NOTE}）"
# what ``export-forms`` shows in a private cell whose record is sealed and not opened by the
# given key; the import reads it as "keep the sealed value as it is", never as data
SEALED_PLACEHOLDER = "（密文，需密钥）"
REQUIRED_MARK = "*"

# sheet names: the form sheets, and two helper sheets the importer ignores
INSTRUCTIONS_SHEET = "填表说明"
OPTIONS_SHEET = "选项"
FILING_SHEET = "报备"
PROGRESS_SHEET = "进度"

HOUSEHOLD = "帮扶户"
VILLAGE = "帮扶村"
YES, NO = "是", "否"


@dataclass(frozen=True, slots=True)
class Col:
    key: str
    header: str
    kind: str = "text"  # text | date | number | integer | choice | period
    required: bool = False
    private: bool = False
    # where the dropdown comes from: "enum:<record kind>:<dotted path>" or a list name
    # (counties, campaigns, organizations, villages, plans, households, target-kind, yes-no)
    choices: str = ""
    note: str = ""
    width: int = 14
    past: bool = False  # a date that must not be after "today"

    @property
    def label(self) -> str:
        text = self.header + (REQUIRED_MARK if self.required else "")
        return text + (PRIVATE_SUFFIX if self.private else "")


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str  # shown as 【title】
    columns: tuple[Col, ...]
    blank_rows: int  # empty rows a blank template offers (insert rows for more)

    @property
    def marker(self) -> str:
        return f"【{self.title}】"


@dataclass(frozen=True, slots=True)
class Form:
    kind: str
    title: str
    sheet: str
    fields: tuple[Col, ...]
    sections: tuple[Section, ...]
    intro: tuple[str, ...] = field(default=())


# row 2 of every form sheet: a reminder the importer skips
NOTE_PREFIX = "填表说明见"
NOTE = (
    f"{NOTE_PREFIX}“{INSTRUCTIONS_SHEET}”工作表。带 {REQUIRED_MARK} 的栏目必填；"
    f"橙色栏目是隐私信息（{PRIVATE_NOTE}），只存入数据仓库，不出现在公开网站和开放数据中。"
)

SEQ = Col("seq", "序号", "integer", width=6)

FILING_FORM = Form(
    kind=FILING,
    title="结对帮扶方案报备表",
    sheet=FILING_SHEET,
    fields=(
        Col(
            "plan",
            "方案编号",
            note="新方案留空，导入时自动生成；更新已有方案时不要改动。",
            width=30,
        ),
        Col("name", "方案名称", required=True, width=30),
        Col("county", "所在区县", "choice", True, choices="counties", note="帮扶对象所在区县。"),
        Col("campaign", "专项行动", "choice", True, choices="campaigns"),
        Col("form", "结对形式", "choice", True, choices="enum:plan:form"),
        Col("start", "开始日期", "date", True),
        Col("end", "结束日期", "date", True),
        Col("status", "方案状态", "choice", choices="enum:plan:status"),
    ),
    sections=(
        Section(
            "organizations",
            "帮扶主体",
            (
                SEQ,
                Col("organization", "帮扶主体", "choice", True, choices="organizations", width=40),
            ),
            5,
        ),
        Section(
            "targets",
            "帮扶对象",
            (
                SEQ,
                Col("target", "对象类型", "choice", True, choices="target-kind", width=10),
                Col("village", "所在村", "choice", True, choices="villages", width=36),
                Col(
                    "household",
                    "户编号",
                    note="已有的户填编号；新户留空，导入时自动生成。",
                    width=16,
                ),
                Col("head_name", "户主姓名", private=True, width=12),
                Col("head_phone", "联系电话", private=True, width=14),
                Col("address", "家庭住址", private=True, width=28),
                Col("category", "监测类别", "choice", choices="enum:household:category"),
                Col("status", "监测状态", "choice", choices="enum:household:status", width=12),
                Col("household_size", "家庭人口", "integer", width=10),
                Col("income_year", "收入年度", "integer", width=10),
                Col("per_capita", "人均纯收入（元）", "number", width=16),
            ),
            50,
        ),
        Section(
            "measures",
            "帮扶措施",
            (
                SEQ,
                Col(
                    "kind",
                    "措施类别",
                    "choice",
                    True,
                    choices="enum:plan:measures.0.kind",
                    width=12,
                ),
                Col("description", "措施内容", required=True, width=50),
                Col("amount", "计划金额（元）", "number", width=16),
            ),
            10,
        ),
    ),
    intro=(
        "本表对应《朝阳市志愿服务帮扶贫困户信息报备表》（附件1）：一张表报备一个结对帮扶方案。",
        "导入后生成或更新 data/plans/<区县>/<方案编号>/plan.yaml；帮扶对象中的户写入 data/households/。",
        "对象类型为“帮扶村”时只填所在村；为“帮扶户”时，已有的户填户编号，新户填户主姓名、监测类别、监测状态、收入年度和人均纯收入。",
        "新户的编号按固定规则生成：同村已有同名户主的户沿用其编号，否则由方案编号、村和序号计算（不含个人信息）。",
    ),
)

PROGRESS_FORM = Form(
    kind=PROGRESS,
    title="结对帮扶实施情况进度表",
    sheet=PROGRESS_SHEET,
    fields=(
        Col("plan", "方案", "choice", True, choices="plans", width=40),
        Col("period", "报送期", "period", True, note="月报 2020-04，周报 2020-W18，季报 2020-Q2。"),
        Col("submitted", "报送日期", "date", True, past=True),
        Col("correction_by", "更正人", note="只在更正已报送的进度时填写：提出更正的单位或岗位。"),
        Col("correction_reason", "更正说明", note="只在更正时填写：为什么更正。原内容会完整保留。"),
    ),
    sections=(
        Section(
            "entries",
            "帮扶内容",
            (
                SEQ,
                Col("date", "走访日期", "date", True, width=12, past=True),
                Col("household", "帮扶户", "choice", choices="households", width=28),
                Col("village", "帮扶村", "choice", choices="villages", width=36),
                Col(
                    "kind",
                    "活动类别",
                    "choice",
                    True,
                    choices="enum:report:entries.0.kind",
                    width=12,
                ),
                Col("content", "帮扶内容", width=50),
                Col("amount", "金额（元）", "number", width=12),
                Col("income_project", "增收项目", "choice", choices="yes-no", width=10),
            ),
            100,
        ),
    ),
    intro=(
        "本表对应《朝阳市志愿服务帮扶贫困户实施情况进度表》（附件2）：一张表填写一个方案一个报送期的全部走访和帮扶，不限 5 条。",
        "导入后生成 data/plans/<区县>/<方案>/reports/<报送期>.yaml。每次走访一行；帮扶户和帮扶村只填其中一个。",
        "已报送的进度不能改写：同一方案同一报送期再次导入不同内容时会被拒绝，除非在表头填写“更正人”和“更正说明”。",
    ),
)

FORMS = {FILING: FILING_FORM, PROGRESS: PROGRESS_FORM}
TITLES = {f.title: f for f in FORMS.values()}


def normalize_label(text: str) -> str:
    """A header as typed back: drop the privacy suffix, required mark and spaces."""
    t = str(text).strip().replace(PRIVATE_SUFFIX, "").replace("(" + PRIVATE_NOTE + ")", "")
    t = t.replace(" ", "").replace("\u3000", "")
    return t.rstrip(REQUIRED_MARK).strip()


def form_of_title(value) -> Form | None:
    if not isinstance(value, str):
        return None
    t = value.strip()
    for title, form in TITLES.items():
        if t.startswith(title):
            return form
    return None


def form_sheet_name(form: Form, name: str) -> bool:
    """Form sheets are named 报备 / 进度, or 进度-<报送期> in an export with several reports."""
    return name == form.sheet or name.startswith(form.sheet + "-")
