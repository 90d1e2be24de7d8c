"""The notifier function."""
