"""Signals the later stages listen to, so an earlier app never imports a later one.

`dataset_deleting` is sent inside the deleting transaction, before the row goes: receivers add to
`cleanup` the reasons the dataset cannot go now (running work) and the files that go with it.
`dataset_checking` is sent when the dataset's "Before training" checks are answered: receivers
add to `warnings` what their stage knows would weaken training on it (a forecasting run on a
series too short for its season or its ranking windows).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.dispatch import Signal

__all__ = ["Cleanup", "dataset_checking", "dataset_deleting"]


@dataclass
class Cleanup:
    """What a deletion takes along: why it must wait (`blockers`) and the stored files to remove
    once it commits (`files`, storage names)."""

    blockers: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


# Sent with `dataset` and `cleanup` (a Cleanup) inside the deleting transaction.
dataset_deleting = Signal()

# Sent with `dataset` and `warnings` (a list of sentences to add to) each time the checks are
# answered (never cached: they depend on the dataset's pipelines, which change).
dataset_checking = Signal()
