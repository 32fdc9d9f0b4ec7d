"""Every action_id, callback_id and block_id prefix the bot uses, in one place."""

from enum import StrEnum


class Action(StrEnum):
    """Button and select action IDs; values carry the run ID and step number, never answers."""

    START_SOP = "sop.start"  # value: SOP slug
    CONTINUE_RUN = "run.continue"  # value: run ID
    STEP_DONE = "run.step_done"  # value: the visit (run_steps row) ID
    STEP_BACK = "run.step_back"  # value: the visit (run_steps row) ID
    STOP_RUN = "run.stop"  # value: run ID
    RESTART_ON_NEW = "run.restart_new"  # value: run ID
    TAKE_RUN = "run.take_scheduled"  # value: scheduled run ID
    STEP_FEEDBACK = "run.step_feedback"  # value: "<run_id>:<step_number>"
    TAKE_STEP = "run.take_step"  # value: the waiting visit's ID
    HAND_TO = "run.hand_to"  # users_select; block_id "hand-<visit ID>"
    REASSIGN = "run.reassign"  # users_select (managers); block_id "reassign-<visit ID>"
    START_OVER = "sop.start_over"  # value: SOP slug; ends the person's unfinished runs of it first
    START_QUIZ = "training.start"  # value: assignment ID
    WALK_THROUGH = "training.walk"  # value: SOP slug; starts a run in the person's DM
    QUIZ_ANSWER = "training.answer"  # value: "<attempt>:<question>:<option as shown>"
    QUIZ_CHOICES = "training.choices"  # checkboxes (several right answers); value: option as shown
    QUIZ_SUBMIT = "training.submit"  # value: "<attempt>:<question>"; the boxes come in the state
    QUIZ_RETRY = "training.retry"  # value: the failed attempt's ID
    FEEDBACK_SOP = "feedback.sop"  # external select in the feedback modal; value: SOP slug
    FEEDBACK_STEP = "feedback.step"  # static select; value: step number
    FEEDBACK_KIND = "feedback.kind"  # radio buttons; value: problem/suggestion/question/praise
    FEEDBACK_TEXT = "feedback.text"  # the feedback itself
    FEEDBACK_ANONYMOUS = "feedback.anonymous"  # checkbox; value: "anonymous"
    FEEDBACK_UNDO = "feedback.undo"  # value: feedback ID
    FEEDBACK_ACKNOWLEDGE = "feedback.acknowledge"  # value: feedback ID
    FEEDBACK_RESOLVE = "feedback.resolve"  # value: feedback ID; opens the reason modal
    FEEDBACK_WONT_FIX = "feedback.wont_fix"  # value: feedback ID; opens the reason modal
    FEEDBACK_REASON = "feedback.reason"  # the optional reason in that modal
    DIGEST_DETAILS = "digest.details"  # value: SOP slug; shows /sop kpis SOP ephemerally
    REVIEW_CONFIRM = "sop.review_confirm"  # value: SOP slug; records a review, no new revision
    DIGEST_CHANNEL = "digest.channel"  # conversations select in the /sop config modal
    DIGEST_TIME = "digest.time"  # timepicker
    DIGEST_TZ = "digest.tz"  # static select of time zones
    DIGEST_WEEKDAYS = "digest.weekdays"  # checkboxes; value: 0 (Monday) to 6
    DIGEST_OPTIONS = "digest.options"  # checkboxes; value: "skip_empty"


class View(StrEnum):
    """Modal callback IDs; private_metadata carries IDs only, never who is acting."""

    FEEDBACK = "feedback.give"  # the feedback form
    FEEDBACK_CLOSE = "feedback.close"  # resolve / won't fix with a reason
    DIGEST_CONFIG = "digest.config"  # /sop config: the digest's channel, time, zone, days
