# scipar: the 2018 workshop "Accelerating Python for Scientific Computing" as a
# reproducible benchmark. Stages, one module each: datasets, timing jobs, report.


from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/toy.smk"
include: "rules/chamfer.smk"
include: "rules/report.smk"


rule all:
    input:
        final_outputs(),
    default_target: True
