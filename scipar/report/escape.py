"""Text from outside scipar's code (names from configs and plug-ins, flags that quote the
environment, host names, build flags, file contents) made inert in the format it is
written into: no table break, link, markup or formula from data."""

import re


def _escaped(text, characters):
    return "".join("\\" + ch if ch in characters else ch for ch in text)


def markdown(value):
    """For a Markdown table cell: backslashes before what starts markup, a formula or
    breaks a column, no link (`](` broken), entities for HTML, one line. Brackets alone
    stay: they hold scipar's intervals."""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _escaped(text, "\\|*`$").replace("](", "]\\(").replace("\r", " ").replace("\n", " ")


def rst(value):
    """For reStructuredText (the report's first page): backslashes before what starts
    inline markup or a substitution, before an underscore that would end a reference
    (`name_`), and before a colon that would start a link (docutils turns
    `scheme:text` into one, javascript: included) or a role; one line."""
    text = _escaped(str(value), "\\`*|<>")
    text = re.sub(r"_(?=\W|$)", r"\\_", text)
    text = re.sub(r":(?=\S)", r"\\:", text)
    return text.replace("\r", " ").replace("\n", " ")
