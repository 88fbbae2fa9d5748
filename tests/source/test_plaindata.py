"""patchcheck.source.plaindata: the form cached products are written in."""

from __future__ import annotations

from patchcheck.report.finding import Severity
from patchcheck.source import plaindata
from patchcheck.source.guards import And, Not, Sym


def test_a_dataclass_is_written_with_its_fields_in_order_and_read_back() -> None:
    formula = And((Sym("A"), Not(Sym("B"))))
    data = plaindata.dumps([formula, formula, (Severity.ERROR, {"k": b"\x00"})])
    sym = '{"$o":"patchcheck.source.guards:Sym","v":{"name":"%s"}}'
    written = (
        '{"$o":"patchcheck.source.guards:And","v":{"args":{"$t":['
        + sym % "A"
        + ',{"$o":"patchcheck.source.guards:Not","v":{"arg":'
        + sym % "B"
        + "}}]}}}"
    )
    severity = '{"$o":"patchcheck.report.finding:Severity","v":"error"}'
    assert data.decode() == f'[{written},{written},{{"$t":[{severity},{{"k":{{"$b":"AA=="}}}}]}}]'
    assert plaindata.loads(data) == [formula, formula, (Severity.ERROR, {"k": b"\x00"})]
