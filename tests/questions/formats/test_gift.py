"""Moodle GIFT: categories, titles, weights, feedback, escapes, formats and skipped types."""

from __future__ import annotations

from questions import formats

from .helpers import issues, mc, mr, read


def test_good_file_reads_every_question():
    result = formats.parse("gift", read("good.gift"))
    assert result.errors == [] and result.skipped == []
    assert [(q.number, q.line, q.data["key"]) for q in result.questions] == [
        (1, 6, "sec-kms-envelope"),
        (2, 15, "sec-iam-role-facts"),
        (3, 23, "html-code"),
        (4, 34, "md-escapes"),
        (5, 44, None),  # no title
        (6, 53, None),  # a title that is not a slug is not used as the key
    ]
    domains = [q.data["domains"] for q in result.questions]
    assert domains == [{"DVA-C01": "Security"}] * 4 + [{"DVA-C01": "Deployment"}, {}]
    assert issues(result.warnings) == [
        "Question 2 (line 15): the stem did not say how many to select; added (Select TWO.)"
    ]


def test_feedback_and_general_feedback():
    kms = formats.parse("gift", read("good.gift")).data[0]
    assert kms["kind"] == "multiple_choice"
    assert kms["stem"] == (
        "An application must encrypt 2 GB files with a key from **AWS KMS**. "
        "Which approach should it use?"
    )
    assert kms["options"][0]["correct"] is True
    assert kms["options"][0]["rationale"].startswith("KMS `Encrypt` accepts at most 4 KB")
    assert kms["options"][1] == {
        "text": "Call `Encrypt` with the KMS key for each 2 GB file.",
        "correct": False,
        "rationale": "`Encrypt` only accepts up to 4 KB of plaintext.",
    }
    assert kms["explanation"] == (
        "Envelope encryption: a data key encrypts the data, and the KMS key encrypts the data key."
    )


def test_percentage_weights_make_a_multiple_response_question():
    roles = formats.parse("gift", read("good.gift")).data[1]
    assert roles["kind"] == "multiple_response"
    assert [o["correct"] for o in roles["options"]] == [True, True, False, False, False]
    assert roles["stem"] == "Which statements about IAM roles are true? (Select TWO.)"


def test_html_is_turned_into_markdown_with_a_code_block():
    html = formats.parse("gift", read("good.gift")).data[2]
    assert html["stem"] == (
        "A developer runs this CLI command:\n\n"
        "```bash\n"
        "aws s3api put-object --bucket my-bucket --key a.txt --body a.txt \\\n"
        "  --sse aws:kms --metadata owner=dev\n"
        "```\n\n"
        "The call fails with `AccessDenied`. What is the **most likely** cause?"
    )
    assert html["options"][0]["text"] == "The caller lacks `kms:GenerateDataKey` on the key."


def test_escapes_and_newlines_in_markdown():
    question = formats.parse("gift", read("good.gift")).data[3]
    assert question["stem"] == (
        "Which expression is a valid DynamoDB `KeyConditionExpression` when the\n"
        "sort key is `ts` and braces { } are literal here?\n\n"
        "```\npk = :pk AND ts BETWEEN :a AND :b\n```"
    )
    assert [o["text"] for o in question["options"]] == [
        "`pk = :pk OR ts = :t`",
        "`pk = :pk AND begins_with(ts, :p)`",
        "`contains(pk, :p)`",
        "`ts ~ :t`",
    ]
    assert question["options"][3]["rationale"] == "There is no ~ operator; 100% sure#not."


def test_broken_and_unsupported_questions():
    result = formats.parse("gift", read("bad.gift"))
    # A true/false question and two that break content rules are read, to import as drafts
    # that need review; a question with a parse error is not.
    assert [(q.number, q.line, q.data["key"]) for q in result.questions] == [
        (1, 4, "good-first"),
        (3, 12, "tf"),
        (9, 28, "two-right"),
        (10, 30, "select-mismatch"),
        (11, 38, "good-last"),
    ]
    assert result.data[0]["domains"] == {"DVA-C01": "Development with AWS Services"}
    assert issues(result.errors) == [
        "Question 2 (line 6): the answer block opened with { is never closed with }",
    ]
    rules = {q.number: q.rules for q in result.needing_review}
    assert rules[9][0] == "a multiple-response question needs at least 5 options, found 4"
    assert rules[10][0] == "two options are marked correct but the stem says (Select THREE.)"
    assert rules[3][0] == (
        "a multiple-choice question needs at least 4 options (one answer and three "
        "distractors), found 2"
    )
    assert issues(result.skipped) == [
        "Question 4 (line 14): matching questions are not supported",
        "Question 5 (line 20): short answer questions are not supported",
        "Question 6 (line 22): numerical questions are not supported",
        "Question 7 (line 24): essay questions are not supported",
        "Question 8 (line 26): missing-word questions (text after the answers) are not supported",
    ]
    # Nothing of a skipped or broken question is imported.
    keys = {q.data["key"] for q in result.questions}
    assert keys.isdisjoint({"unclosed", "match", "short", "numeric", "essay", "missing"})


def test_short_answer_true_false_variants_and_descriptions():
    text = (
        "One right answer only.{=yes}\n\n"
        "Two right answers only.{=yes =sure}\n\n"
        "Short form.{T}\n\n"
        "False with feedback.{FALSE#It is true.}\n\n"
        "Just some text.\n\n"
        "::A title that is never closed {~a =b ~c ~d}\n\n"
        "::bad-close::Closing first } then {=a ~b ~c ~d\n"
    )
    result = formats.parse("gift", text)
    assert [(q.number, q.data["stem"]) for q in result.questions] == [
        (3, "Short form."),
        (4, "False with feedback."),
    ]
    assert [q.data["options"] for q in result.questions] == [
        [
            {"text": "True", "correct": True, "rationale": ""},
            {"text": "False", "correct": False, "rationale": ""},
        ],
        # The first feedback is for a wrong response: here "True".
        [
            {"text": "True", "correct": False, "rationale": "It is true."},
            {"text": "False", "correct": True, "rationale": ""},
        ],
    ]
    assert issues(result.skipped) == [
        "Question 1 (line 1): short answer questions are not supported",
        "Question 2 (line 3): short answer questions are not supported",
        "Question 5 (line 9): a description (text with no answers) is not a question",
    ]
    assert issues(result.errors) == [
        "Question 6 (line 11): the title opened with :: is not closed with ::",
        "Question 7 (line 13): a } has no matching { (write \\} for a literal brace)",
    ]


def test_partial_credit_in_a_single_answer_question_is_not_correct():
    result = formats.parse("gift", "Which one?{=a ~%50%b ~c ~d}")
    assert [o["correct"] for o in result.data[0]["options"]] == [True, False, False, False]
    assert issues(result.warnings) == [
        "Question 1 (line 1): answer 2 gives partial credit (50%) in a single-answer "
        "question; imported as incorrect"
    ]


def test_category_for_dva_c02_and_comments_inside_a_block():
    text = (
        "$CATEGORY: $course$/DVA-C02/Troubleshooting and Optimization\n"
        "// a comment right above the question\n"
        "Which one?{=a ~b ~c ~d}\n"
    )
    result = formats.parse("gift", text)
    assert result.questions[0].line == 3
    assert result.data[0]["domains"] == {"DVA-C02": "Troubleshooting and Optimization"}


def test_round_trip_of_every_seed_question(seed_questions):
    text = formats.export("gift", seed_questions)
    result = formats.parse("gift", text)
    assert result.errors == [] and result.skipped == [] and result.warnings == []
    assert result.data == [formats.held_by_format("gift", q) for q in seed_questions]
    assert "$CATEGORY: $course$/DVA-C01/Security" in text


def test_round_trip_of_special_characters():
    tricky = mc(
        key=None,
        stem="Braces {a}, colons a:b, equals a=b, tildes ~x, hashes #1 and \\n literally\n\n"
        "```\nif (a == b) { return ~c; } // comment\n```",
        explanation="See #### and ~=~ and C:\\path\\new",
    )
    tricky["options"][1]["text"] = "%20% is a URL escape"
    tricky["options"][2]["text"] = "[html] is not a format here"
    tricky["options"][3]["rationale"] = "Ends with a backslash \\"
    multiple = mr(domains={})
    multiple["options"][0]["text"] = "%50% looks like a weight"
    questions = [mc(key="first"), tricky, multiple]
    result = formats.parse("gift", formats.export("gift", questions))
    assert result.errors == [] and result.warnings == []
    assert result.data == [formats.held_by_format("gift", q) for q in questions]
    # The question without a domain after one with a domain must not inherit it.
    assert result.data[2]["domains"] == {}


def test_a_good_file_survives_export_and_import():
    first = formats.parse("gift", read("good.gift"))
    again = formats.parse("gift", formats.export("gift", first.data))
    assert again.data == first.data
