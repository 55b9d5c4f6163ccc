rule time_toy:
    output:
        "results/timings/{study}/{problem}/{impl}/{backend}-w{workers}.csv",
    log:
        "logs/timings/{study}/{problem}/{impl}/{backend}-w{workers}.log",
    wildcard_constraints:
        study="toy|gil",
        problem=r"(overwrite|accumulate)-n\d+",
    conda:
        "../envs/scipar.yaml"
    threads: timed_threads
    resources:
        slurm_extra=timed_slurm_extra,
    params:
        sampling=lambda w: plan.sampling(config, w.study),
        calls=lambda w: (
            config["studies"].get("gil", {}).get("calls", 1) if w.study == "gil" else 1
        ),
    script:
        "../scripts/time_toy.py"
