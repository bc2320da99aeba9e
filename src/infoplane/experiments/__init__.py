"""The experiment model: every paper's experiment is one file, experiments/<name>.yaml.

One loader reads and checks it (:mod:`.spec`), one step trains a run of it (:mod:`.run`), one
step measures a run (:mod:`.analyse`); the MI table they write is :mod:`infoplane.tables`'s.
"""
