"""From a model's proposal to the exact new file text: the patch engine and its helpers."""
