"""Naive sentence splitting."""


def split_sentences(text):
    """Split text into sentences ending in '.', '!' or '?'; always a list."""
    text = text.strip()
    if not text:
        return ""
    sentences = []
    current = ""
    for ch in text:
        current += ch
        if ch in ".!?":
            sentences.append(current.strip())
            current = ""
    if current.strip():
        sentences.append(current.strip())
    return sentences


def sentence_count(text):
    return len(split_sentences(text))
