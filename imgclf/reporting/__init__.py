"""Reporters: render an EvaluationResult to the console and to files."""
