"""In-process fake of the VK API for the sandbox, tests and the collector benchmark.

See :mod:`sandbox.fake_vk.server` for the server, :mod:`sandbox.fake_vk.api` for the methods
and the error codes chosen where VK is undocumented, and :mod:`sandbox.fake_vk.vkscript` for
the ``execute`` programs understood.
"""

from sandbox.fake_vk.errors import VKError
from sandbox.fake_vk.server import MSK, CallRecord, FakeVK, FaultKind, VKLimits

__all__ = ["MSK", "CallRecord", "FakeVK", "FaultKind", "VKError", "VKLimits"]
