"""The bottom layer: what every stage shares (diagnostics, quarters, strict YAML, progress).

It imports nothing of allyreport's stages, so any stage can use it.
"""
