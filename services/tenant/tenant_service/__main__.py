from pathlib import Path

from tenant_service.bootstrap import build_app
from tenant_service.settings import TenantSettings
from xinyi_shared.runtime import service_main


def main() -> None:
    service_main(TenantSettings, build_app, Path(__file__).parent / "migrations")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
