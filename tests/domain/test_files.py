"""One RFC 4180 reader for every CSV file a person writes: quoted commas, quotes and line breaks."""

from __future__ import annotations

import pytest

from domain.action_plan import parse_actions
from domain.closures import ClosureFileError, parse_closure_days
from domain.directory import DirectoryFileError, parse_cases_csv
from domain.files import FileError, csv_records
from domain.qa_calendar import CalendarFileError, parse_calendar


def test_records_keep_quoted_line_breaks_and_the_line_each_starts_on():
    text = (
        "\ufeffaction,evidence\r\n"
        '# a comment with a "quote\r\n'
        "\r\n"
        '"visit, then record","the ""next"" audit\r\nfinds it"\r\n'
        "second,  plain  \r\n"
    )
    assert list(csv_records(text, "a.csv", FileError)) == [
        (1, ["action", "evidence"], "action,evidence"),
        (
            4,
            ["visit, then record", 'the "next" audit\r\nfinds it'],
            '"visit, then record","the ""next"" audit\r\nfinds it"',
        ),
        (6, ["second", "plain"], "second,  plain"),
    ]


def test_an_unclosed_quote_names_the_line_its_record_starts_on():
    with pytest.raises(FileError, match=r"^a.csv line 3: malformed CSV \(unexpected end of data\)$"):
        list(csv_records('h\n# x\n"never closed\nmore\n', "a.csv", FileError))


def test_every_file_reads_a_quoted_line_break_as_rfc_4180_says():
    [action] = parse_actions(
        'action,support,responsible,by_when,evidence\n"Plans name\nwho does what",S,priya.practitioner,2027-09-30,E\n',
        "actions.csv",
    )
    assert action.action == "Plans name\nwho does what"
    # Where a value must be one line, the file's own rule says so, at the line the record starts on.
    with pytest.raises(ClosureFileError, match="^closures line 2: closure on 2027-12-29: reason must be a single line"):
        parse_closure_days('date,reason\n2027-12-29,"Closure\nday"\n', "closures")
    with pytest.raises(DirectoryFileError, match="^cases file line 2: service must be a single line without control"):
        parse_cases_csv(
            "case_number,system,service,team,practitioner,support_began\n"
            '"LCS-100234",LCS,"Children\nin Need",Children in Need,priya.practitioner,2027-01-04\n'
        )
    with pytest.raises(DirectoryFileError, match="^cases line 2: malformed CSV"):
        parse_cases_csv('case_number,system,service,team,practitioner,support_began\n"LCS-1,LCS\n', "cases")
    with pytest.raises(CalendarFileError, match="^cal line 2: malformed CSV"):
        parse_calendar('month,activity,subject,day\n"Jan,cpr\n', "cal")
