"""Policy service for ``manage.py seed_demo`` (issue 17), so that the policy pages, the service
requests list and the managers' service-case view have something to show from the first
morning:

- parties on the life and health policies in force or lapsed: the holder as policyholder and
  insured (a company's health policy: the company holds it, one employee is insured), and one
  to three beneficiaries whose shares add up to 100; one policy in ``NO_BENEFICIARY`` names
  none (its page warns);
- service requests of every type, in every status (requested, sent, done, rejected), each
  status with its date and who, the open ones on the agent's call list (the maintainers'
  queue when the policy has no agent);
- life-policy service cases of every class (normal, difficult, lapsed), opened over the last
  four months so that every age bucket of the managers' view has some; the normal ones with
  their service list signed and items offered, the difficult ones with search methods tried,
  some closed with their outcome.

Every draw comes from ``ctx.rng``: the same seed gives the same rows. Nothing is added to a
book that already has parties or cases.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal
from time import monotonic

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from brokerage.accounts.models import User
from brokerage.accounts.roles import Role
from brokerage.core.demo import DemoContext
from clients.demo import demo_today
from policies.models import Policy, PolicyStatus
from workqueue.services import item_create

from .kind import CASE_KIND, CASE_PRIORITY
from .models import (
    AGENT_SEARCHES,
    PARTY_CHANGES,
    SERVED_STATUSES,
    SERVICE_LINES,
    CaseClass,
    CaseOutcome,
    CaseSearch,
    CaseServiceItem,
    CaseSource,
    ItemState,
    PartyRole,
    PolicyParty,
    Relation,
    RequestKind,
    RequestStatus,
    ServiceCase,
    ServiceItem,
    ServiceRequest,
)
from .parties import id_number_error
from .services import case_title, request_item_create

NO_BENEFICIARY = 10
REASON = "demo"
SHARES = [
    [Decimal("100")],
    [Decimal("50"), Decimal("50")],
    [Decimal("60"), Decimal("40")],
    [Decimal("50"), Decimal("30"), Decimal("20")],
    [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")],
]
RELATIONS = [Relation.SPOUSE, Relation.CHILD, Relation.CHILD, Relation.PARENT, Relation.SIBLING]
LAPSED_CASES = 20
MIN_CASES = 12
# Why an insurer rejected a request, in the client's language.
REJECTIONS = {
    "es": ["Falta identificación oficial", "La firma no coincide con la de la póliza"],
    "zh": ["缺少受益人身份证明", "签名与投保单不一致"],
}
# Days a case has been open, drawn per case: every age bucket of the managers' view.
CASE_AGES = [(0, 7), (8, 30), (31, 90), (91, 130)]


def _at(day, hour: int = 10):
    """That hour of that day, or now when it is still ahead (nothing happens in the future)."""
    return min(timezone.make_aware(datetime.combine(day, time(hour, 0))), timezone.now())


def seed_servicing(ctx: DemoContext) -> None:
    started = monotonic()
    if PolicyParty.objects.exists() or ServiceCase.objects.exists():
        ctx.write("servicing: the book already has parties or cases; none added")
        return
    today = demo_today(ctx)
    policies = list(
        Policy.objects.filter(line__in=SERVICE_LINES, status__in=SERVED_STATUSES)
        .select_related("holder", "insurer")
        .order_by("pk")
    )
    if not policies:
        ctx.write("servicing: no life or health policy; nothing added")
        return
    maintainer_id = (
        User.objects.filter(groups__name=Role.MAINTAINER).values_list("pk", flat=True).first()
    )
    parties = _parties(ctx, policies)
    requests = _requests(ctx, policies, today, maintainer_id)
    cases = _cases(ctx, policies, today, maintainer_id)
    ctx.write(
        f"servicing: {parties} parties on {len(policies)} life and health policies, "
        f"{requests} service requests, {cases} service cases in {monotonic() - started:.1f} s"
    )


def _relative_name(ctx: DemoContext, holder) -> str:
    """A relative's name in the holder's language (family name first in Chinese)."""
    if holder.language.startswith("zh"):
        return f"{holder.last_name or ctx.faker_zh.last_name()}{ctx.faker_zh.first_name()}"
    return f"{ctx.faker_es.first_name()} {holder.last_name or ctx.faker_es.last_name()}"


def _parties(ctx: DemoContext, policies) -> int:
    rng = ctx.rng
    rows = []
    for index, policy in enumerate(policies):
        holder = policy.holder
        # The holder's ID when it is a valid one (the parties page would flag the others).
        valid_id = "" if id_number_error(holder.national_id) else holder.national_id
        holder_row = {"name": holder.display_name, "id_number": valid_id}
        rows.append(PolicyParty(policy=policy, role=PartyRole.POLICYHOLDER, **holder_row))
        if holder.is_corporate:
            first, last, _lang = ctx.person_name()
            insured = {"name": f"{first} {last}", "relation": Relation.EMPLOYER}
        else:
            insured = {**holder_row, "relation": Relation.SELF}
        rows.append(PolicyParty(policy=policy, role=PartyRole.INSURED, position=1, **insured))
        if index % NO_BENEFICIARY == NO_BENEFICIARY - 1:
            continue
        for position, share in enumerate(rng.choice(SHARES), start=2):
            rows.append(
                PolicyParty(policy=policy, role=PartyRole.BENEFICIARY, position=position,
                            name=_relative_name(ctx, holder), relation=rng.choice(RELATIONS),
                            share=share)
            )  # fmt: skip
    bulk_create_with_history(rows, PolicyParty, batch_size=2000, default_change_reason=REASON)
    return len(rows)


def _requests(ctx: DemoContext, policies, today, maintainer_id) -> int:
    """Requests of every type in every status: each (status, type) pair at least once, and
    one for every twentieth policy of a bigger book."""
    rng = ctx.rng
    statuses = list(RequestStatus)
    kinds = [k for k in RequestKind if k != RequestKind.REINSTATEMENT]
    count = max(len(statuses) * len(kinds), len(policies) // 20)
    rows = []
    for index in range(count):
        policy = policies[index % len(policies)]
        status = statuses[index % len(statuses)]
        kind = kinds[(index // len(statuses)) % len(kinds)]
        if policy.status == PolicyStatus.LAPSED:
            kind = RequestKind.REINSTATEMENT
        by = policy.agent_id or maintainer_id
        requested = today - timedelta(days=rng.randint(1, 60))
        row = ServiceRequest(
            policy=policy, kind=kind, status=status, requested_at=_at(requested, 9),
            requested_by_id=by, due_on=requested + timedelta(days=15),
        )  # fmt: skip
        if kind in PARTY_CHANGES:
            share = "100.00" if kind == RequestKind.BENEFICIARY_CHANGE else None
            row.new_parties = [{"name": _relative_name(ctx, policy.holder),
                                "relation": Relation.SPOUSE,
                                "id_number": "", "share": share}]  # fmt: skip
        if status != RequestStatus.REQUESTED:
            sent = min(requested + timedelta(days=rng.randint(1, 5)), today)
            row.sent_at, row.sent_by_id = _at(sent, 11), by
            if status in (RequestStatus.DONE, RequestStatus.REJECTED):
                closed = min(sent + timedelta(days=rng.randint(3, 20)), today)
                row.closed_at, row.closed_by_id = _at(closed, 12), by
            if status == RequestStatus.REJECTED:
                row.rejection_reason = rng.choice(
                    REJECTIONS.get(policy.holder.language[:2], REJECTIONS["es"])
                )
        rows.append(row)
    created = bulk_create_with_history(
        rows, ServiceRequest, batch_size=2000, default_change_reason=REASON
    )
    for request in created:
        if request.status in (RequestStatus.REQUESTED, RequestStatus.SENT):
            request_item_create(request, agent=request.policy.agent_id, today=today)
    return len(created)


def _cases(ctx: DemoContext, policies, today, maintainer_id) -> int:
    """Cases of every class on distinct clients: lapsed for holders of lapsed policies, the
    others normal or (one in four) difficult; one in five closed with its outcome, its work
    done (a normal case's list signed and every item offered, a difficult one's six searches
    tried); the open ones on the client's owner's call list."""
    rng = ctx.rng
    agents = ctx.data.get("agents", [])
    first_policy = {}
    for policy in policies:
        first_policy.setdefault(policy.holder_id, policy)
    lapsed_clients = list(
        dict.fromkeys(p.holder_id for p in policies if p.status == PolicyStatus.LAPSED)
    )[:LAPSED_CASES]
    others = [pk for pk in first_policy if pk not in set(lapsed_clients)]
    count = max(MIN_CASES, len(first_policy) // 8)
    chosen = [(pk, CaseClass.LAPSED) for pk in lapsed_clients]
    for index, pk in enumerate(others[: max(count - len(chosen), MIN_CASES)]):
        chosen.append((pk, CaseClass.DIFFICULT if index % 4 == 1 else CaseClass.NORMAL))
    cases = []
    for index, (client_id, case_class) in enumerate(chosen):
        policy = first_policy[client_id]
        low, high = CASE_AGES[index % len(CASE_AGES)]
        opened = _at(today - timedelta(days=rng.randint(low, high)), 8)
        by = policy.holder.owner_id or maintainer_id
        # A departed agent's book came from another agent; an orphan had none left.
        departed = index % 3 != 0
        others_agents = [a.pk for a in agents if a.pk != policy.holder.owner_id]
        previous = rng.choice(others_agents) if departed and others_agents else None
        case = ServiceCase(
            client_id=client_id, case_class=case_class, opened_at=opened,
            source=CaseSource.DEPARTED_AGENT if departed else CaseSource.ORPHAN,
            previous_agent_id=previous, opened_by_id=maintainer_id,
        )  # fmt: skip
        if case_class == CaseClass.NORMAL:
            signed = min(opened + timedelta(hours=30), _at(today, 8))
            case.list_signed_at, case.list_signed_by_id = signed, by
        if index % 5 == 4:
            case.closed_at = min(opened + timedelta(days=10), _at(today, 9))
            case.closed_by_id = by
            case.outcome = {
                CaseClass.NORMAL: CaseOutcome.SERVED,
                CaseClass.DIFFICULT: CaseOutcome.UNREACHABLE,
                CaseClass.LAPSED: CaseOutcome.DECLINED,
            }[case_class]
            if case_class == CaseClass.LAPSED:
                case.note = "El cliente no desea rehabilitar la póliza."
        cases.append(case)
    cases = bulk_create_with_history(
        cases, ServiceCase, batch_size=2000, default_change_reason=REASON
    )
    items, searches = [], []
    for case in cases:
        policy = first_policy[case.client_id]
        by = policy.holder.owner_id or maintainer_id
        closed = case.closed_at is not None
        at = min(case.opened_at + timedelta(days=2), _at(today, 8))
        if case.case_class == CaseClass.NORMAL:
            offered = list(ServiceItem) if closed else rng.sample(list(ServiceItem), 3)
            items += [
                CaseServiceItem(case=case, item=item, by_id=by, at=at,
                                state=rng.choice(list(ItemState)))
                for item in offered
            ]  # fmt: skip
        elif case.case_class == CaseClass.DIFFICULT:
            tried = list(AGENT_SEARCHES) if closed else rng.sample(list(AGENT_SEARCHES), 2)
            searches += [CaseSearch(case=case, method=m, by_id=by, tried_at=at) for m in tried]
        if not closed:
            item_create(
                kind=CASE_KIND, subject_id=case.pk, title=case_title(case, policy.holder),
                due_on=today, agent=policy.holder.owner_id, priority=CASE_PRIORITY,
            )  # fmt: skip
    bulk_create_with_history(items, CaseServiceItem, batch_size=2000, default_change_reason=REASON)
    CaseSearch.objects.bulk_create(searches, batch_size=2000)
    return len(cases)
