rule dataset:
    output:
        "results/data/{kind}/{dataset}",
    log:
        "logs/data/{kind}/{dataset}.log",
    priority: FIRST
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
    priority: FIRST
    conda:
        "../envs/scipar.yaml"
    params:
        code=reference_code,
    script:
        "../scripts/reference.py"


# ParaView export of a Chamfer cluster set (the workshop's "Visualization" chapter):
# every point with its cluster index, as a VTK unstructured grid.
rule paraview:
    input:
        "results/data/chamfer/{set}.npz",
    output:
        "results/data/chamfer/{set}.vtu",
    log:
        "logs/data/chamfer/{set}.vtu.log",
    conda:
        "../envs/scipar.yaml"
    script:
        "../scripts/paraview.py"


ruleorder: paraview > dataset
