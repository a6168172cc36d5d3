from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from brokerage.core.exports import export_record, xlsx_response
from brokerage.core.forms import form_errors_text

from . import kinds, services
from .distribution import distribution_run as run_distribution
from .distribution import plan_distribution
from .forms import CloseForm, DistributionForm, ResultForm
from .models import ItemStatus, Queue, WorkItem
from .selectors import (
    AgentQueue,
    attach_context,
    callback_form,
    callback_sections,
    callbacks_for_agent,
    distribution_runs,
    group_by_kind,
    leaderboard_query,
    points_leaderboard,
    queue_export_columns,
    queue_for_agent,
    queue_for_maintainers,
)
from .to_fix import to_fix_for

PAGE_SIZE = 50


def _item_for_agent(request, pk) -> WorkItem:
    """The first line of every item view: 404 outside the agent's own call list."""
    return get_object_or_404(WorkItem, pk=pk, agent=request.user, queue=Queue.AGENT)


@login_required
@permission_required("accounts.work_queue", raise_exception=True)
def queue(request):
    """The agent's call list for today: grouped by kind, most urgent first, with one-click
    results."""
    today = timezone.localdate()
    number = request.GET.get("page")
    queue = AgentQueue(
        user=request.user, day=today, page=number, per_page=PAGE_SIZE,
        along=[leaderboard_query(user=request.user)],
    )  # fmt: skip
    page = Paginator(queue, PAGE_SIZE).get_page(number)
    items = attach_context(page.object_list)
    board = queue.along_rows[0] if queue.along_rows else None  # read with the count
    leaderboard = points_leaderboard(user=request.user, rows=board)
    mine = next((row for row in leaderboard if row["me"]), None)
    return render(
        request,
        "workqueue/queue.html",
        {
            "page": page,
            "groups": group_by_kind(items),
            "today": today,
            "leaderboard": leaderboard,
            "my_points": mine,
            "callback_form": callback_form(request),
        },
    )


@login_required
@permission_required("accounts.work_queue", raise_exception=True)
def callbacks(request):
    """The agent's scheduled call-backs: missed, today, the rest of this week and later."""
    page = Paginator(callbacks_for_agent(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    items = attach_context(page.object_list)
    return render(
        request,
        "workqueue/callbacks.html",
        {"page": page, "sections": callback_sections(items), "today": timezone.localdate()},
    )


def _result_message(item: WorkItem, result: str) -> str:
    label = kinds.result_label(result, kind=item.kind)
    if item.queue == Queue.MAINTAINERS:
        return _(
            "%(result)s: three attempts without reaching the client. The contact is marked "
            "inaccurate and the item went to the maintainers to fix."
        ) % {"result": label}
    if (
        item.status == ItemStatus.OPEN
        and item.callback_at
        and item.result == result
        and (kinds.get(item.kind).result(result).needs_time)
    ):
        return _("Call back at %(when)s.") % {
            "when": timezone.localtime(item.callback_at).strftime("%Y-%m-%d %H:%M")
        }
    if item.status == ItemStatus.DONE:
        return _("%(result)s: done.") % {"result": label}
    return _("%(result)s: logged (attempt %(n)d).") % {"result": label, "n": item.attempts}


@login_required
@permission_required("accounts.work_queue", raise_exception=True)
@require_POST
def item_result(request, pk):
    """Log one standard result. htmx swaps the item in place; without JavaScript the page
    comes back with a message."""
    item = _item_for_agent(request, pk)
    form = ResultForm(request.POST)
    error, feedback, next_url = "", "", None
    if not form.is_valid():
        error = form_errors_text(form)
    else:
        data = form.cleaned_data
        try:
            item = services.item_record_result(
                item=item,
                by=request.user,
                result=data["result"],
                callback_at=data["callback_at"],
                note=data["note"],
                token=data["token"],
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            feedback = _result_message(item, data["result"])
            next_url = item.next_url
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, feedback)
        return redirect(next_url or "workqueue:queue")
    if next_url:
        messages.success(request, feedback)
        return HttpResponseClientRedirect(next_url)
    item.refresh_from_db()
    still_here = (
        item.status == ItemStatus.OPEN
        and item.agent_id == request.user.pk
        and item.due_on <= timezone.localdate()
    )
    if still_here or error:
        attach_context([item])
        return render(
            request,
            item.kind_info.card_template,
            {
                "item": item,
                "feedback": feedback,
                "error": error,
                "callback_form": callback_form(request),
            },
        )
    return render(request, "workqueue/_item_done.html", {"item": item, "feedback": feedback})


@login_required
@permission_required("accounts.distribute_work", raise_exception=True)
def maintainers_queue(request):
    """Contacts to fix (three failed attempts, no usable phone), cases lapsed over 48 hours,
    and how many files have something to fix before any item of theirs falls due."""
    today = timezone.localdate()
    page = Paginator(queue_for_maintainers(day=today), PAGE_SIZE).get_page(request.GET.get("page"))
    items = attach_context(page.object_list)
    return render(
        request,
        "workqueue/maintainers.html",
        {
            "page": page,
            "groups": group_by_kind(items),
            "today": today,
            "close_form": CloseForm(),
            "to_fix": to_fix_for(user=request.user),
        },
    )


@login_required
@permission_required("accounts.distribute_work", raise_exception=True)
@require_POST
def maintainers_close(request, pk):
    item = get_object_or_404(WorkItem, pk=pk, queue=Queue.MAINTAINERS)
    try:
        if request.POST.get("action") == "return":
            item = services.item_return_to_agents(item=item, by=request.user)
            if item.agent is not None:
                text = _("“%(title)s” is back on %(who)s's call list.")
            else:
                text = _("“%(title)s” waits for the next distribution.")
            messages.success(request, text % {"title": item.title, "who": item.agent})
        else:
            form = CloseForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form_errors_text(form))
            services.item_close(item=item, by=request.user, note=form.cleaned_data["note"])
            messages.success(request, _("“%(title)s” closed.") % {"title": item.title})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("workqueue:maintainers")


@login_required
@permission_required("accounts.distribute_work", raise_exception=True)
def distribution(request):
    """Preview a distribution (who would get what, who is skipped and why) and run it with the
    previewed seed; the log of past runs below."""
    form = DistributionForm(request.POST or request.GET or None)
    team = form.cleaned_data.get("team") if form.is_valid() else None
    if form.is_bound and not form.is_valid():
        if request.method == "POST":
            messages.error(
                request,
                _("The distribution did not run: %(errors)s") % {"errors": form_errors_text(form)},
            )
        elif "team" in form.errors:
            messages.warning(request, _("Unknown team: showing the whole brokerage."))
    if request.method == "POST" and form.is_valid():
        plan = run_distribution(by=request.user, team=team, seed=form.cleaned_data["seed"])
        messages.success(
            request,
            _("Distribution done: %(n)d items handed out.") % {"n": len(plan.lines)},
        )
        return redirect("workqueue:distribution_run", pk=plan.run.pk)
    plan = plan_distribution(team_id=team.pk if team else None)
    runs = Paginator(distribution_runs(), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "workqueue/distribution.html",
        {
            "form": DistributionForm(initial={"team": team, "seed": plan.seed}),
            "team": team,
            "plan": plan,
            "page": runs,
            "query_string": f"team={team.pk}" if team else "",
        },
    )


@login_required
@permission_required("accounts.distribute_work", raise_exception=True)
def distribution_run(request, pk):
    run = get_object_or_404(distribution_runs(), pk=pk)
    lines = Paginator(
        run.lines.select_related("item", "agent", "previous_agent").order_by(
            "agent__first_name", "agent__username", "pk"
        ),
        100,
    ).get_page(request.GET.get("page"))
    return render(request, "workqueue/distribution_run.html", {"run": run, "page": lines})


@login_required
@permission_required(["accounts.work_queue", "accounts.export_data"], raise_exception=True)
def queue_export(request):
    """The agent's own call list for today as .xlsx (recorded). Agents view and print their
    list; only one whose manager granted it (``accounts.export_data`` by name) downloads it."""
    today = timezone.localdate()
    items = attach_context(queue_for_agent(user=request.user, day=today)[:5000])
    export_record(user=request.user, what="call list", filters={"day": str(today)},
                  rows=len(items))  # fmt: skip
    columns = queue_export_columns(items)
    header = [_("Kind"), _("Item"), *(c.header for c in columns),
              pgettext("work item due on", "Due"), _("Attempts"), _("Call back at")]  # fmt: skip

    def rows():
        for item in items:
            own = {c.key: c for c in item.kind_info.export_columns}
            yield [
                str(item.kind_info.label), item.title,
                *(own[c.key].value(item) if c.key in own else None for c in columns),
                item.due_on, item.attempts, item.callback_at,
            ]  # fmt: skip

    return xlsx_response(filename=f"call-list-{today}.xlsx", sheet=_("Call list"),
                         header=header, rows=rows())  # fmt: skip
