"""Demo people: one user of each role with an easy name, and a sales force sized to the book."""

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from brokerage.core.demo import DEMO_PASSWORD, DemoContext

from .models import Team, User
from .roles import Role, roles_sync

CLIENTS_PER_AGENT = 2500
AGENTS_PER_TEAM = 8


def agent_count(clients: int) -> int:
    return max(4, min(200, clients // CLIENTS_PER_AGENT))


def seed_people(ctx: DemoContext) -> None:
    roles_sync()
    groups = {g.name: g for g in Group.objects.filter(name__in=Role.values)}
    password = make_password(DEMO_PASSWORD)  # hashed once, shared by every demo user

    n_agents = agent_count(ctx.clients)
    n_teams = max(1, -(-n_agents // AGENTS_PER_TEAM))

    def person(username, language=None):
        first, last, lang = ctx.person_name()
        return User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@demo.cartera.invalid",
            language=language or lang,
            password=password,
        )

    managers = [person("manager")] + [person(f"manager{i:02d}") for i in range(2, n_teams + 1)]
    others = [person("admin", "en"), person("maintainer")]
    agents = [person("agent")] + [person(f"agent{i:03d}") for i in range(2, n_agents + 1)]
    User.objects.bulk_create(managers + others + agents, batch_size=1000)  # ids returned
    by_name = {u.username: u for u in managers + others + agents}
    teams = Team.objects.bulk_create(
        [Team(name=f"Equipo {i + 1}", manager=m) for i, m in enumerate(managers)]
    )
    for index, agent in enumerate(agents):
        agent.team = teams[index // AGENTS_PER_TEAM]
    User.objects.bulk_update(agents, ["team"], batch_size=1000)

    through = User.groups.through
    links = [through(user_id=u.pk, group_id=groups[Role.MANAGER].pk) for u in managers]
    links += [through(user_id=u.pk, group_id=groups[Role.AGENT].pk) for u in agents]
    links += [
        through(user_id=by_name["admin"].pk, group_id=groups[Role.ADMIN].pk),
        through(user_id=by_name["maintainer"].pk, group_id=groups[Role.MAINTAINER].pk),
    ]
    through.objects.bulk_create(links, batch_size=1000)

    ctx.data["agents"] = agents
    ctx.data["teams"] = teams
    ctx.data["managers"] = managers
    ctx.write(
        f"people: {len(agents)} agents in {len(teams)} teams, {len(managers)} managers, "
        "1 maintainer, 1 admin"
    )
    ctx.write(f"demo users (password: {DEMO_PASSWORD}):")
    for username, role in (
        ("agent", Role.AGENT),
        ("manager", Role.MANAGER),
        ("maintainer", Role.MAINTAINER),
        ("admin", Role.ADMIN),
    ):
        ctx.write(f"  {username:<12} {role.label} — {by_name[username]}")
