"""A YAML loader that refuses a mapping with the same key twice.

PyYAML keeps the last of two equal keys and says nothing, so a config file
or an ``arch.yaml`` that sets a key twice (a stage listed twice, a learning
rate set in two places) would silently lose one of them.
:class:`UniqueKeyLoader` raises :class:`DuplicateKeyError` instead, at any
nesting level, naming the key and the lines of both.
"""

import yaml


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping has the same key twice.

    Its message is one line, e.g. ``key 'lr_decoder' appears twice (lines 4
    and 9)``; the caller prefixes the file it read.

    Args:
        key: the key (as constructed: ``'D1'``, ``1``, ...).
        first_line (int): the line (from 1) of its first occurrence.
        second_line (int): the line of its second occurrence.

    """

    def __init__(self, key, first_line, second_line):
        super(DuplicateKeyError, self).__init__()
        self.key = key
        self.first_line = first_line
        self.second_line = second_line

    def __str__(self):
        return 'key {!r} appears twice (lines {} and {})'.format(
            self.key, self.first_line, self.second_line)


class UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a duplicate key is an error.

    Every mapping (at every nesting level) is checked before it is built.
    The keys brought in by a merge key (``<<: *defaults``) are not
    duplicates of the keys written next to it: overriding them is what a
    merge is for.

    """

    def construct_mapping(self, node, deep=False):
        """Builds a mapping, refusing a key that appears twice.

        Args:
            node (yaml.MappingNode): the mapping's node.
            deep (bool): build the values now (PyYAML's argument).

        Returns:
            dict: the mapping.

        Raises:
            DuplicateKeyError: if two keys of the mapping are equal.

        """
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for key_node, _ in node.value:
                # a merge key is handled (and checked) by PyYAML; a complex
                # key (a list, a mapping) is left to it too
                if key_node.tag == 'tag:yaml.org,2002:merge' or \
                        not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = self.construct_object(key_node, deep=deep)
                try:
                    first = seen.get(key)
                except TypeError:  # unhashable: PyYAML says so
                    continue
                line = key_node.start_mark.line + 1
                if first is not None:
                    raise DuplicateKeyError(key, first, line)
                seen[key] = line
        return super(UniqueKeyLoader, self).construct_mapping(node, deep=deep)


def unique_key_load(stream, loader=UniqueKeyLoader):
    """Reads YAML like :func:`yaml.safe_load`, refusing duplicate keys.

    Args:
        stream (str or file): the YAML text or an open file.
        loader (type): :class:`UniqueKeyLoader` or a subclass of it.

    Returns:
        object: the data.

    Raises:
        DuplicateKeyError: if a mapping has a key twice.
        yaml.YAMLError: if the text is not valid YAML.

    """
    return yaml.load(stream, Loader=loader)
