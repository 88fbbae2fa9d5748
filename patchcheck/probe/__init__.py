"""Behavioural probe of MAP_DROPPABLE on a live kernel."""
