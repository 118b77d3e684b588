from pathlib import Path

from ticketing_service.bootstrap import build_app
from ticketing_service.settings import TicketingSettings
from xinyi_shared.runtime import service_main


def main() -> None:
    service_main(TicketingSettings, build_app, Path(__file__).parent / "migrations")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
