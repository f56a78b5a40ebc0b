#!/usr/bin/env python3
"""Adds up the TRX files of one `dotnet test` run: per-project counts and one closing line
'N passed, N failed, N skipped'. Exits non-zero when a test failed or none ran."""
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
totals = {"passed": 0, "failed": 0, "skipped": 0}
by_database = {"Sqlite": 0, "Postgres": 0}
for trx in sorted(Path(sys.argv[1]).glob("*.trx")):
    root = ET.parse(trx).getroot()
    counters = root.find("t:ResultSummary/t:Counters", NS)
    passed = int(counters.get("passed", 0))
    failed = int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
    skipped = int(counters.get("notExecuted", 0))
    names = {Path(d.get("storage", "")).stem for d in root.findall("t:TestDefinitions/t:UnitTest", NS)}
    project = next(iter(sorted(names)), trx.stem)
    print(f"  {project}: {passed} passed, {failed} failed, {skipped} skipped")
    for result in root.findall("t:Results/t:UnitTestResult", NS):
        if result.get("outcome") == "Passed":
            name = result.get("testName", "")
            for database in by_database:
                if database.lower() in name.lower():
                    by_database[database] += 1
    totals["passed"] += passed
    totals["failed"] += failed
    totals["skipped"] += skipped

print(f"  passed on SQLite: {by_database['Sqlite']}, on PostgreSQL: {by_database['Postgres']} (tests naming a database)")
print(f"{totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped")
sys.exit(1 if totals["failed"] or totals["passed"] == 0 else 0)
