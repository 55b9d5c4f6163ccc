rule time_toy:
    output:
        "results/timings/{study}/{problem}/{impl}/{backend}-w{workers}.csv",
    wildcard_constraints:
        study="toy|gil",
        problem=r"(overwrite|accumulate)-n\d+",
    params:
        repeats=lambda w: plan.repeats(config, w.study),
        calls=lambda w: config["studies"].get("gil", {}).get("calls", 1) if w.study == "gil" else 1,
    threads: TIMED_THREADS
    log:
        "logs/timings/{study}/{problem}/{impl}/{backend}-w{workers}.log",
    conda:
        "../envs/scipar.yaml"
    script:
        "../scripts/time_toy.py"
