from exporter.csvout import to_csv


def test_quotes_cells():
    assert to_csv(["a", "b"], [["1", 'say "hi"']]) == 'a,b\n"1","say ""hi"""\n'


def test_empty_record():
    assert to_csv([], [[]]) == "\n\n"
