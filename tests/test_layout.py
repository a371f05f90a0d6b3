"""platform/ is a folder, not a package: the standard library's platform module must win."""

import platform


def test_stdlib_platform_module_is_not_shadowed():
    assert platform.system()
    assert hasattr(platform, "python_version")
