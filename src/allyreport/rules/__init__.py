"""Judging: the rules files, their expressions and metrics, and the engine that turns notes into verdicts."""
