"""
The tutorial dataset every sandbox home starts with: synthetic ocean temperatures.

Twenty-four monthly CSV files of hourly readings from moored buoys, a few hundred
KiB to about 2 MiB each (about 20 MiB in all), plus a README. The numbers are made
up, but made the same way every time: the same sandbox gives the same bytes on
every machine, so tutorials can show checksums and sizes.

The rows are assembled from precomputed strings rather than formatted one by one,
so that seeding a home costs a fraction of a second.
"""

from __future__ import annotations

import calendar
import logging
import math
from pathlib import Path

log = logging.getLogger(__name__)

DATASET_NAME = "ocean-temperature"
FIRST_YEAR = 2023
MONTHS = 24
HEADER = "time,station,latitude,longitude,depth_m,temperature_c\n"

#: moored buoys: (station id, latitude, longitude, surface temperature in centi-C)
_STATIONS = tuple(
    (
        f"BUOY-{index + 1:02d}",
        f"{-60 + index * 4.8:.2f}",
        f"{-170 + index * 13.5:.2f}",
        2800 - int(abs(-60 + index * 4.8) * 35),
    )
    for index in range(26)
)
#: how many buoys report in each month, so that file sizes differ
_BUOYS_REPORTING = (
    *(4, 9, 14, 26, 6, 11, 18, 4, 8, 13, 22, 5),
    *(10, 16, 7, 12, 20, 5, 9, 15, 6, 11, 17, 8),
)
_DEPTHS = ((0, "0.5"), (1, "10.0"))

_README = """\
Ocean temperature (synthetic)
=============================

Hourly sea temperatures from moored buoys, one CSV file per month
({first}-01 to {last}). The values are generated, not measured: they exist so that
tutorials have real files to list, transfer, checksum and delete.

Columns
-------
time            ISO 8601 time of the reading, UTC
station         buoy identifier
latitude        degrees north
longitude       degrees east
depth_m         depth of the sensor, metres
temperature_c   sea temperature, degrees Celsius

The number of buoys reporting changes from month to month, so file sizes differ.
"""


def write_ocean_temperature_dataset(directory: Path) -> list[Path]:
    """Write the dataset into ``directory`` (made if missing); returns the files."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for month_index in range(MONTHS):
        year = FIRST_YEAR + month_index // 12
        month = month_index % 12 + 1
        path = directory / f"{year}-{month:02d}.csv"
        path.write_text(_month_csv(year, month, month_index), encoding="ascii")
        written.append(path)
    last_year = FIRST_YEAR + (MONTHS - 1) // 12
    readme = directory / "README.txt"
    readme.write_text(
        _README.format(
            first=FIRST_YEAR, last=f"{last_year}-{(MONTHS - 1) % 12 + 1:02d}"
        ),
        encoding="ascii",
    )
    written.append(readme)
    log.debug("wrote the %s dataset in %s", DATASET_NAME, directory)
    return written


def _month_csv(year: int, month: int, month_index: int) -> str:
    days = calendar.monthrange(year, month)[1]
    times = [
        f"{year}-{month:02d}-{day:02d}T{hour:02d}:00:00Z,"
        for day in range(1, days + 1)
        for hour in range(24)
    ]
    stations = _STATIONS[: _BUOYS_REPORTING[month_index]]
    seasonal = int(350 * math.cos(2 * math.pi * (month - 2) / 12))
    rows: list[str] = [HEADER]
    for station_index, (station, latitude, longitude, surface) in enumerate(stations):
        for depth_index, depth in _DEPTHS:
            prefix = f"{station},{latitude},{longitude},{depth},"
            base = surface + seasonal - depth_index * 140 + _CELSIUS_OFFSET
            seed = station_index * 7919 + depth_index * 104729 + month_index * 1299709
            rows.extend(
                f"{time_}{prefix}{_CELSIUS[base + _WAVE[(seed + step) % _WAVE_LEN]]}\n"
                for step, time_ in enumerate(times)
            )
    return "".join(rows)


def _wave() -> tuple[int, ...]:
    """A daily cycle plus a deterministic jitter, in centi-degrees."""
    values = []
    state = 12345
    for step in range(24 * 41):
        state = (state * 1103515245 + 12345) % 2**31
        jitter = state % 61 - 30
        daily = int(60 * math.sin(2 * math.pi * (step % 24 - 9) / 24))
        values.append(daily + jitter)
    return tuple(values)


_WAVE = _wave()
_WAVE_LEN = len(_WAVE)
# every temperature the rows can reach, formatted once; index = centi-C + offset
_CELSIUS_OFFSET = 2000
_CELSIUS = tuple(f"{(value - _CELSIUS_OFFSET) / 100:.2f}" for value in range(6000))
