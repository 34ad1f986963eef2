"""Keyword tagging of support tickets."""


def keyword_hits(document: str, keywords: list[str]) -> list[str]:
    """The keywords that occur in the document, ignoring case, in keyword order."""
    hits = []
    for kw in keywords:
        if kw.lower() in document.lower():
            hits.append(kw)
    return hits
