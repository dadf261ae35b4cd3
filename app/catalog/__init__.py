"""The product catalog: declared in a YAML or JSON file and applied to one environment.

``schemas`` reads and validates the file, ``service`` applies it, ``repository`` holds
the queries other domains use.
"""
