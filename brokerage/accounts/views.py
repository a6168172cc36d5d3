from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .forms import LoginForm, ProfileForm, TeamForm, UserForm
from .models import Team, User
from .roles import Role
from .selectors import departure_summary, team_directory, teams_led_by, users_without_team


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


@login_required
def home(request):
    """Each role starts the day on its own page."""
    user = request.user
    if user.is_agent:
        return redirect("workqueue:queue")
    if user.is_cartera_admin or user.is_manager or user.is_maintainer:
        return redirect("accounts:team")
    return redirect("accounts:profile")


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user, request=request)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in form.Meta.fields}
        try:
            services.user_update(user=request.user, data=data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your profile has been saved."))
            return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "teams_led": teams_led_by(user=request.user)},
    )


def _can_see_directory(user):
    return user.is_cartera_admin or user.is_manager or user.is_maintainer


@login_required
def team_list(request):
    if not _can_see_directory(request.user):
        raise PermissionDenied
    teams = list(team_directory(user=request.user))
    for team in teams:
        team.can_grant_export = services.export_grant_allowed(by=request.user, team=team)
    unassigned = (
        list(users_without_team()) if request.user.has_perm("accounts.manage_users") else []
    )
    return render(
        request,
        "accounts/team_list.html",
        {
            "teams": teams,
            "unassigned": unassigned,
            "roles": Role,
            "can_grant_unassigned": services.export_grant_allowed(by=request.user, team=None),
        },
    )


@login_required
@permission_required("accounts.manage_team", raise_exception=True)
@require_POST
def user_export_grant(request, pk):
    """A manager lets an agent of his team export (or withdraws it); audited by the service."""
    people = (
        User.objects.all()
        if request.user.is_cartera_admin
        else User.objects.filter(team__manager=request.user)
    )
    member = get_object_or_404(people.select_related("team"), pk=pk)
    granted = request.POST.get("grant") == "1"
    try:
        services.user_set_export_grant(user=member, by=request.user, granted=granted)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if granted:
            text = _("%(name)s may now export their call list and clients.")
        else:
            text = _("%(name)s can no longer export.")
        messages.success(request, text % {"name": member})
    anchor = f"#team-{member.team_id}" if member.team_id else ""
    return redirect(reverse("accounts:team") + anchor)


def _get_user_for_admin(request, pk) -> User:
    """The person an Administrator may manage: anyone but a superuser, unless they are one
    themselves (else changing a superuser's e-mail, then resetting its password, would hand
    the whole system over)."""
    people = User.objects.all()
    if not request.user.is_superuser:
        people = people.filter(is_superuser=False)
    return get_object_or_404(people, pk=pk)


def _send_password_link(request, user):
    form = PasswordResetForm({"email": user.email})
    if form.is_valid():
        form.save(
            request=request,
            use_https=request.is_secure(),
            subject_template_name="registration/welcome_subject.txt",
            email_template_name="registration/welcome_email.txt",
        )


@login_required
@permission_required("accounts.manage_users", raise_exception=True)
def user_create(request):
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in form.Meta.fields}
        try:
            user = services.user_create(roles=form.cleaned_data["roles"], **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            _send_password_link(request, user)
            messages.success(
                request,
                _("%(name)s can now sign in: a link to choose a password went to %(email)s.")
                % {"name": user, "email": user.email},
            )
            return redirect("accounts:team")
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@login_required
@permission_required("accounts.manage_users", raise_exception=True)
def user_edit(request, pk):
    user = _get_user_for_admin(request, pk)
    form = UserForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in form.Meta.fields if f != "username"}
        try:
            services.user_update(user=user, data=data, roles=form.cleaned_data["roles"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("%(name)s has been saved.") % {"name": user})
            return redirect("accounts:team")
    return render(
        request, "accounts/user_form.html", {"form": form, "creating": False, "person": user}
    )


@login_required
@permission_required("accounts.manage_users", raise_exception=True)
def user_deactivate(request, pk):
    """GET asks for confirmation and says what will happen; POST deactivates."""
    user = _get_user_for_admin(request, pk)
    if request.method != "POST":
        return render(
            request,
            "accounts/user_deactivate.html",
            {"person": user, "departure": departure_summary(user=user)},
        )
    try:
        services.user_deactivate(user=user, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(name)s has been deactivated. Their records are kept; reassign their clients.")
            % {"name": user},
        )
    return redirect("accounts:team")


@require_POST
@login_required
@permission_required("accounts.manage_users", raise_exception=True)
def user_reactivate(request, pk):
    user = _get_user_for_admin(request, pk)
    services.user_reactivate(user=user)
    messages.success(request, _("%(name)s can sign in again.") % {"name": user})
    return redirect("accounts:team")


@login_required
@permission_required("accounts.manage_users", raise_exception=True)
def team_form(request, pk=None):
    team = get_object_or_404(Team, pk=pk) if pk else None
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        try:
            if team is None:
                team = services.team_create(**form.cleaned_data)
            else:
                services.team_update(team=team, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Team %(name)s has been saved.") % {"name": team})
            return redirect(reverse("accounts:team") + f"#team-{team.pk}")
    return render(request, "accounts/team_form.html", {"form": form, "team": team})


def locked_out(request, original_response=None, credentials=None):
    """Shown by django-axes when a user name is throttled (AXES_LOCKOUT_CALLABLE)."""
    from django.conf import settings

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
