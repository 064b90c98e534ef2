"""The demo org generator behind `seed_demo`: records, targets and demo users."""
