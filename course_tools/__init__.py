"""Teacher and maintainer tools for the open PyTorch course (students never need them).

- ``student``, ``homework``, ``grading``, ``slides``, ``site``: teacher tools;
- ``notebook_tools``: maintainer tools (clean, refresh checked outputs, badges).
"""
