# Aggregation, figures and the conclusion run where Snakemake runs, never as cluster jobs.
localrules:
    tables,
    figure,
    workshop_figure,
    problem_figure,
    conclusion,
    compare,


rule tables:
    input:
        lambda w: study_timings(STUDIES),
    output:
        timings=report(
            "results/tables/timings.csv",
            caption="../report/timings.rst",
            category="Tables",
        ),
        summary=report(
            "results/tables/summary.csv",
            caption="../report/summary.rst",
            category="Tables",
        ),
    log:
        "logs/report/tables.log",
    conda:
        "../envs/scipar.yaml"
    script:
        "../scripts/tables.py"


rule figure:
    input:
        lambda w: study_timings([w.study]),
    output:
        png=report(
            "results/figures/{study}.png",
            caption="../report/figure.rst",
            category="Figures",
        ),
        svg="results/figures/{study}.svg",
    log:
        "logs/report/figure-{study}.log",
    wildcard_constraints:
        study="|".join(STUDIES),
    conda:
        "../envs/scipar.yaml"
    params:
        baseline=lambda w: config["studies"][w.study].get("baseline"),
        study_type=lambda w: config["studies"][w.study]["type"],
        problem=lambda w: config["studies"][w.study]["problem"],
        several_interpreters=lambda w: interpreters.needs_another(
            config["studies"][w.study]
        ),
    script:
        "../scripts/figure.py"


rule workshop_figure:
    input:
        lambda w: study_timings(WORKSHOP_FIGURES[int(w.number)]),
    output:
        png=report(
            "results/figures/workshop/fig{number}.png",
            caption="../report/workshop_figure.rst",
            category="Workshop figures",
        ),
        svg="results/figures/workshop/fig{number}.svg",
    log:
        "logs/report/workshop-fig{number}.log",
    wildcard_constraints:
        number="|".join(str(n) for n in WORKSHOP_FIGURES),
    conda:
        "../envs/scipar.yaml"
    script:
        "../scripts/workshop_figure.py"


rule problem_figure:
    input:
        unpack(reference_inputs),
    output:
        report(
            "results/figures/problems/{kind}/{problem}.png",
            caption="../report/problem.rst",
            category="Problems",
        ),
    log:
        "logs/report/problem-{kind}-{problem}.log",
    conda:
        "../envs/scipar.yaml"
    script:
        "../scripts/problem_figure.py"


rule conclusion:
    input:
        # What the free-threaded interpreter left out, where a study runs under it.
        unpack(lambda w: {"facts": interpreters.FACTS} if free_threaded_impls() else {}),
        summary="results/tables/summary.csv",
        timings="results/tables/timings.csv",
        front_page=FRONT_PAGE_TEMPLATE,
    output:
        csv=report(
            "results/tables/conclusion.csv",
            caption="../report/conclusion.rst",
            category="Conclusion",
        ),
        md=report(
            "results/tables/conclusion.md",
            caption="../report/conclusion.rst",
            category="Conclusion",
        ),
        front_page=FRONT_PAGE,
    log:
        "logs/report/conclusion.log",
    conda:
        "../envs/scipar.yaml"
    params:
        baselines={
            study: spec.get("baseline") for study, spec in config["studies"].items()
        },
        unplanned=UNPLANNED,
    script:
        "../scripts/conclusion.py"


COMPARISON = [
    "results/tables/compare.csv",
    "results/tables/compare.md",
    "results/figures/compare.png",
    "results/figures/compare.svg",
]


rule compare:
    input:
        base=BASELINE or [],
        new="results/tables/timings.csv",
    output:
        csv=report(
            COMPARISON[0],
            caption="../report/compare.rst",
            category="Comparison",
        ),
        md=report(
            COMPARISON[1],
            caption="../report/compare.rst",
            category="Comparison",
        ),
        png=report(
            COMPARISON[2],
            caption="../report/compare.rst",
            category="Comparison",
        ),
        svg=COMPARISON[3],
    log:
        "logs/report/compare.log",
    conda:
        "../envs/scipar.yaml"
    params:
        margin=config.get("compare_margin", 0.05),
    script:
        "../scripts/compare.py"
