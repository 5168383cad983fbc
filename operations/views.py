"""Operations pages (work orders and the control room come with the operations issue)."""

from tos.core.selectors import solver_runs_visible_to, terminal_for_user
from tos.web.pages import module_page, table


def _sections(request):
    terminal = terminal_for_user(request.user)
    runs = solver_runs_visible_to(request.user).filter(terminal=terminal)[:20]
    return [
        table(
            "Solver runs and jobs (latest 20)",
            ["Run", "Kind", "Status", "Progress", "Objective", "Gap", "Started", "Finished"],
            runs,
            lambda r: [
                r.pk,
                r.kind,
                r.get_status_display(),
                f"{r.progress:.0%}",
                r.objective,
                f"{r.gap:.2%}" if r.gap is not None else "",
                r.started_at,
                r.finished_at,
            ],
        ),
    ]


index = module_page("Operations", "Solver runs and background jobs of the terminal.", _sections)
