rule dataset:
    output:
        "results/data/{kind}/{dataset}",
    log:
        "logs/data/{kind}/{dataset}.log",
    conda:
        "../envs/scipar.yaml"
    script:
        "../scripts/make_dataset.py"


rule reference:
    input:
        unpack(reference_inputs),
    output:
        "results/reference/{kind}/{problem}.npz",
    log:
        "logs/reference/{kind}/{problem}.log",
    conda:
        "../envs/scipar.yaml"
    script:
        "../scripts/reference.py"
