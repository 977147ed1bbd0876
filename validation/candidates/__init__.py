"""Candidates: functions that turn a scenario data set into the online output a check inspects.

See validation/registry.py for the signature of each family.
"""
