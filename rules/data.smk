rule dataset:
    output:
        "results/data/c{clusters}_m{max_size}_s{seed}.npz",
    log:
        "logs/data/c{clusters}_m{max_size}_s{seed}.log",
    conda:
        "../envs/scipar.yaml"
    script:
        "../scripts/make_dataset.py"


rule reference:
    input:
        unpack(reference_inputs),
    output:
        "results/reference/{problem}.npz",
    log:
        "logs/reference/{problem}.log",
    conda:
        "../envs/scipar.yaml"
    script:
        "../scripts/reference.py"
