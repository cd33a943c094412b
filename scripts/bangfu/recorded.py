"""The words for what the ledger records, shared by the status, the pages and the tables.

The definitions themselves — when a plan runs (its status *and* its period on the as-of date),
and when a figure counts as recorded (a household of the county; a progress report of the plan)
— are SQL, in ``bangfu/aggregate/figures.sql``, and nowhere else.
"""

from __future__ import annotations

# a plan's state on the as-of date (table ``ps`` of figures.sql)
STATES = ("未开始", "执行中", "已结束", "已完成", "已终止", "草拟")
NOT_RECORDED_LABEL = "台账中无记录"  # the words; ``aggregate.NOT_RECORDED`` is the table value
