"""The Dagster objects of the pipeline: resources, partitions, assets, checks, jobs, schedule, sensor."""
