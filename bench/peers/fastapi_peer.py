"""B5 peer: the seed system's stack (FastAPI + uvicorn, Debian python3-fastapi/python3-uvicorn)
serving the same JSON bodies as the daemon, with the same bearer-token check.

Run: python3 bench/peers/fastapi_peer.py PORT TOKEN STATUS_FILE POSITIONS_FILE   (loopback only)
"""
import sys

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

port, token = int(sys.argv[1]), sys.argv[2]
status_body = open(sys.argv[3], "rb").read()
positions_body = open(sys.argv[4], "rb").read()
app = FastAPI()


def authorized(request: Request) -> bool:
    return request.headers.get("authorization") == "Bearer " + token


@app.get("/api/v1/paper-trading/status")
async def status(request: Request):
    if not authorized(request):
        return JSONResponse({"success": False}, status_code=401)
    return Response(status_body, media_type="application/json")


@app.get("/api/v1/paper-trading/positions")
async def positions(request: Request):
    if not authorized(request):
        return JSONResponse({"success": False}, status_code=401)
    return Response(positions_body, media_type="application/json")


@app.post("/api/v1/paper-trading/close-position/{position_id}")
async def close(position_id: str, request: Request):
    if not authorized(request):
        return JSONResponse({"success": False}, status_code=401)
    return JSONResponse({"success": False, "error": {"code": "POSITION_NOT_FOUND",
                                                      "message": f"no position {position_id}"}}, status_code=404)


uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
