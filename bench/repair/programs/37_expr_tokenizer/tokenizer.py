"""Split simple arithmetic expressions into tokens and add them up."""

OPERATORS = "+-*/()"


def tokenize(expr):
    """Split `expr` into ints and operator characters: '12 + 3' -> [12, '+', 3]."""
    tokens = []
    i = 0
    while i < len(expr):
        ch = expr[i]
        if ch.isspace():
            continue
        elif ch.isdigit():
            start = i
            while i < len(expr) and expr[i].isdigit():
                i += 1
            tokens.append(int(expr[start:i]))
        elif ch in OPERATORS:
            tokens.append(ch)
            i += 1
        else:
            raise ValueError("unexpected character %r at position %d" % (ch, i))
    return tokens


def evaluate_sum(expr):
    """Evaluate an expression made only of integers, '+' and '-'."""
    total = 0
    sign = 1
    for token in tokenize(expr):
        if token == "+":
            sign = 1
        elif token == "-":
            sign = -1
        elif isinstance(token, int):
            total += sign * token
        else:
            raise ValueError("unsupported token %r" % (token,))
    return total
