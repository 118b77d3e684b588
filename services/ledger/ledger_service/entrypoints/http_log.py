"""HTTP API of the estate's tamper-evident log: the log's key, checkpoints (C2SP tlog-checkpoint notes,
with the supervisor's cosignatures), inclusion and consistency proofs, the witness's key and
cosignatures, and a household's opening. Formats: docs/transparency.md."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from ledger_service.entrypoints.deps import OVERSIGHT, AnyMember, EstateUnitOfWork, Supervisor
from ledger_service.service_layer import transparency
from ledger_service.service_layer.transparency import PublishedCheckpoint
from xinyi_shared.api import errors, estate_member
from xinyi_shared.auth import Principal, Role
from xinyi_shared.errors import NotFound
from xinyi_shared.http import PAGED, TOTAL_COUNT, EstateCode, PageLimit, PageOffset, api_router

Publisher = Annotated[Principal, Depends(estate_member(Role.FIRM_MANAGER, Role.SUPERVISOR))]
TreeSize = Annotated[int, Query(ge=1, le=2**62)]
TreeSizePath = Annotated[int, Path(ge=1, le=2**62, description="A checkpoint's tree size")]


class CosignaturePublic(BaseModel):
    witness_key: str
    cosigned_at: datetime


class CheckpointPublic(BaseModel):
    tree_size: int
    period: str = Field(description="The month whose close signed it")
    note: str = Field(description="The signed note: the log's signature, then each cosignature line")
    published_at: datetime
    cosigned: bool = Field(description="Co-signed by the owners' supervisor (a witness key registered here)")
    cosignatures: list[CosignaturePublic]

    @classmethod
    def of(cls, checkpoint: PublishedCheckpoint) -> CheckpointPublic:
        return cls(
            tree_size=checkpoint.tree_size,
            period=checkpoint.period,
            note=checkpoint.note,
            published_at=checkpoint.published_at,
            cosigned=bool(checkpoint.cosignatures),
            cosignatures=[
                CosignaturePublic(witness_key=c.verifier_key, cosigned_at=c.cosigned_at)
                for c in checkpoint.cosignatures
            ],
        )


class WitnessKeyPublic(BaseModel):
    witness_key: str
    name: str
    registered_at: datetime
    retired_at: datetime | None


class LogKeyPublic(BaseModel):
    origin: str
    log_key: str = Field(description="The verifier key of the estate's checkpoints (Go note format)")
    witness_keys: list[WitnessKeyPublic]


class WitnessBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    witness_key: str = Field(min_length=10, max_length=500, description="The supervisor's witness verifier key")


class CosignatureBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    signature: str = Field(min_length=10, max_length=500, description="The cosignature line: '— <name> <base64>'")


class OpeningPublic(BaseModel):
    household_id: str
    opening: str = Field(description="The household's secret (base64url): opens its commitments in the log")


def build_log_router(membership: Any) -> APIRouter:
    router = api_router(prefix="/v1/estates/{code}", tags=["public books"])

    @router.get(
        "/log/key",
        response_model=LogKeyPublic,
        responses=errors(404, 422),
        summary="The log's origin and verifier key, and the supervisor's witness keys (anyone of the estate)",
    )
    def key(code: EstateCode, principal: AnyMember, uow: EstateUnitOfWork) -> LogKeyPublic:
        identity = transparency.identity(uow, uow.log_authority)
        return LogKeyPublic(
            origin=identity.origin,
            log_key=identity.log_key,
            witness_keys=[
                WitnessKeyPublic(
                    witness_key=k.verifier_key, name=k.name, registered_at=k.registered_at, retired_at=k.retired_at
                )
                for k in identity.witness_keys
            ],
        )

    @router.get(
        "/log/checkpoints",
        response_model=list[CheckpointPublic],
        responses={**errors(404, 422), **PAGED},
        summary="The checkpoints, oldest first, a page at a time (anyone of the estate)",
        description="A page of the checkpoints by tree size, oldest first: `limit` 1 to 500 (default 100) after "
        "`offset` (0 to 1,000,000). The `X-Total-Count` header gives how many checkpoints there are in all.",
    )
    def list_checkpoints(
        code: EstateCode,
        principal: AnyMember,
        uow: EstateUnitOfWork,
        response: Response,
        limit: PageLimit = 100,
        offset: PageOffset = 0,
    ) -> list[CheckpointPublic]:
        total, checkpoints = transparency.page_of_checkpoints(uow, limit, offset)
        response.headers[TOTAL_COUNT] = str(total)
        return [CheckpointPublic.of(c) for c in checkpoints]

    @router.post(
        "/log/checkpoints",
        response_model=CheckpointPublic,
        responses=errors(404, 409, 422),
        summary="Sign a checkpoint of every entry so far, between closes (firm manager, supervisor); "
        "the latest stands when nothing is new",
    )
    def publish(code: EstateCode, principal: Publisher, uow: EstateUnitOfWork) -> CheckpointPublic:
        return CheckpointPublic.of(transparency.publish_now(uow))

    @router.get(
        "/log/checkpoints/latest",
        response_model=CheckpointPublic,
        responses=errors(404, 422),
        summary="The latest checkpoint (anyone of the estate)",
    )
    def latest(code: EstateCode, principal: AnyMember, uow: EstateUnitOfWork) -> CheckpointPublic:
        return CheckpointPublic.of(transparency.checkpoint(uow))

    @router.get(
        "/log/checkpoints/{tree_size}",
        response_model=CheckpointPublic,
        responses=errors(404, 422),
        summary="The checkpoint of a tree size (anyone of the estate)",
    )
    def one(code: EstateCode, tree_size: TreeSizePath, principal: AnyMember, uow: EstateUnitOfWork) -> CheckpointPublic:
        return CheckpointPublic.of(transparency.checkpoint(uow, tree_size))

    @router.get(
        "/log/consistency",
        response_model=dict[str, Any],
        responses=errors(404, 422),
        summary="A consistency proof between two checkpoints (xinyi-consistency/v1; anyone of the estate)",
    )
    def consistency(
        code: EstateCode,
        principal: AnyMember,
        uow: EstateUnitOfWork,
        from_size: Annotated[int, Query(alias="from", ge=1, le=2**62)],
        to_size: Annotated[int | None, Query(alias="to", ge=1, le=2**62)] = None,
    ) -> dict[str, Any]:
        return transparency.consistency(uow, from_size, to_size)

    @router.get(
        "/log/entries/{transaction_id}/proof",
        response_model=dict[str, Any],
        responses=errors(404, 409, 422),
        summary="An entry's inclusion proof in a checkpoint (xinyi-inclusion/v1; anyone of the estate)",
    )
    def proof(
        code: EstateCode,
        transaction_id: UUID,
        principal: AnyMember,
        uow: EstateUnitOfWork,
        tree_size: TreeSize | None = None,
        from_tree_size: Annotated[
            int | None, Query(ge=1, le=2**62, description="An older checkpoint you hold: also prove it a prefix")
        ] = None,
    ) -> dict[str, Any]:
        return transparency.inclusion(uow, str(transaction_id), tree_size, from_tree_size)

    @router.put(
        "/log/witness",
        response_model=WitnessKeyPublic,
        responses=errors(404, 422),
        summary="Register the supervisor's witness key (a new key retires the one before; supervisor)",
    )
    def register(code: EstateCode, body: WitnessBody, principal: Supervisor, uow: EstateUnitOfWork) -> WitnessKeyPublic:
        k = transparency.register_witness(uow, body.witness_key.strip(), principal.username)
        return WitnessKeyPublic(
            witness_key=k.verifier_key, name=k.name, registered_at=k.registered_at, retired_at=k.retired_at
        )

    @router.post(
        "/log/checkpoints/{tree_size}/cosignatures",
        response_model=CheckpointPublic,
        responses=errors(404, 409, 422),
        summary="Add the supervisor's cosignature to a checkpoint (supervisor; checked with the registered key)",
    )
    def cosign(
        code: EstateCode, tree_size: TreeSizePath, body: CosignatureBody, principal: Supervisor, uow: EstateUnitOfWork
    ) -> CheckpointPublic:
        return CheckpointPublic.of(transparency.add_cosignature(uow, tree_size, body.signature))

    @router.get(
        "/households/{household_id}/opening",
        response_model=OpeningPublic,
        responses=errors(404, 422),
        summary="A household's opening, to prove its own lines in the log (its members only)",
    )
    def opening(code: EstateCode, household_id: UUID, principal: AnyMember, uow: EstateUnitOfWork) -> OpeningPublic:
        # Only the household's own members: the firm and the supervisor see money, never openings.
        if principal.has_role(*OVERSIGHT) or str(household_id) not in membership.households_of_user(
            code, principal.subject
        ):
            raise NotFound("no such household")
        return OpeningPublic(
            household_id=str(household_id), opening=transparency.household_opening(uow, str(household_id))
        )

    return router
