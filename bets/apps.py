from django.apps import AppConfig


class BetsConfig(AppConfig):
    name = "bets"
    verbose_name = "Bets"

    def ready(self) -> None:
        from bets.models import Bet, BetTarget, PlannedHeadcount
        from metrics.records.signals import announce_changes_of

        # Every single-row change is announced like a record's, so the audit log keeps it (squad
        # memberships, auto-created rows without save signals, are announced by bets.services).
        for model in (Bet, BetTarget, PlannedHeadcount):
            announce_changes_of(model)
