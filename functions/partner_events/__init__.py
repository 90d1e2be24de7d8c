"""The partner_events function."""
