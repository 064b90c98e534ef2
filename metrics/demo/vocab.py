"""Words the demo org is made of: areas, squad names, record titles, customer
themes. Kept apart from `metrics.demo.generator` so the generator reads as rules, not lists."""

from __future__ import annotations

#: (area slug, area name, squad names). Squads are dealt round-robin over the
#: first N areas; names run out only past 10 squads per area (then numbered).
AREAS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "payments",
        "Payments",
        (
            "Checkout",
            "Invoicing",
            "Billing Engine",
            "Payouts",
            "Fraud & Risk",
            "Tax",
            "Subscriptions",
            "Refunds",
            "Ledger",
            "Payment Methods",
        ),
    ),
    (
        "growth",
        "Growth",
        (
            "Onboarding",
            "Activation",
            "Referrals",
            "Pricing & Packaging",
            "Lifecycle Messaging",
            "Experimentation",
            "Trials",
            "Marketing Site",
            "Retention",
            "Self-serve Upgrades",
        ),
    ),
    (
        "platform",
        "Platform",
        (
            "Identity",
            "Developer Experience",
            "Data Platform",
            "Observability",
            "Infrastructure",
            "API Gateway",
            "Storage",
            "Build & Release",
            "Security Engineering",
            "Messaging Bus",
        ),
    ),
    (
        "experience",
        "Customer Experience",
        (
            "Mobile iOS",
            "Mobile Android",
            "Web App",
            "Design System",
            "Notifications",
            "Accessibility",
            "Help Center",
            "In-app Chat",
            "Localization",
            "Offline Mode",
        ),
    ),
    (
        "insights",
        "Insights",
        (
            "Reporting",
            "Dashboards",
            "Search",
            "Data Exports",
            "Forecasting",
            "Recommendations",
            "Audit Log",
            "Usage Analytics",
            "Alerts",
            "Benchmarks",
        ),
    ),
    (
        "ecosystem",
        "Ecosystem",
        (
            "Integrations",
            "Partner Portal",
            "Marketplace",
            "Public API",
            "Webhooks",
            "Connectors",
            "SSO & SCIM",
            "App Directory",
            "Sandbox",
            "Embedded SDK",
        ),
    ),
)

#: Which customer theme a squad's own customers mention more often, by area.
AREA_THEMES: dict[str, str] = {
    "payments": "invoicing",
    "growth": "onboarding",
    "platform": "performance",
    "experience": "mobile app",
    "insights": "reporting",
    "ecosystem": "integrations",
}

INCIDENT_SYMPTOMS = (
    "elevated error rate",
    "slow page loads",
    "background jobs failing",
    "requests timing out",
    "stale data shown",
    "login failures",
    "webhook deliveries delayed",
    "emails not sent",
    "sync stuck",
    "partial outage in EU region",
)

MAJOR_OUTAGES = (
    "full outage: customers cannot sign in",
    "payments failing for all customers",
    "data loss risk: writes rejected",
    "API unavailable",
    "site down after database failover",
)

DEFECT_COMPONENTS = ("form", "list view", "export", "settings page", "API", "email", "search", "permissions", "import")
DEFECT_SYMPTOMS = (
    "wrong totals shown",
    "validation message missing",
    "crash on empty input",
    "date shown in wrong time zone",
    "button does nothing",
    "rounding error",
    "slow with many rows",
    "duplicate entries",
    "layout broken on small screens",
    "typo in label",
)

#: Customer top-problem themes and how their share drifts over the demo span:
#: (theme, weight at the start, weight at the end, extra weight peaking mid-span).
THEMES: tuple[tuple[str, float, float, float], ...] = (
    ("invoicing", 30.0, 8.0, 0.0),
    ("mobile app", 8.0, 30.0, 0.0),
    ("reporting", 15.0, 15.0, 0.0),
    ("performance", 8.0, 8.0, 22.0),
    ("onboarding", 22.0, 9.0, 0.0),
    ("integrations", 6.0, 14.0, 0.0),
    ("pricing", 5.0, 6.0, 0.0),
)

THEME_COMMENTS: dict[str, tuple[str, ...]] = {
    "invoicing": ("Invoices still need manual fixes every month.", "Credit notes are hard to find."),
    "mobile app": ("The mobile app logs me out all the time.", "Please add offline support to the app."),
    "reporting": ("I export to spreadsheets because reports are too rigid.", "Scheduled reports would help."),
    "performance": ("Pages got slow lately.", "Search takes several seconds."),
    "onboarding": ("Setting up new colleagues takes too long.", "The first-week checklist was confusing."),
    "integrations": ("We need a better CRM integration.", "Webhooks sometimes arrive twice."),
    "pricing": ("The new plan is too expensive for small teams.", "Hard to predict our bill."),
}
GENERIC_COMMENTS = ("Great support team.", "Works well for us.", "Keeps getting better.", "Does the job.")

ACCOUNT_PREFIXES = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Wonka",
    "Gringotts",
    "Oscorp",
    "Aperture",
    "Monarch",
    "Dunder",
    "Pied Piper",
    "Nakatomi",
    "Blue Sun",
)
ACCOUNT_SUFFIXES = ("Logistics", "Retail", "Health", "Foods", "Labs", "Media", "Bank", "Energy", "Travel", "Systems")
