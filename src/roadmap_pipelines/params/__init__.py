"""Pydantic models for each ``parameters_<pipeline>.yml``.

Kedro validates a node's typed ``params:`` inputs before any node runs, so an unknown key, a
wrong type or an impossible value stops ``kedro run`` with a message naming the file and key.
"""
