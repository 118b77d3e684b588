from pathlib import Path

from ledger_service.bootstrap import build_app
from ledger_service.settings import LedgerSettings
from xinyi_shared.runtime import service_main


def main() -> None:
    service_main(LedgerSettings, build_app, Path(__file__).parent / "migrations")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
