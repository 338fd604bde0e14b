"""Word frequency counting for short documents."""

STOPWORDS = {"the", "a", "an", "and", "of", "to"}


def normalize(word):
    return word.strip(".,;:!?\"'()").lower()


def word_counts(text, skip_stopwords=True):
    counts = {}
    for raw in text.split():
        word = normalize(raw)
        if not word or (skip_stopwords and word in STOPWORDS):
            continue
        counts[word] = counts.get(word, 0) + 1
    return counts


def top_words(text, n):
    counts = word_counts(text)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [w for w, _ in ranked[:n]]
