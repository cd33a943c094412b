"""The cells and identities of disclosure control (``protect``): every published figure about
households as a cell (``Cells``), what the store gives besides the tables (``Inputs``), and the
small rules every part reads."""

from __future__ import annotations

from dataclasses import dataclass

from ..disclosure import Cell, Relation
from .columns import WITHHELD


class Cells:
    """The cells and every identity among them (``relations``, in the order stated). Of
    those, ``stars`` are a plan's total and its rows (targets by village; delivered amount by
    report-entry row), whose cells are in no other relation: ``decide`` answers them
    without the search over the others (``disclosure_star``)."""

    def __init__(self, threshold: int):
        self.t = threshold
        self.cells: dict[tuple, Cell] = {}
        self.relations: list[Relation] = []
        self.stars: list[Relation] = []
        # a plan's or an entries row's cell → where it is: (table, position of its row)
        self.rows: dict[tuple, tuple[str, int]] = {}

    def add(self, key: tuple, value, households: int | None = None) -> None:
        if value is None or value is WITHHELD:
            return
        h = value if households is None else households
        self.cells[key] = Cell(key, value, int(h))

    def merge(self, other: Cells) -> Cells:
        """This and ``other``'s cells and identities (none shared), in this one."""
        self.cells.update(other.cells)
        self.relations += other.relations
        self.stars += other.stars
        self.rows.update(other.rows)
        return self

    def at_most(self, small: tuple, big: tuple) -> None:
        """``small <= big``, an inequality every reader knows (paired households are among
        the households, entries are at least the households they reached): stated as
        ``big = small + rest`` with ``rest`` a latent cell (never published, never withheld)."""
        if small in self.cells and big in self.cells:
            # counts of households or entries (see ``cells_of``): ints, never a Decimal
            rest = self.cells[big].value - self.cells[small].value  # type: ignore[operator]
            if rest >= 0:
                key = ("latent", big, small)
                self.cells[key] = Cell(key, rest, 0, latent=True)
                self.relations.append(Relation(big, (small, key)))

    def relate(self, total: tuple, parts, *, star: bool = False) -> None:
        """``total == sum(parts)`` (the parts not published left out); ``star``: the caller
        states that none of these cells is in another relation."""
        parts = tuple(parts)
        if by_row_key(total) or any(by_row_key(p) for p in parts):
            raise ValueError(f"披露控制：逐行判定的数字不能进入关系：{total!r}")
        parts = tuple(p for p in parts if p in self.cells)
        if total in self.cells and parts:
            self.relations.append(Relation(total, parts))
            if star:
                self.stars.append(self.relations[-1])


@dataclass(frozen=True)
class Inputs:
    """What disclosure control reads from the store besides the tables and figures: the
    place figures, the categories and the plans' reach. Read before the store closes, so the
    search runs with the database's memory already given back."""

    fig: list[dict]
    fig_category: list[dict]
    plan_fig: list[tuple]


def reach(row: dict, threshold: int) -> int:
    """The households an entries row's entries and amount concern: those reached, or at
    least the threshold when the row has deliveries to villages (not about households)."""
    hh = row["households_reached"]
    return hh if not row["villages_reached"] else max(hh, threshold)


def by_row_key(key: tuple) -> bool:
    """A key of a figure ``protect.BY_ROW`` decides (the cell kinds those columns had)."""
    return key[0] == "progress" or (key[0] == "entries_row" and key[1] != "amount")


def exact(v):
    """A count or amount as it is; anything else (withheld, text, a bool) as None."""
    return v if isinstance(v, int | float) and not isinstance(v, bool) else None
