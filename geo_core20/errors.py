"""The project's errors: one family under `GeoCore20Error`, so a caller catches one name.

    GeoCore20Error
    ├── InputError (also a ValueError)       what the user asked for cannot be done; the message is
    │   │                                    for the user as it stands (pages show it beside the control)
    │   ├── AreaError                        unknown level or area code
    │   ├── UnknownFocus                     a clinical focus that is not one of the five
    │   ├── TargetError                      a Core20PLUS target rule that cannot be used
    │   ├── UploadError                      an uploaded file that cannot be used at all
    │   ├── AccessError                      bad inputs to an access calculation (OD table, target mask)
    │   ├── ExportError                      a bad export request (format, level, area, shading)
    │   ├── VenueError                       a venue choice the user gave that cannot be used
    │   └── SitingError                      inputs that cannot define a siting problem
    │       └── ProblemTooLarge              the demand x candidate matrix is over the limit
    ├── DataError (also a ValueError)        the data on this machine cannot be used as it is
    │   ├── NotBuiltError                    a cache not built yet: says which command builds it
    │   └── CacheError                       a built cache that is damaged: names the file and the rebuild
    ├── PlanStoreError (also a RuntimeError) the saved-plan store cannot be used (damaged, busy, newer)
    └── DownloadError                        a download that retrying the same URL will not fix
        └── RetryableError                   a transient failure worth another attempt

The command line catches `GeoCore20Error` once (message, exit code 2); a page catches `InputError`
where it can show it, and the page frame (`ui.page.frame`) shows any `DataError`. The extra
built-in bases keep ``except ValueError`` / ``except RuntimeError`` in callers' code working as it
did before the family existed.
"""

from __future__ import annotations


class GeoCore20Error(Exception):
    """Every error geo_core20 raises on purpose; its message says what went wrong and what to do."""


# --- input: the user's request ---------------------------------------------------------------------

class InputError(GeoCore20Error, ValueError):
    """What the user asked for cannot be done; the message is for the user as it stands."""


class AreaError(InputError):
    """An unknown geography level or an area code that is not in the atlas."""


class UnknownFocus(InputError):
    """A focus id that is not one of the five."""


class TargetError(InputError):
    """A Core20PLUS target rule that cannot be used (unknown condition, indicator, threshold...)."""


class UploadError(InputError):
    """The file cannot be used at all; the message tells the user why and what to do."""


class AccessError(InputError):
    """Bad inputs to an access calculation (missing columns, misaligned target, bad OD table)."""


class ExportError(InputError):
    """A bad export request (format, level, area or shading); the message names the valid choices."""


class VenueError(InputError):
    """A venue choice or file the user gave that cannot be used (an unknown retailer...)."""


class SitingError(InputError):
    """Inputs that cannot define a siting problem (bad k, no candidates, bad columns, unknown focus)."""


class ProblemTooLarge(SitingError):
    """The demand x candidate matrix is over the limit; says by how much and what to do."""

    def __init__(self, n_demand: int, n_candidates: int, limit: int) -> None:
        self.n_demand, self.n_candidates, self.limit = n_demand, n_candidates, limit
        cells = n_demand * n_candidates
        super().__init__(
            f"Problem too large: {n_demand:,} target LSOAs x {n_candidates:,} candidate sites = "
            f"{cells:,} pairs, over the limit of {limit:,}. Choose a smaller area (an ICB or sub-ICB "
            "location rather than a region), fewer candidates (fewer site types or an uploaded shortlist), "
            "or a narrower target population.")


# --- data: the files on this machine ---------------------------------------------------------------

class DataError(GeoCore20Error, ValueError):
    """An input file or cache that cannot be used as it is; the message says why and what to do."""


class NotBuiltError(DataError):
    """A cache that `python -m geo_core20 data build` (or `assets`) has not built yet."""


class CacheError(DataError):
    """A built cache file that is damaged (truncated, corrupt, or not what its build recorded)."""


# --- the saved-plan store --------------------------------------------------------------------------

class PlanStoreError(GeoCore20Error, RuntimeError):
    """The store cannot be used (damaged file, corrupt payload, newer schema, busy for too long)."""


# --- fetching the published inputs -----------------------------------------------------------------

class DownloadError(GeoCore20Error):
    """A download failed in a way that retrying the same URL will not fix (4xx, bad content)."""


class RetryableError(DownloadError):
    """A transient failure: 5xx, 429, a body shorter than Content-Length, an unparseable page."""
