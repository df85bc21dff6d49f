"""The report's charts, drawn from the same results as its tables.

matplotlib's Figure and Agg canvas without pyplot (no global state, no display), in matplotlib's
default style whatever a matplotlibrc says, at a fixed size and resolution, and without the
"Software" stamp: the same results draw the same PNG, so the files can be committed.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.style
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bench.giant_arrays import GiantRead
from bench.scenarios import LIST_PATH, EconomyRow, Runs, Throughput, WaitRow

DPI = 100
WIDTH_IN = 11.0
HEIGHT_IN = 4.4


def draw(
    folder: Path,
    waits: list[WaitRow],
    economy: list[EconomyRow],
    throughput: Throughput,
    memory: dict[int, Runs],
    giant: list[GiantRead],
    giant_bound_mib: float,
) -> dict[str, Path]:
    """Writes every chart into `folder`; returns each one's name and path."""
    folder.mkdir(parents=True, exist_ok=True)
    with matplotlib.style.context("default"):
        figures = {
            "waits": waits_chart(waits),
            "requests": requests_chart(economy, throughput),
            "memory": memory_chart(memory, throughput, giant, giant_bound_mib),
        }
        paths = {}
        for name, figure in figures.items():
            paths[name] = folder / f"{name}.png"
            figure.savefig(paths[name], dpi=DPI, metadata={"Software": None})
    return paths


def _figure(panels: int, ratios: list[float] | None = None) -> tuple[Figure, list[Axes]]:
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    axes = figure.subplots(1, panels, squeeze=False, width_ratios=ratios)[0]
    return figure, list(axes)


def waits_chart(rows: list[WaitRow]) -> Figure:
    """Wall time against account size, one panel per latency, with both floors."""
    latencies = sorted({row.latency_ms for row in rows})
    figure, panels = _figure(len(latencies))
    for axes, latency in zip(panels, latencies, strict=True):
        at = sorted((row for row in rows if row.latency_ms == latency), key=lambda r: r.videos)
        by_size = {row.videos: row for row in at}
        sizes = sorted(by_size)
        axes.plot(
            sizes,
            [by_size[n].window_floor_s for n in sizes],
            "k--",
            marker="_",
            label="window floor (pages at TikTok's rate)",
        )
        axes.plot(
            sizes,
            [by_size[n].sequential_floor_s for n in sizes],
            "k:",
            marker="_",
            label="one-at-a-time floor (pages x latency)",
        )
        series = sorted({(row.program, row.workers) for row in at})
        for (program, workers), marker in zip(series, "sox^", strict=False):
            mine = [row for row in at if (row.program, row.workers) == (program, workers)]
            axes.plot(
                [row.videos for row in mine],
                [row.runs.wall.median for row in mine],
                marker=marker,
                label=f"{program}, num_workers {workers}",
            )
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_title(f"{latency} ms a request, TikTok's window")
        axes.set_xlabel("videos in the account")
        axes.grid(True, which="major", alpha=0.3)
    panels[0].set_ylabel("wall time of a whole-account read, s")
    panels[0].legend(loc="upper left", fontsize="small")
    return figure


def requests_chart(economy: list[EconomyRow], throughput: Throughput) -> Figure:
    """Requests per sync against the minimum; the throughput read's list requests beside them."""
    figure, (syncs, whole) = _figure(2, [2.2, 1.0])
    labels = [f"lookback {row.lookback_days} d: {row.sync}" for row in economy]
    places = range(len(economy))
    syncs.barh([i - 0.2 for i in places], [row.total for row in economy], 0.4, label="connector")
    syncs.barh([i + 0.2 for i in places], [row.minimum for row in economy], 0.4, label="minimum")
    syncs.set_yticks(list(places), labels, fontsize="small")
    syncs.invert_yaxis()
    syncs.set_xlabel("requests per sync (token, profile and list pages)")
    syncs.set_title("request economy: each sync of a connection in turn")
    syncs.legend(loc="lower right", fontsize="small")
    programs = list(throughput.runs)
    whole.bar(programs, [throughput.runs[name].requests_to(LIST_PATH) for name in programs])
    whole.axhline(throughput.fewest_list_requests, color="k", linestyle="--", label="minimum")
    whole.set_ylabel("list requests")
    whole.set_title(f"one read of {throughput.videos:,} videos")
    whole.legend(loc="lower right", fontsize="small")
    return figure


def memory_chart(
    memory: dict[int, Runs], throughput: Throughput, giant: list[GiantRead], bound_mib: float
) -> Figure:
    """Peak RSS: against account size, by program, and with giant insight arrays."""
    figure, (sizes, programs, arrays) = _figure(3, [1.0, 1.0, 1.3])
    counts = sorted(memory)
    medians = [memory[n].rss_mib.median for n in counts]
    sizes.errorbar(
        counts,
        medians,
        yerr=[
            [m - memory[n].rss_mib.low for n, m in zip(counts, medians, strict=True)],
            [memory[n].rss_mib.high - m for n, m in zip(counts, medians, strict=True)],
        ],
        marker="o",
        capsize=4,
    )
    sizes.set_xscale("log")
    sizes.margins(x=0.15)
    sizes.set_ylim(0, max(memory[n].rss_mib.high for n in counts) * 1.15)
    sizes.set_xlabel("videos in the account")
    sizes.set_ylabel("peak RSS, MiB")
    sizes.set_title("connector, whole-account read")
    names = list(throughput.runs)
    programs.bar(names, [throughput.runs[name].rss_mib.median for name in names])
    programs.set_ylabel("peak RSS, MiB")
    programs.set_title(f"read of {throughput.videos:,} videos")
    labels = [f"{read.entries:,}" if read.entries else "own" for read in giant]
    bars = arrays.bar(labels, [read.runs.rss_mib.median for read in giant])
    for bar, read in zip(bars, giant, strict=True):
        if not read.read_whole:
            bar.set_hatch("//")
            bar.set_facecolor("lightgrey")
    arrays.axhline(bound_mib, color="k", linestyle="--", label="bound")
    arrays.set_ylim(0, bound_mib * 1.3)
    arrays.set_ylabel("peak RSS, MiB")
    arrays.set_xlabel("retention entries a post (hatched: the sync stopped)")
    arrays.set_title("business mode, giant insight arrays")
    arrays.legend(loc="upper left", fontsize="small")
    return figure
