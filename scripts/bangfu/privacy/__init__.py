"""Privacy checks on what is published: personal data typed into public text, ids and file
names (``pii`` detectors, ``fields`` from the schemas, ``rule`` over the whole model)."""
