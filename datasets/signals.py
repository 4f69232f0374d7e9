"""Signals the later stages listen to, so an earlier app never imports a later one.

`dataset_deleting` is sent inside the deleting transaction, before the row goes: receivers add to
`cleanup` the reasons the dataset cannot go now (running work) and the files that go with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.dispatch import Signal

__all__ = ["Cleanup", "dataset_deleting"]


@dataclass
class Cleanup:
    """What a deletion takes along: why it must wait (`blockers`) and the stored files to remove
    once it commits (`files`, storage names)."""

    blockers: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


# Sent with `dataset` and `cleanup` (a Cleanup) inside the deleting transaction.
dataset_deleting = Signal()
