rule time:
    input:
        unpack(timing_inputs),
    output:
        "results/timings/{study}/{problem}/{impl}/{backend}-w{workers}.csv",
    log:
        "logs/timings/{study}/{problem}/{impl}/{backend}-w{workers}.log",
    wildcard_constraints:
        study="|".join(STUDIES),
    conda:
        "../envs/scipar.yaml"
    threads: timed_threads
    resources:
        slurm_extra=timed_slurm_extra,
    params:
        spec=timing_spec,
    script:
        "../scripts/time_job.py"
