"""The exam question page as a person uses it: phone layout, flag, navigator, limits, feedback,
live regions, strike-outs and text size. Elements are found by role and accessible name."""

import random
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from exams.models import Attempt, AttemptItem
from exams.services import attempt_start
from questions.services import question_create
from tests.browser import conftest as ui
from tests.browser.conftest import log_in
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import question_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_COMMAND = (
    "aws ec2 run-instances --image-id ami-0abcdef1234567890 --instance-type t3.micro "
    "--subnet-id subnet-0123456789abcdef0 --security-group-ids sg-0123456789abcdef0 --dry-run"
)
LONG_URL = (
    "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/"
    "ExamplePageWithAVeryLongUnbrokenNameThatNeverWrapsOnItsOwnWithoutHelpFromTheStylesheet.html"
)

ZOOM_200 = {"width": 640, "height": 400}


def _questions():
    """A CLI question with a long code line, a long-URL question, and a two-answer question."""
    cli = question_data(
        stem=(
            "A developer must check permissions without launching an instance. "
            "Which command does that?\n\n```\n" + LONG_COMMAND + "\n```"
        )
    )
    cli["references"] = [LONG_URL]
    cli["options"][0]["text"] = (
        "Run the command with the `--dry-run` flag, which checks the required permissions "
        "without making the request, and read the DryRunOperation error it returns."
    )
    multi = question_data(kind="multiple_response", n_correct=2)
    multi["references"] = [LONG_URL]
    plain = question_data()
    return [question_create(data=data, status="published").pk for data in (cli, multi, plain)]


def _attempt(student, *, mode="practice", minutes=30) -> Attempt:
    ids = _questions()
    blueprint = short_blueprint(
        slug=f"ux-{mode}",
        title=f"UX {mode}",
        question_count=3,
        duration_minutes=minutes,
        mode=mode,
        feedback="after_each" if mode == "practice" else "after_submit",
    )
    attempt = attempt_start(
        user=student, blueprint=blueprint, question_ids=ids, rng=random.Random(2)
    )
    return attempt


def _position(attempt, kind=None, *, long=False) -> int:
    items = AttemptItem.objects.filter(attempt=attempt).select_related("version")
    for item in items:
        if long and LONG_COMMAND in item.version.stem:
            return item.position
        if not long and kind and item.version.kind == kind:
            return item.position
    raise AssertionError("no such item")


def _open(page, student, attempt, position):
    log_in(page, student)
    page.goto(f"/attempts/{attempt.pk}/q/{position}/")
    expect(page.get_by_role("heading", name=f"Question {position}", exact=True)).to_be_visible()


def _option_ids(attempt, position):
    item = AttemptItem.objects.select_related("version").get(attempt=attempt, position=position)
    options = {o.pk: o for o in item.version.options.all()}
    keyed = [i for i in item.option_order if options[i].is_correct]
    wrong = [i for i in item.option_order if not options[i].is_correct]
    return keyed, wrong


def _saved(page):
    expect(page.locator("#save-status")).to_have_text("All answers saved")


@pytest.fixture
def student(transactional_db):
    return UserFactory(role="Student")


# --- 10: phone layout, axe on the question and feedback pages ------------------------------------


def test_question_and_feedback_pages_fit_a_phone_and_pass_axe(page, student):
    attempt = _attempt(student)
    position = _position(attempt, long=True)
    _open(page, student, attempt, position)
    # 640 px wide is a 1280 px window at 200 % zoom.
    for name, viewport in (("desktop", ui.DESKTOP), ("phone", ui.PHONE), ("zoom", ZOOM_200)):
        page.set_viewport_size(viewport)
        ui.screenshot(page, f"question-{name}")
        ui.assert_accessible(page)
        ui.assert_no_sideways_scroll(page)
        # Each radio sits on the line of its own text, however long the text.
        for row in page.locator(".option-row").all():
            box = row.locator("input").bounding_box()
            text = row.locator(".option-text").bounding_box()
            assert box["x"] + box["width"] <= text["x"]
            assert text["y"] - 4 <= box["y"] <= text["y"] + 16
        # The long command scrolls inside its block: the flag at its end can be reached.
        code = page.locator(".question-stem pre")
        expect(code).to_contain_text("--dry-run")
        assert code.evaluate("el => getComputedStyle(el).overflowX") == "auto"
        if name != "desktop":
            assert code.evaluate("el => el.scrollWidth > el.clientWidth")
            expect(code).to_have_attribute("tabindex", "0")  # scrolled with the keyboard too

    page.set_viewport_size(ui.DESKTOP)
    _, wrong = _option_ids(attempt, position)
    page.locator(f"label[for=opt-{wrong[0]}]").click()
    _saved(page)
    page.get_by_role("button", name="Check answer").click()
    expect(page.get_by_role("heading", name="Not quite.")).to_be_visible()
    for name, viewport in (("desktop", ui.DESKTOP), ("phone", ui.PHONE)):
        page.set_viewport_size(viewport)
        ui.screenshot(page, f"feedback-{name}")
        ui.assert_accessible(page)
        ui.assert_no_sideways_scroll(page)
    link = page.get_by_role("link", name=LONG_URL)
    assert link.evaluate("el => getComputedStyle(el).overflowWrap") == "anywhere"


def test_dark_mode_follows_the_system_and_keeps_contrast(page, student):
    attempt = _attempt(student)
    position = _position(attempt, long=True)
    page.emulate_media(color_scheme="dark")
    _open(page, student, attempt, position)
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    page.get_by_role("button", name="Flag for review").click()
    _saved(page)
    ui.screenshot(page, "question-dark")
    ui.assert_accessible(page)
    _, wrong = _option_ids(attempt, position)
    page.locator(f"label[for=opt-{wrong[0]}]").click()
    _saved(page)
    page.get_by_role("button", name="Check answer").click()
    expect(page.get_by_role("heading", name="Not quite.")).to_be_visible()
    ui.assert_accessible(page)
    page.emulate_media(color_scheme="light")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "light")


# --- 11: flag for review and the navigator ------------------------------------------------------


def test_flag_reads_flagged_keeps_its_name_and_has_its_own_focus_ring(page, student):
    attempt = _attempt(student, mode="exam")
    _open(page, student, attempt, 2)
    flag = page.get_by_role("button", name="Flag for review")
    expect(flag).to_have_attribute("aria-pressed", "false")
    expect(flag).to_have_text("Flag for review", use_inner_text=True)
    assert flag.evaluate("el => getComputedStyle(el, '::after').content") == "none"
    unflagged_bg = flag.evaluate("el => getComputedStyle(el).backgroundColor")
    assert flag.evaluate("el => getComputedStyle(el).outlineStyle") == "none"

    # Reached with the keyboard, it shows a focus ring; the fill stays the unflagged one.
    page.get_by_role("button", name="Next").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "flag-button"
    assert flag.evaluate("el => getComputedStyle(el).outlineStyle") == "dashed"
    assert flag.evaluate("el => getComputedStyle(el).backgroundColor") == unflagged_bg

    page.keyboard.press("Space")
    expect(flag).to_have_attribute("aria-pressed", "true")
    expect(flag).to_have_text("", use_inner_text=True)
    assert flag.evaluate("el => getComputedStyle(el, '::after').content").startswith('"Flagged ⚑"')
    _saved(page)
    page.mouse.click(5, 400)  # focus elsewhere: flagged is a fill, not a ring
    assert flag.evaluate("el => getComputedStyle(el).outlineStyle") == "none"
    assert flag.evaluate("el => getComputedStyle(el).backgroundColor") != unflagged_bg
    assert AttemptItem.objects.get(attempt=attempt, position=2).flagged
    ui.assert_accessible(page)


def test_the_navigator_follows_answers_and_flags_without_a_reload(page, student):
    attempt = _attempt(student, mode="exam")
    position = _position(attempt, "multiple_choice")
    _open(page, student, attempt, position)
    cell = page.get_by_role("button", name=re.compile(f"^Question {position},"))
    expect(cell).to_have_accessible_name(f"Question {position}, unanswered")
    expect(page.locator("#answered-count")).to_have_text("0")
    page.evaluate("window.__sameDocument = true")

    keyed, _ = _option_ids(attempt, position)
    page.locator(f"label[for=opt-{keyed[0]}]").click()
    _saved(page)
    expect(cell).to_have_accessible_name(f"Question {position}, answered")
    expect(page.locator("#answered-count")).to_have_text("1")
    page.get_by_role("button", name="Flag for review").click()
    _saved(page)
    expect(cell).to_have_accessible_name(f"Question {position}, answered, flagged")
    expect(cell).to_contain_text("⚑")
    page.get_by_role("button", name="Flag for review").click()
    _saved(page)
    expect(cell).to_have_accessible_name(f"Question {position}, answered")
    expect(cell).not_to_contain_text("⚑")
    assert page.evaluate("window.__sameDocument") is True  # no reload happened

    # Visible focus on a cell reached with the keyboard.
    other = page.get_by_role("button", name=re.compile(r"^Question \d+, unanswered")).first
    other.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert other.evaluate("el => el === document.activeElement")
    assert other.evaluate("el => getComputedStyle(el).outlineStyle") == "dashed"

    # High-contrast mode drops fills: answered cells keep a tick and a double border.
    page.emulate_media(forced_colors="active")
    answered = cell.evaluate("el => getComputedStyle(el, '::after').content")
    unanswered = other.evaluate("el => getComputedStyle(el, '::after').content")
    assert answered == '"✓"'
    assert unanswered == "none"
    assert cell.evaluate("el => getComputedStyle(el).borderTopStyle") == "double"


# --- 12: multiple response at its limit ----------------------------------------------------------


def test_multiple_response_options_stay_operable_at_the_limit(page, student):
    attempt = _attempt(student, mode="exam")
    position = _position(attempt, "multiple_response")
    _open(page, student, attempt, position)
    keyed, wrong = _option_ids(attempt, position)
    boxes = {i: page.locator(f"#opt-{i}") for i in keyed + wrong}
    boxes[keyed[0]].check()
    boxes[wrong[0]].check()
    _saved(page)
    expect(page.get_by_text("2 of 2 selected.")).to_be_visible()
    third = boxes[keyed[1]]
    expect(third).to_be_enabled()
    # The keyboard still reaches the third option (it is not disabled).
    third.evaluate("el => el.closest('.option-row').querySelector('.eliminate-button').focus()")
    page.keyboard.press("Shift+Tab")
    assert third.evaluate("el => el === document.activeElement")
    page.keyboard.press("Space")
    expect(third).not_to_be_checked()
    expect(page.get_by_text("This question takes 2 answers. Unselect one first.")).to_be_visible()
    boxes[wrong[0]].uncheck()
    third.check()
    _saved(page)
    expect(third).to_be_checked()
    item = AttemptItem.objects.get(attempt=attempt, position=position)
    assert set(item.selections.values_list("option_id", flat=True)) == set(keyed)
    hint = page.get_by_text(re.compile("^Keyboard:"))
    expect(hint).not_to_contain_text("arrow")
    expect(hint).to_contain_text("Space ticks or unticks")


# --- 14, 15: practice ---------------------------------------------------------------------------


def test_practice_check_asks_for_a_choice_then_focuses_full_contrast_feedback(page, student):
    attempt = _attempt(student)
    position = _position(attempt, "multiple_choice")
    _open(page, student, attempt, position)
    expect(page.get_by_role("button", name="Finish practice")).to_be_visible()
    expect(page.get_by_role("button", name="Submit exam")).to_have_count(0)

    page.get_by_role("button", name="Check answer").click()
    expect(page.get_by_text("Choose an answer before checking it.")).to_be_visible()
    expect(page.get_by_text("Correct answer")).to_have_count(0)
    item = AttemptItem.objects.get(attempt=attempt, position=position)
    assert item.checked is False

    keyed, wrong = _option_ids(attempt, position)
    page.locator(f"label[for=opt-{wrong[0]}]").click()
    _saved(page)
    page.get_by_role("button", name="Check answer").click()
    feedback = page.get_by_role("region", name="Not quite.")
    expect(feedback).to_be_focused()
    mine = page.locator(".option-row", has=page.locator(f"#opt-{wrong[0]}"))
    key = page.locator(".option-row", has=page.locator(f"#opt-{keyed[0]}"))
    expect(mine.get_by_text("Your answer")).to_be_visible()
    expect(key.get_by_text("Correct answer")).to_be_visible()
    for row in (mine, key):
        assert row.locator("label").evaluate("el => getComputedStyle(el).opacity") == "1"
        assert row.evaluate("el => getComputedStyle(el).opacity") == "1"
    ui.assert_accessible(page)


# --- 17: one message per action -----------------------------------------------------------------

RECORD_LIVE_REGIONS = """
window.__spoken = [];
new MutationObserver((records) => {
  const regions = new Set();
  for (const r of records) {
    let el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
    const region = el && el.closest(
      '[aria-live]:not([aria-live=off]), [role=status], [role=alert], [role=log]');
    if (region) regions.add(region);
  }
  for (const region of regions) {
    const text = region.textContent.trim();
    if (text) window.__spoken.push(text);
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def test_each_save_and_each_timer_warning_is_announced_once(page, student):
    attempt = _attempt(student, mode="exam")
    position = _position(attempt, "multiple_choice")
    page.add_init_script(
        "document.addEventListener('DOMContentLoaded', () => {" + RECORD_LIVE_REGIONS + "});"
    )
    _open(page, student, attempt, position)
    page.evaluate("window.__spoken = []")
    keyed, _ = _option_ids(attempt, position)
    page.locator(f"label[for=opt-{keyed[0]}]").click()
    _saved(page)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__spoken") == ["All answers saved"]

    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(seconds=603))
    page.reload()
    expect(page.locator("#timer-alert")).to_have_text("10 minutes remaining.", timeout=15_000)
    page.wait_for_timeout(300)
    spoken = page.evaluate("window.__spoken")
    assert [t for t in spoken if "minutes remaining" in t] == ["10 minutes remaining."]


# --- 19: strike-outs and text size --------------------------------------------------------------


def test_options_are_struck_out_with_the_keyboard_saved_and_restored(page, student):
    attempt = _attempt(student, mode="exam")
    position = _position(attempt, "multiple_choice")
    _open(page, student, attempt, position)
    item = AttemptItem.objects.get(attempt=attempt, position=position)
    button = page.get_by_role("button", name="Eliminate option B")
    page.get_by_role("button", name="Eliminate option A").focus()
    for _ in range(3):  # past option B's radio, when the browser stops on it
        page.keyboard.press("Tab")
        if button.evaluate("el => el === document.activeElement"):
            break
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-pressed", "true")
    _saved(page)
    text = page.locator(f"label[for=opt-{item.option_order[1]}] .option-text")
    assert "line-through" in text.evaluate("el => getComputedStyle(el).textDecorationLine")
    item.refresh_from_db()
    assert item.eliminated == [item.option_order[1]]

    page.reload()
    expect(page.get_by_role("button", name="Eliminate option B")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.get_by_role("button", name="Eliminate option A")).to_have_attribute(
        "aria-pressed", "false"
    )
    page.get_by_role("button", name="Eliminate option B").click()
    _saved(page)
    item.refresh_from_db()
    assert item.eliminated == []


def test_text_size_is_remembered_across_exam_pages(page, student):
    attempt = _attempt(student, mode="exam")
    _open(page, student, attempt, 1)

    def root_px():
        return page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")

    normal = root_px()
    larger = page.get_by_role("button", name="Larger text")
    larger.click()
    larger.click()
    expect(larger).to_be_disabled()
    assert root_px() > normal * 1.2
    for _ in range(50):
        if User.objects.get(pk=student.pk).text_size == 4:
            break
        page.wait_for_timeout(100)
    assert User.objects.get(pk=student.pk).text_size == 4

    page.reload()
    assert root_px() > normal * 1.2
    page.get_by_role("button", name="Review answers").click()
    expect(page).to_have_url(re.compile("/review/"))
    assert root_px() > normal * 1.2
    page.get_by_role("button", name="Smaller text").click()
    for _ in range(50):
        if User.objects.get(pk=student.pk).text_size == 3:
            break
        page.wait_for_timeout(100)
    assert User.objects.get(pk=student.pk).text_size == 3
