"""The verdict band at the top of the org, area and squad pages: "how are we doing?" in ten
seconds — how many KPIs are on track, at risk, off track (or rest on too few records to say),
the biggest moves against the compared period and the baseline, and the squads (or, on a squad
page, the KPIs) that need attention. Made from tiles and heatmap rows; reads nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from dashboards import stats
from dashboards.tiles import HeatRow, Tile
from metrics.kpis.catalog import Kpi

MOVES_SHOWN = 3
SQUADS_SHOWN = 5


@dataclass(frozen=True)
class Move:
    kpi: Kpi
    change: stats.Change
    display: str

    @property
    def tone(self) -> str:
        return "good" if self.change.good else "bad" if self.change.good is False else "none"

    @property
    def word(self) -> str:
        return "better" if self.change.good else "worse" if self.change.good is False else "same"


@dataclass(frozen=True)
class Attention:
    slug: str
    name: str
    off_track: list[Kpi]
    at_risk: int


@dataclass
class Verdict:
    on_track: int = 0
    at_risk: int = 0
    off_track: int = 0
    too_few: int = 0
    no_target: int = 0
    moves_previous: list[Move] = field(default_factory=list)
    moves_baseline: list[Move] = field(default_factory=list)
    squads: list[Attention] = field(default_factory=list)
    kpis_off_track: list[Kpi] = field(default_factory=list)
    kpis_at_risk: list[Kpi] = field(default_factory=list)

    @property
    def judged(self) -> int:
        return self.on_track + self.at_risk + self.off_track

    @property
    def headline(self) -> str:
        """One sentence for the band's first line."""
        if not self.judged:
            return "No KPI has both a target and enough records to judge it."
        if not self.off_track and not self.at_risk:
            if self.judged == 1:
                return "The one KPI with a target is on track."
            return f"All {self.judged} KPIs with a target are on track."
        parts = []
        if self.off_track:
            parts.append(f"{self.off_track} off track")
        if self.at_risk:
            parts.append(f"{self.at_risk} at risk")
        return f"{' and '.join(parts)} of {self.judged} KPI{'s' if self.judged > 1 else ''} with a target."


def _moves(tiles: list[Tile], attribute: str) -> list[Move]:
    """The largest relative changes (not from low-confidence values, not zero), largest first."""
    found = []
    for tile in tiles:
        change: stats.Change | None = getattr(tile, attribute)
        if change is None or change.pct is None or change.good is None or tile.low_confidence:
            continue
        found.append(Move(tile.kpi, change, getattr(tile, f"{attribute}_display")))
    found.sort(key=lambda move: -abs(move.change.pct or 0.0))
    return found[:MOVES_SHOWN]


def build_verdict(tiles: list[Tile], heat_rows: list[HeatRow] | None = None, kpis: list[Kpi] | None = None) -> Verdict:
    """The verdict for a scope from its tiles; with the heatmap rows (org and area pages) also the
    squads with the most off-track KPIs."""
    verdict = Verdict()
    for tile in tiles:
        if tile.status == stats.ON_TRACK:
            verdict.on_track += 1
        elif tile.status == stats.AT_RISK:
            verdict.at_risk += 1
            verdict.kpis_at_risk.append(tile.kpi)
        elif tile.status == stats.OFF_TRACK:
            verdict.off_track += 1
            verdict.kpis_off_track.append(tile.kpi)
        elif tile.too_few:
            verdict.too_few += 1
        else:
            verdict.no_target += 1
    verdict.moves_previous = _moves(tiles, "previous")
    verdict.moves_baseline = _moves(tiles, "baseline")
    if heat_rows and kpis:
        needing = []
        for row in heat_rows:
            off = [kpi for kpi, cell in zip(kpis, row.cells, strict=True) if cell.status == stats.OFF_TRACK]
            risk = sum(1 for cell in row.cells if cell.status == stats.AT_RISK)
            if off:
                needing.append(Attention(row.slug, row.name, off, risk))
        needing.sort(key=lambda a: (-len(a.off_track), -a.at_risk, a.name))
        verdict.squads = needing[:SQUADS_SHOWN]
    return verdict
