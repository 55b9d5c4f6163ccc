# scipar: the 2018 workshop "Accelerating Python for Scientific Computing" as a
# reproducible benchmark. Stages, one module each: datasets, timing jobs, report.


import os

from snakemake.utils import min_version

min_version("9.0")


# The default config, unless the command line names one: --configfile replaces it
# (Snakemake would otherwise merge the two, key by key).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


# The report's first page: the method (report/workflow.rst) and, once the conclusion
# step has written it, this run's conclusion in the workshop's terms.
FRONT_PAGE = "results/tables/front_page.rst"


FRONT_PAGE_TEMPLATE = os.path.join(workflow.current_basedir, "report", "workflow.rst")


report: os.path.abspath(FRONT_PAGE) if os.path.exists(FRONT_PAGE) else FRONT_PAGE_TEMPLATE


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/timing.smk"
include: "rules/interpreters.smk"
include: "rules/report.smk"


rule all:
    default_target: True
    input:
        final_outputs(),
