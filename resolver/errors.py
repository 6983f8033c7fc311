"""Exception hierarchy.

Every error a user can cause (bad input, a registry that says no) is a :class:`ChartlockError`
whose ``str()`` is one line, fit to print after ``chartlock: error:``. The CLI turns these into
exit code 2; anything else is a bug.
"""

from __future__ import annotations


class ChartlockError(Exception):
    """Base class of every error chartlock reports to users (one line, exit code 2)."""


class InvalidVersion(ChartlockError, ValueError):
    """A string is not a version (Masterminds ``NewVersion``/``StrictNewVersion`` rejects it)."""


class InvalidConstraint(ChartlockError, ValueError):
    """A string is not a version constraint (Masterminds ``NewConstraint`` rejects it)."""


class InputError(ChartlockError):
    """A file chartlock reads is missing, unreadable or malformed.

    ``path`` names the file; ``line``/``column`` (1-based) locate the problem when known.
    """

    def __init__(
        self, path: str, message: str, *, line: int | None = None, column: int | None = None
    ) -> None:
        self.path = path
        self.message = message
        self.line = line
        self.column = column
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class UnreadableFile(InputError):
    """A file could not be read at all (missing, a directory, a dangling symlink, an OS error),
    as opposed to one that was read but does not parse. Even ``lint``, which reports broken
    content as findings (CL003), fails the run (exit 2) on these: it could not look."""


class ConfigError(InputError):
    """The chartlock configuration is invalid (names the file and the key)."""


class WriteError(ChartlockError):
    """A file could not be written safely (symlink target, permissions, concurrent writer)."""


class ResolveError(ChartlockError):
    """A dependency cannot be resolved (no matching version, missing repository, ...)."""


class RegistryError(ChartlockError):
    """An OCI registry or chart repository request failed.

    The message names the registry, the repository and the cause in one line, and never
    contains a credential.
    """

    def __init__(
        self,
        message: str,
        *,
        registry: str = "",
        repository: str = "",
        code: str = "",
        status: int | None = None,
    ) -> None:
        self.registry = registry
        self.repository = repository
        self.code = code
        self.status = status
        super().__init__(message)

    @property
    def gone(self) -> bool:
        """Whether the registry says the tag, manifest or repository does not exist."""
        return self.status == 404 or self.code in ("MANIFEST_UNKNOWN", "NAME_UNKNOWN")


class DigestMismatch(RegistryError):
    """Content fetched from a registry does not hash to the digest it was addressed by."""
