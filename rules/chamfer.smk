rule time_chamfer:
    input:
        unpack(chamfer_inputs),
    output:
        "results/timings/{study}/{problem}/{impl}/{backend}-w{workers}.csv",
    log:
        "logs/timings/{study}/{problem}/{impl}/{backend}-w{workers}.log",
    wildcard_constraints:
        study="chamfer|strong|weak|size",
        problem=r"L\d+-\d+-\d+_R\d+-\d+-\d+",
    conda:
        "../envs/scipar.yaml"
    threads: timed_threads
    resources:
        slurm_extra=timed_slurm_extra,
    params:
        sampling=lambda w: plan.sampling(config, w.study),
    script:
        "../scripts/time_chamfer.py"
