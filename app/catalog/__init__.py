"""The product catalog: declared in a YAML or JSON file and applied to one environment.

``schemas`` reads and validates the file (with the ``*_rules`` modules), ``service``
applies it, ``repository`` holds the queries other domains use, and ``meters`` reads
the meter a feature stores and tells which events it counts.
"""
