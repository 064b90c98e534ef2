"""Small shared building blocks with no models and no app dependencies: UTC days and
periods, KPI scopes, the loaded-values mixin, shared admin bits and CSV safety."""
