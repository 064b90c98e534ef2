from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews and action items"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from metrics.records.signals import announce_changes_of
        from reviews.models import ActionItem, Note, Review

        # Every create, change (a freeze, a closed item) and delete goes to the audit log.
        for model in (Review, Note, ActionItem):
            announce_changes_of(model)
