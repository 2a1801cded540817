#!/usr/bin/python3
"""Validates every line of tcpfsm logs against docs/tcpfsm-log.schema.json.

Usage: validate_log.py SCHEMA FILE...   Prints FILE:LINE: error for each bad
line and exits 1 if there was any.
"""
import json
import sys

import jsonschema


def main() -> int:
    schema = json.load(open(sys.argv[1]))
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                for error in validator.iter_errors(json.loads(line)):
                    print(f"{path}:{number}: {error.message}")
                    bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
