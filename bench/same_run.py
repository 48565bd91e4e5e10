"""Two Brink candidates in the same interleaved rounds of the shared benchmark harness.

The shared harness (``shared/bench/harness``, not modified) measures one candidate. This entry
point registers a second one, ``candidate-50b`` (``brink edge`` with N cache behaviors, the
benchmark's objects matching the last one), next to the usual ``candidate`` (``brink serve``),
then runs the harness's own ``main`` with the normal options. Both candidates are then measured
in the same rounds, rotated with the peers, so their ratio is free of run-to-run drift.

Environment:
  BENCH_HARNESS   the harness directory (default: ../../shared/bench/harness from this file)
  CANDIDATE_CMD   the first candidate (as for run.sh)
  CANDIDATE2_CMD  the second candidate's command (same placeholders)
  CANDIDATE2_NAME its name in the report (default candidate-50b)
  CANDIDATE2_SIGN ``KEY_PAIR_ID:PRIVATE_KEY_PEM:BRINK_BIN``: the second candidate's URLs are
                  signed (canned policy, `brink sign`), for a behavior that requires it; its
                  readiness probe and the harness's priming fetches use the signed paths too

Besides the harness's report, every machine-readable line gets ``<second>/candidate=<ratio>``
and each scenario section a per-round ratio line (both candidates ran in the same round).
See bench/same-run.sh for the usual invocation.
"""

import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.environ.get("BENCH_HARNESS") or os.path.normpath(
    os.path.join(HERE, "..", "..", "shared", "bench", "harness"))
if not os.path.isfile(os.path.join(HARNESS, "main.py")):
    sys.exit("same_run.py: no harness at %s (set BENCH_HARNESS)" % HARNESS)
sys.path.insert(0, HARNESS)

import main as hm  # noqa: E402  (the harness's main.py)
import report  # noqa: E402
import targets as tg  # noqa: E402

FIRST = "candidate"
SECOND = os.environ.get("CANDIDATE2_NAME", "candidate-50b")
SECOND_CMD = os.environ.get("CANDIDATE2_CMD", "")


SIGN = os.environ.get("CANDIDATE2_SIGN", "")


class SecondCandidate(tg.Candidate):
    """``tg.Candidate`` under its own name: own dirs (``<work>/<name>``, cache dir) and log."""

    name = SECOND
    _signed = None

    def sign_path(self, path):
        """``path`` with a signed URL's query when CANDIDATE2_SIGN is set (one signature per
        path, valid for a day, as a viewer reuses the signed URL it was given)."""
        if not SIGN:
            return path
        if self._signed is None:
            self._signed = {}
        if path not in self._signed:
            import subprocess
            import time
            key_id, pem, bin_ = SIGN.split(":", 2)
            url = "http://127.0.0.1:%d%s" % (self.port, path)
            out = subprocess.run(
                [bin_, "sign", "--url", url, "--key-pair-id", key_id, "--private-key", pem,
                 "--date-less-than", str(int(time.time()) + 86400)],
                check=True, capture_output=True, text=True).stdout.strip()
            self._signed[path] = out[len("http://127.0.0.1:%d" % self.port):]
        return self._signed[path]

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, self.sign_path(path))

    def h2c_url(self, path):
        return "http://127.0.0.1:%d%s" % (self.h2c_port, self.sign_path(path))

    def ready(self, timeout=60):
        tg.wait_http(self.port, self.sign_path("/1k.bin"), self.proc, timeout=timeout)

    def start(self):
        tg._mkdirs(self.dir, "work")
        os.makedirs(self.cache_dir, exist_ok=True)
        cmd = self.command()
        self.proc = tg.Proc(self.name, ["bash", "-c", "exec " + cmd],
                            os.path.join(self.logs, self.name + ".out"), cwd=self.dir)
        try:
            self.ready(timeout=120)
        except Exception as e:
            # The comparison is the point of the run: stop (the harness would report a
            # peer that failed to start and go on without it). SystemExit is not caught by
            # the harness's `except Exception`, and its `finally` stops everything else.
            self.stop()
            raise SystemExit("same_run.py: %s did not start: %s (its output: %s)"
                             % (self.name, e, self.proc.log_path))


_Candidate = tg.Candidate


def _candidate_factory(work, origin, cache_root, cmd):
    """Stands in for ``tg.Candidate`` in the harness's constructor switch, whose ``else``
    branch now sees both candidate names: the caller's ``name`` says which one to build."""
    frame = sys._getframe(1)
    name = frame.f_locals.get("name") if frame.f_code is hm.main.__code__ else None
    if name == SECOND:
        return SecondCandidate(work, origin, cache_root, SECOND_CMD)
    if name == FIRST:
        return _Candidate(work, origin, cache_root, cmd)
    raise RuntimeError("same_run.py: the harness's main() changed: cannot tell which candidate "
                       "it constructs (caller %s, name %r)" % (frame.f_code.co_name, name))


def _ratio_of_medians(res, key):
    a = res.get(SECOND, {}).get("agg", {}) or {}
    b = res.get(FIRST, {}).get("agg", {}) or {}
    return report.ratio(a.get(key), b.get(key))


def _round_ratios(res, key):
    """SECOND/FIRST for each round in which both have a figure (same round, adjacent runs)."""
    def by_round(t):
        return {r["round"]: r[key] for r in res.get(t, {}).get("runs", [])
                if "failed" not in r and report._num(r.get(key))}
    a, b = by_round(SECOND), by_round(FIRST)
    return [a[k] / b[k] for k in sorted(a) if k in b and b[k]]


_summary_lines = report.summary_lines
_scenario_markdown = report.scenario_markdown


def summary_lines(sc_cls, res, target_names):
    out = _summary_lines(sc_cls, res, target_names)
    if SECOND not in res or FIRST not in res:
        return out
    extended = []
    for line, key in zip(out, sc_cls.ratios):
        r = _ratio_of_medians(res, key)
        extended.append("%s %s/%s=%s" % (line, SECOND, FIRST, ("%.3f" % r) if r is not None else "NA"))
    return extended + out[len(extended):]


def scenario_markdown(sc_cls, describe, res, target_names, rounds):
    md = _scenario_markdown(sc_cls, describe, res, target_names, rounds)
    if SECOND not in res or FIRST not in res:
        return md
    lines = []
    for key in sc_cls.ratios:
        r = _ratio_of_medians(res, key)
        per = _round_ratios(res, key)
        lines.append("- **%s / %s**, %s: %s (ratio of medians); per round: %s%s" % (
            SECOND, FIRST, key, ("%.3f" % r) if r is not None else "n/a",
            ", ".join("%.3f" % x for x in per) or "n/a",
            ("; median of per-round ratios %.3f" % statistics.median(per)) if per else ""))
    return md + "\n".join(lines) + "\n\n"


def install():
    if not SECOND_CMD:
        sys.exit("same_run.py: CANDIDATE2_CMD is not set")
    if SECOND not in hm.PEERS:
        # Listed among the peers so that --targets accepts it and main() builds it (through
        # the candidate branch, which _candidate_factory dispatches by name).
        hm.PEERS = hm.PEERS + [SECOND]
    tg.Candidate = _candidate_factory
    if SIGN:
        import scenarios
        plain_prime = scenarios.prime

        def prime(ctx, target, path, expect_size):
            if isinstance(target, SecondCandidate):
                path = target.sign_path(path)
            return plain_prime(ctx, target, path, expect_size)

        scenarios.prime = prime
    report.summary_lines = summary_lines
    report.scenario_markdown = scenario_markdown


if __name__ == "__main__":
    install()
    sys.exit(hm.main())
