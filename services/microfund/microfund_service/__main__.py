from pathlib import Path

from microfund_service.bootstrap import build_app
from microfund_service.settings import MicrofundSettings
from xinyi_shared.runtime import service_main


def main() -> None:
    service_main(MicrofundSettings, build_app, Path(__file__).parent / "migrations")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
