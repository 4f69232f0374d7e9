"""Limits on a pipeline's settings, shared by the stages that check them. Django-free, so the
forecasting engine can import them too.
"""

MAX_HORIZON = 10_000  # the most steps ahead a forecasting pipeline may ask for
