"""The learner record engine: rows, values, rules, matching, facts, duplicates, REMS, store.

`learners.engine.services` is its one entrance; every door (file uploads, web services, manual
entry) calls it. Nothing here imports from `uploads`, `webservices` or any view.
"""
