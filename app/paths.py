"""Where Bundlecast keeps its files on this machine.

By default the platform's own places (platformdirs): state (engine session and resume files), data (the
embedded store, downloads' default), config (settings), cache (covers, demo media). ``BUNDLECAST_HOME`` puts
all four under one folder instead — tests and portable installs use it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "Bundlecast"


@dataclass(frozen=True, slots=True)
class AppPaths:
    state: Path
    data: Path
    config: Path
    cache: Path
    downloads: Path

    @classmethod
    def from_environment(cls) -> AppPaths:
        """The paths for this user, honouring ``BUNDLECAST_HOME``."""
        home = os.environ.get("BUNDLECAST_HOME")
        if home:
            root = Path(home).expanduser()
            return cls(
                state=root / "state",
                data=root / "data",
                config=root / "config",
                cache=root / "cache",
                downloads=root / "downloads",
            )
        downloads = Path(platformdirs.user_downloads_dir()) / APP_NAME
        return cls(
            state=Path(platformdirs.user_state_dir(APP_NAME)),
            data=Path(platformdirs.user_data_dir(APP_NAME)),
            config=Path(platformdirs.user_config_dir(APP_NAME)),
            cache=Path(platformdirs.user_cache_dir(APP_NAME)),
            downloads=downloads,
        )

    def ensure(self) -> AppPaths:
        """Create every folder (private to the user where it holds state) and return self."""
        for path in (self.state, self.data, self.config, self.cache):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.downloads.mkdir(parents=True, exist_ok=True)
        return self
