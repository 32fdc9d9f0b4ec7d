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
    FEEDBACK_SUGGESTION = "feedback.suggestion"  # suggested wording of the step (Markdown)
    EDIT_STEP = "edit.step"  # value: feedback ID (routed copies, /feedback list)
    EDIT_PICK = "edit.pick"  # static select of steps in the picker; value: step number
    EDIT_TITLE = "edit.title"  # the step's title
    EDIT_ROLE = "edit.role"  # static select of the SOP's roles; value: role name or "-"
    EDIT_BODY = "edit.body"  # the step's Markdown as written in the file
    EDIT_MATERIAL = "edit.material"  # checkbox; value: "material"
    EDIT_NOTE = "edit.note"  # the change note
    EDIT_ADD_AFTER = "edit.add_after"  # in the editor; opens the form for a new step after it
    EDIT_REMOVE = "edit.remove"  # in the editor, with a confirm dialog; removes the step
    ACCEPT_SUGGESTION = "edit.accept"  # value: feedback ID; publishes the suggested wording
    EDIT_AND_ACCEPT = "edit.edit_accept"  # value: feedback ID; the editor, prefilled with it
    RECORD_UNDO = "record.undo"  # value: recording ID; removes the last step
    RECORD_FINISH = "record.finish"  # value: recording ID; renders the SOP file
    RECORD_DISCARD = "record.discard"  # value: recording ID (confirmed); deletes it
    RECORD_PUBLISH = "record.publish"  # value: recording ID; managers: writes and publishes
    RECORD_DOWNLOAD = "record.download"  # value: recording ID; uploads the .md to the thread


class View(StrEnum):
    """Modal callback IDs; private_metadata carries IDs only, never who is acting."""

    FEEDBACK = "feedback.give"  # the feedback form
    FEEDBACK_CLOSE = "feedback.close"  # resolve / won't fix with a reason
    DIGEST_CONFIG = "digest.config"  # /sop config: the digest's channel, time, zone, days
    EDIT_STEP = "edit.step"  # the step editor; metadata: slug, step, kind, base revision, file
    EDIT_PICK = "edit.pick"  # /sop edit SOP without a step: which step?
