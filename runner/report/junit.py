"""The verdict as JUnit XML: one testcase per criterion, a ``<failure>`` when it is not met.

For CI dashboards that already read test reports. Must never add anything not in the verdict.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from runner.verdict.criteria import Verdict, iso


def render(verdict: Verdict, suite: str = "rcgrad") -> str:
    failures = len(verdict.failed)
    root = ET.Element("testsuites", name=suite, tests=str(len(verdict.criteria)), failures=str(failures))
    case_suite = ET.SubElement(
        root,
        "testsuite",
        name=f"{suite}.{verdict.subject.app if verdict.subject else 'app'}.{verdict.profile}",
        tests=str(len(verdict.criteria)),
        failures=str(failures),
        errors="0",
        skipped="0",
        timestamp=iso(verdict.now),
    )
    # The schema wants <properties> before the testcases.
    props = ET.SubElement(case_suite, "properties")
    if verdict.subject is not None:
        for key, value in verdict.subject.as_dict().items():
            ET.SubElement(props, "property", name=key, value=str(value))
        if verdict.subject.rehearsal:
            ET.SubElement(props, "property", name="note", value=verdict.subject.server_line)
    for i, note in enumerate(verdict.caveats):
        ET.SubElement(props, "property", name=f"caveat.{i + 1}", value=note)
    for c in verdict.criteria:
        case = ET.SubElement(case_suite, "testcase", classname=f"{suite}.criteria", name=c.name)
        summary = f"value {c.value:g}, threshold {c.threshold:g}, margin {c.margin:g}: {c.detail}"
        if not c.met:
            failure = ET.SubElement(case, "failure", message=summary, type="CriterionNotMet")
            failure.text = summary
        else:
            ET.SubElement(case, "system-out").text = summary + (
                " (a person must confirm)" if c.needs_human else ""
            )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
