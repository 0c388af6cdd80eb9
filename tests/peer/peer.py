# Shared machinery of the peer suites (run-cpython, run-glib): another project's own tests, run once
# without libearlyrandom.so and once under it in each setting, compared test case by test case.
#
# A test case that passes without the library and fails, gives no result or is skipped under a
# setting is a failure of the peer suite once it does so again on a rerun (and passes in a rerun
# without the library); one that passes on the rerun is printed as flaky, and one that also fails
# without the library is printed as skipped. A setting also fails when the library is not really at
# work: a probe program must have it mapped and log through it, and the settings that log to a file
# must leave a log of valid JSON Lines holding records of the programs under test.
import concurrent.futures
import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import time

PASS, FAIL, SKIP = "pass", "fail", "skip"


def say(line=""):
    print(line, flush=True)


class Setting:
    """One way of running the peer tests: without the library, under it, or under the command."""

    def __init__(self, name, title, variables=None, log_check=None, command_options=None):
        self.name = name
        self.title = title
        self.variables = variables  # EARLYRANDOM_* values; None for the baseline
        self.log_check = log_check  # None, "records" (must hold records) or "valid" (may be absent)
        self.command_options = command_options  # earlyrandom options, for the command's setting
        self.log_path = None

    @property
    def with_library(self):
        return self.variables is not None or self.command_options is not None


def make_settings(work, command):
    """The baseline and the settings of issue 10, plus the command's own when one is given."""
    settings = [
        Setting("baseline", "without the library"),
        Setting("passthrough-log", "passthrough, everything logged to a file",
                {"EARLYRANDOM_POLICY": "passthrough", "EARLYRANDOM_LOG_ALL": "1",
                 "EARLYRANDOM_INIT_AFTER": "0"}, log_check="records"),
        # Init at 0 logs nothing (every request comes after init): the log, if any, must parse.
        Setting("block-init0-log", "block, init at 0, log to a file",
                {"EARLYRANDOM_POLICY": "block", "EARLYRANDOM_INIT_AFTER": "0"}, log_check="valid"),
        # The log goes to a file: on stderr its lines would break every test that compares a
        # child's stderr, which is the stderr sink doing its documented job.
        Setting("fallback-never", "fallback, the pool never initialized, log to a file",
                {"EARLYRANDOM_POLICY": "fallback", "EARLYRANDOM_INIT_AFTER": "never"},
                log_check="records"),
    ]
    if command:
        settings.append(Setting("command-passthrough",
                                "the earlyrandom command, passthrough, everything logged to a file",
                                log_check="records",
                                command_options=["--policy=passthrough", "--log-all"]))
    for s in settings:
        if s.with_library:
            s.log_path = os.path.join(work, s.name + ".jsonl")
    return settings


def clean_environment():
    """The inherited environment without any earlier preload or earlyrandom setting."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("EARLYRANDOM_") and k not in ("LD_PRELOAD", "LD_AUDIT")}
    return env


def launch(setting, library, command, argv):
    """The argv and environment that run ARGV in SETTING."""
    env = clean_environment()
    if setting.variables is not None:
        env.update(setting.variables)
        env["EARLYRANDOM_LOG"] = setting.log_path
        env["LD_PRELOAD"] = library
        return argv, env
    if setting.command_options is not None:
        env["EARLYRANDOM_LIBRARY"] = library
        return [command, *setting.command_options, "--log=" + setting.log_path, "--", *argv], env
    return argv, env


def run_bounded(argv, env, cwd, output_path, wall_seconds):
    """Runs ARGV with its output in OUTPUT_PATH; kills its whole process group after
    WALL_SECONDS. Returns (exit status, True when it was killed for the time)."""
    with open(output_path, "ab") as out:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            return proc.wait(timeout=wall_seconds), False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            out.write(b"\npeer: killed after %d s\n" % wall_seconds)
            return proc.returncode, True


def probe_loaded(setting, library, command, work):
    """Whether the library is really at work in SETTING: a probe program started the same way (but
    logging everything to a log of its own) must have it mapped and must leave a record of its
    getrandom; in the baseline it must not be mapped. Returns (ok, explanation)."""
    probe = copy.copy(setting)
    if setting.with_library:
        probe.log_path = os.path.join(work, "probe-%s.jsonl" % setting.name)
        if setting.variables is not None:
            probe.variables = dict(setting.variables, EARLYRANDOM_LOG_ALL="1")
    code = "import os, sys; os.getrandom(16); sys.stdout.write(open('/proc/self/maps').read())"
    argv, env = launch(probe, library, command, [sys.executable, "-c", code])
    try:
        maps = subprocess.run(argv, env=env, cwd=work, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=120).stdout.decode(errors="replace")
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, "the probe program did not run: %s" % e
    mapped = os.path.realpath(library) in maps
    if not setting.with_library:
        return not mapped, ("the library is not loaded" if not mapped else
                            "the library is mapped in the baseline, which must run without it")
    if not mapped:
        return False, "the library is NOT mapped in a probe program started the same way"
    logged = False
    if os.path.exists(probe.log_path):
        with open(probe.log_path, "rb") as f:
            logged = any(b'"api":"getrandom"' in line for line in f)
        os.unlink(probe.log_path)
    if not logged:
        return False, ("the library is mapped in a probe program but did not log its getrandom "
                       "to %s" % probe.log_path)
    return True, "the library is loaded: a probe program has it mapped and it logged its getrandom"


def check_log(setting, program):
    """Checks SETTING's log file after its run; PROGRAM is (description, predicate on a record's
    exe) naming the programs under test. Returns (ok, explanation)."""
    path = setting.log_path
    if not os.path.exists(path):
        if setting.log_check == "valid":
            return True, "no log file (nothing was asked before init), as expected"
        return False, "no log file at %s: the library did not log, or was not loaded" % path
    records, pids, by_program = 0, set(), 0
    with open(path, "rb") as f:
        for number, raw in enumerate(f, 1):
            try:
                record = json.loads(raw)
                if not isinstance(record, dict) or "event" not in record:
                    raise ValueError("not a record object")
            except ValueError as e:
                return False, "%s:%d is not a valid JSON record (%s): %.200r" % (path, number, e, raw)
            records += 1
            pids.add(record.get("pid"))
            if program[1](record.get("exe") or ""):
                by_program += 1
    if setting.log_check == "records" and by_program == 0:
        return False, "%s holds %d records, none by %s: the library did not log the tests" % (
            path, records, program[0])
    return True, "%d records from %d processes (%d by %s), every line valid JSON" % (
        records, len(pids), by_program, program[0])


def compare(baseline, results):
    """Splits the test cases of BASELINE and RESULTS (id -> (outcome, detail)).
    Returns (passed ids, regressed ids, ids failing without the library)."""
    passed, regressed, also = [], [], []
    for test_id, (outcome, _) in sorted(baseline.items()):
        got = results.get(test_id, (None, None))[0]
        if outcome == FAIL:
            if got == FAIL or got is None:
                also.append(test_id)
            continue
        if outcome != PASS:
            continue
        if got == PASS:
            passed.append(test_id)
        elif got in (FAIL, None):
            regressed.append(test_id)
        # A case that passes without the library and is skipped under it is a regression too:
        # it no longer runs.
        elif got == SKIP:
            regressed.append(test_id)
    for test_id, (outcome, _) in sorted(results.items()):
        if test_id not in baseline and outcome == FAIL:
            also.append(test_id)  # no result without the library: nothing to compare with
    return passed, regressed, also


def describe(results, test_id):
    outcome, detail = results.get(test_id, (None, None))
    if outcome is None:
        return "no result (its test program crashed, hung or did not run it)"
    if outcome == SKIP:
        return "skipped under the library: %s" % (detail or "").strip()[:200]
    lines = [line for line in (detail or "").strip().splitlines() if line.strip()]
    return " | ".join(line.strip() for line in lines[-3:])[:400] or outcome


def count(results):
    n = {PASS: 0, FAIL: 0, SKIP: 0}
    for outcome, _ in results.values():
        n[outcome] += 1
    return "%d test cases: %d passed, %d skipped, %d failed" % (
        len(results), n[PASS], n[SKIP], n[FAIL])


def summarize(suite, settings, run, rerun, library, command, work, parallel, program):
    """Runs every setting (PARALLEL at a time), compares, reruns the regressions, prints the
    report and the closing line; returns the exit status. RUN(setting) -> (results, notes);
    RERUN(setting, ids, label) -> results for IDS, kept under LABEL."""
    started = time.monotonic()
    probes = {}
    for s in settings:
        probes[s.name] = probe_loaded(s, library, command, work)
        if s.log_path and os.path.exists(s.log_path):
            os.unlink(s.log_path)

    def timed(s):
        t = time.monotonic()
        results, notes = run(s)
        return results, notes, time.monotonic() - t

    with concurrent.futures.ThreadPoolExecutor(max_workers=parallel) as pool:
        futures = {s.name: pool.submit(timed, s) for s in settings}
        outcome = {name: f.result() for name, f in futures.items()}

    baseline, base_notes, base_seconds = outcome["baseline"]
    passed_total, failed_total = 0, 0
    say()
    say("== baseline: %s (%.0f s)" % (settings[0].title, base_seconds))
    ok, why = probes["baseline"]
    say("   %s%s" % ("" if ok else "FAIL: ", why))
    passed_total, failed_total = passed_total + ok, failed_total + (not ok)
    for note in base_notes:
        say("   " + note)
    say("   " + count(baseline))
    base_fails = sorted(i for i, (o, _) in baseline.items() if o == FAIL)
    for test_id in base_fails:
        say("   also fails without the library: skipped: %s" % test_id)
    if not any(o == PASS for o, _ in baseline.values()):
        say("   FAIL: no test case passed without the library: nothing to compare with")
        failed_total += 1

    for s in settings[1:]:
        results, notes, seconds = outcome[s.name]
        say()
        say("== %s: %s (%.0f s)" % (s.name, s.title, seconds))
        if s.variables is not None:
            say("   LD_PRELOAD=%s %s EARLYRANDOM_LOG=%s" % (
                library, " ".join("%s=%s" % kv for kv in s.variables.items()), s.log_path))
        else:
            say("   EARLYRANDOM_LIBRARY=%s %s %s --log=%s --" % (
                library, command, " ".join(s.command_options), s.log_path))
        ok, why = probes[s.name]
        say("   %s%s" % ("" if ok else "FAIL: ", why))
        passed_total, failed_total = passed_total + ok, failed_total + (not ok)
        if s.log_check:
            ok, why = check_log(s, program)
            say("   log: %s%s" % ("" if ok else "FAIL: ", why))
            passed_total, failed_total = passed_total + ok, failed_total + (not ok)
        for note in notes:
            say("   " + note)
        say("   " + count(results))
        passed, regressed, also = compare(baseline, results)
        confirmed, flaky, base_flaky, again = regressed, [], [], {}
        if regressed:
            again = rerun(s, regressed, s.name + "-rerun")
            confirmed = [i for i in regressed if again.get(i, (None,))[0] != PASS]
            flaky = [i for i in regressed if i not in confirmed]
        if confirmed:
            again_base = rerun(settings[0], confirmed, "baseline-rerun-for-" + s.name)
            base_flaky = [i for i in confirmed if again_base.get(i, (None,))[0] == FAIL]
            confirmed = [i for i in confirmed if i not in base_flaky]
        say("   %d of the %d test cases that pass without the library pass under it" % (
            len(passed), len(passed) + len(regressed)))
        for test_id in confirmed:
            say("   FAIL %s (passes without the library; failed again on a rerun)" % test_id)
            # The rerun tells more when the first run gave no result (a crash stopped its program).
            say("        %s" % describe(results if test_id in results else again, test_id))
        for test_id in flaky:
            say("   flaky: %s failed once under the library and passed on a rerun: %s" % (
                test_id, describe(results, test_id)))
        for test_id in base_flaky:
            say("   also fails without the library (on a rerun): skipped: %s" % test_id)
        skipped = [i for i in also if i not in base_fails]
        for test_id in skipped:
            say("   also fails without the library: skipped: %s" % test_id)
        if also:
            say("   %d test cases also fail without the library: skipped" % len(also))
        passed_total += len(passed) + len(flaky)
        failed_total += len(confirmed)

    say()
    elapsed = time.monotonic() - started
    say("peer: %s: %d settings and the baseline, %d at a time, wall time %d min %02d s" % (
        suite, len(settings) - 1, parallel, elapsed // 60, elapsed % 60))
    say("peer: %d passed, %d failed" % (passed_total, failed_total))
    return 1 if failed_total else 0


def usage_error(prog, message):
    sys.stderr.write("%s: %s\n" % (prog, message))
    sys.exit(2)


def skip(prog, message):
    say("%s: SKIP: %s" % (prog, message))
    say("peer: 0 passed, 0 failed")
    sys.exit(77)


def fresh_directory(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def finish(status, work, asked_for):
    """Removes a work directory the caller did not name once everything passed (the logs of a
    passing run are large and say nothing more); keeps it for a look after a failure."""
    if status == 0 and not asked_for:
        shutil.rmtree(work, ignore_errors=True)
    elif status != 0:
        say("peer: logs, outputs and test results kept in %s" % work)
    return status
