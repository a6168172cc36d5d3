import pytest


@pytest.fixture(autouse=True)
def default_touch_settings(request):
    """The seeds' touch settings, as the data migration writes them: a transactional test
    before this one may have flushed the table."""
    if "django_db" not in {m.name for m in request.node.iter_markers()}:
        return
    request.getfixturevalue("django_db_blocker")
    from touches.models import TouchSetting
    from touches.services import touch_settings_default

    if TouchSetting.objects.count() < 7:
        touch_settings_default()


@pytest.fixture(autouse=True)
def _brokerage_in_mexico_city(settings):
    """A brokerage in Mexico City whose phones are read as Mexican by default."""
    settings.TIME_ZONE = "America/Mexico_City"
    settings.PHONENUMBER_DEFAULT_REGION = "MX"
