"""The roles: extractor, patcher, critic and hypothesiser."""
