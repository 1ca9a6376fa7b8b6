"""Engine-agnostic comparison of query answers with the oracle's (see docs/architecture.md, "Comparison").

>>> expected = answer_from_json({"columns": [{"name": "x", "type": "DECIMAL(4,2)"}], "values": [["1.10"]]})
>>> actual = answer_from_json({"columns": [{"name": "x", "type": "DECIMAL(4,2)"}], "values": [["1.1"]]})
>>> compare(expected, actual).summary()
'results match: 1 row, 1 column'
"""

from lakeproof.compare.answer import Answer, AnswerFormatError, Column, answer_from_duckdb, answer_from_json
from lakeproof.compare.diff import CellDifference, CompareOptions, Comparison, compare
from lakeproof.compare.html import comparison_html

__all__ = [
    "Answer",
    "AnswerFormatError",
    "CellDifference",
    "Column",
    "CompareOptions",
    "Comparison",
    "answer_from_duckdb",
    "answer_from_json",
    "compare",
    "comparison_html",
]
