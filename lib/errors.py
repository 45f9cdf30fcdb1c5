"""The portal's own exceptions: one base class, shown to users as a plain message."""

from __future__ import annotations


class PortalError(Exception):
    """An error the portal explains to its user; never a traceback."""


class StoreBusy(PortalError):
    """Another process (the running portal) holds the store for writing."""


class AccessDenied(PortalError):
    """The current user may not do this; worded like 'not found' to leak nothing."""


class NotFound(PortalError):
    """No such record within what the user may see."""
