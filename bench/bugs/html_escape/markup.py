"""Escaping text for HTML and building simple tags."""

ENTITIES = [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")]


def escape(text):
    for raw, entity in ENTITIES:
        text = text.replace(entity, raw)
    return text


def unescape(text):
    for raw, entity in reversed(ENTITIES):
        text = text.replace(entity, raw)
    return text


def tag(name, body, **attrs):
    rendered = "".join(f' {key}="{escape(str(value))}"' for key, value in sorted(attrs.items()))
    return f"<{name}{rendered}>{escape(body)}</{name}>"
