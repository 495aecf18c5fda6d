"""Field mapping for foreign JSON and CSV files: detection, proposal, indices, errors (pure)."""

from __future__ import annotations

import json

import pytest

from questions.formats import mapping as m

from .helpers import read


def _source(records: list[dict]) -> m.Source:
    return m.read_source(json.dumps(records), "json")


FOUR = ["Amazon S3", "Amazon EBS", "Amazon EFS", "Instance store"]


def test_the_aws_json_set_is_foreign_and_the_whole_proposal_is_right():
    text = read("foreign_aws.json")
    assert m.foreign_shape("set.json", text) == "json"
    source = m.read_source(text, "json")
    assert source.container == "questions" and len(source.records) == 8
    proposal = m.propose(source)
    assert proposal.fields == {
        "options": ["options"],
        "correct": ["correct"],
        "stem": ["question"],
        "explanation": ["explanation"],
        "domain": ["domain"],
        "rationales": ["option_explanations"],
        "references": ["references"],
        "tags": ["tags"],
        "key": ["id"],
    }
    # [4] on a four-option question can only be one-based; the domain names are DVA-C02's.
    assert proposal.one_based is True and proposal.guide == "DVA-C02"
    result = m.apply(source, proposal, source_name="acme-aws")
    assert result.errors == [] and len(result.questions) == 8
    first, _, third, fourth, fifth, sixth, *_ = result.data
    assert first["key"] == "acme-aws-101"
    assert [o["correct"] for o in first["options"]] == [False, True, False, False]
    assert first["options"][1]["rationale"].startswith("Initialization code runs once")
    assert first["domains"] == {"DVA-C02": "Development with AWS Services"}
    assert third["domains"] == {"DVA-C02": "Security"}  # "Domain 2: Security"
    assert fourth["kind"] == "multiple_response"
    assert [o["correct"] for o in fifth["options"]] == [False, False, False, True]
    # The stems are the file's; the usual checks add the missing count and say so.
    notes = [str(w) for w in result.warnings]
    assert "Question 6: the stem did not say how many to select; added (Select TWO.)" in notes
    assert sixth["kind"] == "multiple_response"
    assert any(
        n.startswith("Question 8: the domain 'Databases and Messaging' matches no DVA-C02")
        for n in notes
    )
    assert result.data[7]["domains"] == {}


def test_the_csv_with_option_columns_and_letters():
    text = read("foreign_aws.csv")
    assert m.foreign_shape("set.csv", text) == "csv"
    source = m.read_source(text, "csv")
    proposal = m.propose(source)
    assert proposal.fields["options"] == [f"Option {c}" for c in "ABCDE"]
    assert proposal.fields["correct"] == ["Answer"]
    assert proposal.fields["stem"] == ["Question"]
    assert proposal.guide == "DVA-C02"  # "Troubleshooting and Optimization" is DVA-C02's
    assert proposal.one_based is None and not m.needs_index_base(source, proposal)
    result = m.apply(source, proposal)
    assert result.errors == []
    assert [q.line for q in result.questions] == [2, 3, 4, 5, 6]
    mr = result.data[2]
    assert mr["kind"] == "multiple_response"
    assert [o["correct"] for o in mr["options"]] == [True, False, True, False, False]
    assert mr["domains"] == {"DVA-C02": "Troubleshooting and Optimization"}
    assert len(result.data[0]["options"]) == 4  # the empty Option E is no option


@pytest.mark.parametrize(
    ("text", "name", "fmt", "expected"),
    [
        ('[{"question": "Q?", "options": ["a", "b"], "correct": 0}]', "x.json", None, "json"),
        ('{"items": [{"prompt": "Q?", "choices": ["a", "b"]}]}', "x.json", None, "json"),
        ('[{"question": "Q?"}]', "upload", None, "json"),
        ("Question,A,B,C,D,Answer\nQ?,a,b,c,d,A\n", "x.csv", None, "csv"),
        ("Question,A,B,Answer\nQ?,a,b,A\n", "x.csv", "csv", "csv"),
        # Native files, other formats and unreadable files stay with the normal import.
        ('[{"stem": "Q?", "options": [{"text": "a", "correct": true}]}]', "x.json", None, None),
        ('{"format": "dva-question-bank", "version": 1, "questions": []}', "x.json", None, None),
        ("stem,option_1,option_2,correct\nQ?,a,b,1\n", "x.csv", None, None),
        ("[1, 2, 3]", "x.json", None, None),
        ('{"questions": 5}', "x.json", None, None),
        ("[" * 100_000, "x.json", None, None),
        ("::q:: Q? {=a ~b}", "x.gift", None, None),
        ('[{"question": "Q?"}]', "x.json", "gift", None),
    ],
)
def test_foreign_shape(text, name, fmt, expected):
    assert m.foreign_shape(name, text, fmt) == expected


@pytest.mark.parametrize(
    ("correct", "one_based", "keyed"),
    [
        ([0], False, [0]),
        (0, False, [0]),
        ([1, 3], True, [0, 2]),
        ("2", True, [1]),
        ("1;3", False, [1, 3]),
        ("B", None, [1]),
        ("A,C", None, [0, 2]),
        (["a", "d"], None, [0, 3]),
        ("(C)", None, [2]),
        ("Amazon EFS", None, [2]),
        (["Amazon S3", "Instance store"], None, [0, 3]),
        (2.0, True, [1]),
        ("Amazon S3, Amazon EFS", None, [0, 2]),
        ("Amazon S3|Instance store", None, [0, 3]),
    ],
)
def test_correct_answers_as_indices_letters_or_texts(correct, one_based, keyed):
    mapping = m.Mapping(
        fields={"stem": ["question"], "options": ["options"], "correct": ["correct"]},
        one_based=one_based,
    )
    out = m.convert(
        {"question": "Where?", "options": FOUR, "correct": correct}, mapping, number=1, line=None
    )
    assert out.errors == []
    assert [i for i, o in enumerate(out.data["options"]) if o["correct"]] == keyed


@pytest.mark.parametrize(
    ("correct", "one_based", "message"),
    [
        ([4], False, "the correct answer 4 is out of range: the question has 4 options"),
        ([0], True, "the correct answer 0 is out of range"),
        ("F", None, "names option F, but the question has 4 options"),
        ([1], None, "say whether they count from 0 or 1"),
        ("Amazon Redshift", None, "is neither an index, a letter nor the text of an option"),
        ([1, 1], True, "names the same option twice"),
        (True, True, "must be indices, letters or option texts"),
        ({"a": 1}, True, "is an object"),
        (None, True, 'the correct answer ("correct") is missing'),
    ],
)
def test_bad_correct_answers_are_named(correct, one_based, message):
    mapping = m.Mapping(
        fields={"stem": ["question"], "options": ["options"], "correct": ["correct"]},
        one_based=one_based,
    )
    out = m.convert(
        {"question": "Where?", "options": FOUR, "correct": correct}, mapping, number=1, line=None
    )
    assert out.data is None
    assert any(message in e for e in out.errors), out.errors


def test_the_index_base_is_guessed_only_when_the_data_says():
    mapping = m.Mapping(fields={"stem": ["q"], "options": ["o"], "correct": ["c"]})
    rows = [{"q": "Q?", "o": FOUR, "c": [1]}, {"q": "R?", "o": FOUR, "c": [2]}]
    assert m.guess_one_based(_source(rows), mapping) is None
    problems = m.validate(mapping, _source(rows))
    assert problems == {
        "indices": ["the correct answers are numbers: say whether the first option is 0 or 1"]
    }
    assert m.guess_one_based(_source([*rows, {"q": "S?", "o": FOUR, "c": 0}]), mapping) is False
    assert m.guess_one_based(_source([*rows, {"q": "S?", "o": FOUR, "c": [4]}]), mapping) is True
    # Both a 0 and an index equal to the count: the data contradicts itself, so ask.
    both = [*rows, {"q": "S?", "o": FOUR, "c": [0]}, {"q": "T?", "o": FOUR, "c": [4]}]
    assert m.guess_one_based(_source(both), mapping) is None


def test_option_objects_and_lettered_option_dicts():
    mapping = m.Mapping(fields={"stem": ["q"], "options": ["answers"]})
    record = {
        "q": "Which?",
        "answers": [
            {"text": "S3", "isCorrect": True, "explanation": "Object storage."},
            {"text": "EBS", "isCorrect": False},
            {"text": "EFS", "isCorrect": False},
            {"text": "RDS", "isCorrect": False},
        ],
    }
    out = m.convert(record, mapping, number=1, line=None)
    assert out.errors == []
    assert out.data["options"][0] == {"text": "S3", "correct": True, "rationale": "Object storage."}
    lettered = {"q": "Which?", "choices": {"A": "S3", "B": "EBS", "C": "EFS"}, "answer": "c"}
    mapping = m.Mapping(fields={"stem": ["q"], "options": ["choices"], "correct": ["answer"]})
    out = m.convert(lettered, mapping, number=1, line=None)
    assert [o["correct"] for o in out.data["options"]] == [False, False, True]


@pytest.mark.parametrize(
    ("guide", "value", "expected"),
    [
        ("DVA-C02", "security", "Security"),
        ("DVA-C02", "Domain 2: Security", "Security"),
        ("DVA-C02", "Domain 1 - Development with AWS Services", "Development with AWS Services"),
        ("DVA-C02", "Troubleshooting & Optimization", "Troubleshooting and Optimization"),
        ("DVA-C02", "Deployment (24%)", "Deployment"),
        ("DVA-C02", "Domain 4", "Troubleshooting and Optimization"),
        ("DVA-C01", "Domain 4", "Refactoring"),
        ("DVA-C02", 3, "Deployment"),
        ("DVA-C02", "Domain 9", None),
        ("DVA-C02", "Refactoring", None),
        ("DVA-C02", "", None),
    ],
)
def test_domains_are_matched_by_name_or_number(guide, value, expected):
    assert m.match_domain(guide, value) == expected


def test_keys_from_ids():
    assert m.make_key(12, "Acme AWS") == "acme-aws-12"
    assert m.make_key("lambda-cold-start", "acme") == "lambda-cold-start"
    assert m.make_key("Q 7/b", "") == "imported-q-7-b"
    assert m.make_key("", "acme") is None


def test_mapping_files_are_checked_with_every_problem_named():
    good = m.Mapping.from_json(
        {
            "fields": {"stem": "question", "options": ["A", "B"], "correct": "answer"},
            "indices": "one",
        }
    )
    assert good.fields["options"] == ["A", "B"] and good.one_based is True
    assert m.Mapping.from_json(good.to_json()) == good
    with pytest.raises(m.MappingError) as bad:
        m.Mapping.from_json(
            {
                "fields": {"stem": ["a", "b"], "answer": "x", "options": 3},
                "indices": "two",
                "guide": "DVA-C99",
                "colour": "red",
            }
        )
    message = str(bad.value)
    for part in (
        "unknown key(s) colour",
        "stem must name one field, not a list",
        "unknown target 'answer'",
        "options must name a field of the file",
        '"indices" must be "zero" or "one"',
        '"guide" must be one of DVA-C01, DVA-C02',
    ):
        assert part in message
    with pytest.raises(m.MappingError, match='must be a JSON object with "fields"'):
        m.Mapping.from_json([1, 2])


def test_a_mapping_naming_a_missing_field_is_refused_with_the_fields_there_are():
    source = _source([{"question": "Q?", "options": FOUR, "correct": 0}])
    mapping = m.Mapping(fields={"stem": ["qestion"], "options": ["options"]}, one_based=False)
    problems = m.validate(mapping, source)
    assert problems["stem"] == [
        "the file has no field 'qestion' (it has: question, options, correct)"
    ]
    with pytest.raises(m.MappingError, match="no field 'qestion'"):
        m.apply(source, mapping)
    result = m.parse(json.dumps([{"question": "Q?"}]), shape="json", mapping=mapping)
    assert result.questions == [] and "no field 'qestion'" in str(result.errors[0])


@pytest.mark.parametrize(
    ("text", "shape", "message"),
    [
        ('{"a": 1}', "json", "holds no list of questions"),
        ("[]", "json", "the list of questions is empty"),
        ('[{"q": 1}, 2]', "json", "question 2 is int, not an object"),
        ("[" * 100, "json", "more than 20 deep"),
        ('[{"q": ', "json", "not valid JSON"),
        ("", "csv", "the file is empty"),
        ("Question,Answer\n", "csv", "a header but no questions"),
        ("Question,Question\nq,a\n", "csv", "repeated column(s): Question"),
        ('Question,Answer\n"open,A\n', "csv", "malformed"),
        ("Q,A\nx,y,z\n", "csv", "the row has 3 cells but the header names 2"),
    ],
)
def test_unreadable_files_say_why(text, shape, message):
    with pytest.raises(m.MappingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        m.read_source(text, shape)


def test_single_letter_columns_are_options():
    source = m.read_source("Question,A,B,C,D,Answer\nWhere?,S3,EBS,EFS,RDS,d\n", "csv")
    proposal = m.propose(source)
    assert proposal.fields == {
        "options": ["A", "B", "C", "D"],
        "correct": ["Answer"],
        "stem": ["Question"],
    }
    [question] = m.apply(source, proposal).data
    assert [o["correct"] for o in question["options"]] == [False, False, False, True]
