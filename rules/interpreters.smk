# Timing jobs under a free-threaded CPython (docs/free-threading.md): its GIL
# off (interpreter "free-threaded") and on (PYTHON_GIL=1, "free-threaded-gil"). Only
# the timing jobs run there; Snakemake, the tables and the figures stay on the default
# interpreter.


# Its environment, once: a checkpoint, since which implementations install for that
# interpreter (Numba may not) is known only when it is built.
checkpoint free_threaded_environment:
    output:
        venv=directory(interpreters.VENV),
        facts=interpreters.FACTS,
    log:
        "logs/interpreters/free-threaded.log",
    priority: FIRST
    conda:
        "../envs/scipar.yaml"
    params:
        python=config.get(interpreters.CONFIG_KEY),
        impls=free_threaded_impls(),
    script:
        "../scripts/free_threaded_environment.py"


# One round of a timing job there (rules/timing.smk merges the rounds).
rule time_round_under_interpreter:
    input:
        unpack(timing_inputs),
        facts=interpreters.FACTS,
    output:
        temp(
            "results/rounds/{study}/{problem}/{impl}/{backend}-w{workers}-{interpreter}/round{round}.csv"
        ),
    log:
        "logs/rounds/{study}/{problem}/{impl}/{backend}-w{workers}-{interpreter}/round{round}.log",
    wildcard_constraints:
        study="|".join(STUDIES),
        interpreter=f"{interpreters.FREE_THREADED}|{interpreters.FREE_THREADED_GIL}",
        round=r"\d+",
    priority: round_priority
    # (The job runs the environment's own interpreter; this file documents where one
    # may come from.)
    conda:
        "../envs/free-threaded.yaml"
    threads: timed_threads
    resources:
        slurm_extra=timed_slurm_extra,
    params:
        spec=lambda w, input, output, threads: json.dumps(
            timing_spec(w, input, output, threads)
        ),
        env=lambda w: interpreters.job_environment(w.interpreter),
        python=f"{interpreters.VENV}/bin/python",
        # The round runs there, watched from here (scipar.workflow.supervise).
        supervisor=sys.executable,
    shell:
        "{params.env} {params.supervisor} -m scipar.workflow.supervise {params.python} {params.spec:q}"
