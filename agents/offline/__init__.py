"""The built-in offline engine: extractor, patcher, fault-localised search-based repair."""
