"""Reads Autobahn|Testsuite's index.json (argv[1]) and the edge's /metrics answer (stdin), and
fails unless every case passes through the edge as it passes directly, and the edge relayed them.

A case passes when Autobahn grades its behaviour and its closing handshake OK, NON-STRICT (the
peer was lenient where the RFC allows it) or INFORMATIONAL. UNIMPLEMENTED (an optional feature
the server does not offer) must be the same both ways: the edge must not hide a feature the
origin offers. The grades "fail fast" cases get (3.4, 4.1.5 and the like) depend on how the
server's failure and the client's next frame cross, which a relay in between changes; so the
grades are compared as pass or fail, not letter by letter.
"""

import json
import re
import sys

PASSING = {"OK", "NON-STRICT", "INFORMATIONAL"}


def main():
    index = json.load(open(sys.argv[1]))
    direct, edge = index["direct"], index["edge"]
    problems = []

    def passes(result):
        return result["behavior"] in PASSING and result["behaviorClose"] in PASSING

    for case in sorted(edge, key=lambda case: [int(part) for part in case.split(".")]):
        through, alone = edge[case], direct.get(case)
        if alone is None:
            problems.append("%s: not run directly" % case)
        elif through["behavior"] == "UNIMPLEMENTED" or alone["behavior"] == "UNIMPLEMENTED":
            if through["behavior"] != alone["behavior"]:
                problems.append("%s: %s directly, %s through the edge" % (case, alone["behavior"], through["behavior"]))
        elif not passes(alone):
            problems.append("%s: fails directly (%s/%s): the origin, not the edge" % (case, alone["behavior"], alone["behaviorClose"]))
        elif not passes(through):
            problems.append("%s: %s/%s through the edge (directly %s/%s)" % (
                case, through["behavior"], through["behaviorClose"], alone["behavior"], alone["behaviorClose"]))

    # Proof that the edge relayed the cases, rather than something else answering on its port.
    metrics = sys.stdin.read()
    found = re.search(r'^cdn_edge_websocket_upgrades_total\{resource="localhost",outcome="accepted"\} (\d+)$', metrics, re.M)
    accepted = int(found.group(1)) if found else 0
    if accepted < len(edge):
        problems.append("the edge accepted %d WebSocket upgrades for %d cases" % (accepted, len(edge)))

    grades = {}
    for result in edge.values():
        grades[result["behavior"]] = grades.get(result["behavior"], 0) + 1
    print("Autobahn|Testsuite through the edge: %d cases (%s), %d upgrades relayed" % (
        len(edge), ", ".join("%s %d" % grade for grade in sorted(grades.items())), accepted))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
