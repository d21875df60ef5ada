"""Crisis safety: flag queries from people who may be in danger and put help first.

`SafetyCheck.check(text, vector)` -> `SafetyVerdict` (crisis, categories, resources, notice, error).
See lexicon.py (phrases, idioms, negation policy), prototypes.py (semantic similarity) and
resources.py (help lines by region, from data/*.json or SAFETY_RESOURCES_FILE).
"""
from retriever.safety.check import SafetyCheck, SafetyVerdict
from retriever.safety.lexicon import CATEGORIES
from retriever.safety.prototypes import SemanticThresholds
from retriever.safety.resources import Resource, ResourceSet, SafetyConfigError, load_resources

__all__ = ["CATEGORIES", "Resource", "ResourceSet", "SafetyCheck", "SafetyConfigError", "SafetyVerdict",
           "SemanticThresholds", "load_resources"]
