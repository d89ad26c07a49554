"""`GET /metrics` in the Prometheus text format (nginx keeps it off the public internet)."""

from fastapi import APIRouter, Response

from bot import metrics

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def scrape() -> Response:
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
