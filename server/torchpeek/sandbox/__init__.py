"""Server side of shape previews: build the program, drive the worker, present the result.

``program`` cuts a document down to what a hover needs, ``client`` runs and
restarts the worker process, ``service`` adds caching, cancellation and
status reporting, and ``present`` turns results into hover Markdown.
"""
