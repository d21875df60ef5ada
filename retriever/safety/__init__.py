"""Crisis safety: flag queries from people who may be in danger, say how serious, and put help first.

`SafetyCheck.check(text, vector)` -> `SafetyVerdict` (crisis, level, categories, subject, language,
message, reply_instruction, resources, notice, error). See taxonomy.py (levels and kinds of danger),
lexicon.py (explicit phrases, idioms, negation), cues.py (past, fiction, work, someone else, now),
features.py and classifier.py (the learned heads), check.py (how they combine) and resources.py
(help lines by region and language).
"""
from retriever.safety.check import SafetyCheck, SafetyVerdict, decide
from retriever.safety.classifier import ClassifierError, SafetyClassifier
from retriever.safety.resources import Resource, ResourceSet, SafetyConfigError, load_resources
from retriever.safety.taxonomy import FAMILIES, KINDS, LEVELS

CATEGORIES = FAMILIES

__all__ = ["CATEGORIES", "ClassifierError", "FAMILIES", "KINDS", "LEVELS", "Resource", "ResourceSet",
           "SafetyCheck", "SafetyClassifier", "SafetyConfigError", "SafetyVerdict", "decide", "load_resources"]
