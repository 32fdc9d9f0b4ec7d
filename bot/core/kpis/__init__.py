"""KPI maths for the digest: pure functions over plain records (no Slack, no SQL).

Raw runs and lookups become a `Tally` per window (`tally`), or per local day a
`DailyRollup` that `combine` adds back up; `compute_kpis` turns a tally plus the small
record sets (assignments, quiz attempts, feedback, SOP info) into every KPI, per SOP and
in total; `build_digest` assembles the day, its week and the week before. docs/kpis.md
defines each number.
"""

from bot.core.kpis.compute import compute_kpis
from bot.core.kpis.digest import (
    Digest,
    Trend,
    build_digest,
    digest_from_records,
    digest_text,
    headline,
)
from bot.core.kpis.fmt import minutes, name_list, percent
from bot.core.kpis.health import HealthInputs, Reason, attention, score_health
from bot.core.kpis.measures import (
    Adherence,
    Coverage,
    FeedbackStats,
    Health,
    Kpis,
    Penalty,
    QueryCount,
    QuestionStat,
    QuizQuality,
    RetrainTime,
    RunTime,
    SopKpis,
    Staleness,
    StepCount,
    TotalKpis,
    Usage,
)
from bot.core.kpis.records import (
    AnswerRecord,
    AssignmentRecord,
    AttemptRecord,
    FeedbackRecord,
    LookupRecord,
    RunRecord,
    SopInfo,
)
from bot.core.kpis.stats import median, nearest_rank
from bot.core.kpis.tally import (
    Counts,
    DailyRollup,
    Tally,
    combine,
    daily_rollups,
    normalise_query,
    open_run_rollups,
    tally,
)
from bot.core.kpis.windows import Window, day_window, local_day, span_ranges, trailing_windows

__all__ = [
    "Adherence",
    "AnswerRecord",
    "AssignmentRecord",
    "AttemptRecord",
    "Counts",
    "Coverage",
    "DailyRollup",
    "Digest",
    "FeedbackRecord",
    "FeedbackStats",
    "Health",
    "HealthInputs",
    "Kpis",
    "LookupRecord",
    "Penalty",
    "QueryCount",
    "QuestionStat",
    "QuizQuality",
    "Reason",
    "RetrainTime",
    "RunRecord",
    "RunTime",
    "SopInfo",
    "SopKpis",
    "Staleness",
    "StepCount",
    "Tally",
    "TotalKpis",
    "Trend",
    "Usage",
    "Window",
    "attention",
    "build_digest",
    "combine",
    "compute_kpis",
    "daily_rollups",
    "day_window",
    "digest_from_records",
    "digest_text",
    "headline",
    "local_day",
    "median",
    "minutes",
    "name_list",
    "nearest_rank",
    "normalise_query",
    "open_run_rollups",
    "percent",
    "score_health",
    "tally",
    "span_ranges",
    "trailing_windows",
]
