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
    STEP_FEEDBACK = "run.step_feedback"  # value: "<run_id>:<step_number>"
    START_OVER = "sop.start_over"  # value: SOP slug; ends the person's unfinished runs of it first
