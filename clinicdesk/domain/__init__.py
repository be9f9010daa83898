"""Domain values, validation and derived facts. Standard library only: no Qt, no SQL."""
