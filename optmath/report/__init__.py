"""Rendering of stored results: Markdown with GitHub math, standalone HTML with offline math."""
