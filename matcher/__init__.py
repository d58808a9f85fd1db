"""Classifying comments and rating answers (product.md §6).

A build of the hot path compiled with mypyc is used when one matches these sources
(matcher.compiled); otherwise everything runs as plain Python.
"""

from matcher.compiled import enable as _enable_native

_enable_native(__path__)
