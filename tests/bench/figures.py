#!/usr/bin/python3
# strongswan-vti
# Copyright (C) 2026 The strongswan-vti authors
# SPDX-License-Identifier: GPL-2.0-or-later
"""Figures of a benchmark run (scripts/bench): reads DIR/raw/bench-nN-CONF/
(bench.env, HOST.charon.log, HOST.links, HOST.status) and prints the table
and the ratios; writes DIR/results.csv, DIR/ratios.csv and DIR/plot.dat.

Times come from where they happen: the charon logs' stamps (ms), the
kernel's link events as "ip -ts monitor link" saw them (us), the stage
times the lab script took with bash's EPOCHREALTIME (us), and the plugin's
own hook timer (ns, from its status file)."""

import calendar
import csv
import os
import re
import sys

CONFS = ("plugin", "updown", "devices", "none")
# configurations whose VTIs follow their SAs (made on CHILD_SA up)
FOLLOWERS = ("plugin", "updown")
TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")

LOG_RE = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) +\d+\[(\w+)\] "
                    r"<([^|>]*)\|(\d+)> (.*)$")
MON_RE = re.compile(r"^\[(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})\] "
                    r"(Deleted )?\d+: (vti\d+)@[^<]*<([^>]*)>")
EST_RE = re.compile(r"^CHILD_SA c(\d+)\{\d+\} established with SPIs ")
HOOKS_RE = re.compile(r"^# hooks (.*)$")
# the plugin's hook figures: key prefixes in its status file and labels;
# "" is the monotonic clock, entry to return
HOOK_CLOCKS = (("wall (monotonic)", ""), ("CPU (thread clock)", "cpu_"),
               ("wall, not switched out", "own_"))
HOOK_FIGURES = ("median_ns", "p99_ns", "max_ns")


def stats(values):
    """mean, median and p99 (nearest rank) of values, or Nones."""
    if not values:
        return None, None, None
    v = sorted(values)
    n = len(v)
    p99 = v[min(n - 1, max(0, -(-99 * n // 100) - 1))]
    return sum(v) / n, v[(n - 1) // 2], p99


def read_env(path):
    """bench.env as a dict of strings."""
    env = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            env[key] = value
    return env


def tz_seconds(tz):
    """+HHMM as seconds east of UTC."""
    sign = -1 if tz.startswith("-") else 1
    return sign * (int(tz[1:3]) * 3600 + int(tz[3:5]) * 60)


class Run:
    """One lab run: N tunnels in one configuration."""

    def __init__(self, path):
        self.path = path
        self.env = read_env(os.path.join(path, "bench.env"))
        self.n = int(self.env["n"])
        self.conf = self.env["conf"]
        self.complete = self.env.get("complete") == "1"
        self.tz = tz_seconds(self.env.get("tz", "+0000"))
        self.t_load = float(self.env["t_load"])
        self.t_unload = float(self.env.get("t_unload", "nan"))
        # per host: key -> time
        self.established = {}
        self.link_up = {}
        self.link_gone = {}
        self.ike_deleted = {}
        # per host: list of (kind, ms) per event bracketing the hooks
        self.intervals = {}
        self.hooks = {}
        for host in ("a", "b"):
            self.read_log(host)
            self.read_links(host)
            self.hooks[host] = self.read_hooks(host)

    def log_time(self, h, m, s, ms):
        """Epoch seconds of a log stamp (local time of day, no date)."""
        local = self.t_load + self.tz
        midnight = local - local % 86400
        t = midnight + int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000.0
        if t < local - 43200:
            t += 86400
        return t - self.tz

    def read_log(self, host):
        """CHILD_SA installs, IKE_SA deletes, and the time from each event
        to the response that follows its hooks on the same IKE_SA."""
        est, deleted, open_ev, intervals = {}, {}, {}, []
        path = os.path.join(self.path, host + ".charon.log")
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                for line in f:
                    m = LOG_RE.match(line)
                    if not m:
                        continue
                    t = self.log_time(*m.group(1, 2, 3, 4))
                    ike, msg = m.group(7), m.group(8)
                    e = EST_RE.match(msg)
                    if e:
                        est[int(e.group(1))] = t
                        open_ev[ike] = ("up", t)
                    elif msg.startswith("IKE_SA deleted"):
                        deleted[ike] = t
                        open_ev[ike] = ("down", t)
                    elif msg.startswith("generating IKE_AUTH response") or \
                            msg.startswith("generating INFORMATIONAL response"):
                        ev = open_ev.pop(ike, None)
                        if ev:
                            intervals.append((ev[0], (t - ev[1]) * 1000.0))
        self.established[host] = est
        self.ike_deleted[host] = deleted
        self.intervals[host] = intervals

    def read_links(self, host):
        """First UP and the deletion of each vtiKEY (ip -ts monitor link)."""
        up, gone = {}, {}
        path = os.path.join(self.path, host + ".links")
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                for line in f:
                    m = MON_RE.match(line)
                    if not m:
                        continue
                    y, mo, d, h, mi, s, us = (int(x) for x in m.group(1, 2, 3, 4, 5, 6, 7))
                    t = calendar.timegm((y, mo, d, h, mi, s)) + us / 1e6 - self.tz
                    key = int(m.group(9)[3:])
                    if m.group(8):
                        gone[key] = t
                    elif "UP" in m.group(10).split(",") and key not in up:
                        up[key] = t
        self.link_up[host] = up
        self.link_gone[host] = gone

    def read_hooks(self, host):
        """The plugin's hook timer from its status file: a dict, or None."""
        for name in (host + ".status", host + ".status-up"):
            path = os.path.join(self.path, name)
            if not os.path.exists(path):
                continue
            with open(path, errors="replace") as f:
                for line in f:
                    m = HOOKS_RE.match(line.strip())
                    if m:
                        return dict(kv.split("=", 1) for kv in m.group(1).split()
                                    if "=" in kv)
        return None

    # ---------------------------------------------------------- figures

    def wall_sas_up(self):
        """Load -> last CHILD_SA installed on either host (s)."""
        times = [t for h in "ab" for t in self.established[h].values()]
        if len(times) < 2 * self.n:
            return None
        return max(times) - self.t_load

    def wall_links_up(self):
        """Load -> every tunnel up (s): the later of the last CHILD_SA
        installed and the last VTI up on either host; for "none" the SAs."""
        sas = self.wall_sas_up()
        if self.conf == "none" or sas is None:
            return sas
        times = [t for h in "ab" for t in self.link_up[h].values()]
        if len(times) < 2 * self.n:
            return None
        return max(max(times) - self.t_load, sas)

    def wall_gone(self):
        """Unload -> every tunnel gone (s): the later of the last IKE_SA
        deleted and (but for "none") the last VTI deleted on either host."""
        times = [t for h in "ab" for t in self.ike_deleted[h].values()]
        if len(times) < 2 * self.n:
            return None
        if self.conf != "none":
            links = [t for h in "ab" for t in self.link_gone[h].values()]
            if len(links) < 2 * self.n:
                return None
            times += links
        return max(times) - self.t_unload

    def install_to_link(self):
        """CHILD_SA installed -> its VTI up, ms, both hosts (for VTIs made
        on CHILD_SA up only)."""
        if self.conf not in FOLLOWERS:
            return []
        return [(self.link_up[h][k] - t) * 1000.0 for h in "ab"
                for k, t in self.established[h].items() if k in self.link_up[h]]

    def event_ms(self, kind=None):
        """b's event -> response intervals (ms), of one kind or all."""
        return [ms for k, ms in self.intervals["b"] if kind in (None, k)]

    def per_tunnel(self, host, what):
        """(stage up - stage idle) / N of a bench.env figure."""
        try:
            return (float(self.env["%s_up_%s" % (host, what)]) -
                    float(self.env["%s_idle_%s" % (host, what)])) / self.n
        except (KeyError, ValueError):
            return None

    def cpu_ms_per_tunnel(self, host, parts=("cpu_user", "cpu_sys", "cpu_children")):
        """charon's CPU (user space, kernel, waited-for children; or some of
        these) from idle to down, per tunnel, ms."""
        try:
            ticks = sum(float(self.env["%s_down_%s" % (host, k)]) -
                        float(self.env["%s_idle_%s" % (host, k)])
                        for k in parts)
        except (KeyError, ValueError):
            return None
        return ticks * TICK_MS / self.n

    def cpu_ms_per_conn_loaded(self, host):
        """charon's CPU from before b loaded its N connections to the
        baseline (2 s later), per connection, ms (a has none to load)."""
        try:
            ticks = sum(float(self.env["%s_idle_%s" % (host, k)]) -
                        float(self.env["%s_start_%s" % (host, k)])
                        for k in ("cpu_user", "cpu_sys", "cpu_children"))
        except (KeyError, ValueError):
            return None
        return ticks * TICK_MS / self.n

    def wall_b_load(self):
        """swanctl --load-all of b's N connections (s)."""
        try:
            return float(self.env["t_b_loaded"]) - float(self.env["t_b_load"])
        except (KeyError, ValueError):
            return None

    def cpu_ms_per_second_held(self, host):
        """charon's CPU while it held the N tunnels up and nothing happened,
        ms per second."""
        try:
            ticks = sum(float(self.env["%s_up_%s" % (host, k)]) -
                        float(self.env["%s_held_%s" % (host, k)])
                        for k in ("cpu_user", "cpu_sys", "cpu_children"))
            seconds = float(self.env["t_held"]) - float(self.env["t_hold"])
        except (KeyError, ValueError):
            return None
        return ticks * TICK_MS / seconds if seconds > 0 else None

    def busiest_thread_ms_per_tunnel(self, host):
        """CPU of charon's busiest thread over its life, per tunnel, ms
        (the plugin's worker is a thread of its own)."""
        path = os.path.join(self.path, host + ".threads")
        if not os.path.exists(path):
            return None
        with open(path) as f:
            ticks = [int(u) + int(k) for _, u, k in (l.split() for l in f if l.strip())]
        return max(ticks) * TICK_MS / self.n if ticks else None

    def kernel_floor(self, what):
        """Seconds one ip -batch took to make and raise ("add") or delete
        ("del") N VTIs with no charon running (run "none" only)."""
        keys = {"add": ("t_kernel_add", "t_kernel_added"),
                "del": ("t_kernel_added", "t_kernel_deleted")}[what]
        try:
            return float(self.env[keys[1]]) - float(self.env[keys[0]])
        except (KeyError, ValueError):
            return None

    def hook(self, host, key):
        """A hook figure of the plugin's, in microseconds, or None."""
        h = self.hooks.get(host)
        if not h or key not in h:
            return None
        try:
            return float(h[key]) / 1000.0
        except ValueError:
            return None


def fmt(v, digits=2):
    """A figure for the table: n/a for None."""
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    return "%.*f" % (digits, v)


def triple(t, digits=2):
    return "/".join(fmt(x, digits) for x in t)


def ratio(a, b):
    if a is None or b is None or b <= 0:
        return None
    return a / b


def difference(a, b):
    if a is None or b is None:
        return None
    return a - b


def main():
    out = sys.argv[1]
    raw = os.path.join(out, "raw")
    runs = {}
    for name in sorted(os.listdir(raw)):
        m = re.match(r"^bench-n(\d+)-(\w+)$", name)
        if not m or not os.path.exists(os.path.join(raw, name, "bench.env")):
            continue
        try:
            r = Run(os.path.join(raw, name))
        except (KeyError, ValueError) as e:
            print("figures: %s: incomplete raw data (%s)" % (name, e))
            continue
        runs[(r.n, r.conf)] = r
    if not runs:
        print("figures: no runs in %s" % raw)
        return 1
    ns = sorted({n for n, _ in runs})
    rows = []       # results.csv
    ratios = []     # ratios.csv

    def put(n, conf, metric, value, unit):
        rows.append((n, conf, metric, "" if value is None else "%.6g" % value, unit))

    first = runs[next(iter(runs))]
    print("proposal %s; hold %s s; charon's roam events %s; CLK_TCK %d" % (
        first.env.get("proposal"), first.env.get("hold"),
        first.env.get("roam_events", "yes"), os.sysconf("SC_CLK_TCK")))
    for n in ns:
        confs = [c for c in CONFS if (n, c) in runs]
        print()
        print("%-34s" % ("N = %d" % n) + "".join("%24s" % c for c in confs))

        def line(label, f):
            print("%-34s" % label + "".join("%24s" % f(runs[(n, c)]) for c in confs))

        line("run complete", lambda r: "yes" if r.complete else "NO")
        line("wall: all links up (s)", lambda r: fmt(r.wall_links_up()))
        line("wall: all links gone (s)", lambda r: fmt(r.wall_gone()))
        line("wall: all CHILD_SAs up (s)", lambda r: fmt(r.wall_sas_up()))
        line("event->response, b (ms)", lambda r: "mean/med/p99")
        line("  up (CHILD_SA installed)", lambda r: triple(stats(r.event_ms("up"))))
        line("  down (IKE_SA deleted)", lambda r: triple(stats(r.event_ms("down"))))
        line("hook in plugin, b (us)", lambda r: "med/p99/max")
        for label, prefix in HOOK_CLOCKS:
            line("  " + label, lambda r, p=prefix: triple(
                tuple(r.hook("b", p + k) for k in HOOK_FIGURES), 1)
                if r.conf == "plugin" else "-")
        line("hooks counted, b", lambda r: (r.hooks["b"] or {}).get("count", "n/a")
             if r.conf == "plugin" else "-")
        line("hooks switched out/preempted, b", lambda r: "%s/%s" % tuple(
            (r.hooks["b"] or {}).get(k, "n/a") for k in ("switched", "preempted"))
             if r.conf == "plugin" else "-")
        line("installed->link up (ms)", lambda r: "med/p99" if r.conf in FOLLOWERS else "-")
        line("", lambda r: "/".join(fmt(x) for x in stats(r.install_to_link())[1:])
             if r.conf in FOLLOWERS else "-")
        line("charon b RSS per tunnel (KiB)", lambda r: fmt(r.per_tunnel("b", "VmRSS")))
        line("charon b VmData per tunnel (KiB)", lambda r: fmt(r.per_tunnel("b", "VmData")))
        line("charon b CPU per tunnel (ms)", lambda r: fmt(r.cpu_ms_per_tunnel("b")))
        line("  user/kernel/children", lambda r: "/".join(
            fmt(r.cpu_ms_per_tunnel("b", (k,)), 1)
            for k in ("cpu_user", "cpu_sys", "cpu_children")))
        line("  busiest thread (ms)", lambda r: fmt(r.busiest_thread_ms_per_tunnel("b")))
        line("charon a CPU per tunnel (ms)", lambda r: fmt(r.cpu_ms_per_tunnel("a")))
        line("b loads N conns: wall (s)", lambda r: fmt(r.wall_b_load()))
        line("  charon b CPU per conn (ms)", lambda r: fmt(r.cpu_ms_per_conn_loaded("b")))
        line("charon CPU holding, b/a (ms/s)", lambda r: "/".join(
            fmt(r.cpu_ms_per_second_held(h), 1) for h in "ba"))
        line("kernel alone: N VTIs add+up (s)", lambda r: fmt(r.kernel_floor("add"))
             if r.conf == "none" else "-")
        line("kernel alone: N VTIs del (s)", lambda r: fmt(r.kernel_floor("del"))
             if r.conf == "none" else "-")

        for c in confs:
            r = runs[(n, c)]
            put(n, c, "complete", 1 if r.complete else 0, "")
            put(n, c, "wall_links_up", r.wall_links_up(), "s")
            put(n, c, "wall_links_gone", r.wall_gone(), "s")
            put(n, c, "wall_sas_up", r.wall_sas_up(), "s")
            put(n, c, "wall_b_load", r.wall_b_load(), "s")
            for kind in ("up", "down"):
                mean, med, p99 = stats(r.event_ms(kind))
                put(n, c, "event_%s_mean" % kind, mean, "ms")
                put(n, c, "event_%s_median" % kind, med, "ms")
                put(n, c, "event_%s_p99" % kind, p99, "ms")
            for host in "ab":
                for _, prefix in HOOK_CLOCKS:
                    for key in HOOK_FIGURES:
                        put(n, c, "hook_%s_%s%s" % (host, prefix, key[:-3]),
                            r.hook(host, prefix + key), "us")
                for k in ("switched", "preempted"):
                    v = (r.hooks.get(host) or {}).get(k)
                    put(n, c, "hooks_%s_%s" % (k, host),
                        float(v) if v is not None else None, "")
            _, med, p99 = stats(r.install_to_link())
            put(n, c, "installed_to_link_median", med, "ms")
            put(n, c, "installed_to_link_p99", p99, "ms")
            for host in "ab":
                put(n, c, "rss_per_tunnel_" + host, r.per_tunnel(host, "VmRSS"), "KiB")
                put(n, c, "vmdata_per_tunnel_" + host, r.per_tunnel(host, "VmData"), "KiB")
                put(n, c, "cpu_per_tunnel_" + host, r.cpu_ms_per_tunnel(host), "ms")
                put(n, c, "cpu_load_per_conn_" + host,
                    r.cpu_ms_per_conn_loaded(host), "ms")
                put(n, c, "cpu_held_per_second_" + host,
                    r.cpu_ms_per_second_held(host), "ms")
                put(n, c, "busiest_thread_cpu_per_tunnel_" + host,
                    r.busiest_thread_ms_per_tunnel(host), "ms")
                for k in ("cpu_user", "cpu_sys", "cpu_children"):
                    put(n, c, "%s_per_tunnel_%s" % (k, host),
                        r.cpu_ms_per_tunnel(host, (k,)), "ms")
            if c == "none":
                put(n, c, "kernel_vti_add_up", r.kernel_floor("add"), "s")
                put(n, c, "kernel_vti_del", r.kernel_floor("del"), "s")

        # ratios, side by side in this run
        rp, ru, rd, rn = (runs.get((n, c)) for c in CONFS)

        def ev_mean(r):
            return stats(r.event_ms())[0] if r and r.complete else None

        floor = ev_mean(rn)
        updown_share = None if ev_mean(ru) is None or floor is None else ev_mean(ru) - floor
        outside_share = None if ev_mean(rp) is None or floor is None else ev_mean(rp) - floor
        hook_med = rp.hook("b", "median_ns") / 1000.0 \
            if rp and rp.hook("b", "median_ns") is not None else None
        ratios.append((n, "updown_share_ms", updown_share, ""))
        ratios.append((n, "plugin_share_outside_ms", outside_share, ""))
        ratios.append((n, "plugin_hook_median_ms", hook_med, ""))
        ratios.append((n, "updown_per_plugin_hook", ratio(updown_share, hook_med), ">= 50"))
        ratios.append((n, "updown_per_plugin_outside", ratio(updown_share, outside_share), ">= 50"))
        for _, prefix in HOOK_CLOCKS:
            if rp and rp.hook("b", prefix + "p99_ns") is not None:
                ratios.append((n, "plugin_hook_%sp99_ms" % prefix,
                               rp.hook("b", prefix + "p99_ns") / 1000.0, "< 1"))
        if rp and rn:
            ratios.append((n, "wall_up_plugin_per_none",
                           ratio(rp.wall_links_up(), rn.wall_links_up()), "<= 1.1"))
            ratios.append((n, "wall_gone_plugin_per_none",
                           ratio(rp.wall_gone(), rn.wall_gone()), ""))
            for host in "ab":
                a, c = rp.per_tunnel(host, "VmRSS"), rn.per_tunnel(host, "VmRSS")
                ratios.append((n, "plugin_rss_per_tunnel_kib_" + host,
                               None if a is None or c is None else a - c, "<= 2"))
        if rp and rn and rp.wall_links_up() is not None and rn.wall_links_up() is not None:
            ratios.append((n, "wall_up_plugin_minus_none_s",
                           rp.wall_links_up() - rn.wall_links_up(), ""))
            ratios.append((n, "kernel_alone_vti_add_up_s", rn.kernel_floor("add"), ""))
        if rp and rn and rp.wall_gone() is not None and rn.wall_gone() is not None:
            ratios.append((n, "wall_gone_plugin_minus_none_s",
                           rp.wall_gone() - rn.wall_gone(), ""))
            ratios.append((n, "kernel_alone_vti_del_s", rn.kernel_floor("del"), ""))
        if rp and rn:
            for host in "ab":
                a, c = (r.cpu_ms_per_tunnel(host) for r in (rp, rn))
                ratios.append((n, "plugin_cpu_extra_per_tunnel_ms_" + host,
                               None if a is None or c is None else a - c, ""))
        if rp and ru:
            for host in "ab":
                a, c = rp.per_tunnel(host, "VmRSS"), ru.per_tunnel(host, "VmRSS")
                ratios.append((n, "plugin_minus_updown_rss_per_tunnel_kib_" + host,
                               None if a is None or c is None else a - c, "<= 2"))
        if rp and ru and rn:
            cp, cu, cn = (r.cpu_ms_per_tunnel("b") for r in (rp, ru, rn))
            if None not in (cp, cu, cn):
                ratios.append((n, "cpu_extra_per_tunnel_updown_ms", cu - cn, ""))
                ratios.append((n, "cpu_extra_per_tunnel_plugin_ms", cp - cn, ""))
                ratios.append((n, "cpu_extra_updown_per_plugin",
                               ratio(cu - cn, cp - cn), ">= 50"))
        if ru and rn:
            ratios.append((n, "wall_up_updown_per_none",
                           ratio(ru.wall_links_up(), rn.wall_links_up()), ""))
            ratios.append((n, "wall_gone_updown_per_none",
                           ratio(ru.wall_gone(), rn.wall_gone()), ""))
        # the devices alone: (a) - (d) is the plugin's own share, (d) - (c)
        # what the devices cost any way of making them
        if rp and rd:
            ratios.append((n, "wall_up_plugin_per_devices",
                           ratio(rp.wall_links_up(), rd.wall_links_up()), "<= 1.1"))
            ratios.append((n, "wall_gone_plugin_per_devices",
                           ratio(rp.wall_gone(), rd.wall_gone()), ""))
            ratios.append((n, "wall_up_plugin_minus_devices_s",
                           difference(rp.wall_links_up(), rd.wall_links_up()), ""))
            ratios.append((n, "wall_gone_plugin_minus_devices_s",
                           difference(rp.wall_gone(), rd.wall_gone()), ""))
            for host in "ab":
                ratios.append((n, "plugin_minus_devices_cpu_per_tunnel_ms_" + host,
                               difference(rp.cpu_ms_per_tunnel(host),
                                          rd.cpu_ms_per_tunnel(host)), ""))
            for host in "ab":
                ratios.append((n, "plugin_minus_devices_rss_per_tunnel_kib_" + host,
                               difference(rp.per_tunnel(host, "VmRSS"),
                                          rd.per_tunnel(host, "VmRSS")), "<= 2"))
        if rd and rn:
            ratios.append((n, "wall_up_devices_per_none",
                           ratio(rd.wall_links_up(), rn.wall_links_up()), ""))
            ratios.append((n, "wall_gone_devices_per_none",
                           ratio(rd.wall_gone(), rn.wall_gone()), ""))
            for host in "ab":
                ratios.append((n, "devices_minus_none_cpu_per_tunnel_ms_" + host,
                               difference(rd.cpu_ms_per_tunnel(host),
                                          rn.cpu_ms_per_tunnel(host)), ""))

    # scaling of the plugin's hook time
    small, large = ns[0], ns[-1]
    if large != small and (small, "plugin") in runs and (large, "plugin") in runs:
        for key in ("median_ns", "p99_ns"):
            ratios.append((large, "hook_%s_N%d_per_N%d" % (key[:-3], large, small),
                           ratio(runs[(large, "plugin")].hook("b", key),
                                 runs[(small, "plugin")].hook("b", key)),
                           "<= 1.5" if key == "median_ns" else ""))
        a = runs[(large, "plugin")]
        b = runs[(small, "plugin")]
        if (large, "none") in runs and (small, "none") in runs:
            fa = stats(a.event_ms())[0] - stats(runs[(large, "none")].event_ms())[0] \
                if a.event_ms() and runs[(large, "none")].event_ms() else None
            fb = stats(b.event_ms())[0] - stats(runs[(small, "none")].event_ms())[0] \
                if b.event_ms() and runs[(small, "none")].event_ms() else None
            ratios.append((large, "plugin_share_outside_N%d_per_N%d" % (large, small),
                           ratio(fa, fb), "<= 1.5"))

    print()
    print("Ratios (one run, side by side; targets for reference, not verdicts)")
    for n, name, value, target in ratios:
        print("  N=%-6d %-40s %12s   %s" % (n, name, fmt(value, 3),
                                            ("target " + target) if target else ""))

    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(("n", "conf", "metric", "value", "unit"))
        w.writerows(rows)
    with open(os.path.join(out, "ratios.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(("n", "ratio", "value", "target"))
        w.writerows((n, name, "" if v is None else "%.6g" % v, t)
                    for n, name, v, t in ratios)
    # gnuplot's input: one line per N, "?" where a figure is missing
    with open(os.path.join(out, "plot.dat"), "w") as f:
        f.write("# n" + "".join(" up_%s" % c for c in CONFS) +
                "".join(" gone_%s" % c for c in CONFS) +
                "".join(" event_%s" % c for c in CONFS) + " hook_plugin\n")
        for n in ns:
            vals = []
            for fig in ("up", "gone", "event"):
                for c in CONFS:
                    r = runs.get((n, c))
                    v = None
                    if r and fig == "up":
                        v = r.wall_links_up()
                    elif r and fig == "gone":
                        v = r.wall_gone()
                    elif r:
                        v = stats(r.event_ms())[0]
                    vals.append(v)
            r = runs.get((n, "plugin"))
            vals.append(r.hook("b", "median_ns") / 1000.0
                        if r and r.hook("b", "median_ns") is not None else None)
            f.write("%d %s\n" % (n, " ".join("?" if v is None else "%.6g" % v
                                            for v in vals)))
    print()
    print("results: %s/results.csv, %s/ratios.csv" % (out, out))
    return 0 if all(r.complete for r in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
