# A timing job runs as rounds, each a fresh process at another moment of the run (docs/method.md), merged into the job's CSV.
rule time_round:
    input:
        unpack(timing_inputs),
    output:
        temp(
            "results/rounds/{study}/{problem}/{impl}/{backend}-w{workers}/round{round}.csv"
        ),
    log:
        "logs/rounds/{study}/{problem}/{impl}/{backend}-w{workers}/round{round}.log",
    wildcard_constraints:
        study="|".join(STUDIES),
        round=r"\d+",
    priority: round_priority
    conda:
        "../envs/scipar.yaml"
    threads: timed_threads
    resources:
        slurm_extra=timed_slurm_extra,
    params:
        spec=timing_spec,
        code=implementation_code,
    script:
        "../scripts/time_job.py"


localrules:
    time,


rule time:
    input:
        job_rounds,
    output:
        "results/timings/{job}.csv",
    log:
        "logs/timings/{job}.log",
    conda:
        "../envs/scipar.yaml"
    params:
        code=implementation_code,
    script:
        "../scripts/merge_rounds.py"
