"""Comparing dotted release versions like 1.10.2."""


def version_key(version):
    return version


def newest(versions):
    return max(versions, key=version_key)


def is_upgrade(current, candidate):
    return version_key(candidate) > version_key(current)
