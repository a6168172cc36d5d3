from django.urls import reverse, set_script_prefix

from brokerage.core.reversing import pk_url


def test_the_same_url_as_reverse_for_any_id():
    for name in ("workqueue:result", "clients:detail", "billing:item_promise"):
        url = pk_url(name)
        for pk in (1, 42, 10**9):
            assert url(pk) == reverse(name, args=[pk])


def test_a_script_prefix_is_kept():
    set_script_prefix("/cartera/")
    try:
        assert pk_url("clients:detail")(7) == reverse("clients:detail", args=[7])
        assert pk_url("clients:detail")(7).startswith("/cartera/")
    finally:
        set_script_prefix("/")
