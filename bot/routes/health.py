"""`/healthz`: the process is up (liveness). `/readyz`: it can serve — every store, the index
and the scheduler checked, each by name (bot/readiness.py); 503 says which part is down."""

import asyncio

from fastapi import APIRouter, Request, Response

from bot.readiness import readiness

router = APIRouter()


@router.get("/healthz")
def healthz(request: Request, response: Response) -> dict[str, str]:
    if not request.app.state.ready:
        response.status_code = 503
        return {"status": "starting"}
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request, response: Response) -> dict[str, object]:
    if not request.app.state.ready:
        response.status_code = 503
        return {"status": "starting", "checks": {}}
    state = request.app.state
    ok, checks = await asyncio.to_thread(readiness, state.services, state.scheduler)
    if not ok:
        response.status_code = 503
    return {"status": "ok" if ok else "down", "checks": checks}
