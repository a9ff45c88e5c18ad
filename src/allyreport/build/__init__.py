"""The build: the pipeline, the account as the unit of work, workers, the cache and atomic publishing."""
