from django.apps import AppConfig


class BetsConfig(AppConfig):
    name = "bets"
    verbose_name = "Bets"

    def ready(self) -> None:
        from bets.models import Bet, BetTarget, PlannedHeadcount
        from metrics.records.signals import announce_changes_of

        # Every single-row change is announced like a record's, so the audit log keeps it.
        for model in (Bet, BetTarget, PlannedHeadcount, Bet.treatment_squads.through, Bet.comparison_squads.through):
            announce_changes_of(model)
