#!/usr/bin/env python3
"""usage: order.py PROFILE BINARY OUT

Writes to OUT the functions of BINARY that the callgrind profile PROFILE saw run, in first-seen
order, one symbol per line: lld's --symbol-ordering-file (scripts/link/profile-exporter).
"""
import subprocess
import sys


def main(profile, binary, out):
    listing = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True).stdout
    defined = {fields[2] for fields in map(str.split, listing.splitlines()) if len(fields) == 3 and fields[1] in "tTwW"}
    seen, order = set(), []
    with open(profile, errors="replace") as lines:
        for line in lines:
            if line.startswith("fn="):
                name = line[3:].strip()
                if name in defined and name not in seen:
                    seen.add(name)
                    order.append(name)
    if not order:
        sys.exit(f"order.py: no function of {binary} in {profile}")
    with open(out, "w") as file:
        file.write("\n".join(order) + "\n")
    print(f"profile-exporter: {len(order)} functions written to {out}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
