"""Renderers: each turns ranked data into (path, bytes) outputs; none writes."""
