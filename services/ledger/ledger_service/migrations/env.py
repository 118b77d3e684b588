from xinyi_shared.migrations import run_env

run_env()
