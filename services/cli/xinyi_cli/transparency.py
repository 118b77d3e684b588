"""账本透明 on the command line: `xinyi verify` and `xinyi verify-consistency` (offline, for anyone who
holds a proof bundle and the estate's log key) and `xinyi witness …` (for the owners' supervisor, who
co-signs the estate's checkpoints with a key that never leaves their device).

The witness keeps its state beside the CLI's token: `${XDG_CONFIG_HOME:-~/.config}/xinyi/witness/`
(`XINYI_WITNESS_DIR` or `--dir` to choose another), directory 0700, files 0600:

- `witness.key` — the signer key (`PRIVATE+KEY+<name>+<key id>+…`); rotated keys stay as `witness.key.<date>`
- `checkpoints/<origin, percent-encoded>.json` — per log, the last checkpoint it cosigned and the log key
  it checked it with; a new checkpoint is only cosigned when it provably extends that one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn
from urllib.parse import quote, unquote

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from xinyi_cli.client import ApiClient, ApiResponse, segment
from xinyi_shared.transparency.bundles import decode_proof
from xinyi_shared.transparency.checkpoint import (
    Checkpoint,
    checkpoint_of,
    cosign,
    estate_of_origin,
    generate_witness_key,
    open_checkpoint,
)
from xinyi_shared.transparency.entries import decode_opening
from xinyi_shared.transparency.merkle import ProofError, verify_consistency
from xinyi_shared.transparency.note import (
    MalformedKeyError,
    NoteError,
    Signer,
    Verifier,
    add_signature_line,
    parse_signer_key,
)
from xinyi_shared.transparency.verify import (
    Verdict,
    format_timestamp,
    log_verifier,
    verify_bundle,
    verify_consistency_bundle,
    witness_verifier,
)

WITNESS_DIR_ENV = "XINYI_WITNESS_DIR"
KEY_FILE = "witness.key"
CHECKPOINTS_DIR = "checkpoints"

witness_app = typer.Typer(
    help="Co-sign the estate's checkpoints as the owners' witness (监督), with a key kept on this device.",
    no_args_is_help=True,
)


# ---------------------------------------------------------------- output


def _stdout() -> Console:
    return Console(highlight=False)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _fail(message: str, *, hint: str | None = None) -> NoReturn:
    """`error: …` in red on stderr and exit 1 (the look of the other commands' errors)."""
    console = _stderr()
    console.print(Text(f"error: {message}", style="bold red"), soft_wrap=True)
    if hint:
        console.print(Text(f"hint: {hint}", style="yellow"), soft_wrap=True)
    raise typer.Exit(1)


def _print_verdict(verdict: Verdict, subject: str) -> None:
    out = _stdout()
    if verdict.ok:
        out.print(Text(f"✓ verified: {subject}", style="bold green"), soft_wrap=True)
    else:
        out.print(Text(f"✗ NOT verified: {subject}", style="bold red"), soft_wrap=True)
    for reason in verdict.reasons:
        out.print(Text(f"  ✗ {reason}", style="red"), soft_wrap=True)
    for check in verdict.checked:
        out.print(Text(f"  ✓ {check}"), soft_wrap=True)
    for warning in verdict.warnings:
        out.print(Text(f"  ! {warning}", style="yellow"), soft_wrap=True)


def _yuan(fen: int) -> str:
    yuan, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}¥{yuan:,}.{cents:02d}"


# ---------------------------------------------------------------- offline verification


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        _fail(f"cannot read {path}: {error.strerror or error}")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        _fail(f"{path} is not a JSON file: {error}")


def _log_key(value: str) -> Verifier:
    try:
        return log_verifier(value)
    except MalformedKeyError as error:
        raise typer.BadParameter(f"not an estate log key: {error}", param_hint="--log-key") from None


def _witness_keys(values: Sequence[str]) -> list[Verifier]:
    try:
        return [witness_verifier(value) for value in values]
    except MalformedKeyError as error:
        raise typer.BadParameter(f"not a witness key: {error}", param_hint="--witness-key") from None


def _opening(opening: str | None, opening_file: Path | None) -> bytes | None:
    if opening is not None and opening_file is not None:
        raise typer.BadParameter("give --opening or --opening-file, not both", param_hint="--opening")
    if opening_file is not None:
        try:
            opening = opening_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise typer.BadParameter(f"cannot read {opening_file}: {error}", param_hint="--opening-file") from None
    if opening is None:
        return None
    try:
        return decode_opening(opening)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--opening / --opening-file") from None


def verify(
    bundle: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, metavar="BUNDLE.json", help="The proof bundle (xinyi-inclusion/v1 JSON)."
        ),
    ],
    log_key: Annotated[str, typer.Option("--log-key", metavar="VKEY", help="The estate's log key, as published.")],
    witness_keys: Annotated[
        list[str] | None,
        typer.Option("--witness-key", metavar="VKEY", help="A supervisor's witness key; repeat for several."),
    ] = None,
    require_witness: Annotated[
        bool, typer.Option("--require-witness", help="Fail unless one of the witness keys co-signed.")
    ] = False,
    opening: Annotated[
        str | None, typer.Option("--opening", metavar="BASE64URL", help="Your household's opening: prove your lines.")
    ] = None,
    opening_file: Annotated[
        Path | None, typer.Option("--opening-file", metavar="PATH", help="Read the opening from a file.")
    ] = None,
) -> None:
    """Check offline that an entry is in the estate's books as the ledger signed them (no network, no login).

    Exits 0 when everything verifies, 1 when something does not (each failure is named), 2 on a usage error.
    """
    log = _log_key(log_key)
    witnesses = _witness_keys(witness_keys or [])
    if require_witness and not witnesses:
        raise typer.BadParameter("--require-witness needs at least one --witness-key", param_hint="--require-witness")
    secret = _opening(opening, opening_file)
    data = _read_json(bundle)
    verdict = verify_bundle(
        data,
        log_key=log,
        witness_keys=witnesses,
        opening=secret,
        require_witness=require_witness,
    )
    entry = verdict.entry
    subject = f"transaction {entry.transaction_id}" if entry is not None else str(bundle)
    if entry is not None and verdict.checkpoint is not None:
        subject += f" (seq {entry.seq}, {entry.period}, {entry.kind}) in {verdict.checkpoint.origin}"
    _print_verdict(verdict, subject)
    if verdict.ok and verdict.household_lines:
        out = _stdout()
        for line in verdict.household_lines:
            out.print(Text(f"  your line {line.line}: account {line.account}, {_yuan(line.amount_fen)}"))
    if verdict.checkpoint is not None:
        _stdout().print(
            Text(f"  checkpoint: size {verdict.checkpoint.size}, root {verdict.checkpoint.root_base64}", style="dim"),
            soft_wrap=True,
        )
    if not verdict.ok:
        raise typer.Exit(1)


def verify_consistency_command(
    bundle: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            metavar="BUNDLE.json",
            help="The consistency bundle (xinyi-consistency/v1 JSON).",
        ),
    ],
    log_key: Annotated[str, typer.Option("--log-key", metavar="VKEY", help="The estate's log key, as published.")],
) -> None:
    """Check offline that an older checkpoint of the estate's books is a prefix of a newer one (nothing
    was rewritten in between). Exits 0 when it is, 1 when not."""
    log = _log_key(log_key)
    data = _read_json(bundle)
    verdict = verify_consistency_bundle(data, log_key=log)
    old, new = verdict.previous_checkpoint, verdict.checkpoint
    subject = f"{new.origin} from size {old.size} to {new.size}" if old and new else str(bundle)
    _print_verdict(verdict, subject)
    if not verdict.ok:
        raise typer.Exit(1)


# ---------------------------------------------------------------- the witness's state


def witness_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`XINYI_WITNESS_DIR`, else `${XDG_CONFIG_HOME:-~/.config}/xinyi/witness` (beside the token file)."""
    env = os.environ if environ is None else environ
    if env.get(WITNESS_DIR_ENV):
        return Path(env[WITNESS_DIR_ENV])
    config_home = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "xinyi" / "witness"


def _write_private(path: Path, text: str) -> None:
    """Write a file atomically, readable by its owner only (0600, directories 0700)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)  # created 0600
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _load_signer(directory: Path) -> Signer:
    path = directory / KEY_FILE
    try:
        return parse_signer_key(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        _fail(f"no witness key in {directory}", hint="create one with `xinyi witness keygen --name NAME`")
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"cannot read {path}: {error}")
    except MalformedKeyError as error:
        _fail(f"{path} does not hold a witness key: {error}")


@dataclass(frozen=True)
class Witnessed:
    """The last checkpoint of one log this witness cosigned, and the log key it checked it with."""

    estate: str
    log_key: str
    note: str  # the checkpoint note with this witness's cosignature
    cosigned_at: int

    @property
    def checkpoint(self) -> Checkpoint:
        return checkpoint_of(self.note)


def _state_path(directory: Path, origin: str) -> Path:
    return directory / CHECKPOINTS_DIR / f"{quote(origin, safe='')}.json"


def _load_witnessed(path: Path) -> Witnessed:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        witnessed = Witnessed(str(raw["estate"]), str(raw["log_key"]), str(raw["note"]), int(raw["cosigned_at"]))
        checkpoint_of(witnessed.note)  # refuse a state whose checkpoint does not parse
    except (OSError, ValueError, KeyError, TypeError) as error:
        _fail(f"cannot read the witness state {path}: {error}", hint="restore it from a backup; never edit it")
    return witnessed


def _all_witnessed(directory: Path) -> dict[str, Witnessed]:
    """Origin → last cosigned checkpoint, for every log this witness has cosigned."""
    folder = directory / CHECKPOINTS_DIR
    if not folder.is_dir():
        return {}
    return {unquote(path.stem): _load_witnessed(path) for path in sorted(folder.glob("*.json"))}


def _save_witnessed(directory: Path, origin: str, witnessed: Witnessed) -> None:
    body = {
        "origin": origin,
        "estate": witnessed.estate,
        "log_key": witnessed.log_key,
        "tree_size": witnessed.checkpoint.size,
        "root_hash": witnessed.checkpoint.root_base64,
        "cosigned_at": witnessed.cosigned_at,
        "note": witnessed.note,
    }
    _write_private(_state_path(directory, origin), json.dumps(body, ensure_ascii=False, indent=2) + "\n")


DirectoryOption = Annotated[
    Path | None,
    typer.Option("--dir", metavar="DIR", help="The witness's state directory (default: ~/.config/xinyi/witness)."),
]


# ---------------------------------------------------------------- witness commands


@witness_app.command("keygen")
def witness_keygen(
    name: Annotated[
        str | None,
        typer.Option("--name", help="Your witness name, e.g. supervisor.jinhe-lvzhou/zhang (no spaces, no '+')."),
    ] = None,
    directory: DirectoryOption = None,
    rotate: Annotated[
        bool, typer.Option("--rotate", help="Replace the current key; it is kept as witness.key.<date>.")
    ] = False,
) -> None:
    """Create the witness key on this device and print its verifier key to register with the ledger."""
    folder = directory or witness_dir()
    path = folder / KEY_FILE
    current = _load_signer(folder) if path.exists() else None
    if current is not None and not rotate:
        _fail(f"a witness key already exists in {path}", hint="`--rotate` replaces it and keeps the old one")
    name = name or (current.name if current is not None else None)
    if name is None:
        raise typer.BadParameter("give the witness a name", param_hint="--name")
    try:
        skey = generate_witness_key(name)
    except MalformedKeyError as error:
        raise typer.BadParameter(str(error), param_hint="--name") from None
    if current is not None:
        kept = _rotated_path(path)
        os.replace(path, kept)
        _stderr().print(Text(f"the previous key ({current.verifier.label}) is kept in {kept}"), soft_wrap=True)
    _write_private(path, skey + "\n")
    signer = parse_signer_key(skey)
    _stderr().print(Text(f"witness key written to {path} (readable by you only); its verifier key:"), soft_wrap=True)
    typer.echo(signer.vkey)
    _stderr().print(
        Text("register it with the ledger: xinyi witness register --estate CODE", style="yellow"), soft_wrap=True
    )


def _rotated_path(path: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    candidate = path.with_name(f"{path.name}.{stamp}")
    counter = 1
    while candidate.exists():
        counter += 1
        candidate = path.with_name(f"{path.name}.{stamp}.{counter}")
    return candidate


@witness_app.command("show")
def witness_show(directory: DirectoryOption = None) -> None:
    """The witness's verifier key and, per log, the last checkpoint it cosigned."""
    folder = directory or witness_dir()
    signer = _load_signer(folder)
    out = _stdout()
    out.print(Text(f"witness key: {signer.vkey}"), soft_wrap=True)
    witnessed = _all_witnessed(folder)
    if not witnessed:
        out.print("no checkpoint cosigned yet")
        return
    table = Table("origin", "estate", "size", "root hash", "cosigned at")
    for origin, state in witnessed.items():
        checkpoint = state.checkpoint
        table.add_row(
            Text(origin),
            Text(state.estate),
            Text(str(checkpoint.size)),
            Text(checkpoint.root_base64),
            Text(format_timestamp(state.cosigned_at)),
        )
    out.print(table)


def _ledger_api(ctx: typer.Context) -> contextlib.AbstractContextManager[ApiClient]:
    # main registers these commands, so it is imported by the time one runs (importing it at the top
    # would be circular); its _ledger is the CLI's one way to reach the ledger with the user's token.
    from xinyi_cli.main import _ledger

    return _ledger(ctx)


def _object(response: ApiResponse, *fields: str) -> dict[str, Any]:
    data = response.data
    if not isinstance(data, dict) or any(field not in data for field in fields):
        _fail(f"the ledger answered without {', '.join(fields)}")
    return data


@witness_app.command("register")
def witness_register(
    ctx: typer.Context,
    estate: Annotated[str, typer.Option("--estate", metavar="CODE", help="The estate you supervise.")],
    directory: DirectoryOption = None,
) -> None:
    """Register this device's witness key with the estate's ledger (after keygen or a rotation)."""
    signer = _load_signer(directory or witness_dir())
    with _ledger_api(ctx) as api:
        api.request("PUT", f"/v1/estates/{segment(estate)}/log/witness", json_body={"witness_key": signer.vkey})
    _stdout().print(Text(f"registered witness key {signer.verifier.label} for estate {estate}"), soft_wrap=True)


@witness_app.command("cosign")
def witness_cosign(
    ctx: typer.Context,
    estate: Annotated[str, typer.Option("--estate", metavar="CODE", help="The estate whose checkpoint to cosign.")],
    directory: DirectoryOption = None,
    log_key: Annotated[
        str | None,
        typer.Option("--log-key", metavar="VKEY", help="The estate's log key, checked out of band (else pinned)."),
    ] = None,
) -> None:
    """Cosign the estate's latest checkpoint, only if it extends the last one this witness cosigned.

    Fetches the checkpoint, checks the log's signature and the consistency proof from the last checkpoint
    cosigned here, and refuses (exit 1, nothing signed) when the books were rewritten or rolled back.
    """
    folder = directory or witness_dir()
    witness = _load_signer(folder)
    trusted = _log_key(log_key) if log_key is not None else None
    base = f"/v1/estates/{segment(estate)}/log"
    with _ledger_api(ctx) as api:
        latest = _object(api.get(f"{base}/checkpoints/latest"), "tree_size", "note")
        served_key = _object(api.get(f"{base}/key"), "log_key")["log_key"]
        note = latest["note"]
        if not isinstance(note, str) or not isinstance(served_key, str):
            _fail("the ledger answered with a checkpoint or log key that is not text")
        log = trusted or _served_log_key(served_key)
        try:
            checkpoint = open_checkpoint(note, log)
        except NoteError as error:
            _fail(f"the ledger's latest checkpoint does not verify with the log key {log.label}: {error}")
        if latest["tree_size"] != checkpoint.size:
            _fail(f"the ledger says size {latest['tree_size']}, its checkpoint says {checkpoint.size}")
        previous = _check_history(folder, estate, checkpoint, log, pinned_explicitly=trusted is not None)
        if previous is not None and previous.checkpoint.size < checkpoint.size:
            answer = _object(
                api.get(f"{base}/consistency?from={previous.checkpoint.size}&to={checkpoint.size}"), "proof"
            )
            _check_consistency(previous.checkpoint, checkpoint, answer["proof"])
        now = int(time.time())
        line = cosign(note, witness, now)
        # Recorded before the signature leaves this device: a witness must never sign two diverging views.
        _save_witnessed(folder, checkpoint.origin, Witnessed(estate, log.vkey, add_signature_line(note, line), now))
        api.post(f"{base}/checkpoints/{checkpoint.size}/cosignatures", {"signature": line})
    out = _stdout()
    out.print(
        Text(f"✓ cosigned {checkpoint.origin} at size {checkpoint.size} as {witness.verifier.label}", style="green"),
        soft_wrap=True,
    )
    out.print(Text(f"  root hash {checkpoint.root_base64}", style="dim"), soft_wrap=True)
    if previous is None:
        _stderr().print(
            Text(
                "this is the first checkpoint of this log cosigned on this device: compare its size and root "
                "hash with the ones announced to the owners (at the period close), out of band",
                style="yellow",
            ),
            soft_wrap=True,
        )


def _served_log_key(served: str) -> Verifier:
    try:
        return log_verifier(served)
    except MalformedKeyError as error:
        _fail(f"the ledger's log key is not a verifier key: {error}")


def _check_history(
    folder: Path, estate: str, checkpoint: Checkpoint, log: Verifier, *, pinned_explicitly: bool
) -> Witnessed | None:
    """The last checkpoint of this log cosigned here (None the first time), after refusing a swapped log
    key, a renamed log or a rollback."""
    witnessed = _all_witnessed(folder)
    for origin, state in witnessed.items():
        if state.estate == estate and origin != checkpoint.origin:
            _fail(
                f"estate {estate}'s log is now {checkpoint.origin!r}, but this witness cosigned it as {origin!r}",
                hint="a new log is only accepted after checking it with the owners; remove the old state if so",
            )
    if estate_of_origin(checkpoint.origin) != estate:
        _fail(f"the ledger served the log {checkpoint.origin!r} for estate {estate}")
    previous = witnessed.get(checkpoint.origin)
    if previous is None:
        return None
    if previous.log_key != log.vkey and not pinned_explicitly:
        _fail(
            f"the ledger now presents the log key {log.label}, not the one this witness checked before "
            f"({previous.log_key.rsplit('+', 1)[0]})",
            hint="if the estate's log key was really rotated, check the new key out of band and pass --log-key",
        )
    old = previous.checkpoint
    if checkpoint.size < old.size:
        _fail(
            f"REFUSED: the ledger's latest checkpoint (size {checkpoint.size}) is smaller than the one this "
            f"witness cosigned (size {old.size}): the books were rolled back. Nothing was signed."
        )
    if checkpoint.size == old.size and checkpoint.root_hash != old.root_hash:
        _fail(
            f"REFUSED: the ledger's checkpoint of size {checkpoint.size} has another root hash than the one this "
            "witness cosigned: the books were rewritten. Nothing was signed."
        )
    return previous


def _check_consistency(old: Checkpoint, new: Checkpoint, proof: object) -> None:
    try:
        verify_consistency(old.size, new.size, old.root_hash, new.root_hash, decode_proof(proof, "consistency proof"))
    except (ProofError, ValueError) as error:
        _fail(
            f"REFUSED: the ledger's checkpoint of size {new.size} does not extend the one this witness cosigned "
            f"(size {old.size}): {error}. The books were rewritten; nothing was signed."
        )
