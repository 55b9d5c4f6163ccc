rule time_chamfer:
    input:
        unpack(chamfer_inputs),
    output:
        "results/timings/{study}/{problem}/{impl}/{backend}-w{workers}.csv",
    wildcard_constraints:
        study="chamfer|strong|weak|size",
        problem=r"L\d+-\d+-\d+_R\d+-\d+-\d+",
    params:
        repeats=lambda w: plan.repeats(config, w.study),
    threads: TIMED_THREADS
    log:
        "logs/timings/{study}/{problem}/{impl}/{backend}-w{workers}.log",
    conda:
        "../envs/scipar.yaml"
    script:
        "../scripts/time_chamfer.py"
