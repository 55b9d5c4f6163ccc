import itertools
import math
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from scipar.measure.stats import bootstrap_median_ci, median_ci, ratio_ci
from scipar.problems import get_problem
from scipar.problems.toy import closed_form
from scipar.report.summary import add_scaling, overlapping_jobs, summarise
from scipar.workflow import plan
from scipar.workflow.config import ConfigError, check_config, check_workers

SCHEMA = "config/schema.yaml"


def default_config():
    with open("config/config.yaml") as f:
        return yaml.safe_load(f)


def test_instance_names_round_trip():
    chamfer, toy = get_problem("chamfer"), get_problem("toy")
    params = dict(L=[400, 200, 1], R=[200, 450, 2])
    assert chamfer.instance_name(params) == "L400-200-1_R200-450-2"
    assert chamfer.instance_params("L400-200-1_R200-450-2") == params
    assert toy.instance_params(toy.instance_name(dict(variant="accumulate", n=200))) == dict(variant="accumulate", n=200)
    with pytest.raises(ValueError, match="not a Chamfer instance name"):
        chamfer.instance_params("L1-2_R3")
    with pytest.raises(ValueError, match="not a toy instance name"):
        toy.instance_params("sideways-n3")


def test_weak_scaling_grows_left_with_workers():
    chamfer = get_problem("chamfer")
    assert chamfer.job_params("L25-200-1_R200-450-2", "weak", 16) == dict(L=[400, 200, 1], R=[200, 450, 2])
    assert chamfer.job_params("L25-200-1_R200-450-2", "strong", 16) == dict(L=[25, 200, 1], R=[200, 450, 2])
    config = default_config()
    job = plan.Job("weak", "L25-200-1_R200-450-2", "numba", "threads", 16)
    assert plan.job_inputs(config, job) == {
        "left": "results/data/chamfer/c400_m200_s1.npz", "right": "results/data/chamfer/c200_m450_s2.npz",
        "reference": "results/reference/chamfer/L400-200-1_R200-450-2.npz",
    }


def test_every_configuration_is_one_job_once():
    config = default_config()
    jobs = plan.timing_jobs(config, cores=2)
    assert len(jobs) == len(set(jobs)) == len({j.path for j in jobs})
    # serial only with one worker, prange only for kernels with a parallel loop inside
    assert all(j.workers == 1 for j in jobs if j.backend == "serial")
    assert all(j.impl in ("numba", "cython", "cython-pruned") for j in jobs if j.backend == "prange")
    strong = [j for j in jobs if j.study == "strong"]
    s = config["studies"]["strong"]
    expected = sum(
        1 for impl, b, w in itertools.product(s["impls"], s["backends"], [1, 2])
        if (b != "serial" or w == 1) and (b != "prange" or impl in ("numba", "cython", "cython-pruned"))
    )
    assert len(strong) == expected


@pytest.mark.parametrize("cores, counts", [
    (1, [1]), (2, [1, 2]), (3, [1, 2, 3]), (8, [1, 2, 4, 8]), (32, [1, 2, 4, 8, 16, 32]), (12, [1, 2, 4, 8, 12]),
])
def test_auto_workers_follow_the_cores_given(cores, counts):
    jobs = plan.timing_jobs(default_config(), cores=cores)
    for study in ("gil", "strong", "weak"):
        assert sorted({j.workers for j in jobs if j.study == study}) == counts, study
    # size: workers [1, max], the speedup at every size on all the cores given
    assert sorted({j.workers for j in jobs if j.study == "size"}) == sorted({1, cores})
    assert {j.workers for j in jobs if j.study in ("toy", "chamfer")} == {1}


def test_auto_without_cores_is_an_error():
    with pytest.raises(ValueError, match="need the number of cores"):
        plan.timing_jobs(default_config())


def test_more_workers_than_the_cores_given_are_refused():
    config = default_config()
    config["studies"]["strong"]["workers"] = [1, 2, 4]
    with pytest.raises(ConfigError, match=r"studies\.strong\.workers\[2\]: 4 workers, more than the 2 CPUs .*--cores 2"):
        check_workers(config, 2, machine_cpus=2)
    assert check_workers(config, 4, machine_cpus=4) == (4, [])
    config["oversubscribe"] = True
    assert check_workers(config, 2, machine_cpus=2)[0] == 2


def test_cores_beyond_the_machine_are_warned_about():
    limit, notes = check_workers(default_config(), 8, machine_cpus=2)
    assert limit == 8 and "more than the 2 CPUs" in notes[0] and "oversubscribed" in notes[0]


def test_a_cluster_needs_max_workers_for_auto():
    # A cluster profile gives no --cores: cores None.
    config = default_config()
    with pytest.raises(ConfigError, match=r"studies\.gil\.workers: 'auto' needs a number of workers: .*max_workers"):
        check_workers(config, None, machine_cpus=4)
    config["max_workers"] = 16
    assert check_workers(config, None, machine_cpus=4) == (16, [])
    assert check_workers(config, 8, machine_cpus=8) == (8, [])  # max_workers bounds --cores, not the reverse
    config["studies"]["strong"]["workers"] = [1, 32]
    with pytest.raises(ConfigError, match=r"studies\.strong\.workers\[1\]: 32 workers, more than the 16 CPUs .*max_workers"):
        check_workers(config, None, machine_cpus=4)


def test_sampling_settings_per_study():
    config = default_config()
    config["studies"]["chamfer"]["max_job_s"] = 99
    assert plan.sampling(config, "chamfer")["max_job_s"] == 99
    assert plan.sampling(config, "strong") == {k: config[k] for k in plan.SAMPLING_KEYS if k in config}


def test_seeds_multiply_problems():
    config = default_config()
    config["seeds"] = [0, 1, 2]
    names = {j.problem for j in plan.timing_jobs(config, cores=2) if j.study == "chamfer"}
    assert names == {"L50-35-1_R30-23-2", "L50-35-2_R30-23-3", "L50-35-3_R30-23-4"}


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: c["studies"]["strong"]["impls"].append("fortran"), r"studies\.strong\.impls\[3\]: unknown chamfer implementation 'fortran'"),
        (lambda c: c["studies"]["toy"]["impls"].append("numba"), r"studies\.toy\.impls\[4\]: unknown toy implementation 'numba'"),
        (lambda c: c["studies"]["strong"].__setitem__("workers", [1, 0]), r"studies\.strong\.workers\[1\]: 0 is less than the minimum of 1"),
        (lambda c: c["studies"]["strong"].__setitem__("workers", "all"), r"studies\.strong\.workers: 'all' is not valid"),
        (lambda c: c.__setitem__("target_ci", 0), r"target_ci: 0 is less than or equal to the minimum of 0"),
        (lambda c: c["studies"]["chamfer"]["instances"][0]["L"].__setitem__(0, -5), r"studies\.chamfer\.instances\[0\]\.L\[0\]: -5 is less than"),
        (lambda c: c["studies"]["toy"]["instances"][0].__setitem__("m", 5), r"studies\.toy\.instances\[0\]: .*'m' was unexpected"),
        (lambda c: c["studies"]["toy"].__setitem__("problem", "nbody"), r"studies\.toy\.problem: unknown problem 'nbody'; known: chamfer, images, toy"),
        (lambda c: c["studies"]["toy"].__setitem__("baseline", "fortran"), r"studies\.toy\.baseline: 'fortran' is not one"),
        (lambda c: c["studies"]["toy"].__setitem__("workers", [1]), r"studies\.toy\.workers: not allowed in this study type"),
        (lambda c: c["studies"]["strong"].__setitem__("calls", 3), r"studies\.strong\.calls: not allowed in this study type"),
        (lambda c: c["studies"]["weak"].__setitem__("problem", "toy"), r"studies\.weak\.impls\[0\]: unknown toy implementation"),
        (lambda c: c["studies"].__setitem__("Bad/Name", c["studies"]["toy"]), r"studies: 'Bad/Name' does not match"),
        (lambda c: c.__setitem__("plugins", ["no_such_module_here"]),
         r"plugin .no_such_module_here. \(config key plugins\): no such module in .*, nor installed"),
        (lambda c: c["studies"]["strong"].__setitem__("worker", [1]), r"studies\.strong: .*'worker' was unexpected.*misspelt"),
        (lambda c: c.__setitem__("repeat", 3), r"\(top level\): .*'repeat' was unexpected"),
        (lambda c: c["studies"]["strong"]["backends"].append("mpi"), r"studies\.strong\.backends\[4\]: 'mpi' is not one of"),
        (lambda c: c["studies"]["gil"]["backends"].append("prange"), r"studies\.gil\.backends\[2\]: 'prange' is not one of"),
        (lambda c: c["studies"]["toy"]["instances"].append(dict(variant="accumulate", n=100000)),
         r"studies\.toy\.instances\[2\]: one solve would take at least [\d,]+ days"),
        (lambda c: c["studies"]["chamfer"]["instances"].append(dict(L=[100000, 100000, 1], R=[5, 10, 2])),
         r"studies\.chamfer\.instances\[1\]: needs about [\d,]+ GiB of memory, this machine has"),
    ],
)
def test_bad_config_values_name_the_key(edit, message):
    config = default_config()
    edit(config)
    with pytest.raises(ConfigError, match=message):
        check_config(config, SCHEMA)


def test_shipped_configs_are_valid():
    for path in ("config/config.yaml", "config/paper.yaml"):
        with open(path) as f:
            check_config(yaml.safe_load(f), SCHEMA)


@pytest.mark.parametrize("n", [0, 3, 4, 5, 11, 17])
def test_toy_closed_form_matches_the_loops(n):
    brute = math.fsum(math.sqrt(i + 4) for i, _, _, _ in itertools.combinations(range(n), 4))
    assert closed_form(n, "accumulate") == pytest.approx(brute, rel=1e-13)
    assert closed_form(n, "overwrite") == (float(n) if n >= 4 else 0.0)


def test_median_interval_brackets_the_median_and_covers_more_than_its_samples():
    values = np.array([1.0, 1.1, 0.9, 1.05, 0.95, 1.2, 1.0])
    median, low, high = median_ci(values)
    assert median == 1.0 and low < median < high and high - low < 0.5
    _, own_low, own_high = bootstrap_median_ci(values)  # another draw of this process's samples
    assert low < own_low and own_high < high


def fake_timings(rows, others_cores=0.0, overlapped_with=""):
    """rows: (study, impl, backend, workers, work, [wall times per call]), the samples
    dealt over three rounds (processes)."""
    out = []
    for study, impl, backend, workers, work, walls in rows:
        for k, wall in enumerate(walls):
            out.append(dict(study=study, study_type=study, problem_kind="chamfer", problem="P", impl=impl, interpreter="default",
                            backend=backend, workers=workers, process=k % 3, repeat=k, loops=10, wall_s=wall, cpu_s=wall * workers,
                            utilisation=workers, compile_s=0.1, work=work, work_unit="point pairs",
                            stop_reason="interval", target_ci=0.05,
                            load_before=0.1, others_cores=others_cores, steal_fraction=0.0, cpus_allowed=4, rss_peak_mib=100.0, workers_rss_peak_mib=0.0,
                            logical_cpus=4, oversubscribed=workers > 4, overlapped_with=overlapped_with))
    return pd.DataFrame(out)


def test_speedup_efficiency_karp_flatt_and_weak_efficiency():
    timings = fake_timings([
        ("strong", "numba", "threads", 1, 100, [8.0, 8.0, 8.0]),
        ("strong", "numba", "threads", 4, 100, [2.5, 2.5, 2.5]),
        ("strong", "cython", "serial", 1, 100, [4.0, 4.0, 4.0]),
        ("weak", "numba", "threads", 1, 100, [1.0, 1.0, 1.0]),
        ("weak", "numba", "threads", 2, 200, [1.25, 1.25, 1.25]),
    ])
    s = add_scaling(summarise(timings), timings).set_index(["study", "impl", "workers"])
    four = s.loc[("strong", "numba", 4)]
    assert four.speedup == pytest.approx(3.2) and four.efficiency == pytest.approx(0.8)
    assert four.karp_flatt == pytest.approx((1 / 3.2 - 1 / 4) / (1 - 1 / 4))
    assert four.speedup_vs_fastest_serial == pytest.approx(4.0 / 2.5)
    assert four.fastest_serial == "cython serial"
    assert s.loc[("weak", "numba", 2)].weak_efficiency == pytest.approx(0.8)
    assert four.efficiency_ci_low == pytest.approx(four.speedup_ci_low / 4)
    assert not s.unstable.any() and (s["flags"] == "").all()


def test_unstable_cells_are_flagged():
    timings = fake_timings([("toy", "python", "serial", 1, 1, [1.0, 2.0, 1.0, 2.0])])
    cell = summarise(timings).iloc[0]
    assert cell.unstable and cell.wide_interval
    assert "unstable: CV" in cell["flags"] and "wide interval" in cell["flags"]


def test_busy_and_oversubscribed_cells_are_flagged():
    timings = fake_timings([("strong", "numba", "threads", 8, 1, [1.0] * 5)], others_cores=0.9)
    cell = summarise(timings).iloc[0]
    assert cell.busy and cell.oversubscribed
    assert "busy machine: other programs used 0.90" in cell["flags"] and "oversubscribed: 8 workers, 4 CPUs" in cell["flags"]
    # The same reading from one short sample is within the counters' resolution: not flagged.
    short = fake_timings([("strong", "numba", "threads", 2, 1, [0.001])], others_cores=0.9)
    assert not summarise(short).iloc[0].busy


@pytest.mark.parametrize("walls_p, cause", [
    ([0.45, 0.45, 0.45, 0.46, 0.44], "cache effects or frequency scaling"),
    ([0.45, 0.55, 0.44, 0.56, 0.47], "noise: its interval reaches 1"),
])
def test_efficiency_above_one_is_flagged_with_its_cause(walls_p, cause):
    timings = fake_timings([("strong", "numba", "prange", 1, 1, [1.0] * 5),
                            ("strong", "numba", "prange", 2, 1, walls_p)])
    two = add_scaling(summarise(timings), timings).set_index("workers").loc[2]
    assert two.efficiency > 1
    assert two.too_good.startswith("too good: efficiency") and cause in two.too_good and cause in two["flags"]


def test_ratio_interval_of_a_product_is_wider_than_each_factor():
    rng = np.random.default_rng(1)
    a, b, c, d = (rng.normal(m, 0.05 * m, 15) for m in (10.0, 1.0, 4.0, 2.0))
    one = ratio_ci((a, b))
    both = ratio_ci((a, b), (c, d))
    assert both[0] == pytest.approx(one[0] * np.median(c) / np.median(d))
    assert both[1] < both[0] < both[2] and (both[2] - both[1]) / both[0] > (one[2] - one[1]) / one[0]


def test_overlapped_and_unchecked_jobs_are_flagged():
    other = "/elsewhere/results/timings/toy/P/python/serial-w1.csv"
    cell = summarise(fake_timings([("strong", "numba", "threads", 2, 1, [1.0] * 5)], overlapped_with=other)).iloc[0]
    assert f"overlapped: other timing jobs ran on this host at the same time: {other}" in cell["flags"]
    many = fake_timings([("strong", "numba", "threads", 2, 1, [1.0] * 5)], overlapped_with=f"{other}; /b.csv; /c.csv")
    assert summarise(many).iloc[0]["flags"].endswith(f"same time: {other} and 2 more (overlapped_with)")
    unchecked = fake_timings([("strong", "numba", "threads", 3, 1, [1.0] * 5)], overlapped_with="not checked (journal /x: Read-only file system)")
    assert "overlap not checked (journal /x: Read-only" in summarise(unchecked).iloc[0]["flags"]
    both = pd.concat([fake_timings([("strong", "numba", "threads", 2, 1, [1.0] * 3)], overlapped_with=other), unchecked,
                      fake_timings([("strong", "numba", "threads", 1, 1, [1.0] * 3)])])
    assert overlapping_jobs(both) == [(("strong", "P", "numba", "default", "threads", 2), other)]


def test_absurd_worker_counts_are_refused_even_oversubscribed_and_oversubscription_is_said():
    config = default_config() | {"oversubscribe": True}
    config["studies"]["strong"]["workers"] = [1, 1000000]
    with pytest.raises(ConfigError, match=r"studies\.strong\.workers\[1\]: 1000000 workers is beyond reason"):
        check_workers(config, 2, machine_cpus=2)
    config["studies"]["strong"]["workers"] = [1, 3]
    limit, notes = check_workers(config, 2, machine_cpus=2)
    assert any("studies.strong.workers[1]: 3 workers, more than the 2 CPUs" in n for n in notes)


def test_a_jobs_time_is_the_sum_of_its_rounds():
    from scipar.report.conclusion import sampling_facts

    # One job, three rounds of 10 s each, hours apart; 6 s of samples in each.
    rounds = [dict(study="s", problem="p", impl="i", interpreter="default", backend="serial", workers=1, process=k,
                   wall_s=1.0, loops=3, started_at=f"2026-01-01T0{k}:00:00", finished_at=f"2026-01-01T0{k}:00:10",
                   processes=3, stop_reason="budget", min_sample_s=0.1, target_ci=0.05)
              for k in range(3) for _ in range(2)]
    facts = sampling_facts(pd.DataFrame(rounds))
    assert facts["job_s"] == 30 and facts["sampled_s"] == 18 and facts["span_s"] == 2 * 3600 + 10


def test_a_timing_csv_the_config_does_not_plan_is_refused_saying_why():
    from scipar.workflow import plan

    planned = {"results/timings/strong/P/numba/threads-w2.csv"}
    assert plan.planned_job(next(iter(planned)), planned, ["strong"], 2).workers == 2
    for path, message in [("results/figures/x.csv", "is not a timing CSV's path"),
                          ("results/timings/weak/P/numba/threads-w2.csv", "this config has no study weak (its studies: strong)"),
                          ("results/timings/strong/P/numba/threads-w4.csv", "plans no such job (`snakemake -n --cores 2`")]:
        with pytest.raises(plan.UnplannedError, match=re.escape(message)):
            plan.planned_job(path, planned, ["strong"], 2)
