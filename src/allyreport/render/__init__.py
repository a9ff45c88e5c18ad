"""Rendering the judged accounts: templates, the HTML site, the PDF documents and printer, JSON and text views."""
