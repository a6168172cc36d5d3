"""Files the tests upload land in each test's own temporary folder (conftest.py), never in the
project's media folder."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


def test_it_keeps_uploads_in_the_tests_own_temporary_folder(tmp_path):
    name = default_storage.save("documents/probe.txt", ContentFile(b"probe"))
    assert (tmp_path / name).read_bytes() == b"probe"
