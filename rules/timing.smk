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
        study=lambda w: plan.study_settings(config, w.study),
        sampling=lambda w: plan.sampling(config, w.study),
    script:
        "../scripts/time_job.py"
