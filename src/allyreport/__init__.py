"""allyreport: account reviews and relationship plans from plain-text client notes."""

__version__ = "0.1.0"
