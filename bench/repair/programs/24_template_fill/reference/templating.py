"""Tiny placeholder templating: {name} style fields."""


def fill(template, values):
    """Replace each {key} in template with str(values[key])."""
    result = template
    for key, value in values.items():
        result = result.replace("{" + key + "}", str(value))
    return result


def missing_fields(template, values):
    """Placeholder names in template that have no value, in order."""
    fields = []
    start = template.find("{")
    while start != -1:
        end = template.find("}", start)
        if end == -1:
            break
        name = template[start + 1:end]
        if name not in values and name not in fields:
            fields.append(name)
        start = template.find("{", end)
    return fields
