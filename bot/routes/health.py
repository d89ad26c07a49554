from fastapi import APIRouter, Request, Response

router = APIRouter()


@router.get("/healthz")
def healthz(request: Request, response: Response) -> dict[str, str]:
    if not request.app.state.ready:
        response.status_code = 503
        return {"status": "starting"}
    return {"status": "ok"}
