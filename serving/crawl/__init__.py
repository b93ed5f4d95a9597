"""Batch inference over a crawl (``make classify``): the same chunks, records and output on one process or on Ray Data.

:mod:`.sources` finds and chunks the input, :mod:`.worker` classifies a chunk with one
Predictor, :mod:`.engines` runs the chunks locally or on a Ray actor pool, :mod:`.output`
writes shards atomically so a killed run resumes, :mod:`.records` is the record format.
"""
