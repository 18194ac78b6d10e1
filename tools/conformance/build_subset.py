"""Runs Arm's tosa_verif_build_tests, serializing only the tests named in a keep list.

Usage: python build_subset.py KEEP_FILE <tosa_verif_build_tests arguments...>

The generator itself has no per-test filter (its --filter selects operators), so this
wrapper patches its serializer to skip every test whose name is not in KEEP_FILE. The list
of candidate tests, and with it the data of every kept test, still comes from the
generator's own seeded enumeration, so a fixed seed gives the same files every run.
"""

import sys

from generator import tosa_verif_build_tests as build
from generator.tosa_test_gen import TosaTestGen


def main():
    keep_file = sys.argv[1]
    with open(keep_file) as f:
        keep = {line.strip() for line in f if line.strip() and not line.startswith("#")}
    original = TosaTestGen.serializeTest

    def serialize_kept(self, test):
        if str(test) not in keep:
            return True
        return original(self, test)

    TosaTestGen.serializeTest = serialize_kept
    sys.argv = ["tosa_verif_build_tests"] + sys.argv[2:]
    return build.main()


if __name__ == "__main__":
    sys.exit(main())
