"""Published v2 client libraries, unchanged, pointed at the gateway served by uvicorn on
loopback: ``babismm`` (requests, form POSTs with a browser User-Agent) runs its whole API, and
``safesmm`` (urllib, its own User-Agent) the calls it has."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import safesmm  # type: ignore[import-untyped]
import smm  # type: ignore[import-untyped]
from starlette.applications import Starlette

from gateway.core import Gateway
from tests.gateway.panels import Trio
from tests.gateway.rest.conftest import Keys, serve
from tests.gateway.rest.helpers import order_fields, shared_group
from tests.gateway.syncing import sync_statuses


async def test_babismm_runs_its_whole_api(
    app: Starlette, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    group = await shared_group(gw, refill=True, cancel=True)
    fields = order_fields(group)
    async with serve(app) as url:
        client: Any = smm.SMM(f"{url}/api/v2", keys.alice, timeout=10)
        try:

            def run(method: str, *args: Any, **kwargs: Any) -> Any:
                return asyncio.to_thread(getattr(client, method), *args, **kwargs)

            services = await run("get_services")
            assert group.id in {s["service"] for s in services}
            placed = await run(
                "add_order", fields["service"], link=fields["link"], quantity=fields["quantity"]
            )
            order = placed["order"]
            dropped = (await run("add_order", group.id, link="https://x.com/2",
                                 quantity=fields["quantity"]))["order"]  # fmt: skip
            assert (await run("get_status", order))["status"] in ("Pending", "In progress")
            assert (await run("cancel_orders", [dropped]))[0] == {"order": dropped, "cancel": 1}
            trio.advance(14 * 24 * 3600)
            await sync_statuses(gw)
            many = await run("get_multi_status", [order, dropped])
            assert many[str(dropped)]["status"] == "Canceled"
            refill = await run("create_refill", order)
            assert refill["refill"].isdigit()
            multi = await run("create_multi_refill", [order])
            assert multi[0]["order"] == order
            assert (await run("get_refill_status", refill["refill"]))["status"]
            statuses = await run("get_multi_refill_status", [refill["refill"]])
            assert statuses[0]["refill"] == int(refill["refill"])
            with pytest.raises(smm.SMMAPIError, match="Balance is not available"):
                await run("get_balance")
            with pytest.raises(smm.SMMAPIError, match="Incorrect order ID"):
                await run("get_status", 987654321)
        finally:
            client.close()


async def test_safesmm_places_and_follows_an_order(app: Starlette, gw: Gateway, keys: Keys) -> None:
    group = await shared_group(gw)
    fields = order_fields(group)
    async with serve(app) as url:
        client: Any = safesmm.SafeSMM(keys.alice, api_url=f"{url}/api/v2", timeout=10)
        placed = await asyncio.to_thread(
            client.add_order, group.id, fields["link"], fields["quantity"]
        )
        status = await asyncio.to_thread(client.status, placed["order"])
        assert status["currency"] == "USD"
        with pytest.raises(safesmm.SafeSMMError, match="Balance is not available"):
            await asyncio.to_thread(client.balance)
        with pytest.raises(safesmm.SafeSMMError, match="Invalid API key"):
            await asyncio.to_thread(
                safesmm.SafeSMM("smmgw_wrong-key-wrong-key", api_url=f"{url}/api/v2").balance
            )
