-- 052_cpu_jobs: a job without GPUs is a job. The Slurm adapter stores
-- every job Slurm lists: a CPU-only job holds cores and memory on a GPU
-- node (its GPUs idle, but the node MIXED or ALLOCATED) and a place in the
-- queue, and an operator draining the node or reading why the queue is
-- stuck has to see it. Before, job.gpus >= 1 kept them out of dcops
-- altogether.
ALTER TABLE dcops.job DROP CONSTRAINT job_gpus_check,
    ADD CONSTRAINT job_gpus_check CHECK (gpus >= 0);
ALTER TABLE dcops.incident_job DROP CONSTRAINT incident_job_gpus_check,
    ADD CONSTRAINT incident_job_gpus_check CHECK (gpus >= 0);
