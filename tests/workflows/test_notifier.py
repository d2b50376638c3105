"""Whatever text a person recorded, the notifications quoting it can be built: none can wedge a workflow.

Every workflow builds its notifications through one Notifier (workflows.common). A notification that
failed validation would fail the workflow task after its event was recorded, and every later command
on the item with it; so its subject and body are made to fit, and that is held here for any text.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.notifications import MAX_BODY, MAX_SUBJECT
from workflows.common import Notifier

# Any characters, line breaks and control characters included, up to several times the limits.
recorded_text = st.text(st.characters(codec="utf-8"), max_size=3 * MAX_BODY) | st.text("\r\n \t", max_size=50)


@settings(max_examples=200, deadline=None)
@given(quoted=recorded_text, body=recorded_text)
def test_a_notification_quoting_any_recorded_text_is_built_and_fits(quoted, body):
    notifier = Notifier("plan-team-children-in-need")
    due = datetime(2027, 6, 30, 23, 59, 59, tzinfo=UTC)
    built = [
        notifier.task("priya.practitioner", "action-A1", f"Action A1 due: {quoted}", due, body, version=3),
        notifier.message("nadia.manager", "alert", "safeguarding", f"Safeguarding concern: {quoted}", body),
    ]
    for notification in built:
        assert 1 <= len(notification.subject) <= MAX_SUBJECT
        assert "\n" not in notification.subject and "\r" not in notification.subject
        assert len(notification.body) <= MAX_BODY
        if len(body) <= MAX_BODY:
            assert notification.body == body  # shortened only when it must be
