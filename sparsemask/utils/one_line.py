def one_line(text):
    """Text, or an exception's message, on one line.

    Every run of white space, newlines included, becomes one space, so that
    a message from a library (a YAML parser, PIL, zipfile) fits the
    scripts' one-line ``error:`` report.

    Args:
        text (object): the text, or anything ``str()`` gives it for (an
            exception).

    Returns:
        str: the text on one line.

    """
    return ' '.join(str(text).split())
