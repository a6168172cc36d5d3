"""Handing out the items nobody owns.

An item whose client has an owner goes to that owner (the morning job already puts it there;
this catches clients that got an owner since). The rest (imported leads, a departed agent's
items) go first to the agent who worked the same subject before, so a renewal keeps one voice,
and then at random and equally among the active agents of the team (a departed agent's team;
the whole brokerage for leads with no team), counts differing by at most one. An agent who has
not logged a result on every item handed out to them the day before the last cutoff (17:00 by
default) gets nothing shared.

All of one client's open items in the pool (the renewals of two policies, a quote follow-up…)
go to one agent in one step, who becomes the client's owner: the kinds say whose client each
subject is (``WorkKind.clients_of``), every step decides for a whole client, and the random
share counts clients (see step 3 of ``plan_distribution``).

Each run records its seed, the cutoff it checked, the agents it skipped and why, and one line
per item handed out. Two runs at once never hand one item twice: the pool is locked with
``SELECT … FOR UPDATE SKIP LOCKED``, so the second run sees only what the first did not take.
"""

import random
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from brokerage.core.bulk import AnyOf
from brokerage.core.retry import retry_on_deadlock

from . import kinds
from .models import (
    DistributionLine,
    DistributionRun,
    HandOutReason,
    ItemResult,
    ItemStatus,
    Queue,
    WorkItem,
)
from .services import items_hand_out

User = get_user_model()


@dataclass
class Line:
    item_id: int
    kind: str
    subject_id: int
    title: str
    agent_id: int
    previous_agent_id: int | None
    reason: str

    @classmethod
    def of(cls, row: dict, agent_id: int, reason: str) -> "Line":
        return cls(
            row["pk"], row["kind"], row["subject_id"], row["title"], agent_id, row["agent_id"],
            reason,
        )  # fmt: skip


@dataclass
class Plan:
    day: date
    seed: int
    cutoff_at: datetime
    checked_day: date
    team_id: int | None
    lines: list[Line] = field(default_factory=list)
    # {agent_id, name, unworked}: agents left out of the shared items.
    skipped: list[dict] = field(default_factory=list)
    unassigned: int = 0
    agents: dict[int, str] = field(default_factory=dict)
    run: DistributionRun | None = None

    def counts(self, reason: str | None = None) -> dict[int, int]:
        counts: dict[int, int] = defaultdict(int)
        for line in self.lines:
            if reason is None or line.reason == reason:
                counts[line.agent_id] += 1
        return dict(counts)

    def shares(self) -> list[dict]:
        """Per agent: items by reason, for the preview and the log."""
        rows: dict[int, dict] = {}
        for line in self.lines:
            row = rows.setdefault(
                line.agent_id,
                {"agent_id": line.agent_id, "name": self.agents.get(line.agent_id, "")}
                | {r: 0 for r in HandOutReason.values},
            )
            row[line.reason] += 1
        return sorted(rows.values(), key=lambda r: r["name"])


def result_cutoff() -> time:
    hours, _, minutes = str(settings.WORK_RESULT_CUTOFF).partition(":")
    return time(int(hours), int(minutes or 0))


def last_cutoff(now: datetime) -> datetime:
    """The latest cutoff that has passed: today's 17:00 once it is past, else yesterday's."""
    today = timezone.localdate(now)
    cutoff = timezone.make_aware(datetime.combine(today, result_cutoff()))
    return cutoff if now >= cutoff else cutoff - timedelta(days=1)


def active_agents(team_id: int | None = None):
    qs = User.objects.active_agents()
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    return qs


def checked_day_of(cutoff_at: datetime) -> date:
    """The day whose hand-out the cutoff checks: the day before it."""
    return timezone.localdate(cutoff_at) - timedelta(days=1)


def unworked_by_agent(agent_ids, cutoff_at: datetime) -> tuple[date, dict[int, int]]:
    """Items handed out the day before ``cutoff_at`` that had no result by it, per agent."""
    checked_day = checked_day_of(cutoff_at)
    start = timezone.make_aware(datetime.combine(checked_day, time.min))
    logged = ItemResult.objects.filter(item=OuterRef("pk"), at__lte=cutoff_at)
    rows = (
        WorkItem.objects.filter(
            agent_id__in=agent_ids, handed_out_at__gte=start, handed_out_at__lt=start + timedelta(1)
        )
        .exclude(status=ItemStatus.CANCELLED)
        .exclude(done_at__lte=cutoff_at)
        .exclude(Exists(logged))
        .values("agent_id")
        .annotate(n=Count("pk"))
    )
    return checked_day, {row["agent_id"]: row["n"] for row in rows}


def _pool_items(*, day: date, team_id: int | None):
    # The departed agents first (a few rows), so that the pool is read from two indexes (the
    # items nobody holds, those of these agents) and not from every open item on the lists.
    departed = User.objects.filter(Q(is_active=False) | Q(deactivated_at__isnull=False))
    if team_id is not None:
        departed = departed.filter(team_id=team_id)
    held_by_departed = Q(agent_id__in=list(departed.values_list("pk", flat=True)))
    qs = WorkItem.objects.filter(queue=Queue.AGENT, status=ItemStatus.OPEN, due_on__lte=day)
    return qs.filter(Q(agent__isnull=True) | held_by_departed)


def _pool(*, day: date, team_id: int | None, lock: bool):
    qs = _pool_items(day=day, team_id=team_id)
    if lock:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(
        qs.order_by("pk").values("pk", "kind", "subject_id", "title", "agent_id", "agent__team_id")
    )


def _client_groups(pool) -> dict[int, tuple]:
    """Pool item id → its group: one per client for the kinds that say whose client a subject
    is (``clients_of``), so that all of one client's items go to one agent in one step; an
    item of a kind that knows no clients is a group of its own."""
    by_kind: dict[str, list] = defaultdict(list)
    for row in pool:
        by_kind[row["kind"]].append(row)
    groups: dict[int, tuple] = {}
    for kind_name, rows in by_kind.items():
        clients_of = kinds.get(kind_name).clients_of
        clients = clients_of(sorted({r["subject_id"] for r in rows})) if clients_of else {}
        for row in rows:
            client_id = clients.get(row["subject_id"])
            groups[row["pk"]] = ("item", row["pk"]) if client_id is None else ("client", client_id)
    return groups


def _previous_agents(pool, eligible: set[int]) -> dict[int, tuple]:
    """For each pool item, the eligible agent who was last handed the same subject, with when
    (``(agent_id, handed_out_at, item_id)``)."""
    pool_ids = {row["pk"] for row in pool}
    by_kind: dict[str, set[int]] = defaultdict(set)
    for row in pool:
        by_kind[row["kind"]].add(row["subject_id"])
    latest: dict[tuple[str, int], tuple] = {}
    for kind, subjects in by_kind.items():
        for subject_id, agent_id, at, pk in WorkItem.objects.filter(
            AnyOf(F("subject_id"), subjects), AnyOf(F("agent_id"), eligible),
            kind=kind, handed_out_at__isnull=False,
        ).values_list("subject_id", "agent_id", "handed_out_at", "pk"):  # fmt: skip
            if pk in pool_ids:
                continue
            key = (kind, subject_id)
            if key not in latest or (at, pk) > latest[key][1:]:
                latest[key] = (agent_id, at, pk)
    return {
        row["pk"]: latest[(row["kind"], row["subject_id"])]
        for row in pool
        if (row["kind"], row["subject_id"]) in latest
    }


def plan_distribution(
    *,
    day: date | None = None,
    now: datetime | None = None,
    team_id: int | None = None,
    seed: int | None = None,
    lock: bool = False,
) -> Plan:
    """Work out who gets what. With ``lock`` (inside a transaction) the pool rows are locked
    and rows another run holds are skipped."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    seed = secrets.randbits(48) if seed is None else int(seed)
    cutoff_at = last_cutoff(now)
    agents = {
        a.pk: a
        for a in active_agents(team_id).only("pk", "first_name", "last_name", "username", "team")
    }
    if not agents:
        # Nobody to hand anything to (no owner, previous or shared agent can be an active
        # agent): the whole pool waits. It is counted, not read and locked row by row (after
        # an import, 100,000 rows and 0.4 s), and the kinds are asked nothing.
        plan = Plan(day=day, seed=seed, cutoff_at=cutoff_at, checked_day=checked_day_of(cutoff_at),
                    team_id=team_id)  # fmt: skip
        plan.unassigned = _pool_items(day=day, team_id=team_id).count()
        return plan
    pool = _pool(day=day, team_id=team_id, lock=lock)

    checked_day, unworked = unworked_by_agent(agents.keys(), cutoff_at)
    plan = Plan(day=day, seed=seed, cutoff_at=cutoff_at, checked_day=checked_day, team_id=team_id)
    plan.agents = {pk: a.get_full_name() or a.username for pk, a in agents.items()}
    plan.skipped = [
        {"agent_id": pk, "name": plan.agents[pk], "unworked": n}
        for pk, n in sorted(unworked.items(), key=lambda kv: plan.agents[kv[0]])
    ]
    eligible = {pk for pk in agents if pk not in unworked}

    # All of one client's items travel together: each step below decides for a group (a
    # client, or an item of a kind that knows no clients), never for one item of a client.
    group_of = _client_groups(pool)
    groups: dict[tuple, list] = defaultdict(list)
    for row in pool:
        groups[group_of[row["pk"]]].append(row)

    # 1. Owners: the client has an (active) owner.
    by_kind: dict[str, list] = defaultdict(list)
    for row in pool:
        by_kind[row["kind"]].append(row)
    owner_of: dict[int, int] = {}
    for kind_name, rows in by_kind.items():
        owners_of = kinds.get(kind_name).owners
        owners = owners_of([r["subject_id"] for r in rows]) if owners_of else {}
        for row in rows:
            if owners.get(row["subject_id"]) in agents:
                owner_of[row["pk"]] = owners[row["subject_id"]]
    remaining = []
    for rows in groups.values():
        owner = next((owner_of[r["pk"]] for r in rows if r["pk"] in owner_of), None)
        if owner is None:
            remaining.append(rows)
            continue
        plan.lines.extend(
            Line.of(row, owner, HandOutReason.OWNER) for row in rows if row["agent_id"] != owner
        )

    # 2. Continuity: the agent who last worked any of the client's subjects, if still in good
    # standing, takes all of the client's items.
    previous = _previous_agents([row for rows in remaining for row in rows], eligible)
    shared = []
    for rows in sorted(remaining, key=lambda rows: min(r["pk"] for r in rows)):
        latest = max(
            (previous[r["pk"]] for r in rows if r["pk"] in previous),
            key=lambda found: found[1:],
            default=None,
        )
        if latest is None:
            shared.append(rows)
            continue
        plan.lines.extend(
            Line.of(row, latest[0], HandOutReason.CONTINUITY)
            for row in sorted(rows, key=lambda r: r["pk"])
        )

    # 3. At random and equally: a departed agent's items within their team first, then the
    # items with no team among everyone in scope. What is shared is a client with all of its
    # items (an item of a kind that knows no clients counts as a client of its own), and the
    # rule counts clients: each goes to the agent with the fewest clients so far, so counts of
    # clients differ by at most one. Clients are the unit because a client's items are one
    # conversation with one owner, and because only clients can be split equally without
    # splitting a client. Among agents with as many clients, the one with fewer items gets it
    # (then a random order drawn from the seed), which keeps item counts close too.
    rng = random.Random(seed)  # noqa: S311 - fairness, not secrecy; the seed is logged
    rank = {pk: i for i, pk in enumerate(rng.sample(sorted(eligible), len(eligible)))}
    clients_load: dict[int, int] = defaultdict(int)
    items_load: dict[int, int] = defaultdict(int)
    by_team: dict[int | None, list] = defaultdict(list)
    for rows in shared:
        if team_id is None:
            team = next((r["agent__team_id"] for r in rows if r["agent__team_id"]), None)
        else:
            team = team_id
        by_team[team].append(sorted(rows, key=lambda r: r["pk"]))
    for group_team in sorted(by_team, key=lambda t: (t is None, t or 0)):
        team_groups = by_team[group_team]
        rng.shuffle(team_groups)
        candidates = sorted(
            pk for pk in eligible if group_team is None or agents[pk].team_id == group_team
        )
        if not candidates:
            candidates = sorted(eligible)
        if not candidates:
            plan.unassigned += sum(len(rows) for rows in team_groups)
            continue
        for rows in team_groups:
            agent_id = min(candidates, key=lambda pk: (clients_load[pk], items_load[pk], rank[pk]))
            clients_load[agent_id] += 1
            items_load[agent_id] += len(rows)
            plan.lines.extend(Line.of(row, agent_id, HandOutReason.SHARED) for row in rows)
    return plan


@retry_on_deadlock
@transaction.atomic
def distribution_run(
    *,
    by=None,
    team=None,
    day: date | None = None,
    now: datetime | None = None,
    seed: int | None = None,
) -> Plan:
    """Hand out the pool and record the run. The same seed on the same pool gives the same
    hand-out as its preview."""
    now = now or timezone.now()
    plan = plan_distribution(
        day=day, now=now, team_id=team.pk if team else None, seed=seed, lock=True
    )
    by_agent: dict[int, list[int]] = defaultdict(list)
    for line in plan.lines:
        by_agent[line.agent_id].append(line.item_id)
    items_hand_out(assignments=by_agent, now=now)
    subjects: dict[str, dict[int, int]] = defaultdict(dict)
    for line in plan.lines:
        if line.reason != HandOutReason.OWNER:
            subjects[line.kind][line.subject_id] = line.agent_id
    for kind_name, assignments in subjects.items():
        hook = kinds.get(kind_name).handed_out
        if hook is not None:
            hook(assignments=assignments, by=by)
    plan.run = DistributionRun.objects.create(
        day=plan.day,
        by=by,
        team=team,
        seed=plan.seed,
        cutoff_at=plan.cutoff_at,
        items_count=len(plan.lines),
        unassigned_count=plan.unassigned,
        skipped=plan.skipped,
    )
    DistributionLine.objects.bulk_create(
        DistributionLine(
            run=plan.run,
            item_id=line.item_id,
            agent_id=line.agent_id,
            previous_agent_id=line.previous_agent_id,
            reason=line.reason,
        )
        for line in plan.lines
    )
    return plan
