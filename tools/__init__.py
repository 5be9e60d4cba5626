"""What the book needs that no existing tool does: its first cell, its home's buttons, its PDF.

Run from the book's folder as modules, e.g. ``python -m tools.build_book`` (``make book``).
"""
