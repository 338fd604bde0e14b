"""Convert numeric exam scores into letter grades."""

CUTOFFS = [(90, "A"), (80, "B"), (70, "C"), (60, "D")]


def letter_grade(score):
    """Return the letter grade for a score between 0 and 100.

    A score exactly on a cutoff earns that grade (90 is an A).
    """
    if score < 0 or score > 100:
        raise ValueError("score out of range: %r" % score)
    for cutoff, letter in CUTOFFS:
        if score >= cutoff:
            return letter
    return "F"


def grade_report(scores):
    """Map each student name to a letter grade."""
    return {name: letter_grade(s) for name, s in scores.items()}
