"""JUnit XML as Jenkins and GitLab read it: one testcase per document, one failure per error.

Warnings do not fail a testcase; they are listed in its ``system-out`` so they
stay visible in the CI's test view.
"""

from __future__ import annotations

from lxml import etree

from teipress.diagnostics import Severity
from teipress.report import RunResult


def render(result: RunResult) -> str:
    grouped = result.by_file()
    suites = etree.Element("testsuites", name=f"{result.tool} {result.command}")
    suite = etree.SubElement(suites, "testsuite", name=f"{result.tool} {result.command}")
    failures = 0
    for path, diags in grouped.items():
        case = etree.SubElement(suite, "testcase", classname=f"{result.tool}.{result.command}",
                                name=path, file=path, time="0")
        errors = [d for d in diags if d.severity is Severity.ERROR]
        for d in errors:
            failures += 1
            fail = etree.SubElement(case, "failure", type=d.code,
                                    message=f"{d.location()}: {d.code} {d.message}")
            fail.text = f"{d.location()}: error[{d.code}] {d.message}" + (
                f"\nhelp: {d.help}" if d.help else "")
        others = [d for d in diags if d.severity is not Severity.ERROR]
        if others:
            out = etree.SubElement(case, "system-out")
            out.text = "\n".join(f"{d.location()}: {d.severity.value}[{d.code}] {d.message}"
                                 for d in others)
    for el in (suites, suite):
        el.set("tests", str(len(grouped)))
        el.set("failures", str(failures))
        el.set("errors", "0")
        el.set("time", f"{result.seconds:.3f}")
    suite.set("skipped", "0")
    return etree.tostring(suites, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode()
