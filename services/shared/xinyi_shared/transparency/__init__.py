"""账本透明 — tamper-evident books in public formats.

Each estate's ledger entries are the leaves of an append-only Merkle tree (RFC 6962 / RFC 9162). At each
period close the ledger signs a checkpoint (C2SP tlog-checkpoint, a C2SP signed-note with Ed25519 and Go's
`golang.org/x/mod/sumdb/note` key formats); the owners' supervisor cosigns it as a witness (C2SP
tlog-cosignature, cosignature/v1) after checking it extends the last one they cosigned. Pure logic: no
database, no network. The formats are specified in docs/transparency.md.

- `merkle`: leaf and node hashes, `MerkleTree`, `verify_inclusion`, `verify_consistency`
- `note`: signer and verifier keys, `sign_note`, `open_note`
- `checkpoint`: `Checkpoint`, `sign_checkpoint`, `open_checkpoint`, `cosign`, `verify_cosignature`
- `entries`: the leaf encoding of a ledger entry, household commitments and openings
- `bundles`: the proof bundles the ledger serves; `verify`: the offline verifier of those bundles
"""
